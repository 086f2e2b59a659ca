// The probabilistic mode's engine on one process: candidate pairs from the
// blocking rules (each pair once), their comparison patterns counted for
// training, the u sample, and scoring with the model's fixed-point weights.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "src/match/prob/blocking.hpp"
#include "src/match/prob/comparisons.hpp"
#include "src/match/prob/em.hpp"
#include "src/match/prob/model.hpp"

namespace nm::prob {

// Blocking rules with the keys of both sides: the left form of the left
// table's records, the right form of the right table's (blocking.hpp).
struct RuleSet {
  std::vector<BlockingRule> rules;
  RuleKeys left, right;
};
RuleSet make_rule_set(std::vector<BlockingRule> rules, const RawTable& left,
                      const RawTable& right, unsigned threads);

// Everything prepared once for a link: the compared values and the block keys
// of both sides (with dedupe the right side is the left table).
struct LinkData {
  bool dedupe = false;
  ComparisonPlan plan;
  PreparedSide left, right;
  FrequencyTotals tf_totals;
  RuleSet blocking;                 // the rules whose pairs are scored
  RuleSet training;                 // the rules whose pairs train m (training.hpp)
  const PreparedSide& right_side() const { return dedupe ? left : right; }
  uint64_t total_pairs() const;     // |L| x |R|, or n(n-1)/2 with dedupe
};

struct LinkFigures {
  std::vector<uint64_t> pairs_per_rule;  // scored (after the earlier rules took theirs)
  uint64_t candidate_pairs = 0;
};

// The comparison patterns of every pair of each rule's blocks, counted
// (sorted by pattern): one list per rule of `rules`.
// Which of a rule's pairs training counts: those of a share of the left
// records (a fixed hash of the row: training at scale), in blocks with at
// most max_side records on each side (0: any; a block of a common name is
// mostly different people of that name).
struct RuleSample {
  double left_share = 1.0;
  uint32_t max_side = 0;
};
// samples: one per rule (empty: every pair of every rule).
std::vector<std::vector<PatternCount>> count_patterns(const LinkData& d, const RuleSet& rules,
                                                      const std::vector<RuleSample>& samples,
                                                      uint64_t chunk_pairs,
                                         unsigned threads, LinkFigures* figures,
                                         const std::function<void(uint64_t)>& progress = {});

// Every comparison's level counts over `sample_pairs` record pairs drawn by a
// fixed-seed generator (the same pairs for any thread count).
LevelCounts sample_levels(const LinkData& d, uint64_t sample_pairs, uint64_t seed,
                          unsigned threads);

// A pair kept by scoring: global rows, fixed-point weight, levels.
struct ScoredLink {
  uint32_t left, right;
  int64_t weight;
  Pattern pattern;
};

// The model's weights as the scorer adds them, with each record's
// term-frequency weight for the "equal" level of the comparisons that have one.
struct Scoring {
  FixedWeights weights;
  std::vector<int32_t> left_tf;  // [row * text_slots + slot] (a value counted over both sides)
  std::vector<int32_t> left_name_tf;  // [row]: first and last name both equal
  int first_c = -1, last_c = -1;      // the first and last name comparisons (whole-name weight)
  int64_t keep_at = 0;                     // fixed-point weight threshold
};
Scoring make_scoring(const Model& model, const LinkData& d, double min_probability);
// The smallest fixed-point weight whose probability is at least p.
int64_t weight_threshold(double min_probability);
// The fixed-point weight of one pair's pattern (the reference formula).
int64_t pair_weight(const Scoring& s, const LinkData& d, Pattern p, uint32_t lrow);

// One term of a pair's weight, as pair_weight adds it.
struct WeightTerm {
  enum Kind : uint8_t {
    kPrior,          // the prior's weight
    kLevel,          // the model's weight of the comparison's level
    kTermFrequency,  // level 0 weighed by how common the left record's value is
    kWholeName,      // first and last name equal: weighed as one whole name (on the first name)
    kInWholeName,    // the last name, counted in the whole name: adds 0
    kMissing,        // either side missing: no evidence, adds 0
  };
  Kind kind = kPrior;
  int comparison = -1;  // -1 for the prior
  int64_t weight = 0;
};
// pair_weight's formula, each term passed to on_term(const WeightTerm&) in
// comparison order after the prior (`explain` shows them; pair_weight is
// this with no callback, so the two never disagree).
template <class OnTerm>
int64_t pair_weight_terms(const Scoring& s, const LinkData& d, Pattern p, uint32_t lrow,
                          OnTerm&& on_term) {
  int64_t w = s.weights.prior;
  on_term(WeightTerm{WeightTerm::kPrior, -1, w});
  const bool whole_name = s.first_c >= 0 && level_of(p, static_cast<uint32_t>(s.first_c)) == 0 &&
                          level_of(p, static_cast<uint32_t>(s.last_c)) == 0;
  for (uint32_t c = 0; c < d.plan.items.size(); ++c) {
    const int ci = static_cast<int>(c);
    const uint8_t lev = level_of(p, c);
    WeightTerm t{WeightTerm::kLevel, ci, 0};
    if (whole_name && ci == s.first_c) {
      t = {WeightTerm::kWholeName, ci, s.left_name_tf[lrow]};
    } else if (whole_name && ci == s.last_c) {
      t.kind = WeightTerm::kInWholeName;
    } else if (lev == kNullLevel) {
      t.kind = WeightTerm::kMissing;
    } else if (lev == 0 && d.plan.term_frequency[c] && d.tf_totals.values[c] != 0) {
      t = {WeightTerm::kTermFrequency, ci,
           s.left_tf[lrow * d.left.text_slots + d.plan.items[c].slot]};
    } else {
      t.weight = s.weights.level[c][lev];
    }
    w += t.weight;
    on_term(t);
  }
  return w;
}

// Scores every candidate pair; those at or above the threshold, sorted by
// (left, right).
std::vector<ScoredLink> score_pairs(const LinkData& d, const Scoring& s, uint64_t chunk_pairs,
                                    unsigned threads, LinkFigures* figures,
                                    const std::function<void(uint64_t)>& progress = {});

// The candidate pairs per rule of d.blocking, each pair counted by the first
// rule that finds it: what score_pairs reports in `figures`, without
// comparing. Reads only d.dedupe, d.left.rows, d.right.rows and d.blocking
// (`plan` fills no more).
LinkFigures count_candidates(const LinkData& d, uint64_t chunk_pairs, unsigned threads);

}  // namespace nm::prob
