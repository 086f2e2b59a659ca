// The probabilistic mode's model (Fellegi–Sunter): the comparisons with their
// levels, m and u per level, the prior, the blocking rules; saved as JSON.
// docs/PROBABILISTIC.md describes the mode; this file is its one definition
// of a model and of the fixed-point weights every path scores with.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nm::prob {

// How a column is compared (--compare COLUMN=KIND; the person fields have
// their own fixed kinds: first/last name kName with the swap level, middle
// name kName with the initial level, birthdate kDate).
enum class CompareKind : uint8_t { kName, kDate, kExact, kPrefix, kNumeric };
// The kind's name in a model file and on the command line: "name", "date",
// "exact", "prefix", "numeric"; nullopt for any other text.
const char* compare_kind_name(CompareKind kind);
std::optional<CompareKind> compare_kind_from_name(std::string_view name);

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
  // The most common values of each term-frequency column with their counts
  // (column -> values, most common first): a summary for the reader of the
  // model file, in the order the trainer wrote it.
  std::vector<std::pair<std::string, std::vector<std::pair<std::string, uint64_t>>>> tf_top;
};

// The fixed-point weights of a model, computed once here: every scorer adds
// these integers and nothing else recomputes them. A comparison at
// kNullLevel adds 0 (no evidence); term-frequency adjustments are not in it.
struct FixedWeights {
  int32_t prior = 0;                        // to_fixed(log2(prior / (1 - prior)))
  std::vector<std::vector<int32_t>> level;  // [comparison][level] = to_fixed(log2(m / u))
};
FixedWeights fixed_weights(const Model& model);
// The match weight of a pattern (log2 odds, fixed point): the prior plus the
// weight of every comparison's level, null levels adding 0.
int64_t match_weight(const FixedWeights& weights, Pattern pattern);

// The model file (JSON, keys in a fixed order, doubles written so they read
// back bit for bit). Each level's "weight" and the "prior_weight" are written
// for the reader and ignored on reading (they follow from m, u and prior).
std::string model_to_json(const Model& model);
// Throws nm::InputError starting "<source>: " and saying what is wrong: not
// JSON, not a model, another format version, a field missing or of the wrong
// type, m or u outside (0, 1], a prior outside (0, 1), a comparison with
// fewer than 2 or more than 14 levels (15 is kNullLevel), m or u not
// summing to 1 (within 1e-6), two comparisons of one column. (model_json.cpp)
Model model_from_json(std::string_view text, const std::string& source);
// Throws nm::InputError ("<source>: ...") when a comparison names a column
// that is not among the input's columns.
void check_model_columns(const Model& model, const std::vector<std::string>& available_columns,
                         const std::string& source);

// A short table for people (what `train` prints): comparison, level, m, u,
// weight log2(m/u) with 2 decimals; then the prior and its weight.
std::string weights_table(const Model& model);

}  // namespace nm::prob
