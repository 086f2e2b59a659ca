// The plan's binary form (serialize_plan, deserialize_plan, see plan.hpp)
// and its hash. The form stores each block's grid, not its tiles: the reader
// rebuilds the tiles with the planner's own append_tiles and checks the
// result against plan_hash, so a plan read back is the plan written.
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "partition/plan.hpp"
#include "partition/plan_internal.hpp"
#include "src/byte_codec.hpp"
#include "src/text/stable_hash.hpp"

namespace nm {
namespace {

using namespace plan_internal;

constexpr std::string_view kMagic = "NMPLAN";
constexpr uint8_t kVersion = 1;

// The grid a block's tiles were cut from, read back from the tiles; throws
// when the tiles are not exactly that grid.
Grid grid_of(const Plan& plan, size_t b, size_t tb, size_t te) {
  const BlockSize& block = plan.blocks[b];
  std::vector<uint64_t> ls, rs;
  for (size_t t = tb; t < te; ++t) {
    const Tile& tile = plan.tiles[t];
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
  std::vector<Tile> expect;
  if (g.gl > 0 && g.gr > 0)
    append_tiles(static_cast<uint32_t>(b), plan.blocks[b], g, plan.options.dedupe, expect);
  bool same = expect.size() == te - tb;
  for (size_t i = 0; same && i < expect.size(); ++i) {
    const Tile &x = expect[i], &y = plan.tiles[tb + i];
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

std::string serialize_plan(const Plan& plan) {
  const PlanOptions& o = plan.options;
  ByteWriter w;
  w.bytes(kMagic);
  w.u8(kVersion);
  w.u8(o.dedupe ? 1 : 0);
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
  for (const Tile& t : plan.tiles) {
    if (t.rank >= o.ranks)
      throw std::invalid_argument("serialize_plan: a tile's rank is out of range");
    w.varint(t.rank);
  }
  w.u64(plan_hash(plan));
  return w.take();
}

Plan deserialize_plan(std::string_view bytes) {
  ByteReader in(bytes, "deserialize_plan");
  if (in.bytes(kMagic.size()) != kMagic) in.fail("not a plan (bad magic)");
  const auto version = in.u8();
  if (version != kVersion)
    in.fail("unsupported version " + std::to_string(version) + " (expected " +
            std::to_string(kVersion) + ")");
  const auto flags = in.u8();
  if (flags > 1) in.fail("unknown flags");
  Plan plan;
  PlanOptions& o = plan.options;
  o.dedupe = flags == 1;
  const uint64_t ranks = in.varint(), tpr = in.varint();
  if (ranks > std::numeric_limits<uint32_t>::max() || tpr > std::numeric_limits<uint32_t>::max())
    in.fail("ranks or tiles_per_rank out of range");
  o.ranks = static_cast<uint32_t>(ranks);
  o.tiles_per_rank = static_cast<uint32_t>(tpr);
  o.min_tile_pairs = in.varint();
  o.max_tile_pairs = in.varint();
  try {
    validate_options(o);
  } catch (const std::invalid_argument& e) {
    in.fail(e.what());
  }
  const uint64_t nblocks = in.varint();
  // Each block takes at least 4 bytes: a bound before allocating.
  if (nblocks > in.remaining() / 4) in.fail("block count larger than the input");
  plan.blocks.reserve(nblocks);
  std::vector<Grid> grids;
  grids.reserve(nblocks);
  uint64_t key = 0;
  for (uint64_t b = 0; b < nblocks; ++b) {
    const uint64_t delta = in.varint();
    if (b > 0 && delta == 0) in.fail("block keys are not strictly increasing");
    if (key > kMax64 - delta) in.fail("block key overflows");
    key += delta;
    BlockSize block{key, in.varint(), in.varint()};
    Grid g;
    g.gl = in.varint();
    g.gr = o.dedupe ? g.gl : in.varint();
    if (o.dedupe && block.left != block.right) in.fail("dedupe block with left != right");
    try {
      if (block_cost(block, o.dedupe) == 0) in.fail("a block without pairs");
    } catch (const std::invalid_argument& e) {
      in.fail(e.what());
    }
    if (g.gl < 1 || g.gl > block.left || g.gr < 1 || g.gr > block.right)
      in.fail("block grid out of range");
    plan.blocks.push_back(block);
    grids.push_back(g);
  }
  const uint64_t ntiles = in.varint();
  // Each tile's rank takes at least one byte: a bound before building tiles.
  if (ntiles > in.remaining()) in.fail("tile count larger than the input");
  u128 made = 0;
  for (size_t b = 0; b < plan.blocks.size(); ++b) {
    made += grid_tile_count(plan.blocks[b], grids[b], o.dedupe);
    if (made > ntiles) in.fail("the block grids make more tiles than stored");
  }
  if (made != ntiles) in.fail("the block grids make fewer tiles than stored");
  plan.tiles.reserve(ntiles);
  for (size_t b = 0; b < plan.blocks.size(); ++b)
    append_tiles(static_cast<uint32_t>(b), plan.blocks[b], grids[b], o.dedupe, plan.tiles);
  for (Tile& t : plan.tiles) {
    const uint64_t r = in.varint();
    if (r >= o.ranks) in.fail("a tile's rank is out of range");
    t.rank = static_cast<uint32_t>(r);
  }
  const uint64_t hash = in.u64();
  if (in.remaining() != 0) in.fail("trailing bytes");
  try {
    compute_summary(plan);
  } catch (const std::invalid_argument& e) {
    in.fail(e.what());
  }
  if (plan_hash(plan) != hash) in.fail("checksum mismatch");
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
  for (const Tile& t : plan.tiles) {
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
