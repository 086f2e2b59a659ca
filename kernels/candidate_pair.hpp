// One candidate pair of algorithms 3 to 6, from the candidate list to the
// histogram and the kept pairs: which pairs are scored, with which pattern,
// in which histogram bin a match counts and which matches are kept. Written
// once for the CPU backend's loop (src/match/engine.cpp, score_jobs) and the
// fused tile kernel (kernels/fused_tile.hpp, on the GPU and emulated).
#pragma once
#include <cstdint>

#include "kernels/host_device.hpp"
#include "kernels/pair_scoring.hpp"

namespace nm::kernels {

inline constexpr uint32_t kHistBins = 101;  // floor(score) of every matching pair, 0..100

// The histogram bin of a matching pair's score.
NM_HD NM_INLINE uint32_t score_bin(double score) {
  return score >= 100.0 ? kHistBins - 1 : static_cast<uint32_t>(score);
}

// Whether a right record's full name of `len` code points is scored with its
// Pattern64 (it fits one machine word).
NM_HD NM_INLINE bool uses_pattern(uint32_t len) { return len > 0 && len <= kWordBits; }

// What every candidate pair of a job is scored with.
struct CandidateRule {
  bool dedupe = false;  // one table: score a pair only when left order < right order
  bool with_middle = false;
  float keep = 0;  // matches below this confidence are counted, not kept
};

// Puts one candidate pair through the rule unless it is skipped: with dedupe
// when the left record does not come before the right one (each unordered
// pair once), and when the birthdates differ (candidate keys are hashes,
// which may collide). `left_order()` gives the left record's order, read only
// with dedupe, and `left_view()` its FuzzyView, built only for a scored pair
// (both are the hot loop's loads). `b_pattern` is the Pattern64 of b.full (used when
// uses_pattern(b.full_len); may be anything otherwise). A match calls
// on_match(bin); a match of at least rule.keep then calls on_keep(score).
// Returns whether the pair was scored.
template <bool kCpuPaths, class LeftOrder, class LeftView, class OnMatch, class OnKeep>
NM_HD NM_INLINE bool score_candidate(const CandidateRule& rule, const LeftOrder& left_order,
                                     uint64_t right_order, int32_t left_birthdate,
                                     int32_t right_birthdate, const LeftView& left_view,
                                     const FuzzyView& b, const Pattern64* b_pattern,
                                     uint32_t* scratch, OnMatch&& on_match, OnKeep&& on_keep) {
  if (rule.dedupe && !(left_order() < right_order)) return false;
  if (left_birthdate != right_birthdate) return false;
  const PairScore s =
      score_fuzzy_pair<kCpuPaths>(left_view(), b, uses_pattern(b.full_len) ? b_pattern : nullptr,
                                  rule.with_middle, scratch);
  if (s.label == kNoMatch) return true;
  on_match(score_bin(s.score));
  if (s.confidence >= rule.keep) on_keep(s);
  return true;
}

}  // namespace nm::kernels
