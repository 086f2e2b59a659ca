#include "partition/blocks.hpp"

#include <algorithm>
#include <cstring>

namespace nm {

uint64_t birthdate_key(int32_t days) {
  if (days == INT32_MIN) return kNoKey;
  return static_cast<uint64_t>(static_cast<int64_t>(days) + (int64_t{1} << 31)) << 32;
}

KeyedRows sort_rows_by_key(const std::vector<uint64_t>& keys, const uint32_t* rows, size_t n) {
  std::vector<std::pair<uint64_t, uint32_t>> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = rows != nullptr ? rows[i] : static_cast<uint32_t>(i);
    if (keys[r] != kNoKey) v.emplace_back(keys[r], r);
  }
  std::sort(v.begin(), v.end());
  KeyedRows out;
  out.keys.resize(v.size());
  out.rows.resize(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    out.keys[i] = v[i].first;
    out.rows[i] = v[i].second;
  }
  return out;
}

KeyedRows sort_by_key(const std::vector<uint64_t>& keys, unsigned /*threads*/) {
  return sort_rows_by_key(keys, nullptr, keys.size());
}

ChunkPlan plan_chunks(const KeyedRows& left, const KeyedRows& right, uint64_t max_chunk_pairs) {
  ChunkPlan plan;
  if (max_chunk_pairs == 0) max_chunk_pairs = 1;
  size_t i = 0, j = 0;
  const size_t nl = left.keys.size(), nr = right.keys.size();
  while (i < nl && j < nr) {
    if (left.keys[i] < right.keys[j]) {
      ++i;
      continue;
    }
    if (right.keys[j] < left.keys[i]) {
      ++j;
      continue;
    }
    const uint64_t key = left.keys[i];
    size_t ie = i, je = j;
    while (ie < nl && left.keys[ie] == key) ++ie;
    while (je < nr && right.keys[je] == key) ++je;
    const uint64_t cols = je - j;
    const uint64_t pairs = (ie - i) * cols;
    ++plan.blocks;
    plan.candidate_pairs += pairs;
    plan.largest_block_pairs = std::max(plan.largest_block_pairs, pairs);
    const uint64_t slice = std::max<uint64_t>(1, max_chunk_pairs / cols);
    for (size_t s = i; s < ie; s += slice) {
      const size_t se = std::min<size_t>(ie, s + slice);
      plan.chunks.push_back(Chunk{static_cast<uint32_t>(s), static_cast<uint32_t>(se),
                                  static_cast<uint32_t>(j), static_cast<uint32_t>(je)});
    }
    i = ie;
    j = je;
  }
  return plan;
}

}  // namespace nm
