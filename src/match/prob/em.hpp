// Learning a model's m, u and prior (docs/PROBABILISTIC.md). The inputs are
// exact integer counts, so the result depends only on them: not on the
// order the pairs were seen in, nor on which ranks or threads counted them.
#pragma once
#include <cstdint>
#include <vector>

#include "src/match/prob/model.hpp"

namespace nm::prob {

// How many candidate pairs have this pattern.
struct PatternCount {
  Pattern pattern;
  uint64_t count;
  bool operator==(const PatternCount&) const = default;
};

// Each comparison's level counts over a random sample of record pairs.
struct LevelCounts {
  std::vector<std::vector<uint64_t>> counts;  // [comparison][level], null excluded
  uint64_t pairs = 0;  // pairs drawn (null ones included): recorded as model.u_sample_pairs
};

struct EmOptions {
  uint32_t max_iterations = 200;
  double tolerance = 1e-7;  // stop when no parameter moves by this much
  // When set, m is these values throughout and only lambda and the
  // candidates' u are fitted (training's prior, src/match/prob/training.cpp).
  const std::vector<std::vector<double>>* fixed_m = nullptr;
  // When set, the non-match class's distribution is these values (the
  // random-sample u: training's sessions, where the comparisons a rule
  // blocks on are left out, so the others' non-match levels are those of
  // random pairs).
  const std::vector<std::vector<double>>* fixed_u = nullptr;
};

// u[level] = (count + 0.5) / (n + 0.5 * levels), n = the comparison's
// non-null sample pairs: the frequency in the sample, with half a pair added
// to every level so a level never seen has a small u and log2(m/u) stays
// finite (a comparison never non-null gets 1/levels everywhere). Throws
// std::invalid_argument when the counts' shape is not the model's.
void estimate_u(Model& model, const LevelCounts& random_sample);

// Additive smoothing of counts into probabilities: (count + 0.5) / (n +
// 0.5 * levels), the one rule for u (random sample) and m (expected match counts).
std::vector<double> smoothed(const std::vector<double>& counts);

// EM over the blocked candidate pairs' patterns (see fit_mixture). Sets
// model.m (smoothed as u is, on the expected match counts per level),
// matches_estimated = lambda_b * candidates, prior = matches_estimated /
// total_pairs clamped to [0.5, total_pairs - 0.5] / total_pairs,
// candidate_pairs, distinct_patterns, em_iterations and em_converged. Leaves
// model.u (the random-sample u scoring uses) alone. Levels of comparisons
// beyond the model's are ignored. Throws nm::InputError when there are no
// candidate pairs, std::invalid_argument on a level the model does not have
// or total_pairs below the candidates.
void estimate_m_and_prior(Model& model, std::vector<PatternCount> candidates, uint64_t total_pairs,
                          const EmOptions& options);

// Sorts by pattern and adds the counts of equal patterns: the fixed order
// every sum of the EM runs in.
std::vector<PatternCount> merge_patterns(std::vector<PatternCount> patterns);

// The two-class mixture fitted by EM. Among the candidates a pattern has
// probability lambda * prod m[c][level] + (1 - lambda) * prod u[c][level]
// (conditional independence; null levels are left out of the products and
// of the counts). u here is the candidate non-matches' distribution, a
// nuisance parameter: blocking makes agreement common among them (equal
// birthdates in a birthdate block), so it is not the random-sample u.
struct MixtureFit {
  double lambda = 0;
  std::vector<std::vector<double>> m, u;  // [comparison][level], as estimated
  // The expected number of matches at each level (the last M-step's counts).
  std::vector<std::vector<double>> match_counts;
  uint32_t iterations = 0;
  bool converged = false;
};

// Fits the mixture to `patterns` (merged and sorted: merge_patterns) with
// `levels[c]` levels per comparison. Starts from: m = 0.9 at level 0 and the
// remaining 0.1 halving level by level; u = the smoothed level frequencies
// over all candidates; lambda = 0.1 (matches are the minority of candidates).
// Iterates until no parameter moves by options.tolerance or
// options.max_iterations. Each parameter is floored at 1e-300 inside the
// logarithms so a level the fit empties cannot give 0 * infinity.
MixtureFit fit_mixture(const std::vector<PatternCount>& patterns,
                       const std::vector<uint32_t>& levels, const EmOptions& options);

}  // namespace nm::prob
