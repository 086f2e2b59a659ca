// The rules the planner (plan.cpp), the routing (routing.cpp) and the plan
// codec (plan_codec.cpp) share: a block's cost, its grid and the tiles a grid
// makes, and the plan's derived summary. The codec rebuilds tiles from the
// grids it reads with the same append_tiles the planner cut them with, so a
// plan read back is the plan written. Only partition/*.cpp include this.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "partition/plan.hpp"

namespace nm::plan_internal {

using u128 = unsigned __int128;
inline constexpr uint64_t kMax64 = std::numeric_limits<uint64_t>::max();

// Pairs a block scores: left * right (dedupe: n * (n - 1) / 2). Throws
// std::invalid_argument when that overflows 64 bits.
uint64_t block_cost(const BlockSize& b, bool dedupe);

// Throws std::invalid_argument naming the first option out of range.
void validate_options(const PlanOptions& o);

// A block's cut: gl left slices x gr right slices (dedupe: gl == gr == s).
struct Grid {
  uint64_t gl = 1, gr = 1;
};

// Number of tiles append_tiles makes for a grid (u128: the grid may come from untrusted bytes).
u128 grid_tile_count(const BlockSize& b, Grid g, bool dedupe);

// Appends the tiles of block `bi` cut by `g`, in (left slice, right slice)
// order, with rank 0; zero-cost tiles are left out.
void append_tiles(uint32_t bi, const BlockSize& b, Grid g, bool dedupe, std::vector<Tile>& out);

// Tile ranges [begin, end) of each block; throws std::invalid_argument when
// the tiles are not ordered by block.
std::vector<std::pair<size_t, size_t>> tile_ranges(const Plan& plan);

// Sorts and dedupes values that all lie in [0, n].
void sort_unique_bounded(std::vector<uint64_t>& v, uint64_t n);

// Appends x unless it equals the last value (tiles in order repeat their neighbours' bounds).
void push_new(std::vector<uint64_t>& v, uint64_t x);

// The routing of block b, whose tiles are [tb, te).
BlockRouting route_block(const Plan& plan, size_t b, size_t tb, size_t te);

// Everything derived from options + blocks + tiles: costs per rank, records
// per rank, maxima. Throws std::invalid_argument on an inconsistent plan.
void compute_summary(Plan& plan);

}  // namespace nm::plan_internal
