// The probabilistic mode's kernel work, written once as __host__ __device__
// code: a batch is a flat list of candidate pairs (left row, right row); each
// thread takes pairs i = block * blockDim + thread, striding by the grid, and
// computes the pair's comparison pattern with kernels::prob::compare_pair (the
// CPU scorer's code). Then, as the launch asks:
//   (a) counting (training): the pattern is added to the block's table in
//       shared memory (open addressing, at most kPatternProbes probes); a
//       pattern that finds no slot goes straight to the global list with a
//       count of 1. When the block ends its table is appended to the same
//       list. Counts are integers, so the totals do not depend on which block
//       or path counted a pair; the host sums the list by pattern.
//   (b) scoring: the weight from kernels::prob::pair_weight (the CPU's
//       formula); a pair at or above keep_at takes a slot of the survivor list
//       from an atomic counter. The host sorts survivors by (left, right).
// Both lists have a capacity; their counters still count past it, so the host
// knows how much room a rerun needs.
//
// kernels/prob_tile.cu wraps these phases in the __global__ kernel;
// emulate_prob_block() runs them on the CPU for every thread index of a block,
// which is how the kernel is tested without a GPU.
#pragma once
#include <cstdint>

#include "kernels/host_device.hpp"
#include "kernels/prob_compare.hpp"
#include "kernels/prob_weight.hpp"

namespace nm::kernels::prob {

inline constexpr uint32_t kProbBlockThreads = 128;
inline constexpr uint32_t kPatternSlots = 1024;  // the block table's largest size (16 KiB)
inline constexpr uint32_t kPatternProbes = 16;   // slots a pattern tries before the global list
// An empty slot. A pattern of 16 null comparisons has these bits too: it is
// never put in a table, only in the global list.
inline constexpr unsigned long long kEmptySlot = ~0ull;

struct RowPair {
  uint32_t left, right;  // rows of the left and right prepared sides
};

struct PatternTally {
  unsigned long long pattern;
  unsigned long long count;
};

struct ProbSurvivor {
  uint32_t left, right;
  long long weight;
  unsigned long long pattern;
};

// Everything one launch reads and writes; device pointers on the GPU, host
// pointers in the emulation.
struct ProbTileView {
  const Item* items;
  uint32_t n_items;
  int32_t swap_first, swap_last;  // text slots of first and last name (-1: no swap level)
  SideView left, right;
  WeightView weights;  // read when score != 0
  const RowPair* pairs;
  uint32_t n_pairs;
  uint32_t count;        // (a) count patterns
  uint32_t score;        // (b) score and keep pairs
  uint32_t table_slots;  // block table size: a power of two, 1..kPatternSlots
  long long keep_at;
  PatternTally* tallies;
  uint32_t tally_capacity;
  uint32_t* n_tallies;  // atomic counter (may exceed tally_capacity: rerun bigger)
  ProbSurvivor* out;
  uint32_t capacity;
  uint32_t* survivors;  // atomic counter (may exceed capacity: rerun bigger)
  uint32_t* scratch;    // scratch_words per thread of the grid
  uint32_t scratch_words;
};

// A block's shared memory: its pattern table (16 KiB).
struct ProbBlockShared {
  unsigned long long keys[kPatternSlots];
  unsigned long long counts[kPatternSlots];
};

// Phase 0: empty the table.
NM_HD inline void prob_reset_shared(const ProbTileView& t, uint32_t tid, uint32_t nthreads,
                                    ProbBlockShared& sh) {
  for (uint32_t s = tid; s < t.table_slots; s += nthreads) {
    sh.keys[s] = kEmptySlot;
    sh.counts[s] = 0;
  }
}

NM_HD NM_INLINE void prob_append_tally(const ProbTileView& t, unsigned long long pattern,
                                       unsigned long long count) {
  const uint32_t slot = atomic_add_u32(t.n_tallies, 1u);
  if (slot < t.tally_capacity) t.tallies[slot] = {pattern, count};
}

// Adds one pair of `pattern` to the block's table, or to the global list when
// its probes find neither its slot nor an empty one.
NM_HD inline void prob_count_pattern(const ProbTileView& t, uint64_t pattern,
                                     ProbBlockShared& sh) {
  const unsigned long long p = pattern;
  if (p != kEmptySlot) {
    const uint32_t mask = t.table_slots - 1;
    const uint32_t h = static_cast<uint32_t>((p * 0x9E3779B97F4A7C15ull) >> 32);
    const uint32_t probes = t.table_slots < kPatternProbes ? t.table_slots : kPatternProbes;
    for (uint32_t k = 0; k < probes; ++k) {
      const uint32_t s = (h + k) & mask;
      const unsigned long long prev = atomic_cas_u64(&sh.keys[s], kEmptySlot, p);
      if (prev == kEmptySlot || prev == p) {
        atomic_add_u64(&sh.counts[s], 1ull);
        return;
      }
    }
  }
  prob_append_tally(t, p, 1ull);
}

// Phase 1: pair i of the batch.
NM_HD inline void prob_pair(const ProbTileView& t, uint32_t i, ProbBlockShared& sh,
                            uint32_t* scratch) {
  const RowPair rp = t.pairs[i];
  const uint64_t pattern = compare_pair(t.items, t.n_items, t.swap_first, t.swap_last, t.left,
                                        rp.left, t.right, rp.right, scratch);
  if (t.count != 0) prob_count_pattern(t, pattern, sh);
  if (t.score != 0) {
    const int64_t w = pair_weight(t.weights, pattern, rp.left);
    if (w >= t.keep_at) {
      const uint32_t slot = atomic_add_u32(t.survivors, 1u);
      if (slot < t.capacity) t.out[slot] = {rp.left, rp.right, w, pattern};
    }
  }
}

// Last phase: append the block's table to the global list.
NM_HD inline void prob_flush_table(const ProbTileView& t, uint32_t tid, uint32_t nthreads,
                                   const ProbBlockShared& sh) {
  for (uint32_t s = tid; s < t.table_slots; s += nthreads)
    if (sh.keys[s] != kEmptySlot) prob_append_tally(t, sh.keys[s], sh.counts[s]);
}

// Block `bx` of a grid of `grid` blocks of `block` threads, on the CPU, phase
// by phase (a phase ends where the kernel has __syncthreads).
inline void emulate_prob_block(const ProbTileView& t, uint32_t bx, uint32_t grid, uint32_t block,
                               ProbBlockShared& sh) {
  if (t.count != 0)
    for (uint32_t tid = 0; tid < block; ++tid) prob_reset_shared(t, tid, block, sh);
  const uint64_t stride = static_cast<uint64_t>(grid) * block;
  for (uint32_t tid = 0; tid < block; ++tid) {
    uint32_t* scratch = t.scratch + (static_cast<uint64_t>(bx) * block + tid) * t.scratch_words;
    for (uint64_t i = static_cast<uint64_t>(bx) * block + tid; i < t.n_pairs; i += stride)
      prob_pair(t, static_cast<uint32_t>(i), sh, scratch);
  }
  if (t.count != 0)
    for (uint32_t tid = 0; tid < block; ++tid) prob_flush_table(t, tid, block, sh);
}

// The whole grid on the CPU, block after block.
inline void emulate_prob_kernel(const ProbTileView& t, uint32_t grid, uint32_t block,
                                ProbBlockShared& sh) {
  for (uint32_t bx = 0; bx < grid; ++bx) emulate_prob_block(t, bx, grid, block, sh);
}

}  // namespace nm::kernels::prob
