// The distributed work plan (see plan.hpp): the cost model, the tiling and
// the assignment of tiles to ranks. Routing is in routing.cpp, the binary
// form in plan_codec.cpp.
//
// Rules:
// - cost of a block = left * right pairs (dedupe: n * (n - 1) / 2);
//   tile_cap = clamp(ceil(total / (ranks * tiles_per_rank)), min_tile_pairs, max_tile_pairs).
// - A block costing at most tile_cap is one tile. A bigger one is cut into a
//   grid of gl left slices x gr right slices with gl * gr >= ceil(cost / cap),
//   as square as possible in records, because a record is copied once per
//   slice of the other side (gl ~ sqrt(k * left / right)); the grid is then
//   refined until the largest tile fits under the cap. Slices of one side
//   differ in size by at most 1. Dedupe: one cut list of s slices on both
//   sides, square slices of at most floor(sqrt(cap)) records, tiles (i, j)
//   with i <= j only; a diagonal tile scores the l < r pairs of its slice.
// - Assignment: longest processing time first. Tiles by cost descending
//   (ties: lower tile id), each to the least-loaded rank (ties: lower rank),
//   with a binary heap.
// - Zero-cost tiles are never created (dedupe diagonal slices of 1 record).
#include "partition/plan.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include "partition/plan_internal.hpp"

namespace nm {
namespace plan_internal {
namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

// Start of slice i when n records are cut into g near-equal slices (the first
// n % g slices hold one record more).
uint64_t cut_at(uint64_t n, uint64_t g, uint64_t i) { return i * (n / g) + std::min(i, n % g); }

uint64_t compute_tile_cap(uint64_t total, const PlanOptions& o) {
  const u128 slots = u128(o.ranks) * o.tiles_per_rank;
  const uint64_t want = static_cast<uint64_t>((u128(total) + slots - 1) / slots);
  return std::clamp(want, o.min_tile_pairs, o.max_tile_pairs);
}

uint64_t isqrt(uint64_t v) {
  uint64_t r = static_cast<uint64_t>(std::sqrt(static_cast<double>(v)));
  while (r > 0 && u128(r) * r > v) --r;
  while (u128(r + 1) * (r + 1) <= v) ++r;
  return r;
}

u128 copies(uint64_t l, uint64_t r, uint64_t gl, uint64_t gr) {
  return u128(l) * gr + u128(r) * gl;
}

// Refines (gl, gr) until the largest tile, ceil(l/gl) * ceil(r/gr), is at most cap.
Grid fit_under_cap(uint64_t l, uint64_t r, Grid g, uint64_t cap) {
  for (;;) {
    const uint64_t L = ceil_div(l, g.gl), R = ceil_div(r, g.gr);
    if (u128(L) * R <= cap) return g;
    // Either more left slices with the right slices kept, or the other way round.
    const bool a_ok = R <= cap, b_ok = L <= cap;
    const uint64_t gl_a = a_ok ? std::min(l, std::max(g.gl + 1, ceil_div(l, cap / R))) : 0;
    const uint64_t gr_b = b_ok ? std::min(r, std::max(g.gr + 1, ceil_div(r, cap / L))) : 0;
    if (a_ok && (!b_ok || copies(l, r, gl_a, g.gr) <= copies(l, r, g.gl, gr_b)))
      g.gl = gl_a;
    else if (b_ok)
      g.gr = gr_b;
    else
      g.gr = std::max(g.gr + 1, ceil_div(r, cap));
  }
}

Grid choose_grid(const BlockSize& b, uint64_t cost, uint64_t cap, bool dedupe) {
  if (cost <= cap) return {};
  if (dedupe) {
    // Square slices of at most floor(sqrt(cap)) records: every tile fits.
    const uint64_t s = std::min(b.left, ceil_div(b.left, std::max<uint64_t>(1, isqrt(cap))));
    return {s, s};
  }
  const uint64_t l = b.left, r = b.right, k = ceil_div(cost, cap);
  const double x =
      std::sqrt(static_cast<double>(k) * static_cast<double>(l) / static_cast<double>(r));
  Grid best;
  bool have = false;
  const uint64_t most = std::min(l, k);  // more left slices than tiles needed never helps
  for (double candidate : {std::floor(x), std::ceil(x)}) {
    Grid g;
    // Clamped as a double first: the conversion of a value past 2^64 is undefined.
    g.gl = candidate < 1                            ? 1
           : candidate >= static_cast<double>(most) ? most
                                                    : static_cast<uint64_t>(candidate);
    g.gr = std::min(r, ceil_div(k, g.gl));
    if (u128(g.gl) * g.gr < k) g.gl = std::min(l, ceil_div(k, g.gr));
    g = fit_under_cap(l, r, g, cap);
    const u128 c = copies(l, r, g.gl, g.gr), cb = copies(l, r, best.gl, best.gr);
    const u128 t = u128(g.gl) * g.gr, tb = u128(best.gl) * best.gr;
    if (!have || c < cb || (c == cb && (t < tb || (t == tb && g.gl < best.gl)))) best = g;
    have = true;
  }
  return best;
}

// Longest processing time first onto the least-loaded rank.
void assign_ranks(Plan& plan) {
  std::vector<std::pair<uint64_t, uint64_t>> order(plan.tiles.size());  // (~cost, id)
  for (size_t t = 0; t < order.size(); ++t) order[t] = {~plan.tiles[t].cost, t};
  std::sort(order.begin(), order.end());
  struct Slot {
    uint64_t load;
    uint32_t rank;
    bool operator<(const Slot& o) const { return load != o.load ? load < o.load : rank < o.rank; }
  };
  // Equal loads in rank order: already a min-heap.
  std::vector<Slot> heap(plan.options.ranks);
  for (uint32_t r = 0; r < plan.options.ranks; ++r) heap[r] = {0, r};
  const size_t n = heap.size();
  for (const auto& [neg_cost, id] : order) {
    Tile& tile = plan.tiles[id];
    tile.rank = heap[0].rank;
    Slot s{heap[0].load + tile.cost, heap[0].rank};
    size_t i = 0;
    for (;;) {  // sift down
      size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && heap[c + 1] < heap[c]) ++c;
      if (!(heap[c] < s)) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = s;
  }
}

// Sorted by key, equal keys summed, costless blocks dropped.
std::vector<BlockSize> normalize_blocks(std::vector<BlockSize> blocks, bool dedupe) {
  std::sort(blocks.begin(), blocks.end(),
            [](const BlockSize& a, const BlockSize& b) { return a.key < b.key; });
  std::vector<BlockSize> out;
  out.reserve(blocks.size());
  for (const BlockSize& b : blocks) {
    if (!out.empty() && out.back().key == b.key) {
      if (out.back().left > kMax64 - b.left || out.back().right > kMax64 - b.right)
        throw std::invalid_argument("make_plan: a block's record count overflows 64 bits");
      out.back().left += b.left;
      out.back().right += b.right;
    } else {
      out.push_back(b);
    }
  }
  std::erase_if(out, [&](const BlockSize& b) {
    if (dedupe && b.left != b.right)
      throw std::invalid_argument("make_plan: with dedupe every block needs left == right");
    return block_cost(b, dedupe) == 0;
  });
  return out;
}

}  // namespace

uint64_t block_cost(const BlockSize& b, bool dedupe) {
  const u128 c =
      dedupe ? (b.left < 2 ? 0 : u128(b.left) * (b.left - 1) / 2) : u128(b.left) * b.right;
  if (c > kMax64) throw std::invalid_argument("make_plan: a block's pair count overflows 64 bits");
  return static_cast<uint64_t>(c);
}

void validate_options(const PlanOptions& o) {
  if (o.ranks == 0) throw std::invalid_argument("plan: ranks must be at least 1");
  if (o.tiles_per_rank == 0) throw std::invalid_argument("plan: tiles_per_rank must be at least 1");
  if (o.min_tile_pairs == 0) throw std::invalid_argument("plan: min_tile_pairs must be at least 1");
  if (o.min_tile_pairs > o.max_tile_pairs)
    throw std::invalid_argument("plan: min_tile_pairs is larger than max_tile_pairs");
}

// Number of tiles append_tiles makes for a grid (u128: the grid may come from untrusted bytes).
u128 grid_tile_count(const BlockSize& b, Grid g, bool dedupe) {
  if (!dedupe) return u128(g.gl) * g.gr;
  const uint64_t s = g.gl;
  // Diagonal tiles of one-record slices score nothing and are left out.
  const uint64_t singles = b.left / s >= 2 ? 0 : (b.left / s == 1 ? s - b.left % s : 0);
  return u128(s) * (s + 1) / 2 - singles;
}

void append_tiles(uint32_t bi, const BlockSize& b, Grid g, bool dedupe, std::vector<Tile>& out) {
  for (uint64_t i = 0; i < g.gl; ++i) {
    const uint64_t lb = cut_at(b.left, g.gl, i), le = cut_at(b.left, g.gl, i + 1);
    for (uint64_t j = dedupe ? i : 0; j < g.gr; ++j) {
      const uint64_t rb = cut_at(b.right, g.gr, j), re = cut_at(b.right, g.gr, j + 1);
      const uint64_t n = le - lb;
      // Both fit in 64 bits: neither exceeds the block's cost.
      const auto cost =
          static_cast<uint64_t>(dedupe && i == j ? u128(n) * (n - 1) / 2 : u128(n) * (re - rb));
      if (cost == 0) continue;
      out.push_back(Tile{bi, lb, le, rb, re, cost, 0});
    }
  }
}

// Everything derived from options + blocks + tiles: costs per rank, records per rank, maxima.
void compute_summary(Plan& plan) {
  const PlanOptions& o = plan.options;
  plan.total_cost = 0;
  plan.largest_block = 0;
  for (const BlockSize& b : plan.blocks) {
    const uint64_t c = block_cost(b, o.dedupe);
    if (plan.total_cost > kMax64 - c)
      throw std::invalid_argument("plan: the total pair count overflows 64 bits");
    plan.total_cost += c;
    plan.largest_block = std::max(plan.largest_block, c);
  }
  plan.tile_cap = compute_tile_cap(plan.total_cost, o);
  plan.rank_cost.assign(o.ranks, 0);
  plan.largest_tile = 0;
  for (const Tile& t : plan.tiles) {
    if (t.rank >= o.ranks) throw std::invalid_argument("plan: a tile names a rank out of range");
    plan.rank_cost[t.rank] += t.cost;
    plan.largest_tile = std::max(plan.largest_tile, t.cost);
  }
  plan.rank_left_records.assign(o.ranks, 0);
  plan.rank_right_records.assign(o.ranks, 0);
  const auto ranges = tile_ranges(plan);
  for (size_t b = 0; b < plan.blocks.size(); ++b) {
    const BlockRouting r = route_block(plan, b, ranges[b].first, ranges[b].second);
    for (size_t s = 0; s < r.left_ranks.size(); ++s)
      for (uint32_t rank : r.left_ranks[s])
        plan.rank_left_records[rank] += r.left_cuts[s + 1] - r.left_cuts[s];
    if (o.dedupe) continue;
    for (size_t s = 0; s < r.right_ranks.size(); ++s)
      for (uint32_t rank : r.right_ranks[s])
        plan.rank_right_records[rank] += r.right_cuts[s + 1] - r.right_cuts[s];
  }
  if (o.dedupe) plan.rank_right_records = plan.rank_left_records;
  const uint64_t max_cost = *std::max_element(plan.rank_cost.begin(), plan.rank_cost.end());
  plan.imbalance = plan.total_cost == 0 ? 1.0
                                        : static_cast<double>(max_cost) * o.ranks /
                                              static_cast<double>(plan.total_cost);
}

}  // namespace plan_internal

using namespace plan_internal;

Plan make_plan(std::vector<BlockSize> blocks, const PlanOptions& options) {
  validate_options(options);
  Plan plan;
  plan.options = options;
  plan.blocks = normalize_blocks(std::move(blocks), options.dedupe);
  if (plan.blocks.size() > std::numeric_limits<uint32_t>::max())
    throw std::invalid_argument("make_plan: more than 2^32 blocks");
  uint64_t total = 0;
  for (const BlockSize& b : plan.blocks) {
    const uint64_t c = block_cost(b, options.dedupe);
    if (total > kMax64 - c)
      throw std::invalid_argument("make_plan: the total pair count overflows 64 bits");
    total += c;
  }
  const uint64_t cap = compute_tile_cap(total, options);
  std::vector<Grid> grids(plan.blocks.size());
  u128 tiles = 0;
  for (size_t b = 0; b < plan.blocks.size(); ++b) {
    const BlockSize& block = plan.blocks[b];
    grids[b] = choose_grid(block, block_cost(block, options.dedupe), cap, options.dedupe);
    tiles += grid_tile_count(block, grids[b], options.dedupe);
  }
  plan.tiles.reserve(static_cast<size_t>(tiles));
  for (size_t b = 0; b < plan.blocks.size(); ++b)
    append_tiles(static_cast<uint32_t>(b), plan.blocks[b], grids[b], options.dedupe, plan.tiles);
  assign_ranks(plan);
  compute_summary(plan);
  return plan;
}

}  // namespace nm
