// The probabilistic mode's engine on one process: candidate pairs from the
// blocking rules (each pair once), their comparison patterns counted for
// training, the u sample, and scoring with the model's fixed-point weights.
// Under mpirun each process does its share (LinkData::share) and the jobs
// layer sums or gathers the shares (jobs/prob/prob_ranks.hpp).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "kernels/prob_tile.hpp"
#include "kernels/prob_weight.hpp"
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

// The part of the work one process does: chunk k of the candidate pairs (in
// the fixed order of the rules' chunks: rule by rule, each rule's chunks in
// key order) belongs to rank k % ranks, and part p of the u sample's 64 parts
// to rank p % ranks. The shares of ranks 0..ranks-1 split the pairs without
// overlap, so counts summed over them (and kept pairs gathered) are those of
// one process, for any rank count.
struct RankShare {
  uint32_t rank = 0, ranks = 1;
  bool owns(uint64_t k) const { return ranks <= 1 || k % ranks == rank; }
};

// Everything prepared once for a link: the compared values and the block keys
// of both sides (with dedupe the right side is the left table), and the share
// of the work this process does (count_patterns, sample_levels, score_pairs,
// for_each_pair_batch and count_candidates honour it; the default is all).
struct LinkData {
  bool dedupe = false;
  ComparisonPlan plan;
  PreparedSide left, right;
  FrequencyTotals tf_totals;
  RuleSet blocking;                 // the rules whose pairs are scored
  RuleSet training;                 // the rules whose pairs train m (training.hpp)
  RankShare share;                  // this process's chunks and u sample parts
  const PreparedSide& right_side() const { return dedupe ? left : right; }
  uint64_t total_pairs() const;     // |L| x |R|, or n(n-1)/2 with dedupe
};

struct LinkFigures {
  std::vector<uint64_t> pairs_per_rule;  // scored (after the earlier rules took theirs)
  uint64_t candidate_pairs = 0;
};
// The figures of pattern counts: each rule's pairs are its counts' sum.
LinkFigures figures_of(const std::vector<std::vector<PatternCount>>& patterns);

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
std::vector<std::vector<PatternCount>> count_patterns(const LinkData& d, const RuleSet& set,
                                                      const std::vector<RuleSample>& samples,
                                                      uint64_t chunk_pairs,
                                         unsigned threads, LinkFigures* figures,
                                         const std::function<void(uint64_t)>& progress = {});

// Every comparison's level counts over `sample_pairs` record pairs drawn by a
// fixed-seed generator (the same pairs for any thread count; d.share's parts
// of them).
LevelCounts sample_levels(const LinkData& d, uint64_t sample_pairs, uint64_t seed,
                          unsigned threads);

// A pair kept by scoring: global rows, fixed-point weight, levels.
struct ScoredLink {
  uint32_t left, right;
  int64_t weight;
  Pattern pattern;
  bool operator==(const ScoredLink&) const = default;
};

// Sorts kept pairs by (left, right): the order of score_pairs and of the
// pairs file.
void sort_links(std::vector<ScoredLink>& links);

// The model's weights as the scorer adds them, with each record's
// term-frequency weight for the "equal" level of the comparisons that have one.
struct Scoring {
  FixedWeights weights;
  std::vector<int32_t> left_tf;  // [row * text_slots + slot] (a value counted over both sides)
  std::vector<int32_t> left_name_tf;  // [2 * row + dates far apart]: first and last name both equal
  int first_c = -1, last_c = -1;      // the first and last name comparisons (whole-name weight)
  int date_c = -1;                    // the birthdate comparison
  uint32_t date_else = 0;             // its "else" level
  int64_t keep_at = 0;                     // fixed-point weight threshold
  // The same weights laid out for kernels::prob::pair_weight (make_scoring
  // fills them): weights.level with kLevelStride per comparison, and per
  // comparison the text slot of its term-frequency weight or kNoTermFrequency.
  std::vector<int32_t> level_table;
  std::vector<uint32_t> tf_slot;
  uint32_t text_slots = 0;
  // Pointers into this object: valid while it lives unchanged.
  kernels::prob::WeightView view() const;
};
Scoring make_scoring(const Model& model, const LinkData& d, double min_probability);
// The smallest fixed-point weight whose probability is at least p.
int64_t weight_threshold(double p);
// The fixed-point weight of one pair's pattern: kernels::prob::pair_weight,
// the formula the GPU kernel adds too.
int64_t pair_weight(const Scoring& s, Pattern p, uint32_t lrow);

using kernels::prob::WeightTerm;
// pair_weight's formula (kernels::prob::pair_weight_terms), each term passed
// to on_term(const WeightTerm&) after the prior in comparison order
// (`explain` shows them; the weight is the same sum, so the two never
// disagree).
template <class OnTerm>
int64_t pair_weight_terms(const Scoring& s, const LinkData& /*d*/, Pattern p, uint32_t lrow,
                          OnTerm&& on_term) {
  return kernels::prob::pair_weight_terms(s.view(), p, lrow, on_term);
}

// Scores every candidate pair; those at or above the threshold, sorted by
// (left, right).
std::vector<ScoredLink> score_pairs(const LinkData& d, const Scoring& s, uint64_t chunk_pairs,
                                    unsigned threads, LinkFigures* figures,
                                    const std::function<void(uint64_t)>& progress = {});

// The chunks of d.blocking's candidate pairs in the fixed order of RankShare
// (rule by rule, each rule's chunks in key order), built once so that any of
// them can be scored, a few at a time: run --pairs marks each chunk done in
// the pair file (jobs/prob/prob_pairs.hpp). score_pairs is this over the
// chunks of d.share.
class ScoringChunks {
 public:
  ScoringChunks(const LinkData& d, uint64_t chunk_pairs, unsigned threads);
  ~ScoringChunks();
  ScoringChunks(const ScoringChunks&) = delete;
  ScoringChunks& operator=(const ScoringChunks&) = delete;
  uint64_t size() const;                // chunks of every rule
  uint32_t rule_of(uint64_t k) const;   // the rule of chunk k
  uint64_t pairs_of(uint64_t k) const;  // its pairs before the earlier rules' are left out
  // Scores chunks ks (d.share is not read): out[i] holds the kept pairs of
  // chunk ks[i], in the order they were enumerated; per_rule[r] (resized to
  // the rules) grows by the pairs scored for rule r. d must be the LinkData
  // the chunks were built from.
  std::vector<std::vector<ScoredLink>> score(const LinkData& d, const Scoring& s,
                                             std::span<const uint64_t> ks, unsigned threads,
                                             std::vector<uint64_t>& per_rule,
                                             const std::function<void(uint64_t)>& progress = {}) const;
  // The pairs score() would score in chunks ks, counted per rule into
  // per_rule (resized to the rules), without comparing.
  void count(const LinkData& d, std::span<const uint64_t> ks, unsigned threads,
             std::vector<uint64_t>& per_rule) const;

 private:
  struct Blocks;
  std::unique_ptr<Blocks> blocks_;
};

// The candidate pairs as the CPU enumerates them, in batches for a device:
// each rule's chunks in order (those of d.share), fn(rule, pairs) with at most batch_pairs
// pairs (a chunk may be cut; a batch holds one rule's pairs), on the calling
// thread. skip_earlier = false: every pair of the rule's blocks, as
// count_patterns counts them (samples as there); true: each pair once over
// the rules, as score_pairs scores them (samples must be empty).
void for_each_pair_batch(const LinkData& d, const RuleSet& set,
                         const std::vector<RuleSample>& samples, bool skip_earlier,
                         uint64_t chunk_pairs, uint64_t batch_pairs, unsigned threads,
                         const std::function<void(uint32_t, std::span<const kernels::prob::RowPair>)>& fn);

// The candidate pairs per rule of d.blocking, each pair counted by the first
// rule that finds it: what score_pairs reports in `figures`, without
// comparing. Reads only d.dedupe, d.left.rows, d.right.rows and d.blocking
// (`plan` fills no more).
LinkFigures count_candidates(const LinkData& d, uint64_t chunk_pairs, unsigned threads);

}  // namespace nm::prob
