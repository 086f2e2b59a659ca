// The local rows of each block, for cutting a tile's slices out of the
// records a rank scores.
#pragma once
#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

#include "jobs/pipeline/records.hpp"

namespace nm::jobs {

// Local rows of each block, ordered by position: block -> [begin, end) of `order`.
struct BlockIndex {
  std::vector<uint32_t> order;
  absl::flat_hash_map<uint32_t, std::pair<uint32_t, uint32_t>> range;
  // Counting sort by block (rows of one block keep their local order, which
  // is their position order for loaded and received rows alike; checked).
  void build(const SideRecords& s, size_t blocks) {
    std::vector<uint32_t> start(blocks + 1, 0);
    for (uint32_t b : s.block)
      if (b != kNoBlock) ++start[b + 1];
    for (size_t b = 0; b < blocks; ++b) start[b + 1] += start[b];
    order.assign(start[blocks], 0);
    std::vector<uint32_t> fill(start.begin(), start.end() - 1);
    for (uint32_t r = 0; r < s.table.size(); ++r)
      if (s.block[r] != kNoBlock) order[fill[s.block[r]]++] = r;
    for (size_t b = 0; b < blocks; ++b) {
      if (start[b] == start[b + 1]) continue;
      auto first = order.begin() + start[b], last = order.begin() + start[b + 1];
      if (!std::is_sorted(first, last, [&](uint32_t x, uint32_t y) { return s.pos[x] < s.pos[y]; }))
        std::sort(first, last, [&](uint32_t x, uint32_t y) { return s.pos[x] < s.pos[y]; });
      range[static_cast<uint32_t>(b)] = {start[b], start[b + 1]};
    }
  }
  // Local rows of block b with position in [pb, pe).
  std::vector<uint32_t> slice(const SideRecords& s, uint32_t b, uint64_t pb, uint64_t pe) const {
    std::vector<uint32_t> out;
    auto it = range.find(b);
    if (it == range.end()) return out;
    auto first = order.begin() + it->second.first, last = order.begin() + it->second.second;
    auto lo = std::partition_point(first, last, [&](uint32_t r) { return s.pos[r] < pb; });
    auto hi = std::partition_point(lo, last, [&](uint32_t r) { return s.pos[r] < pe; });
    out.assign(lo, hi);
    return out;
  }
};

}  // namespace nm::jobs
