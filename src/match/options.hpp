// Matching options and the contract's threshold parsing (matching.md section 4).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nm {

// Parses a threshold as the contract says: trim; "N%" -> N/100; with '.' ->
// N (divided by 100 if > 1); else N/100; clamped to [lo, 1]; unparsable ->
// 0.95. The result is the double rounded once to float.
float parse_threshold(std::string_view text, double lo);
// The same, but unparsable text (empty, not a number, inf, nan) gives nullopt, so that the
// caller can say so (jobs::threshold_option warns and names the value used instead).
std::optional<float> try_parse_threshold(std::string_view text, double lo);
inline constexpr double kFuzzyThresholdMin = 0.6;
inline constexpr double kHouseholdThresholdMin = 0.5;
inline constexpr float kDefaultThreshold = 0.95f;
inline float parse_fuzzy_threshold(std::string_view t) {
  return parse_threshold(t, kFuzzyThresholdMin);
}
inline float parse_household_threshold(std::string_view t) {
  return parse_threshold(t, kHouseholdThresholdMin);
}

struct MatchOptions {
  int algorithm = 1;
  float threshold = 0.95f;            // A3/A4 output threshold
  float household_threshold = 0.95f;  // A5/A6 person-pair threshold
  bool fuzzy_normalization = false;   // A1/A2 compare normalize_simple(normalize_text(x))
  bool dedupe = false;
  bool exhaustive = false;
  unsigned threads = 1;
  uint64_t tile_pairs = 1 << 18;  // largest tile (pairs) before a block is cut
};

}  // namespace nm
