// String metrics over code points (matching.md section 3), written once for the
// CPU backend and the CUDA kernel: no allocation, no std containers, plain
// arrays in. Strings of up to 64 code points take bit-parallel paths; longer
// ones an exact path using caller-provided scratch memory.
#pragma once
#include <cstdint>

#include "kernels/hd.hpp"

namespace nm::hd {

inline constexpr uint32_t kWordBits = 64;

// Bit masks of one string (<= 64 code points): bit i of get(c) is set when
// s[i] == c. ASCII by table, other code points by a short list.
struct Pattern64 {
  uint64_t ascii[128];
  uint32_t ext_cp[64];
  uint64_t ext_mask[64];
  uint32_t n_ext;
  uint32_t len;

  // All masks zero; call once before the first build().
  NM_HD void reset_all() {
    for (uint32_t i = 0; i < 128; ++i) ascii[i] = 0;
    n_ext = 0;
    len = 0;
  }
  // Requires a zeroed table (reset_all() or clear() after the previous build).
  NM_HD void build(const uint32_t* s, uint32_t n) {
    len = n;
    n_ext = 0;
    for (uint32_t i = 0; i < n; ++i) {
      const uint32_t c = s[i];
      const uint64_t bit = uint64_t{1} << i;
      if (c < 128) {
        ascii[c] |= bit;
      } else {
        uint32_t k = 0;
        while (k < n_ext && ext_cp[k] != c) ++k;
        if (k == n_ext) {
          ext_cp[k] = c;
          ext_mask[k] = 0;
          ++n_ext;
        }
        ext_mask[k] |= bit;
      }
    }
  }
  // Undoes build(s, n) cheaply, leaving a zeroed table.
  NM_HD void clear(const uint32_t* s, uint32_t n) {
    for (uint32_t i = 0; i < n; ++i)
      if (s[i] < 128) ascii[s[i]] = 0;
    n_ext = 0;
  }
  NM_HD NM_INLINE uint64_t get(uint32_t c) const {
    if (c < 128) return ascii[c];
    for (uint32_t k = 0; k < n_ext; ++k)
      if (ext_cp[k] == c) return ext_mask[k];
    return 0;
  }
};

// Myers/Hyyrö bit-parallel Levenshtein distance; the pattern (p) has 1..64
// code points, the text any length.
NM_HD inline uint32_t levenshtein_myers(const Pattern64& p, const uint32_t* text, uint32_t n) {
  const uint32_t m = p.len;
  if (m == 0) return n;
  uint64_t vp = ~uint64_t{0};
  uint64_t vn = 0;
  const uint64_t last = uint64_t{1} << (m - 1);
  uint32_t dist = m;
  for (uint32_t j = 0; j < n; ++j) {
    const uint64_t eq = p.get(text[j]);
    const uint64_t x = eq | vn;
    const uint64_t d0 = (((x & vp) + vp) ^ vp) | x;
    const uint64_t hp = vn | ~(d0 | vp);
    const uint64_t hn = vp & d0;
    dist += (hp & last) ? 1u : 0u;
    dist -= (hn & last) ? 1u : 0u;
    const uint64_t hps = (hp << 1) | 1u;
    vn = hps & d0;
    vp = (hn << 1) | ~(d0 | hps);
  }
  return dist;
}

// Exact Levenshtein by dynamic programming with one row of lb + 1 words of
// scratch. Used for strings beyond 64 code points.
NM_HD inline uint32_t levenshtein_dp(const uint32_t* a, uint32_t la, const uint32_t* b, uint32_t lb,
                                     uint32_t* row) {
  for (uint32_t j = 0; j <= lb; ++j) row[j] = j;
  for (uint32_t i = 1; i <= la; ++i) {
    uint32_t diag = row[0];
    row[0] = i;
    for (uint32_t j = 1; j <= lb; ++j) {
      const uint32_t up = row[j];
      uint32_t best = diag + (a[i - 1] == b[j - 1] ? 0u : 1u);
      if (up + 1 < best) best = up + 1;
      if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

// Scratch words the metrics need for strings of at most max_len code points.
NM_HD NM_INLINE uint32_t metric_scratch_words(uint32_t max_len) { return 2 * max_len + 2; }

// Levenshtein distance of any two strings. `pb` is the pattern of b when b has
// 1..64 code points (else nullptr); `scratch` has metric_scratch_words() words.
NM_HD inline uint32_t levenshtein(const uint32_t* a, uint32_t la, const uint32_t* b, uint32_t lb,
                                  const Pattern64* pb, uint32_t* scratch) {
  if (la == 0) return lb;
  if (lb == 0) return la;
  if (pb != nullptr) return levenshtein_myers(*pb, a, la);
  return levenshtein_dp(a, la, b, lb, scratch);
}

// Jaro similarity exactly as the contract defines it (greedy matching of each
// a[i], in order, to the first unmatched equal b[j] within the window; t halved
// with floor). `pb` as for levenshtein(); bit-parallel when both strings have
// at most 64 code points.
NM_HD inline double jaro(const uint32_t* a, uint32_t la, const uint32_t* b, uint32_t lb,
                         const Pattern64* pb, uint32_t* scratch) {
  if (la == 0 && lb == 0) return 1.0;
  if (la == 0 || lb == 0) return 0.0;
  const uint32_t half = max_u32(la, lb) / 2;
  const uint32_t range = half > 0 ? half - 1 : 0;
  uint32_t m = 0;
  uint32_t t = 0;
  if (pb != nullptr && la <= kWordBits) {
    uint64_t flag_a = 0;
    uint64_t flag_b = 0;
    // Window of a[i] in b: bits [i - range, i + range]. The pattern has no
    // bits at or beyond lb, so the upper end needs no clipping; the window
    // grows by one bit per step until i passes range, then slides.
    uint64_t window = range + 1 >= 64 ? ~uint64_t{0} : ((uint64_t{1} << (range + 1)) - 1);
    const uint32_t last_i = min_u32(la, lb + range);  // beyond it the window is past b
    for (uint32_t i = 0; i < last_i; ++i) {
      const uint64_t cand = pb->get(a[i]) & ~flag_b & window;
      if (cand != 0) {
        flag_b |= cand & (~cand + 1);  // lowest set bit
        flag_a |= uint64_t{1} << i;
        ++m;
      }
      window = i + 1 > range ? window << 1 : (window << 1) | 1u;
    }
    if (m == 0) return 0.0;
    while (flag_a != 0) {
      const int i = ctz64(flag_a);
      const int j = ctz64(flag_b);
      if (a[i] != b[j]) ++t;
      flag_a &= flag_a - 1;
      flag_b &= flag_b - 1;
    }
  } else {
    // Exact path: flags for a then b in scratch (la + lb words).
    uint32_t* fa = scratch;
    uint32_t* fb = scratch + la;
    for (uint32_t i = 0; i < la + lb; ++i) scratch[i] = 0;
    for (uint32_t i = 0; i < la; ++i) {
      const uint32_t lo = i > range ? i - range : 0;
      const uint32_t hi = min_u32(i + range + 1, lb);
      for (uint32_t j = lo; j < hi; ++j) {
        if (fb[j] == 0 && a[i] == b[j]) {
          fa[i] = 1;
          fb[j] = 1;
          ++m;
          break;
        }
      }
    }
    if (m == 0) return 0.0;
    uint32_t j = 0;
    for (uint32_t i = 0; i < la; ++i) {
      if (fa[i] == 0) continue;
      while (fb[j] == 0) ++j;
      if (a[i] != b[j]) ++t;
      ++j;
    }
  }
  t /= 2;
  const double md = static_cast<double>(m);
  return (md / static_cast<double>(la) + md / static_cast<double>(lb) +
          (md - static_cast<double>(t)) / md) /
         3.0;
}

// Jaro–Winkler from a Jaro value: boost only above 0.7, prefix at most 4.
NM_HD inline double jaro_winkler_from_jaro(double j, const uint32_t* a, uint32_t la,
                                           const uint32_t* b, uint32_t lb) {
  if (j <= 0.7) return j;
  uint32_t l = 0;
  const uint32_t lim = min_u32(min_u32(la, lb), 4);
  while (l < lim && a[l] == b[l]) ++l;
  return j + 0.1 * static_cast<double>(l) * (1.0 - j);
}

// Levenshtein % with the contract's byte-length denominator.
NM_HD NM_INLINE double levenshtein_pct(uint32_t dist, uint32_t bytes_a, uint32_t bytes_b) {
  const uint32_t max_len = max_u32(bytes_a, bytes_b);
  if (max_len == 0) return 100.0;
  return (1.0 - static_cast<double>(dist) / static_cast<double>(max_len)) * 100.0;
}

}  // namespace nm::hd
