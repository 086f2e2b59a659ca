// Training the probabilistic mode's model (docs/PROBABILISTIC.md,
// "Training"): u from a random sample of record pairs; m by EM, one session
// per training rule with the comparisons that rule blocks on left out (the
// block forces their agreement, so it says nothing of their m) and u fixed
// at the random sample's; each comparison's m from a session where it and
// another comparison are free, with enough matches (kMinSessionMatches),
// then the densest in matches; the prior from that
// kind of session's matches and the share of all matches its rule finds.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/match/prob/linker.hpp"

namespace nm::prob {

// Where train_model gets the training rules' pattern counts: exactly what
// prob::count_patterns gives for the same arguments (counts sorted by
// pattern, one list per rule, and `figures`), however they are computed.
// train_model's default counts on the CPU (count_patterns); the jobs layer
// supplies one that runs the GPU kernel (jobs/prob/prob_engine.*), so this
// layer never sees a device.
class PatternCountSource {
 public:
  virtual ~PatternCountSource() = default;
  virtual std::vector<std::vector<PatternCount>> count(
      const LinkData& d, const RuleSet& set, const std::vector<RuleSample>& samples,
      uint64_t chunk_pairs, unsigned threads, LinkFigures* figures,
      const std::function<void(uint64_t)>& progress) = 0;
};

struct TrainOptions {
  uint64_t u_sample_pairs = 2'000'000;
  uint64_t seed = 1;
  uint64_t chunk_pairs = uint64_t{1} << 20;
  uint64_t pairs_per_rule = 20'000'000;  // pairs counted per training rule at most (sampled)
  // A training rule without a birthdate term trains on blocks of at most this
  // many records a side: a common name's block is mostly different people of
  // that name, who would teach EM that a changed birthdate is common among
  // matches.
  uint32_t max_name_block_side = 2;
  EmOptions em;
  PatternCountSource* counting = nullptr;  // null: prob::count_patterns on the CPU
};

// The comparisons (by index) whose column one of the rule's terms reads.
std::vector<bool> blocked_comparisons(const std::vector<Comparison>& comparisons,
                                      const BlockingRule& rule);

// The training rules used unless --train-block is given.
std::vector<std::string> default_training_rule_texts();

// The model from pattern counts (the pure part of training: the same counts
// give the same model). patterns[r]: the pairs of training rule r's blocks
// counted as samples[r] says (empty: all).
Model fit_model(std::vector<Comparison> comparisons, const std::vector<BlockingRule>& training,
                const LevelCounts& u_sample,
                const std::vector<std::vector<PatternCount>>& patterns, uint64_t total_pairs,
                bool dedupe, const EmOptions& em, const std::vector<RuleSample>& samples = {});

// What training counts before it fits: the u sample's level counts and
// each training rule's pattern counts, of d.share's pairs only. Exact
// integers: the counts of several shares summed (sum_training_counts) are
// those of one process.
struct TrainingCounts {
  LevelCounts u_sample;
  std::vector<RuleSample> samples;  // how each training rule was sampled (not a count)
  std::vector<std::vector<PatternCount>> patterns;
};
TrainingCounts count_training(const LinkData& d, const TrainOptions& options, unsigned threads,
                              const std::function<void(const char* stage, uint64_t done)>& progress = {});
// Adds `other`'s counts (another share of the same data and options) to `into`.
void sum_training_counts(TrainingCounts& into, const TrainingCounts& other);
// The model of the counts (of every share): fit_model with the run's rules.
Model fit_training(const LinkData& d, std::vector<Comparison> comparisons,
                   const TrainOptions& options, const TrainingCounts& counts);

// count_training and fit_training on one process (d.share all the pairs);
// figures: the training rules' counted pairs (figures_of the patterns).
Model train_model(const LinkData& d, std::vector<Comparison> comparisons,
                  const TrainOptions& options, unsigned threads, LinkFigures* figures,
                  const std::function<void(const char* stage, uint64_t done)>& progress = {});

}  // namespace nm::prob
