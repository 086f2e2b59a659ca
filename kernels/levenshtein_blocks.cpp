// Myers' and Hyyrö's multi-word bit-parallel Levenshtein distance (Myers
// 1999, "A fast bit-vector algorithm for approximate string matching based
// on dynamic programming", the block-based variant; Hyyrö 2003) for the CPU's
// long strings; declared in kernels/metrics.hpp.
//
// The pattern's rows are cut into blocks of 64. Each block holds the
// vertical deltas of its 64 rows in two words (pv: +1, mv: -1) and advances
// one text column with a dozen word operations, taking the horizontal delta
// at the row above it (hin) and giving the one at its last row (hout).
// Blocks are processed in bands that sweep the text once: the band's
// outputs, one +1/-1/0 delta per text column kept as two bitmaps, are the
// next band's inputs. Peq, the match masks of each code point, holds one
// word per block of the band per distinct code point of the pattern (text
// code points absent from the pattern read a zero row).
//
// Two band kernels: a scalar one, 1 to 4 blocks per column step, and an
// AVX-512 one, 8 blocks in the 8 lanes of a vector, lane k working on text
// column s - k at step s (a wavefront: lane k's hin is lane k - 1's hout of
// the step before). Both compute the same deltas, so the distance does not
// depend on the kernel.
#include <cstdint>

#include "kernels/metrics.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace nm::kernels {
namespace {

constexpr uint32_t kScalarBand = 4;  // blocks per scalar band
// 8-lane vectors per AVX-512 band: 1 (2, which gives the core two
// independent dependency chains, measured no faster: the loads of the match
// masks, not the chains, bound a step).
constexpr uint32_t kMaxVectors = 1;
constexpr uint32_t kMaxLanes = 8 * kMaxVectors;
constexpr uint32_t kMaxPad = kMaxLanes - 1;

uint64_t* aligned64(uint32_t* p) {
  const auto addr = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<uint64_t*>((addr + 7) & ~uintptr_t{7});
}

// K blocks chained through their horizontal deltas, column after column.
// peq: K words per row, tidx: the row of each text column. hp/hn: the
// deltas above the band in, those at its last row out (bit j = column j).
// last_bit: the bit of the band's last row in block K - 1.
template <uint32_t K>
void band_scalar(const uint64_t* peq, const uint32_t* tidx, uint32_t n, uint64_t* hp, uint64_t* hn,
                 uint32_t last_bit) {
  uint64_t pv[K], mv[K];
  for (uint32_t k = 0; k < K; ++k) {
    pv[k] = ~uint64_t{0};  // column 0: D[i][0] = i, +1 per row
    mv[k] = 0;
  }
  const uint32_t words = (n + 63) / 64;
  for (uint32_t w = 0; w < words; ++w) {
    const uint64_t hp_in = hp[w], hn_in = hn[w];
    uint64_t hp_out = 0, hn_out = 0;
    const uint32_t base = w * 64;
    const uint32_t cols = n - base < 64 ? n - base : 64;
    for (uint32_t c = 0; c < cols; ++c) {
      const uint64_t* eq_row = peq + uint64_t{tidx[base + c]} * K;
      uint64_t h_p = (hp_in >> c) & 1u;
      uint64_t h_n = (hn_in >> c) & 1u;
      for (uint32_t k = 0; k < K; ++k) {
        const uint64_t eq = eq_row[k];
        const uint64_t xv = eq | mv[k];
        const uint64_t eqh = eq | h_n;  // hin = -1 acts as a match in row 0
        const uint64_t xh = (((eqh & pv[k]) + pv[k]) ^ pv[k]) | eqh;
        uint64_t ph = mv[k] | ~(xh | pv[k]);
        uint64_t mh = pv[k] & xh;
        const uint32_t out_bit = k + 1 == K ? last_bit : 63;
        const uint64_t o_p = (ph >> out_bit) & 1u;
        const uint64_t o_n = (mh >> out_bit) & 1u;
        ph = (ph << 1) | h_p;
        mh = (mh << 1) | h_n;
        pv[k] = mh | ~(xv | ph);
        mv[k] = ph & xv;
        h_p = o_p;
        h_n = o_n;
      }
      hp_out |= h_p << c;
      hn_out |= h_n << c;
    }
    hp[w] = hp_out;
    hn[w] = hn_out;
  }
}

#if defined(__x86_64__)
// GCC 12's AVX-512 intrinsics start from a deliberately undefined vector
// (`__m512i __Y = __Y;`), which -Wall reports as uninitialised once they are
// inlined into a function of another target: a false alarm of the headers.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)  // clang has no such group (the fuzz build is clang)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#define NM_AVX512 __attribute__((target("avx512f")))

// Ternary-logic truth tables over (A, B, C) = (0xF0, 0xCC, 0xAA).
constexpr int kXorOr = 0xBE;    // (A ^ B) | C
constexpr int kOrNotOr = 0xF1;  // A | ~(B | C)

// V vectors of 8 lanes each: lane k of vector v is block 8v + k of the
// band and at step s works on text column s - 8v - k.
template <uint32_t V>
struct Lanes {
  __m512i pv[V], mv[V];            // vertical deltas
  __m512i hp_prev[V], hn_prev[V];  // each lane's hout of the previous step (0 or 1)
};

// One step s. at: ridx + kMaxPad + n - 1 - s (lane 0 of vector 0). Lane 0
// of vector 0 takes the input delta (bit_p / bit_n), every other lane the
// hout of the lane before it at step s - 1. Lanes outside `active` (the
// first steps, before a lane reaches column 0) keep their state. ph/mh:
// the last vector's horizontal deltas before the shift (bit 63: hout).
template <uint32_t V>
NM_AVX512 inline __attribute__((always_inline)) void lanes_step(
    Lanes<V>& L, const uint64_t* peq, const int32_t* at, uint64_t bit_p, uint64_t bit_n,
    const __mmask8* active, __m512i& ph_last, __m512i& mh_last) {
  __m512i carry_p = _mm512_set1_epi64(static_cast<long long>(bit_p));
  __m512i carry_n = _mm512_set1_epi64(static_cast<long long>(bit_n));
  for (uint32_t v = 0; v < V; ++v) {
    // The 8 lanes' match masks: 8 loads (faster here than a gather).
    const uint64_t* q = peq + 8 * v;
    const int32_t* r = at + 8 * v;
    const __m512i eq =
        _mm512_set_epi64(static_cast<long long>(q[r[7] + 7]), static_cast<long long>(q[r[6] + 6]),
                         static_cast<long long>(q[r[5] + 5]), static_cast<long long>(q[r[4] + 4]),
                         static_cast<long long>(q[r[3] + 3]), static_cast<long long>(q[r[2] + 2]),
                         static_cast<long long>(q[r[1] + 1]), static_cast<long long>(q[r[0]]));
    // Lane 0 of vector v: lane 7 of vector v - 1 (or the input bit).
    const __m512i h_p = _mm512_alignr_epi64(L.hp_prev[v], carry_p, 7);
    const __m512i h_n = _mm512_alignr_epi64(L.hn_prev[v], carry_n, 7);
    carry_p = L.hp_prev[v];
    carry_n = L.hn_prev[v];
    const __m512i xv = _mm512_or_si512(eq, L.mv[v]);
    const __m512i eqh = _mm512_or_si512(eq, h_n);  // hin = -1 acts as a match in row 0
    const __m512i sum = _mm512_add_epi64(_mm512_and_si512(eqh, L.pv[v]), L.pv[v]);
    const __m512i xh = _mm512_ternarylogic_epi64(sum, L.pv[v], eqh, kXorOr);
    const __m512i ph = _mm512_ternarylogic_epi64(L.mv[v], xh, L.pv[v], kOrNotOr);
    const __m512i mh = _mm512_and_si512(L.pv[v], xh);
    L.hp_prev[v] = _mm512_srli_epi64(ph, 63);
    L.hn_prev[v] = _mm512_srli_epi64(mh, 63);
    const __m512i phs = _mm512_or_si512(_mm512_slli_epi64(ph, 1), h_p);
    const __m512i mhs = _mm512_or_si512(_mm512_slli_epi64(mh, 1), h_n);
    L.pv[v] = _mm512_mask_mov_epi64(L.pv[v], active[v],
                                    _mm512_ternarylogic_epi64(mhs, xv, phs, kOrNotOr));
    L.mv[v] = _mm512_mask_and_epi64(L.mv[v], active[v], phs, xv);
    if (v + 1 == V) {
      ph_last = ph;
      mh_last = mh;
    }
  }
}

// 8V full blocks (rows 64 * 8V of the pattern). peq: 8V words per row;
// ridx: the text's rows times 8V, reversed and padded with kMaxPad zero rows
// on both sides (ridx[kMaxPad + x] = 8V * row of column n - 1 - x), so that
// the 8 lanes' rows of a vector are consecutive. hp/hn as for
// band_scalar(), with one readable word past the text.
template <uint32_t V>
NM_AVX512 void band_avx512(const uint64_t* peq, const int32_t* ridx, uint32_t n, uint64_t* hp,
                           uint64_t* hn) {
  constexpr uint32_t kPad = 8 * V - 1;  // steps before the last lane reaches column 0
  Lanes<V> L;
  for (uint32_t v = 0; v < V; ++v) {
    L.pv[v] = _mm512_set1_epi64(-1);  // column 0: D[i][0] = i, +1 per row
    L.mv[v] = _mm512_setzero_si512();
    L.hp_prev[v] = _mm512_setzero_si512();
    L.hn_prev[v] = _mm512_setzero_si512();
  }
  const __m512i top = _mm512_set1_epi64(static_cast<long long>(uint64_t{1} << 63));
  constexpr int kShiftIn = 0xF8;  // A | (B & C)
  __m512i ph, mh;
  const int32_t* at0 = ridx + kMaxPad + (n - 1);  // step 0
  __mmask8 active[V];
  for (uint32_t s = 0; s < kPad; ++s) {
    for (uint32_t v = 0; v < V; ++v) {
      const int64_t k = int64_t{s} - 8 * int64_t{v};  // lanes 0..k of vector v are active
      active[v] = k < 0 ? 0 : k >= 7 ? 0xFF : static_cast<__mmask8>((1u << (k + 1)) - 1);
    }
    lanes_step<V>(L, peq, at0 - s, (hp[s / 64] >> (s % 64)) & 1u, (hn[s / 64] >> (s % 64)) & 1u,
                  active, ph, mh);
  }
  for (uint32_t v = 0; v < V; ++v) active[v] = 0xFF;
  // Then 64 columns of the last lane per output word: step s = 64w + kPad + c
  // gives the last lane column 64w + c and lane 0 column s (its input bit).
  const uint32_t words = (n + 63) / 64;
  for (uint32_t w = 0; w < words; ++w) {
    uint64_t in_p = (hp[w] >> kPad) | (hp[w + 1] << (64 - kPad));
    uint64_t in_n = (hn[w] >> kPad) | (hn[w + 1] << (64 - kPad));
    // The last lane's hout enters bit 63 of acc and moves down a bit a step.
    __m512i acc_p = _mm512_setzero_si512(), acc_n = _mm512_setzero_si512();
    const uint32_t cols = n - w * 64 < 64 ? n - w * 64 : 64;
    const int32_t* at = at0 - (w * 64 + kPad);
    for (uint32_t c = 0; c < cols; ++c) {
      lanes_step<V>(L, peq, at - c, in_p & 1u, in_n & 1u, active, ph, mh);
      in_p >>= 1;
      in_n >>= 1;
      acc_p = _mm512_ternarylogic_epi64(_mm512_srli_epi64(acc_p, 1), ph, top, kShiftIn);
      acc_n = _mm512_ternarylogic_epi64(_mm512_srli_epi64(acc_n, 1), mh, top, kShiftIn);
    }
    alignas(64) uint64_t out_p[8], out_n[8];
    _mm512_store_si512(out_p, acc_p);
    _mm512_store_si512(out_n, acc_n);
    hp[w] = out_p[7] >> (64 - cols);
    hn[w] = out_n[7] >> (64 - cols);
  }
}

#pragma GCC diagnostic pop

bool cpu_has_avx512() {
  static const bool has = __builtin_cpu_supports("avx512f") != 0;
  return has;
}
#endif

}  // namespace

bool block_kernel_available(BlockKernel k) {
#if defined(__x86_64__)
  if (k == BlockKernel::kAvx512) return cpu_has_avx512();
#else
  if (k == BlockKernel::kAvx512) return false;
#endif
  return true;
}

double levenshtein_blocks_ns_per_step(BlockKernel kernel) {
  // An AVX-512 step is 8 block steps in about 8 ns, a scalar block step
  // about 2.5 ns (2.6 GHz EPYC; docs/PERFORMANCE.md).
  const bool vector =
      kernel == BlockKernel::kAvx512 ||
      (kernel == BlockKernel::kBest && block_kernel_available(BlockKernel::kAvx512));
  return vector ? 1.0 : 2.5;
}

uint64_t levenshtein_blocks_words(uint32_t m, uint32_t n) {
  const uint64_t text_words = (uint64_t{n} + 63) / 64 + 1;
  return CodeIndex::words_for(m) +                     // code point -> row
         n +                                           // row of each text column
         (uint64_t{n} + 2 * kMaxPad + 8) +             // the same, reversed and padded
         1 + 4 * text_words +                          // hp, hn (64-bit, aligned)
         2 * uint64_t{kMaxLanes} * (uint64_t{m} + 1);  // peq, up to 16 words per row
}

uint32_t levenshtein_blocks(const uint32_t* p, uint32_t m, const uint32_t* t, uint32_t n,
                            uint32_t* scratch, BlockKernel kernel) {
  CodeIndex index(scratch, m);
  for (uint32_t i = 0; i < m; ++i) index.insert(p[i]);
  const uint32_t absent = index.size;  // the zero row
  uint32_t* tidx = scratch + index.words();
  for (uint32_t j = 0; j < n; ++j) {
    const uint32_t v = index.find(t[j]);
    tidx[j] = v == CodeIndex::kNone ? absent : v;
  }
  auto* ridx = reinterpret_cast<int32_t*>(tidx + n);
  const uint32_t ridx_words = n + 2 * kMaxPad + 8;
  const uint32_t text_words = (n + 63) / 64;
  uint64_t* hp = aligned64(tidx + n + ridx_words);
  uint64_t* hn = hp + text_words + 1;
  uint64_t* peq = hn + text_words + 1;
  const uint64_t peq_words = uint64_t{kMaxLanes} * (uint64_t{absent} + 1);
  for (uint64_t i = 0; i < peq_words; ++i) peq[i] = 0;
  for (uint32_t w = 0; w < text_words; ++w) {
    hp[w] = ~uint64_t{0};  // row 0: D[0][j] = j, +1 per column
    hn[w] = 0;
  }
  hp[text_words] = 0;  // read past the text by the AVX-512 band, never used
  hn[text_words] = 0;
  hp[text_words - 1] &= n % 64 == 0 ? ~uint64_t{0} : (uint64_t{1} << (n % 64)) - 1;

  // Marks (or clears) the match bits of rows [b0 * 64, row_end) in peq rows
  // of `width` words.
  auto set_band = [&](uint32_t b0, uint32_t row_end, uint32_t width, bool on) {
    for (uint32_t r = b0 * 64; r < row_end; ++r) {
      uint64_t& word = peq[uint64_t{index.find(p[r])} * width + (r / 64 - b0)];
      word = on ? word | uint64_t{1} << (r % 64) : 0;
    }
  };

  const uint32_t blocks = (m + 63) / 64;
  uint32_t b0 = 0;
#if defined(__x86_64__)
  const bool vector =
      kernel == BlockKernel::kAvx512 || (kernel == BlockKernel::kBest && cpu_has_avx512());
  // Full bands of 8 blocks over all blocks but the last (which may be
  // partial): the scalar kernel takes the rest.
  if (vector && blocks > kMaxLanes) {
    for (uint32_t x = 0; x < ridx_words; ++x) ridx[x] = static_cast<int32_t>(absent * kMaxLanes);
    for (uint32_t x = 0; x < n; ++x)
      ridx[kMaxPad + x] = static_cast<int32_t>(tidx[n - 1 - x] * kMaxLanes);
    for (; blocks - 1 - b0 >= kMaxLanes; b0 += kMaxLanes) {
      set_band(b0, (b0 + kMaxLanes) * 64, kMaxLanes, true);
      band_avx512<kMaxVectors>(peq, ridx, n, hp, hn);
      set_band(b0, (b0 + kMaxLanes) * 64, kMaxLanes, false);
    }
  }
#else
  (void)kernel;
  (void)ridx;
#endif
  for (; b0 < blocks; b0 += kScalarBand) {
    const uint32_t k = blocks - b0 < kScalarBand ? blocks - b0 : kScalarBand;
    const uint32_t row_end = (b0 + k) * 64 < m ? (b0 + k) * 64 : m;
    const uint32_t last_bit = (row_end - 1) % 64;
    set_band(b0, row_end, k, true);
    switch (k) {
      case 1:
        band_scalar<1>(peq, tidx, n, hp, hn, last_bit);
        break;
      case 2:
        band_scalar<2>(peq, tidx, n, hp, hn, last_bit);
        break;
      case 3:
        band_scalar<3>(peq, tidx, n, hp, hn, last_bit);
        break;
      default:
        band_scalar<kScalarBand>(peq, tidx, n, hp, hn, last_bit);
        break;
    }
    set_band(b0, row_end, k, false);
  }
  // D[m][n] = D[m][0] + the deltas along the last row.
  int64_t dist = m;
  for (uint32_t w = 0; w < text_words; ++w) dist += popcount64(hp[w]) - popcount64(hn[w]);
  return static_cast<uint32_t>(dist);
}

}  // namespace nm::kernels
