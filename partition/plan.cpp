// The distributed work plan (see plan.hpp).
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
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "partition/blocks.hpp"

namespace nm {
namespace {

using u128 = unsigned __int128;
constexpr uint64_t kMax64 = std::numeric_limits<uint64_t>::max();

uint64_t ceil_div(uint64_t a, uint64_t b) { return a / b + (a % b != 0 ? 1 : 0); }

uint64_t block_cost(const BlockSize& b, bool dedupe) {
  const u128 c =
      dedupe ? (b.left < 2 ? 0 : u128(b.left) * (b.left - 1) / 2) : u128(b.left) * b.right;
  if (c > kMax64) throw std::invalid_argument("make_plan: a block's pair count overflows 64 bits");
  return static_cast<uint64_t>(c);
}

// Start of slice i when n records are cut into g near-equal slices (the first
// n % g slices hold one record more).
uint64_t cut_at(uint64_t n, uint64_t g, uint64_t i) { return i * (n / g) + std::min(i, n % g); }

void validate_options(const PlanOptions& o) {
  if (o.ranks == 0) throw std::invalid_argument("plan: ranks must be at least 1");
  if (o.tiles_per_rank == 0) throw std::invalid_argument("plan: tiles_per_rank must be at least 1");
  if (o.min_tile_pairs == 0) throw std::invalid_argument("plan: min_tile_pairs must be at least 1");
  if (o.min_tile_pairs > o.max_tile_pairs)
    throw std::invalid_argument("plan: min_tile_pairs is larger than max_tile_pairs");
}

uint64_t compute_tile_cap(uint64_t total, const PlanOptions& o) {
  const u128 slots = u128(o.ranks) * o.tiles_per_rank;
  const uint64_t want = static_cast<uint64_t>((u128(total) + slots - 1) / slots);
  return std::clamp(want, o.min_tile_pairs, o.max_tile_pairs);
}

// A block's cut: gl left slices x gr right slices (dedupe: gl == gr == s).
struct Grid {
  uint64_t gl = 1, gr = 1;
};

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

// Number of tiles append_tiles makes for a grid (u128: the grid may come from untrusted bytes).
u128 grid_tile_count(const BlockSize& b, Grid g, bool dedupe) {
  if (!dedupe) return u128(g.gl) * g.gr;
  const uint64_t s = g.gl;
  // Diagonal tiles of one-record slices score nothing and are left out.
  const uint64_t singles = b.left / s >= 2 ? 0 : (b.left / s == 1 ? s - b.left % s : 0);
  return u128(s) * (s + 1) / 2 - singles;
}

void append_tiles(uint32_t bi, const BlockSize& b, Grid g, bool dedupe,
                  std::vector<PlanTile>& out) {
  for (uint64_t i = 0; i < g.gl; ++i) {
    const uint64_t lb = cut_at(b.left, g.gl, i), le = cut_at(b.left, g.gl, i + 1);
    for (uint64_t j = dedupe ? i : 0; j < g.gr; ++j) {
      const uint64_t rb = cut_at(b.right, g.gr, j), re = cut_at(b.right, g.gr, j + 1);
      const uint64_t n = le - lb;
      // Both fit in 64 bits: neither exceeds the block's cost.
      const auto cost =
          static_cast<uint64_t>(dedupe && i == j ? u128(n) * (n - 1) / 2 : u128(n) * (re - rb));
      if (cost == 0) continue;
      out.push_back(PlanTile{bi, lb, le, rb, re, cost, 0});
    }
  }
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
    PlanTile& tile = plan.tiles[id];
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

BlockRouting route_block(const Plan& plan, size_t b, size_t tb, size_t te) {
  const BlockSize& block = plan.blocks[b];
  const bool dedupe = plan.options.dedupe;
  BlockRouting out;
  for (size_t t = tb; t < te; ++t) {
    const PlanTile& tile = plan.tiles[t];
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
    const PlanTile& tile = plan.tiles[t];
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
  for (const PlanTile& t : plan.tiles) {
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

// ---------------------------------------------------------------- bytes

class Writer {
 public:
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void bytes(std::string_view s) { out_.append(s); }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= s_.size()) fail("truncated");
      const auto byte = static_cast<uint8_t>(s_[pos_++]);
      if (shift == 63 && byte > 1) fail("varint overflows 64 bits");
      v |= uint64_t(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return v;
    }
    fail("varint too long");
  }
  uint64_t u64() {
    if (s_.size() - pos_ < 8) fail("truncated");
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t(static_cast<uint8_t>(s_[pos_++])) << (8 * i);
    return v;
  }
  std::string_view bytes(size_t n) {
    if (s_.size() - pos_ < n) fail("truncated");
    std::string_view v = s_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  size_t remaining() const { return s_.size() - pos_; }
  [[noreturn]] static void fail(const std::string& why) {
    throw std::runtime_error("deserialize_plan: " + why);
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

constexpr std::string_view kMagic = "NMPLAN";
constexpr uint8_t kVersion = 1;

// The grid a block's tiles were cut from, read back from the tiles; throws
// when the tiles are not exactly that grid.
Grid grid_of(const Plan& plan, size_t b, size_t tb, size_t te) {
  const BlockSize& block = plan.blocks[b];
  std::vector<uint64_t> ls, rs;
  for (size_t t = tb; t < te; ++t) {
    const PlanTile& tile = plan.tiles[t];
    if (tile.l_begin >= block.left || tile.r_begin >= block.right)
      throw std::invalid_argument("serialize_plan: a tile lies outside its block");
    push_new(ls, tile.l_begin);
    push_new(plan.options.dedupe ? ls : rs, tile.r_begin);
  }
  sort_unique_bounded(ls, block.left);
  sort_unique_bounded(rs, block.right);
  Grid g;
  g.gl = ls.size();
  g.gr = plan.options.dedupe ? g.gl : rs.size();
  std::vector<PlanTile> expect;
  if (g.gl > 0 && g.gr > 0)
    append_tiles(static_cast<uint32_t>(b), plan.blocks[b], g, plan.options.dedupe, expect);
  bool same = expect.size() == te - tb;
  for (size_t i = 0; same && i < expect.size(); ++i) {
    const PlanTile &x = expect[i], &y = plan.tiles[tb + i];
    same = x.l_begin == y.l_begin && x.l_end == y.l_end && x.r_begin == y.r_begin &&
           x.r_end == y.r_end && x.cost == y.cost;
  }
  if (!same)
    throw std::invalid_argument("serialize_plan: the tiles of block " + std::to_string(b) +
                                " are not the grid make_plan cuts");
  return g;
}

// Fixed-width little-endian fields into a buffer hashed piece by piece.
class HashBuffer {
 public:
  explicit HashBuffer(uint64_t seed) : h_(seed) {}
  void put(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) buf_[size_++] = static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  // Hashes the buffer once it holds a piece (or at the end, whatever it holds).
  void flush(bool force) {
    if (size_ >= kPiece || (force && size_ > 0)) {
      h_ = stable_hash(std::string_view(buf_, size_), h_);
      size_ = 0;
    }
  }
  uint64_t hash() const { return h_; }

 private:
  static constexpr size_t kPiece = 1 << 16;
  char buf_[kPiece + 64];  // a flush follows every record of at most 64 bytes
  size_t size_ = 0;
  uint64_t h_;
};

}  // namespace

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

std::vector<BlockRouting> make_routing(const Plan& plan) {
  const auto ranges = tile_ranges(plan);
  std::vector<BlockRouting> out;
  out.reserve(plan.blocks.size());
  for (size_t b = 0; b < plan.blocks.size(); ++b)
    out.push_back(route_block(plan, b, ranges[b].first, ranges[b].second));
  return out;
}

std::string serialize_plan(const Plan& plan) {
  const PlanOptions& o = plan.options;
  Writer w;
  w.bytes(kMagic);
  w.str().push_back(static_cast<char>(kVersion));
  w.str().push_back(static_cast<char>(o.dedupe ? 1 : 0));
  w.varint(o.ranks);
  w.varint(o.tiles_per_rank);
  w.varint(o.min_tile_pairs);
  w.varint(o.max_tile_pairs);
  w.varint(plan.blocks.size());
  const auto ranges = tile_ranges(plan);
  uint64_t prev_key = 0;
  for (size_t b = 0; b < plan.blocks.size(); ++b) {
    const BlockSize& block = plan.blocks[b];
    if (b > 0 && block.key <= prev_key)
      throw std::invalid_argument("serialize_plan: block keys are not strictly increasing");
    const Grid g = grid_of(plan, b, ranges[b].first, ranges[b].second);
    w.varint(block.key - prev_key);
    w.varint(block.left);
    w.varint(block.right);
    w.varint(g.gl);
    if (!o.dedupe) w.varint(g.gr);
    prev_key = block.key;
  }
  w.varint(plan.tiles.size());
  for (const PlanTile& t : plan.tiles) {
    if (t.rank >= o.ranks)
      throw std::invalid_argument("serialize_plan: a tile's rank is out of range");
    w.varint(t.rank);
  }
  w.u64(plan_hash(plan));
  return std::move(w.str());
}

Plan deserialize_plan(std::string_view bytes) {
  Reader in(bytes);
  if (in.bytes(kMagic.size()) != kMagic) Reader::fail("not a plan (bad magic)");
  const auto version = static_cast<uint8_t>(in.bytes(1)[0]);
  if (version != kVersion)
    Reader::fail("unsupported version " + std::to_string(version) + " (expected " +
                 std::to_string(kVersion) + ")");
  const auto flags = static_cast<uint8_t>(in.bytes(1)[0]);
  if (flags > 1) Reader::fail("unknown flags");
  Plan plan;
  PlanOptions& o = plan.options;
  o.dedupe = flags == 1;
  const uint64_t ranks = in.varint(), tpr = in.varint();
  if (ranks > std::numeric_limits<uint32_t>::max() || tpr > std::numeric_limits<uint32_t>::max())
    Reader::fail("ranks or tiles_per_rank out of range");
  o.ranks = static_cast<uint32_t>(ranks);
  o.tiles_per_rank = static_cast<uint32_t>(tpr);
  o.min_tile_pairs = in.varint();
  o.max_tile_pairs = in.varint();
  try {
    validate_options(o);
  } catch (const std::invalid_argument& e) {
    Reader::fail(e.what());
  }
  const uint64_t nblocks = in.varint();
  // Each block takes at least 4 bytes: a bound before allocating.
  if (nblocks > in.remaining() / 4) Reader::fail("block count larger than the input");
  plan.blocks.reserve(nblocks);
  std::vector<Grid> grids;
  grids.reserve(nblocks);
  uint64_t key = 0;
  for (uint64_t b = 0; b < nblocks; ++b) {
    const uint64_t delta = in.varint();
    if (b > 0 && delta == 0) Reader::fail("block keys are not strictly increasing");
    if (key > kMax64 - delta) Reader::fail("block key overflows");
    key += delta;
    BlockSize block{key, in.varint(), in.varint()};
    Grid g;
    g.gl = in.varint();
    g.gr = o.dedupe ? g.gl : in.varint();
    if (o.dedupe && block.left != block.right) Reader::fail("dedupe block with left != right");
    try {
      if (block_cost(block, o.dedupe) == 0) Reader::fail("a block without pairs");
    } catch (const std::invalid_argument& e) {
      Reader::fail(e.what());
    }
    if (g.gl < 1 || g.gl > block.left || g.gr < 1 || g.gr > block.right)
      Reader::fail("block grid out of range");
    plan.blocks.push_back(block);
    grids.push_back(g);
  }
  const uint64_t ntiles = in.varint();
  // Each tile's rank takes at least one byte: a bound before building tiles.
  if (ntiles > in.remaining()) Reader::fail("tile count larger than the input");
  u128 made = 0;
  for (size_t b = 0; b < plan.blocks.size(); ++b) {
    made += grid_tile_count(plan.blocks[b], grids[b], o.dedupe);
    if (made > ntiles) Reader::fail("the block grids make more tiles than stored");
  }
  if (made != ntiles) Reader::fail("the block grids make fewer tiles than stored");
  plan.tiles.reserve(ntiles);
  for (size_t b = 0; b < plan.blocks.size(); ++b)
    append_tiles(static_cast<uint32_t>(b), plan.blocks[b], grids[b], o.dedupe, plan.tiles);
  for (PlanTile& t : plan.tiles) {
    const uint64_t r = in.varint();
    if (r >= o.ranks) Reader::fail("a tile's rank is out of range");
    t.rank = static_cast<uint32_t>(r);
  }
  const uint64_t hash = in.u64();
  if (in.remaining() != 0) Reader::fail("trailing bytes");
  try {
    compute_summary(plan);
  } catch (const std::invalid_argument& e) {
    Reader::fail(e.what());
  }
  if (plan_hash(plan) != hash) Reader::fail("checksum mismatch");
  return plan;
}

uint64_t plan_hash(const Plan& plan) {
  // Fields in little-endian order, hashed 64 KiB at a time, each piece seeded
  // with the hash so far: the same value on every host.
  auto hb = std::make_unique<HashBuffer>(0x706C616E5F763031ull);  // "plan_v01"
  HashBuffer& buf = *hb;
  const PlanOptions& o = plan.options;
  buf.put(o.ranks, 4);
  buf.put(o.dedupe ? 1 : 0, 1);
  buf.put(o.tiles_per_rank, 4);
  buf.put(o.min_tile_pairs, 8);
  buf.put(o.max_tile_pairs, 8);
  buf.put(plan.blocks.size(), 8);
  for (const BlockSize& b : plan.blocks) {
    buf.put(b.key, 8);
    buf.put(b.left, 8);
    buf.put(b.right, 8);
    buf.flush(false);
  }
  buf.put(plan.tiles.size(), 8);
  for (const PlanTile& t : plan.tiles) {
    buf.put(t.block, 4);
    buf.put(t.l_begin, 8);
    buf.put(t.l_end, 8);
    buf.put(t.r_begin, 8);
    buf.put(t.r_end, 8);
    buf.put(t.cost, 8);
    buf.put(t.rank, 4);
    buf.flush(false);
  }
  buf.flush(true);
  return buf.hash();
}

}  // namespace nm
