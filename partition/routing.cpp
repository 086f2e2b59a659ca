// Which rank gets which records (make_routing, see plan.hpp): the slice
// boundaries of each side of a block, cut wherever a tile begins or ends, and
// the ranks whose tiles use each slice.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "partition/plan.hpp"
#include "partition/plan_internal.hpp"

namespace nm {
namespace plan_internal {
namespace {

// Turns the collected tile bounds into slice boundaries: sorted, unique, with 0 and n.
void add_cuts(std::vector<uint64_t>& cuts, uint64_t n) {
  cuts.push_back(0);
  cuts.push_back(n);
  sort_unique_bounded(cuts, n);
}

// Pushes `rank` into every slice of `cuts` that [begin, end) covers.
// `hint` is the slice found last: neighbouring tiles mostly start where it does.
void route(const std::vector<uint64_t>& cuts, std::vector<std::vector<uint32_t>>& ranks,
           uint64_t begin, uint64_t end, uint32_t rank, size_t& hint) {
  size_t s = hint;
  if (cuts[s] != begin)
    s = static_cast<size_t>(std::lower_bound(cuts.begin(), cuts.end(), begin) - cuts.begin());
  hint = s;
  for (; s + 1 < cuts.size() && cuts[s] < end; ++s) ranks[s].push_back(rank);
}

// Room for the ranks of each slice: in a grid every slice of a side is used
// by the same number of tiles.
void reserve_slices(std::vector<std::vector<uint32_t>>& ranks, size_t tiles, size_t factor) {
  for (auto& v : ranks) v.reserve(tiles * factor / ranks.size() + 1);
}

void sort_unique(std::vector<std::vector<uint32_t>>& lists) {
  for (auto& v : lists) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
}

}  // namespace

// Tile ranges [begin, end) of each block; tiles are ordered by block.
std::vector<std::pair<size_t, size_t>> tile_ranges(const Plan& plan) {
  std::vector<std::pair<size_t, size_t>> ranges(plan.blocks.size(), {0, 0});
  size_t t = 0;
  for (size_t b = 0; b < plan.blocks.size(); ++b) {
    ranges[b].first = t;
    while (t < plan.tiles.size() && plan.tiles[t].block == b) ++t;
    ranges[b].second = t;
  }
  if (t != plan.tiles.size())
    throw std::invalid_argument("plan: tiles are not ordered by block or name a missing block");
  return ranges;
}

// Sorts and dedupes values that all lie in [0, n]: by marking them in a table
// of n + 1 flags when that is smaller than sorting (a block cut in millions of
// tiles has few distinct boundaries), else by sorting.
void sort_unique_bounded(std::vector<uint64_t>& v, uint64_t n) {
  if (v.size() >= 64 && n / 16 <= v.size()) {
    std::vector<uint8_t> seen(n + 1, 0);
    for (uint64_t x : v) seen[x] = 1;
    v.clear();
    for (uint64_t x = 0; x <= n; ++x)
      if (seen[x]) v.push_back(x);
    return;
  }
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Appends x unless it equals the last value (tiles in order repeat their neighbours' bounds).
void push_new(std::vector<uint64_t>& v, uint64_t x) {
  if (v.empty() || v.back() != x) v.push_back(x);
}

BlockRouting route_block(const Plan& plan, size_t b, size_t tb, size_t te) {
  const BlockSize& block = plan.blocks[b];
  const bool dedupe = plan.options.dedupe;
  BlockRouting out;
  for (size_t t = tb; t < te; ++t) {
    const Tile& tile = plan.tiles[t];
    if (tile.l_begin >= tile.l_end || tile.l_end > block.left || tile.r_begin >= tile.r_end ||
        tile.r_end > block.right)
      throw std::invalid_argument("plan: a tile lies outside its block");
    push_new(out.left_cuts, tile.l_begin);
    push_new(out.left_cuts, tile.l_end);
    auto& rc = dedupe ? out.left_cuts : out.right_cuts;
    push_new(rc, tile.r_begin);
    push_new(rc, tile.r_end);
  }
  add_cuts(out.left_cuts, block.left);
  out.left_ranks.resize(out.left_cuts.size() - 1);
  if (!dedupe) {
    add_cuts(out.right_cuts, block.right);
    out.right_ranks.resize(out.right_cuts.size() - 1);
  }
  reserve_slices(out.left_ranks, te - tb, dedupe ? 2 : 1);
  if (!dedupe) reserve_slices(out.right_ranks, te - tb, 1);
  size_t lh = 0, rh = 0;
  for (size_t t = tb; t < te; ++t) {
    const Tile& tile = plan.tiles[t];
    route(out.left_cuts, out.left_ranks, tile.l_begin, tile.l_end, tile.rank, lh);
    if (dedupe)
      route(out.left_cuts, out.left_ranks, tile.r_begin, tile.r_end, tile.rank, rh);
    else
      route(out.right_cuts, out.right_ranks, tile.r_begin, tile.r_end, tile.rank, rh);
  }
  sort_unique(out.left_ranks);
  if (dedupe) {
    out.right_cuts = out.left_cuts;
    out.right_ranks = out.left_ranks;
  } else {
    sort_unique(out.right_ranks);
  }
  return out;
}

}  // namespace plan_internal

std::vector<BlockRouting> make_routing(const Plan& plan) {
  const auto ranges = plan_internal::tile_ranges(plan);
  std::vector<BlockRouting> out;
  out.reserve(plan.blocks.size());
  for (size_t b = 0; b < plan.blocks.size(); ++b)
    out.push_back(plan_internal::route_block(plan, b, ranges[b].first, ranges[b].second));
  return out;
}

}  // namespace nm
