// The fused tile kernel's work, written once as __host__ __device__ code.
//
// A batch (one kernel launch) is a list of columns: one right record against
// a run of left records of the same block. Columns are cut into groups of at
// most kGroupCols; a thread block takes one group at a time (grid-stride over
// groups): its first threads build the Pattern64 of each column's right name
// in shared memory, then all threads stride over the group's pairs, scoring
// each with kernels::score_candidate (kernels/candidate_pair.hpp, the CPU backend's code). Pairs
// that are kept are compacted on the device: an atomic counter hands out slots of the survivor
// list, so only survivors are copied back.
//
// kernels/fused_tile.cu wraps these functions in the __global__ kernel;
// emulate_fused_kernel() below runs the same phases on the CPU for every
// block and thread index, which is how the kernel is tested without a GPU.
#pragma once
#include <cstdint>

#include "kernels/candidate_pair.hpp"
#include "kernels/host_device.hpp"

namespace nm::kernels {

inline constexpr uint32_t kGroupCols = 16;      // right records per group (shared patterns)
inline constexpr uint32_t kBlockThreads = 128;  // threads per block

// One record as the kernel sees it (48 bytes). Code points of the full name,
// then the first, middle and last names, start at cp_offset.
struct DevRecord {
  uint32_t cp_offset;
  uint32_t full_len;
  uint32_t full_bytes;
  uint32_t phon_code;
  uint32_t part_len[3];
  int32_t birthdate;
  uint64_t char_mask;
  uint64_t order;  // dedupe: a pair is scored only when left.order < right.order
};

struct DevColumn {
  uint32_t right;       // index into the right records
  uint32_t left_begin;  // first left record of the run
  uint32_t left_count;  // pairs of this column
  uint32_t pair_begin;  // first pair of this column within its group
};

struct DevGroup {
  uint32_t col_begin, col_end;  // at most kGroupCols columns
  uint32_t pairs;               // sum of the columns' left_count
  uint32_t pad;
};

// A kept pair: column and left record indices within the batch.
struct Survivor {
  uint32_t col;
  uint32_t left;
  float confidence, lev, jw, mp;
  uint32_t label;
};

// Everything one launch reads and writes; pointers are device pointers on
// the GPU and host pointers in the emulation.
struct TileView {
  const DevRecord* left;
  const DevRecord* right;
  const uint32_t* cps;        // code points of the left records
  const uint32_t* right_cps;  // of the right records: cps, or a table resident on the device
  const DevColumn* cols;
  const DevGroup* groups;
  uint32_t n_groups;
  uint32_t with_middle;
  uint32_t dedupe;
  float keep;  // pairs below this confidence are not kept
  Survivor* out;
  uint32_t capacity;                 // slots in out
  uint32_t* survivors;               // atomic counter (may exceed capacity: then rerun bigger)
  unsigned long long* scored;        // pairs put through the rule
  unsigned long long* hist;          // kHistBins counters
  uint32_t* scratch;                 // scratch_words per thread of the grid
  uint32_t scratch_words;
};

NM_HD NM_INLINE FuzzyView dev_view(const DevRecord& r, const uint32_t* cps) {
  return fuzzy_view_at(cps + r.cp_offset, r.full_len, r.full_bytes, r.phon_code, r.char_mask,
                       r.part_len);
}

// A block's shared memory: the patterns and columns of its current group and
// a histogram flushed to the global one when the block ends (29,864 bytes).
struct BlockShared {
  Pattern64 pats[kGroupCols];
  DevColumn cols[kGroupCols];
  unsigned long long hist[kHistBins];
};

// Phase 0 (once per block): zero the patterns and the histogram.
NM_HD inline void reset_shared(BlockShared& sh, uint32_t tid, uint32_t nthreads) {
  for (uint32_t w = tid; w < kGroupCols * 128; w += nthreads) sh.pats[w / 128].ascii[w % 128] = 0;
  for (uint32_t b = tid; b < kHistBins; b += nthreads) sh.hist[b] = 0;
  if (tid < kGroupCols) {
    sh.pats[tid].n_ext = 0;
    sh.pats[tid].len = 0;
  }
}

// Phase 1: thread tid < kGroupCols stages column tid of group g and builds
// the pattern of its right name.
NM_HD inline void build_group(const TileView& t, uint32_t g, uint32_t tid, BlockShared& sh) {
  const DevGroup& G = t.groups[g];
  const uint32_t c = G.col_begin + tid;
  if (tid >= kGroupCols || c >= G.col_end) return;
  sh.cols[tid] = t.cols[c];
  const DevRecord& r = t.right[sh.cols[tid].right];
  if (uses_pattern(r.full_len)) sh.pats[tid].build(t.right_cps + r.cp_offset, r.full_len);
}

// Phase 3: undo phase 1, leaving zeroed patterns for the next group.
NM_HD inline void clear_group(const TileView& t, uint32_t g, uint32_t tid, BlockShared& sh) {
  const DevGroup& G = t.groups[g];
  if (tid >= kGroupCols || G.col_begin + tid >= G.col_end) return;
  const DevRecord& r = t.right[sh.cols[tid].right];
  if (uses_pattern(r.full_len)) sh.pats[tid].clear(t.right_cps + r.cp_offset, r.full_len);
}

// Phase 2: pair i of a group of `ncols` columns starting at column col_begin.
// `k` is the thread's column within the group: start it at 0 for each group;
// a thread's i only grows, so the search only moves forward. Returns 1 when
// the pair was put through the rule (0 when dedupe order or a birthdate
// mismatch skips it, as on the CPU).
NM_HD inline uint32_t score_group_pair(const TileView& t, uint32_t col_begin, uint32_t ncols,
                                       uint32_t i, BlockShared& sh, uint32_t* scratch,
                                       uint32_t& k) {
  while (k + 1 < ncols && sh.cols[k + 1].pair_begin <= i) ++k;
  const DevColumn& col = sh.cols[k];
  const uint32_t li = col.left_begin + (i - col.pair_begin);
  const DevRecord& a = t.left[li];
  const DevRecord& b = t.right[col.right];
  const CandidateRule rule{t.dedupe != 0, t.with_middle != 0, t.keep};
  const bool scored = score_candidate</*kCpuPaths=*/false>(
      rule, [&] { return a.order; }, b.order, a.birthdate, b.birthdate,
      [&] { return dev_view(a, t.cps); },
      dev_view(b, t.right_cps), &sh.pats[k], scratch,
      [&](uint32_t bin) { atomic_add_u64(&sh.hist[bin], 1ull); },
      [&](const PairScore& s) {
        const uint32_t slot = atomic_add_u32(t.survivors, 1u);
        if (slot >= t.capacity) return;
        Survivor& o = t.out[slot];
        o.col = col_begin + k;
        o.left = li;
        o.confidence = s.confidence;
        o.lev = static_cast<float>(s.lev);
        o.jw = static_cast<float>(s.jw);
        o.mp = static_cast<float>(s.mp);
        o.label = s.label;
      });
  return scored ? 1u : 0u;
}

// Last phase (once per block): add the block's histogram to the global one.
NM_HD inline void flush_hist(const TileView& t, uint32_t tid, uint32_t nthreads,
                             const BlockShared& sh) {
  for (uint32_t b = tid; b < kHistBins; b += nthreads)
    if (sh.hist[b] != 0) atomic_add_u64(&t.hist[b], sh.hist[b]);
}

// Block `bx` of the kernel on the CPU: every thread of the block, phase by
// phase (a phase ends where the kernel has __syncthreads). `sh` is the
// block's shared memory.
inline void emulate_block(const TileView& t, uint32_t bx, uint32_t grid, uint32_t block,
                          BlockShared& sh) {
  for (uint32_t tid = 0; tid < block; ++tid) reset_shared(sh, tid, block);
  unsigned long long scored_block = 0;
  for (uint32_t g = bx; g < t.n_groups; g += grid) {
    for (uint32_t tid = 0; tid < block; ++tid) build_group(t, g, tid, sh);
    const DevGroup G = t.groups[g];
    for (uint32_t tid = 0; tid < block; ++tid) {
      uint32_t* scratch =
          t.scratch + (static_cast<uint64_t>(bx) * block + tid) * t.scratch_words;
      uint32_t k = 0;
      for (uint32_t i = tid; i < G.pairs; i += block)
        scored_block += score_group_pair(t, G.col_begin, G.col_end - G.col_begin, i, sh, scratch, k);
    }
    for (uint32_t tid = 0; tid < block; ++tid) clear_group(t, g, tid, sh);
  }
  for (uint32_t tid = 0; tid < block; ++tid) flush_hist(t, tid, block, sh);
  if (scored_block != 0) atomic_add_u64(t.scored, scored_block);
}

// The whole grid on the CPU, block after block.
inline void emulate_fused_kernel(const TileView& t, uint32_t grid, uint32_t block,
                                 BlockShared& sh) {
  for (uint32_t bx = 0; bx < grid; ++bx) emulate_block(t, bx, grid, block, sh);
}

}  // namespace nm::kernels
