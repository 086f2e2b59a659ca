// The probabilistic mode's model (Fellegi–Sunter): the comparisons with their
// levels, m and u per level, the prior, the blocking rules; saved as JSON.
// docs/PROBABILISTIC.md describes the mode; this file is its one definition
// of a model and of the fixed-point weights every path scores with.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nm::prob {

// How a column is compared (--compare COLUMN=KIND; the person fields have
// their own fixed kinds: first/last name kName with the swap level, middle
// name kName with the initial level, birthdate kDate).
enum class CompareKind : uint8_t { kName, kDate, kExact, kPrefix, kNumeric };

// A comparison's level of one pair: 0 = best, ..., levels-1 = "else";
// kNullLevel when either side is missing (no evidence, weight 0).
inline constexpr uint8_t kNullLevel = 15;
inline constexpr uint32_t kMaxComparisons = 16;  // 4 bits per level in a 64-bit pattern

// A pattern: every comparison's level, 4 bits each, comparison 0 in the low bits.
using Pattern = uint64_t;
inline uint8_t level_of(Pattern p, uint32_t comparison) {
  return static_cast<uint8_t>((p >> (4 * comparison)) & 0xF);
}
inline Pattern with_level(Pattern p, uint32_t comparison, uint8_t level) {
  const uint32_t s = 4 * comparison;
  return (p & ~(Pattern{0xF} << s)) | (Pattern{level} << s);
}

// Weights are summed in fixed point so every rank, thread and backend adds
// the same integers: a weight w (log2 of a likelihood ratio) is
// llround(w * kWeightScale).
inline constexpr double kWeightScale = 65536.0;
int32_t to_fixed(double log2_weight);
double from_fixed(int64_t fixed);
// The probability of a match weight (log2 odds): 1 / (1 + 2^-w).
double probability_of(int64_t fixed_weight);

struct Comparison {
  std::string column;  // first_name, middle_name, last_name, birthdate, or a --compare column
  CompareKind kind = CompareKind::kName;
  std::vector<std::string> levels;  // level names, best first; the last is "else"
  std::vector<double> m, u;         // per level: P(level | match), P(level | non-match)
  bool term_frequency = false;      // level 0 (equal) is weighted by how common the value is
};

struct Model {
  static constexpr const char* kFormat = "name_matcher-prob-model";
  static constexpr int kVersion = 1;
  std::vector<Comparison> comparisons;
  // P(match) for a pair of records drawn at random from left x right (or
  // from the unordered pairs of one table with --dedupe).
  double prior = 0;
  std::vector<std::string> blocking;  // the rules, as written (--block)
  bool dedupe = false;
  // How it was learned (reported, not used for scoring).
  uint64_t u_sample_pairs = 0, candidate_pairs = 0, distinct_patterns = 0;
  uint32_t em_iterations = 0;
  bool em_converged = false;
  double matches_estimated = 0;
};

}  // namespace nm::prob
