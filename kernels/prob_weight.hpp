// The probabilistic mode's match weight of one pair, in fixed point: the one
// formula the CPU scorer (prob::pair_weight) and the GPU kernel
// (kernels/prob_tile.hpp) both call, over plain pointers to the model's
// fixed weights and the left rows' term-frequency weights, so the two
// cannot add different integers.
#pragma once
#include <cstdint>

#include "kernels/host_device.hpp"
#include "kernels/prob_compare.hpp"

namespace nm::kernels::prob {

// Level weights are stored 16 to a comparison (levels 0..14; kNull is never
// read), so level `l` of comparison `c` is level[c * kLevelStride + l].
inline constexpr uint32_t kLevelStride = 16;
inline constexpr uint32_t kNoTermFrequency = 0xFFFFFFFFu;

// The weights of a model as the per-pair code reads them (host vectors or
// device buffers).
struct WeightView {
  const int32_t* level;         // [c * kLevelStride + l]: to_fixed(log2(m / u))
  const uint32_t* tf_slot;      // [c]: text slot whose per-row weight replaces level 0, or kNoTermFrequency
  const int32_t* left_tf;       // [row * text_slots + slot]
  const int32_t* left_name_tf;  // [2 * row + the pair's birthdates differ]: first and last name
                                // both equal (when first_c >= 0)
  uint32_t n_comparisons;
  uint32_t text_slots;
  int32_t prior;
  int32_t first_c, last_c;  // the first and last name comparisons, or -1: no whole-name weight
  int32_t date_c;           // the birthdate comparison, or -1
  uint32_t date_else;       // its "else" level (the dates far apart)
};

NM_HD NM_INLINE uint8_t pattern_level(uint64_t pattern, uint32_t c) {
  return static_cast<uint8_t>((pattern >> (4 * c)) & 0xF);
}

// One term of a pair's weight, as pair_weight adds it (`explain` shows them).
struct WeightTerm {
  enum Kind : uint8_t {
    kPrior,          // the prior's weight
    kLevel,          // the model's weight of the comparison's level
    kTermFrequency,  // level 0 weighed by how common the left record's value is
    kWholeName,      // first and last name equal: weighed as one whole name (on the first name)
    kInWholeName,    // the last name, counted in the whole name: adds 0
    kMissing,        // either side missing: no evidence, adds 0
  };
  Kind kind;
  int comparison;  // -1 for the prior
  int64_t weight;
};

struct NoTerms {
  NM_HD void operator()(const WeightTerm&) const {}
};

// The prior, plus for every comparison not null: its level's weight, or at
// level 0 of a term-frequency comparison the left record's own weight; when
// first and last name are both equal, the left record's whole-name weight
// replaces both names' weights (first and last names are not independent),
// the one for a pair whose birthdates are far apart (level "else") when they
// are (its records then bear two of the name's groups of dates, not one; a
// typo's date is in its person's group). Each term is passed to on_term, the
// prior first, then in comparison order.
template <class OnTerm>
NM_HD inline int64_t pair_weight_terms(const WeightView& w, uint64_t pattern, uint64_t lrow,
                                       OnTerm&& on_term) {
  int64_t sum = w.prior;
  on_term(WeightTerm{WeightTerm::kPrior, -1, sum});
  const bool whole_name = w.first_c >= 0 &&
                          pattern_level(pattern, static_cast<uint32_t>(w.first_c)) == 0 &&
                          pattern_level(pattern, static_cast<uint32_t>(w.last_c)) == 0;
  for (uint32_t c = 0; c < w.n_comparisons; ++c) {
    const int ci = static_cast<int>(c);
    const uint8_t lev = pattern_level(pattern, c);
    WeightTerm t{WeightTerm::kLevel, ci, 0};
    if (whole_name && ci == w.first_c) {
      const uint8_t date =
          w.date_c < 0 ? kNull : pattern_level(pattern, static_cast<uint32_t>(w.date_c));
      t = {WeightTerm::kWholeName, ci, w.left_name_tf[2 * lrow + (date == w.date_else ? 1 : 0)]};
    } else if (whole_name && ci == w.last_c) {
      t.kind = WeightTerm::kInWholeName;
    } else if (lev == kNull) {
      t.kind = WeightTerm::kMissing;
    } else if (lev == 0 && w.tf_slot[c] != kNoTermFrequency) {
      t = {WeightTerm::kTermFrequency, ci, w.left_tf[lrow * w.text_slots + w.tf_slot[c]]};
    } else {
      t.weight = w.level[c * kLevelStride + lev];
    }
    sum += t.weight;
    on_term(t);
  }
  return sum;
}

NM_HD inline int64_t pair_weight(const WeightView& w, uint64_t pattern, uint64_t lrow) {
  return pair_weight_terms(w, pattern, lrow, NoTerms{});
}

}  // namespace nm::kernels::prob
