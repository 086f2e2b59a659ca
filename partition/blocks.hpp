// Partition stage: records grouped into blocks by a 64-bit key (birthdate, or
// a finer lossless key), blocks cut into chunks of bounded size.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "src/text/stable_hash.hpp"

namespace nm {

inline constexpr uint64_t kNoKey = ~uint64_t{0};

// Key of the birthdate block; kNoKey for a missing date.
uint64_t birthdate_key(int32_t days);

struct KeyedRows {
  std::vector<uint64_t> keys;  // sorted
  std::vector<uint32_t> rows;  // row of each entry; ascending within one key
};
// Sorts the rows that have a key (kNoKey rows are left out) by (key, row).
KeyedRows sort_by_key(const std::vector<uint64_t>& keys, unsigned threads);
// The same for a subset: rows[0..n) (ascending; null = 0..n-1).
KeyedRows sort_rows_by_key(const std::vector<uint64_t>& keys, const uint32_t* rows, size_t n);

// A rectangle of one block: left entries [l_begin, l_end) x right entries
// [r_begin, r_end) of the KeyedRows arrays; the unit the engine's threads take.
struct Chunk {
  uint32_t l_begin, l_end, r_begin, r_end;
  uint64_t pairs() const { return uint64_t(l_end - l_begin) * (r_end - r_begin); }
};

struct ChunkPlan {
  std::vector<Chunk> chunks;  // in key order, then left slice order
  uint64_t blocks = 0;
  uint64_t candidate_pairs = 0;
  uint64_t largest_block_pairs = 0;
};

// Blocks are the keys present on both sides. A block with more than
// max_chunk_pairs pairs is cut into left slices. With `self_join` (dedupe)
// left and right are the same arrays; the scorer keeps only left < right.
ChunkPlan plan_chunks(const KeyedRows& left, const KeyedRows& right, uint64_t max_chunk_pairs);

}  // namespace nm
