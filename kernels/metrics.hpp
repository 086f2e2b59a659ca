// String metrics over code points (matching.md section 3), written once for the
// CPU backend and the CUDA kernel: no allocation, no std containers, plain
// arrays in. Strings of up to 64 code points take bit-parallel paths; longer
// ones exact paths using caller-provided scratch memory: on the CPU a
// multi-word bit-parallel Levenshtein and a union-find Jaro (both about
// linear in the longer string per 64 code points of the shorter), in the
// CUDA kernel the plain quadratic loops.
#pragma once
#include <cstdint>

#include "kernels/host_device.hpp"

namespace nm::kernels {

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

// The contract's Jaro value from m matches and t position mismatches (t is
// halved here, with floor). One expression for every path, so that they
// give the same double.
NM_HD NM_INLINE double jaro_value(uint32_t m, uint32_t t, uint32_t la, uint32_t lb) {
  t /= 2;
  const double md = static_cast<double>(m);
  return (md / static_cast<double>(la) + md / static_cast<double>(lb) +
          (md - static_cast<double>(t)) / md) /
         3.0;
}

// Pairs this small take the plain paths (levenshtein_dp(), the greedy Jaro
// loop) on the CPU too: they cost less than setting up the long ones.
NM_HD NM_INLINE bool small_pair(uint32_t la, uint32_t lb) {
  return uint64_t{la} * uint64_t{lb} <= 4096;
}

// Scratch words the device (CUDA kernel) path of the metrics needs for
// strings of at most max_len code points: levenshtein_dp()'s row or the
// greedy Jaro's flags.
NM_HD NM_INLINE uint32_t device_metric_scratch_words(uint32_t max_len) { return 2 * max_len + 2; }

// ---- host-only exact paths for long strings --------------------------------
//
// Beyond 64 code points the CPU uses two algorithms whose cost grows about
// linearly in the longer string rather than with the product of the lengths
// (a pair of 1,000,000-code-point names is then seconds, not an hour). Both
// work in caller-provided scratch sized by metric_scratch_words(). The
// CUDA kernel keeps the plain O(la*lb) paths of levenshtein_dp() and the
// greedy Jaro loop (device_metric_scratch_words()): their scratch is two
// words per code point, which a long name already makes large per thread.
#if !defined(__CUDA_ARCH__)

// A code point -> dense index map (0, 1, 2, ... in first-insertion order)
// in scratch: open addressing, Fibonacci hashing, linear probing, at most
// half full. `bits` is log2 of the slot count.
struct CodeIndex {
  static constexpr uint32_t kEmpty = 0xFFFFFFFFu;  // not a code point
  static constexpr uint32_t kNone = 0xFFFFFFFFu;   // find(): absent
  uint32_t* keys;
  uint32_t* vals;
  uint32_t bits;
  uint32_t size = 0;  // distinct code points inserted

  // Slots for up to n distinct code points: a power of two >= 2n.
  static uint32_t bits_for(uint32_t n) {
    uint32_t b = 1;
    while ((uint64_t{1} << b) < 2 * uint64_t{n}) ++b;
    return b;
  }
  static uint64_t words_for(uint32_t n) { return 2 * (uint64_t{1} << bits_for(n)); }

  CodeIndex(uint32_t* scratch, uint32_t n) : keys(scratch), bits(bits_for(n)) {
    const uint32_t slots = uint32_t{1} << bits;
    vals = keys + slots;
    for (uint32_t i = 0; i < slots; ++i) keys[i] = kEmpty;
  }
  uint32_t words() const { return 2u << bits; }
  uint32_t slot_of(uint32_t c) const {
    const uint32_t mask = (uint32_t{1} << bits) - 1;
    uint32_t s = static_cast<uint32_t>((c * 0x9E3779B97F4A7C15ull) >> (64 - bits));
    while (keys[s] != kEmpty && keys[s] != c) s = (s + 1) & mask;
    return s;
  }
  uint32_t insert(uint32_t c) {
    const uint32_t s = slot_of(c);
    if (keys[s] == kEmpty) {
      keys[s] = c;
      vals[s] = size++;
    }
    return vals[s];
  }
  uint32_t find(uint32_t c) const {
    const uint32_t s = slot_of(c);
    return keys[s] == kEmpty ? kNone : vals[s];
  }
};

// Which band kernel levenshtein_blocks() uses: the best the CPU has, or a
// named one (tests run every kernel the CPU can run against the reference).
enum class BlockKernel : uint8_t { kBest, kScalar, kAvx512 };

// True when this CPU can run `k` (kBest and kScalar always).
bool block_kernel_available(BlockKernel k);

// Roughly what one word step of levenshtein_blocks() costs with `kernel`,
// in nanoseconds (measured on the project's machines; for the log's
// estimates of long pairs, never for a decision that changes output).
double levenshtein_blocks_ns_per_step(BlockKernel kernel = BlockKernel::kBest);

// Scratch words of levenshtein_blocks() for a pattern of m and a text of n
// code points (any kernel).
uint64_t levenshtein_blocks_words(uint32_t m, uint32_t n);

// Exact Levenshtein distance by Myers' and Hyyrö's multi-word bit-parallel
// algorithm, ceil(m / 64) * n word steps, in levenshtein_blocks_words(m, n)
// words of scratch; m, n >= 1, p the pattern (the shorter string is the
// faster choice). Defined in kernels/levenshtein_blocks.cpp.
uint32_t levenshtein_blocks(const uint32_t* p, uint32_t m, const uint32_t* t, uint32_t n,
                            uint32_t* scratch, BlockKernel kernel = BlockKernel::kBest);

// Scratch words of jaro_long() for strings of la and lb code points.
inline uint64_t jaro_long_words(uint32_t la, uint32_t lb) {
  return CodeIndex::words_for(lb) + 7 * uint64_t{lb} + 1 + (uint64_t{la} + 31) / 32 +
         (uint64_t{lb} + 31) / 32;
}

// The contract's Jaro (each a[i] in order takes the first unmatched equal
// b[j] with |i - j| <= range) in about O((la + lb) * alpha) steps instead of
// O(la * window): the positions of each code point of b are listed in
// order, a per-code-point cursor skips those below the window (the window's
// lower end only grows with i), and a union-find "next unmatched position"
// pointer skips those already matched. The first candidate it yields is the
// greedy loop's j, so m, the matched sequences and t are the same and the
// double is computed by the same expression. la, lb >= 1.
inline double jaro_long(const uint32_t* a, uint32_t la, const uint32_t* b, uint32_t lb,
                        uint32_t range, uint32_t* scratch) {
  CodeIndex index(scratch, lb);
  uint32_t* bidx = scratch + index.words();  // lb: dense index of b[j]
  for (uint32_t j = 0; j < lb; ++j) bidx[j] = index.insert(b[j]);
  const uint32_t sigma = index.size;
  // Group g holds the positions of its code point in slots
  // [first[g], first[g + 1] - 1): its positions in order, then a sentinel.
  uint32_t* first = bidx + lb;                 // sigma + 1
  uint32_t* cursor = first + sigma + 1;        // sigma
  uint32_t* pos = cursor + sigma;              // lb + sigma
  uint32_t* next = pos + lb + sigma;           // lb + sigma: union-find, next unmatched slot
  uint32_t* flag_a = next + lb + sigma;        // bit i: a[i] matched
  uint32_t* flag_b = flag_a + (la + 31) / 32;  // bit j: b[j] matched
  for (uint32_t g = 0; g <= sigma; ++g) first[g] = 0;
  for (uint32_t j = 0; j < lb; ++j) ++first[bidx[j] + 1];
  for (uint32_t g = 0; g < sigma; ++g) first[g + 1] += first[g] + 1;  // + 1: the sentinel
  for (uint32_t g = 0; g < sigma; ++g) cursor[g] = first[g];
  for (uint32_t j = 0; j < lb; ++j) pos[cursor[bidx[j]]++] = j;
  const uint32_t slots = lb + sigma;
  for (uint32_t s = 0; s < slots; ++s) next[s] = s;
  for (uint32_t g = 0; g < sigma; ++g) cursor[g] = first[g];
  for (uint32_t w = 0; w < (la + 31) / 32; ++w) flag_a[w] = 0;
  for (uint32_t w = 0; w < (lb + 31) / 32; ++w) flag_b[w] = 0;

  uint32_t m = 0;
  for (uint32_t i = 0; i < la; ++i) {
    const uint32_t g = index.find(a[i]);
    if (g == CodeIndex::kNone) continue;
    const uint32_t lo = i > range ? i - range : 0;
    const uint32_t sentinel = first[g + 1] - 1;
    uint32_t s = cursor[g];
    while (s < sentinel && pos[s] < lo) ++s;
    cursor[g] = s;
    // The first unmatched slot at or after s (path halving).
    while (next[s] != s) {
      next[s] = next[next[s]];
      s = next[s];
    }
    if (s == sentinel || uint64_t{pos[s]} > uint64_t{i} + range) continue;
    const uint32_t j = pos[s];
    next[s] = s + 1;
    flag_a[i / 32] |= uint32_t{1} << (i % 32);
    flag_b[j / 32] |= uint32_t{1} << (j % 32);
    ++m;
  }
  if (m == 0) return 0.0;
  // Transpositions: the k-th matched a against the k-th matched b.
  uint32_t t = 0;
  uint32_t wb = 0;
  uint32_t bits_b = flag_b[0];
  for (uint32_t wa = 0; wa < (la + 31) / 32; ++wa) {
    for (uint32_t bits_a = flag_a[wa]; bits_a != 0; bits_a &= bits_a - 1) {
      while (bits_b == 0) bits_b = flag_b[++wb];
      const uint32_t i = wa * 32 + static_cast<uint32_t>(__builtin_ctz(bits_a));
      const uint32_t j = wb * 32 + static_cast<uint32_t>(__builtin_ctz(bits_b));
      if (a[i] != b[j]) ++t;
      bits_b &= bits_b - 1;
    }
  }
  return jaro_value(m, t, la, lb);
}

// min(Levenshtein distance, k + 1) in O(min(la, lb) * (2k + 1)) steps: the
// dynamic programme on the diagonals |i - j| <= k only (a path of cost <= k
// never leaves them), values capped at k + 1. Scratch: 2 * (2k + 1) words.
// Answers "distance <= k?" exactly (the CASE 3 check) for any lengths.
inline uint32_t levenshtein_at_most(const uint32_t* a, uint32_t la, const uint32_t* b, uint32_t lb,
                                    uint32_t k, uint32_t* scratch) {
  const uint32_t cap = k + 1;
  const uint32_t diff = la > lb ? la - lb : lb - la;
  if (diff > k) return cap;
  const uint32_t width = 2 * k + 1;  // slot d holds column j = i + d - k
  uint32_t* prev = scratch;
  uint32_t* cur = scratch + width;
  for (uint32_t d = 0; d < width; ++d) prev[d] = d >= k && d - k <= lb ? d - k : cap;
  for (uint32_t i = 1; i <= la; ++i) {
    uint32_t best = cap;
    for (uint32_t d = 0; d < width; ++d) {
      const int64_t j = int64_t{i} + d - k;
      uint32_t v = cap;
      if (j == 0) {
        v = i < cap ? i : cap;
      } else if (j > 0 && j <= lb) {
        v = prev[d] + (a[i - 1] == b[j - 1] ? 0u : 1u);
        if (d + 1 < width && prev[d + 1] + 1 < v) v = prev[d + 1] + 1;
        if (d > 0 && cur[d - 1] + 1 < v) v = cur[d - 1] + 1;
        if (v > cap) v = cap;
      }
      cur[d] = v;
      if (v < best) best = v;
    }
    if (best >= cap) return cap;  // every cell of the band is already beyond k
    uint32_t* tmp = prev;
    prev = cur;
    cur = tmp;
  }
  return prev[lb + k - la];
}

#endif  // !__CUDA_ARCH__

#if !defined(__CUDA_ARCH__)
// Scratch words the metrics need on the CPU for strings of at most max_len
// code points (any pair of them, any path): about 17 words per code point
// beyond 64.
inline uint64_t metric_scratch_words(uint32_t max_len) {
  const uint64_t plain = 2 * uint64_t{max_len} + 2;
  if (max_len <= kWordBits) return plain;
  const uint64_t lev = levenshtein_blocks_words(max_len, max_len);
  const uint64_t jar = jaro_long_words(max_len, max_len);
  return lev > jar ? (lev > plain ? lev : plain) : (jar > plain ? jar : plain);
}
#endif

// Levenshtein distance of any two strings. `pb` is the pattern of b when b has
// 1..64 code points (else nullptr); `scratch` has metric_scratch_words() words.
// kCpuPaths = false keeps to the CUDA kernel's paths (what the device runs;
// the kernel's CPU emulation takes them too), which need only
// device_metric_scratch_words().
template <bool kCpuPaths = true>
NM_HD inline uint32_t levenshtein(const uint32_t* a, uint32_t la, const uint32_t* b, uint32_t lb,
                                  const Pattern64* pb, uint32_t* scratch) {
  if (la == 0) return lb;
  if (lb == 0) return la;
  if (pb != nullptr) return levenshtein_myers(*pb, a, la);
#if !defined(__CUDA_ARCH__)
  // The shorter string is the pattern: ceil(m / 64) * n word steps.
  if (kCpuPaths && !small_pair(la, lb))
    return la <= lb ? levenshtein_blocks(a, la, b, lb, scratch)
                    : levenshtein_blocks(b, lb, a, la, scratch);
#endif
  return levenshtein_dp(a, la, b, lb, scratch);
}

// Jaro similarity exactly as the contract defines it (greedy matching of each
// a[i], in order, to the first unmatched equal b[j] within the window; t halved
// with floor). `pb`, `scratch` and kCpuPaths as for levenshtein();
// bit-parallel when both strings have at most 64 code points.
template <bool kCpuPaths = true>
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
#if !defined(__CUDA_ARCH__)
    if (kCpuPaths && !small_pair(la, lb)) return jaro_long(a, la, b, lb, range, scratch);
#endif
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
  return jaro_value(m, t, la, lb);
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

}  // namespace nm::kernels
