// The probabilistic mode's scoring weights (declared in linker.hpp): the
// threshold as a fixed-point weight, each record's term-frequency weights,
// the whole-name weights and the view the kernels score with.
#include "src/match/prob/linker.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace nm::prob {

int64_t weight_threshold(double p) {
  p = std::clamp(p, 1e-12, 1.0 - 1e-12);
  return static_cast<int64_t>(std::ceil(std::log2(p / (1.0 - p)) * kWeightScale));
}

namespace {
std::vector<int32_t> tf_weights(const Model& m, const LinkData& d, const PreparedSide& s) {
  std::vector<int32_t> out(s.rows * s.text_slots, 0);
  for (size_t c = 0; c < d.plan.items.size(); ++c) {
    if (!d.plan.term_frequency[c] || d.tf_totals.values[c] == 0) continue;
    const uint32_t slot = d.plan.items[c].slot;
    const double m0 = m.comparisons[c].m[0];
    const double total = static_cast<double>(d.tf_totals.values[c]);
    for (size_t row = 0; row < s.rows; ++row) {
      if (s.frequency[row * s.text_slots + slot] == 0) continue;  // missing
      const double f = others_frequency(s, row, slot);
      out[row * s.text_slots + slot] = to_fixed(std::log2(m0 * total / f));
    }
  }
  return out;
}
}  // namespace

Scoring make_scoring(const Model& model, const LinkData& d, double min_probability) {
  Scoring s;
  s.weights = fixed_weights(model);
  s.left_tf = tf_weights(model, d, d.left);
  s.keep_at = weight_threshold(min_probability);
  const size_t nc = d.plan.items.size();
  s.text_slots = d.left.text_slots;
  s.level_table.assign(nc * kernels::prob::kLevelStride, 0);
  s.tf_slot.assign(nc, kernels::prob::kNoTermFrequency);
  for (size_t c = 0; c < nc; ++c) {
    const auto& lv = s.weights.level[c];  // at most 14 levels (model_from_json checks)
    std::copy_n(lv.begin(), std::min<size_t>(lv.size(), kernels::prob::kNull),
                s.level_table.begin() + c * kernels::prob::kLevelStride);
    if (d.plan.term_frequency[c] && d.tf_totals.values[c] != 0) s.tf_slot[c] = d.plan.items[c].slot;
  }
  for (size_t c = 0; c < d.plan.items.size(); ++c) {
    if (!d.plan.term_frequency[c]) continue;
    if (static_cast<int>(d.plan.items[c].slot) == d.plan.swap_first) s.first_c = static_cast<int>(c);
    if (static_cast<int>(d.plan.items[c].slot) == d.plan.swap_last) s.last_c = static_cast<int>(c);
  }
  if (s.first_c >= 0 && s.last_c >= 0 && d.tf_totals.names > 0) {
    // m of both names equal among matches, over u of this whole name: how
    // often a random other record bears it. That is the larger of the
    // names' frequencies multiplied (were they independent) and the share of
    // records held by the other people bearing the whole name (a common
    // combination, like a surname that goes with a first name); people, not
    // records, as one person may be in a registry several times.
    const auto fc = static_cast<size_t>(s.first_c), lc = static_cast<size_t>(s.last_c);
    const double m0 = model.comparisons[fc].m[0] * model.comparisons[lc].m[0];
    const uint32_t fs = d.plan.items[fc].slot, ls = d.plan.items[lc].slot;
    const double nf = static_cast<double>(d.tf_totals.values[fc]);
    const double nl = static_cast<double>(d.tf_totals.values[lc]);
    const double nn = static_cast<double>(d.tf_totals.names);
    // The pair's own records: in two tables (linking) one of the name's
    // groups of dates in each; in one (dedupe) one group when their
    // birthdates agree, are close or one is missing, two when they are far
    // apart (level "else"): [2 * row + apart].
    s.left_name_tf.assign(2 * d.left.rows, 0);
    for (size_t row = 0; row < d.left.rows; ++row) {
      const uint32_t k = d.left.name_frequency[row];
      if (k == 0) continue;
      const double independent = others_frequency(d.left, row, fs) / nf *
                                 others_frequency(d.left, row, ls) / nl;
      for (uint32_t apart = 0; apart < 2; ++apart) {
        const uint32_t own = d.dedupe ? 1 + apart : 2, people = d.left.name_people[row];
        const double whole = people > own ? static_cast<double>(people - own) / nn : 0.0;
        s.left_name_tf[2 * row + apart] = to_fixed(std::log2(m0 / std::max(independent, whole)));
      }
    }
    for (size_t c = 0; c < d.plan.items.size(); ++c)
      if (d.plan.items[c].set == LevelSet::kDate && d.plan.columns[c].kind == ColumnRef::kBirthdate) {
        s.date_c = static_cast<int>(c);
        s.date_else = kernels::prob::level_count(LevelSet::kDate) - 1u;
      }
  } else {
    s.first_c = s.last_c = -1;
  }
  return s;
}

kernels::prob::WeightView Scoring::view() const {
  kernels::prob::WeightView v{};
  v.level = level_table.data();
  v.tf_slot = tf_slot.data();
  v.left_tf = left_tf.data();
  v.left_name_tf = left_name_tf.data();
  v.n_comparisons = static_cast<uint32_t>(tf_slot.size());
  v.text_slots = text_slots;
  v.prior = weights.prior;
  v.first_c = first_c;
  v.last_c = last_c;
  v.date_c = date_c;
  v.date_else = date_else;
  return v;
}

int64_t pair_weight(const Scoring& s, Pattern p, uint32_t lrow) {
  return kernels::prob::pair_weight(s.view(), p, lrow);
}

}  // namespace nm::prob
