// The per-pair fuzzy rule of algorithms 3 and 4 (matching.md section 4),
// written once for the CPU backend and the CUDA kernel.
#pragma once
#include <cstdint>

#include "kernels/host_device.hpp"
#include "kernels/metrics.hpp"

namespace nm::kernels {

enum Label : uint8_t { kNoMatch = 0, kDirect = 1, kCase1 = 2, kCase2 = 3, kCase3 = 4 };

// The contract's numbers (matching.md section 4, A3 steps 5 and 6).
inline constexpr double kMetricVote = 85.0;     // Levenshtein % and Jaro-Winkler x 100 vote from here
inline constexpr double kPhoneticVote = 100.0;  // mp votes only when the codes are equal
inline constexpr double kCase3Score = 88.0;     // a CASE 2 score from which CASE 3 is possible ...
inline constexpr uint32_t kCase3NameDistance = 2;  // ... when every name is within this distance
inline constexpr int kVotesNeeded = 2;

NM_HD NM_INLINE bool metric_votes(double pct) { return pct >= kMetricVote; }
NM_HD NM_INLINE bool phonetic_votes(double mp) { return mp == kPhoneticVote; }
NM_HD NM_INLINE bool name_close(uint32_t distance) { return distance <= kCase3NameDistance; }
// Confidence of a score: the double divided, then rounded once to float.
NM_HD NM_INLINE float confidence_of(double score) { return static_cast<float>(score / 100.0); }

// The vote of the rule on the three metric values of two different full
// strings (steps 5 and 6 before the name check), with what it decided from.
struct Vote {
  bool lev = false, jw = false, mp = false;  // each metric's vote
  int count = 0;
  uint8_t label = kNoMatch;  // kCase1, kCase2, or kNoMatch with fewer than kVotesNeeded votes
  double score = 0;          // (lev + jw + mp) / 3 when there is a label
  bool name_check = false;   // kCase2 with score >= kCase3Score: CASE 3 if the names are close
};

NM_HD NM_INLINE Vote vote(double lev, double jw, double mp) {
  Vote v;
  v.lev = metric_votes(lev);
  v.jw = metric_votes(jw);
  v.mp = phonetic_votes(mp);
  v.count = (v.lev ? 1 : 0) + (v.jw ? 1 : 0) + (v.mp ? 1 : 0);
  if (v.count < kVotesNeeded) return v;
  v.score = (lev + jw + mp) / 3.0;
  v.label = v.count == 3 ? kCase1 : kCase2;
  v.name_check = v.label == kCase2 && v.score >= kCase3Score;
  return v;
}

// Everything the fuzzy rule needs of one record, computed once per record.
struct FuzzyView {
  const uint32_t* full;     // normalize_simple(first + " " [+ middle + " "] + last), code points
  uint32_t full_len;        // code points
  uint32_t full_bytes;      // UTF-8 bytes (Levenshtein % denominator)
  uint32_t phon_code;       // packed primary Double Metaphone code; 0 = no usable code
  uint64_t char_mask;       // bit (c mod 64) set for every code point c of full
  const uint32_t* part[3];  // normalize_simple of first, middle, last (code points)
  uint32_t part_len[3];
};

// The view of a record whose code points are laid out as full name, then
// first, middle and last name, starting at `base`.
NM_HD NM_INLINE FuzzyView fuzzy_view_at(const uint32_t* base, uint32_t full_len,
                                        uint32_t full_bytes, uint32_t phon_code, uint64_t char_mask,
                                        const uint32_t* part_len) {
  FuzzyView v;
  v.full = base;
  v.full_len = full_len;
  v.full_bytes = full_bytes;
  v.phon_code = phon_code;
  v.char_mask = char_mask;
  const uint32_t* p = base + full_len;
  for (int k = 0; k < 3; ++k) {
    v.part[k] = p;
    v.part_len[k] = part_len[k];
    p += part_len[k];
  }
  return v;
}

struct PairScore {
  double lev = 0;    // Levenshtein %
  double jw = 0;     // Jaro–Winkler x 100
  double mp = 0;     // 0 or 100
  double score = 0;  // 0..100
  float confidence = 0;
  uint8_t label = kNoMatch;
  uint32_t dist = 0;  // Levenshtein distance of the full strings (with all_metrics)
  double jaro = 0;    // their Jaro similarity (with all_metrics)
};

NM_HD NM_INLINE bool same_string(const uint32_t* a, uint32_t la, const uint32_t* b, uint32_t lb) {
  if (la != lb) return false;
  for (uint32_t i = 0; i < la; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

// False when a lower bound on the Levenshtein distance of the full strings
// already puts lev below kMetricVote, so that lev cannot vote. Bounds: the length
// difference, and half the number of character classes (code point mod 64)
// present in one string only, since one edit changes at most two classes.
NM_HD NM_INLINE bool lev_may_vote(const FuzzyView& a, const FuzzyView& b) {
  const uint32_t diff = a.full_len > b.full_len ? a.full_len - b.full_len : b.full_len - a.full_len;
  const uint32_t classes = static_cast<uint32_t>(popcount64(a.char_mask ^ b.char_mask) + 1) / 2;
  return metric_votes(levenshtein_pct(max_u32(diff, classes), a.full_bytes, b.full_bytes));
}

// Scores one pair. `pb` is the Pattern64 of b.full when 1 <= b.full_len <= 64,
// else nullptr. `scratch` holds metric_scratch_words(longest string) words
// (kCpuPaths = false, the CUDA kernel's paths: device_metric_scratch_words()).
// When `all_metrics` is false the function may stop as soon as the pair
// provably cannot match (the metric fields are then incomplete); the label,
// score and confidence are always exact.
template <bool kCpuPaths = true>
NM_HD inline PairScore score_fuzzy_pair(const FuzzyView& a, const FuzzyView& b, const Pattern64* pb,
                                        bool with_middle, uint32_t* scratch,
                                        bool all_metrics = false) {
  PairScore r;
  if (a.full_len == 0 || b.full_len == 0) return r;
  r.mp = (a.phon_code != 0 && a.phon_code == b.phon_code) ? kPhoneticVote : 0.0;
  if (same_string(a.full, a.full_len, b.full, b.full_len)) {
    r.jaro = 1.0;
    r.lev = 100.0;
    r.jw = 100.0;
    r.score = 100.0;
    r.confidence = 1.0f;
    r.label = kDirect;
    return r;
  }
  const bool mp_ok = phonetic_votes(r.mp);
  // Without the phonetic vote both lev and jw must vote.
  if (!mp_ok && !all_metrics && !lev_may_vote(a, b)) return r;
  bool have_jaro = false;
  double j = 0;
#if !defined(__CUDA_ARCH__)
  // Long strings on the CPU: Jaro costs about one pass, Levenshtein about
  // one pass per 64 code points of the shorter string, so Jaro goes first
  // and Levenshtein is skipped when the pair cannot reach two votes
  // whatever its value (the metric fields are then incomplete, as above).
  if (kCpuPaths && !all_metrics && pb == nullptr && !small_pair(a.full_len, b.full_len)) {
    j = jaro<kCpuPaths>(a.full, a.full_len, b.full, b.full_len, pb, scratch);
    r.jw = jaro_winkler_from_jaro(j, a.full, a.full_len, b.full, b.full_len) * 100.0;
    have_jaro = true;
    if (!metric_votes(r.jw) && (!mp_ok || !lev_may_vote(a, b))) return r;
  }
#endif
  const uint32_t dist = levenshtein<kCpuPaths>(a.full, a.full_len, b.full, b.full_len, pb, scratch);
  r.dist = dist;
  r.lev = levenshtein_pct(dist, a.full_bytes, b.full_bytes);
  if (!mp_ok && !metric_votes(r.lev) && !all_metrics) return r;
  if (!have_jaro) {
    j = jaro<kCpuPaths>(a.full, a.full_len, b.full, b.full_len, pb, scratch);
    r.jw = jaro_winkler_from_jaro(j, a.full, a.full_len, b.full, b.full_len) * 100.0;
  }
  r.jaro = j;
  const Vote v = vote(r.lev, r.jw, r.mp);
  if (v.label == kNoMatch) return r;
  r.score = v.score;
  r.confidence = confidence_of(v.score);
  r.label = v.label;
  if (v.name_check) {
    bool close = true;
    for (int k = 0; k < 3 && close; ++k) {
      if (k == 1 && !with_middle) continue;
#if !defined(__CUDA_ARCH__)
      // Long names on the CPU: only "distance <= kCase3NameDistance" matters, a band of
      // 2 * kCase3NameDistance + 1 diagonals.
      if (kCpuPaths && !small_pair(a.part_len[k], b.part_len[k])) {
        close = name_close(levenshtein_at_most(a.part[k], a.part_len[k], b.part[k],
                                               b.part_len[k], kCase3NameDistance, scratch));
        continue;
      }
#endif
      const uint32_t d = levenshtein<kCpuPaths>(a.part[k], a.part_len[k], b.part[k], b.part_len[k],
                                                nullptr, scratch);
      close = name_close(d);
    }
    if (close) r.label = kCase3;
  }
  return r;
}

}  // namespace nm::kernels
