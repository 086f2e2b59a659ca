// The distributed work plan: birthdate blocks cut into tiles (left slice x
// right slice) and tiles assigned to ranks, from block sizes alone. Rank 0
// builds it, broadcasts it (serialize_plan / deserialize_plan) and every rank
// derives the same shuffle routing from it; `name_matcher plan` prints it for
// any rank count without matching. Implementation: plan.cpp (cost model,
// tiling, assignment), routing.cpp (make_routing), plan_codec.cpp (the
// binary form, over nm::ByteWriter/ByteReader, and plan_hash).
//
// Guarantees (tests/test_plan.cpp checks each one):
// - Every pair of every block is in exactly one tile; with `dedupe` every
//   unordered pair {l < r} of a block is in exactly one tile.
// - No tile costs more than tile_cap, and no tile costs 0.
// - The plan is a pure function of (blocks, options): same input, same bytes.
//
// Example:
//   nm::PlanOptions o;
//   o.ranks = 1024;
//   nm::Plan plan = nm::make_plan({{key, 1200, 1300}, ...}, o);
//   auto routes = nm::make_routing(plan);  // routes[b]: where block b's records go
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nm {

// One birthdate block: global record counts per side.
struct BlockSize {
  uint64_t key;
  uint64_t left;
  uint64_t right;
};

struct PlanOptions {
  uint32_t ranks = 1;
  // One table matched against itself: left == right in every block, each
  // unordered pair once.
  bool dedupe = false;
  // Target granularity: tile cap = total_cost / (ranks * tiles_per_rank).
  uint32_t tiles_per_rank = 32;
  uint64_t min_tile_pairs = 1 << 16;     // never cut below this
  uint64_t max_tile_pairs = 1ull << 26;  // always cut above this (bounds a tile's memory/time)
};

// The distributed plan's unit of work: a rectangle of one block, owned by one
// rank; its id is its index in Plan::tiles. The score stage cuts it into
// Chunks (partition/blocks.hpp).
struct Tile {
  uint32_t block;           // index into Plan::blocks
  uint64_t l_begin, l_end;  // slice of the block's left records, by position
                            // (records of a block are ordered by global row number)
  uint64_t r_begin, r_end;  // slice of the block's right records
  // Pairs the tile scores: (l_end-l_begin)*(r_end-r_begin); a dedupe diagonal
  // tile (same slice on both sides) scores only its l < r pairs: n*(n-1)/2.
  uint64_t cost;
  uint32_t rank;  // owner
};

struct Plan {
  PlanOptions options;
  // Sorted by key, keys unique. Blocks that cost nothing (left or right 0;
  // with dedupe fewer than 2 records) are dropped.
  std::vector<BlockSize> blocks;
  std::vector<Tile> tiles;          // ordered by (block, l_begin, r_begin); tile id = index
  std::vector<uint64_t> rank_cost;  // predicted pairs per rank
  // Records each rank must receive; a record needed by two tiles of the same
  // rank counts once. With dedupe there is one table: both vectors hold the
  // records of that table each rank receives (in either role).
  std::vector<uint64_t> rank_left_records, rank_right_records;
  uint64_t total_cost = 0;     // sum of the block costs
  uint64_t tile_cap = 0;       // the clamped cap tiles were cut to
  uint64_t largest_tile = 0;   // cost of the most expensive tile
  uint64_t largest_block = 0;  // cost of the most expensive block
  double imbalance = 1.0;      // max(rank_cost) / mean(rank_cost); 1.0 when total is 0
};

// Builds the plan (see the rules in plan.cpp). `blocks` may be in any order;
// entries with the same key are summed. Throws std::invalid_argument when
// ranks, tiles_per_rank or min_tile_pairs is 0, min_tile_pairs >
// max_tile_pairs, the total pair count overflows 64 bits, or, with dedupe, a
// block has left != right.
Plan make_plan(std::vector<BlockSize> blocks, const PlanOptions& options);

// Where each record of a block must go, for the shuffle: a left record at
// position p goes to left_ranks[s] where s is the slice with
// left_cuts[s] <= p < left_cuts[s+1]; same for right. With dedupe the cuts
// and rank lists of both sides are the same: the union of the ranks whose
// tiles use the slice as either side.
struct BlockRouting {
  std::vector<uint64_t> left_cuts, right_cuts;  // slice starts plus the end (size = slices + 1)
  std::vector<std::vector<uint32_t>> left_ranks, right_ranks;  // sorted, unique ranks per slice
};
// One per block. Throws std::invalid_argument when the tiles are not ordered
// by block or lie outside their block.
std::vector<BlockRouting> make_routing(const Plan& plan);

// Compact binary form for MPI_Bcast: options, blocks, each block's grid and
// each tile's rank as varints (the tile geometry is rebuilt from the grid),
// plus a plan_hash check. Throws std::invalid_argument when the tiles of a
// block are not the grid make_plan cuts.
std::string serialize_plan(const Plan& plan);
// Throws std::runtime_error on bad input (truncated, corrupt, wrong version).
Plan deserialize_plan(std::string_view bytes);

// A stable 64-bit hash of options + blocks + tiles (same on every host).
uint64_t plan_hash(const Plan& plan);

}  // namespace nm
