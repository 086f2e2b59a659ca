// Tests of the distributed work plan (partition/plan.*): exact pair coverage,
// the LPT assignment against a naive reference, routing against brute force,
// the binary form, and balance on a skewed registry.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/csv_reader.hpp"
#include "jobs/generate/generate.hpp"
#include "jobs/commands/plan.hpp"
#include "partition/blocks.hpp"
#include "partition/plan.hpp"
#include "src/errors.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using nm::BlockSize;
using nm::Plan;
using nm::PlanOptions;
using nm::Tile;

uint64_t block_cost(const BlockSize& b, bool dedupe) {
  return dedupe ? (b.left < 2 ? 0 : b.left * (b.left - 1) / 2) : b.left * b.right;
}

std::vector<BlockSize> random_blocks(std::mt19937_64& rng, size_t n, uint64_t max_side,
                                     bool dedupe) {
  std::vector<BlockSize> blocks;
  std::uniform_int_distribution<uint64_t> side(0, max_side);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t l = side(rng);
    blocks.push_back({nm::birthdate_key(static_cast<int32_t>(i * 3)), l, dedupe ? l : side(rng)});
  }
  std::shuffle(blocks.begin(), blocks.end(), rng);
  return blocks;
}

// The plan's structural promises, checked on every plan the tests make.
void check_structure(const Plan& plan, const std::vector<BlockSize>& input) {
  const PlanOptions& o = plan.options;
  const bool dd = o.dedupe;
  // Blocks: the non-empty input blocks, sorted by key.
  std::vector<BlockSize> expect;
  for (const BlockSize& b : input)
    if (block_cost(b, dd) > 0) expect.push_back(b);
  std::sort(expect.begin(), expect.end(), [](auto& a, auto& b) { return a.key < b.key; });
  REQUIRE(plan.blocks.size() == expect.size());
  uint64_t total = 0, largest_block = 0;
  for (size_t i = 0; i < expect.size(); ++i) {
    CHECK(plan.blocks[i].key == expect[i].key);
    CHECK(plan.blocks[i].left == expect[i].left);
    CHECK(plan.blocks[i].right == expect[i].right);
    total += block_cost(expect[i], dd);
    largest_block = std::max(largest_block, block_cost(expect[i], dd));
  }
  CHECK(plan.total_cost == total);
  CHECK(plan.largest_block == largest_block);
  const uint64_t slots = uint64_t{o.ranks} * o.tiles_per_rank;
  CHECK(plan.tile_cap ==
        std::clamp((total + slots - 1) / slots, o.min_tile_pairs, o.max_tile_pairs));

  std::vector<uint64_t> rank_cost(o.ranks, 0);
  uint64_t sum = 0, largest_tile = 0;
  for (size_t t = 0; t < plan.tiles.size(); ++t) {
    const Tile& x = plan.tiles[t];
    REQUIRE(x.block < plan.blocks.size());
    REQUIRE(x.rank < o.ranks);
    const BlockSize& b = plan.blocks[x.block];
    REQUIRE(x.l_begin < x.l_end);
    REQUIRE(x.l_end <= b.left);
    REQUIRE(x.r_begin < x.r_end);
    REQUIRE(x.r_end <= b.right);
    const uint64_t n = x.l_end - x.l_begin;
    const bool diagonal = dd && x.l_begin == x.r_begin;
    if (dd) CHECK(x.l_begin <= x.r_begin);
    CHECK(x.cost == (diagonal ? n * (n - 1) / 2 : n * (x.r_end - x.r_begin)));
    CHECK(x.cost > 0);
    CHECK(x.cost <= plan.tile_cap);
    if (block_cost(b, dd) <= plan.tile_cap) {  // small blocks are one tile
      CHECK(x.l_begin == 0);
      CHECK(x.l_end == b.left);
    }
    if (t > 0) {
      const Tile& p = plan.tiles[t - 1];
      CHECK(std::tie(p.block, p.l_begin, p.r_begin) < std::tie(x.block, x.l_begin, x.r_begin));
    }
    rank_cost[x.rank] += x.cost;
    sum += x.cost;
    largest_tile = std::max(largest_tile, x.cost);
  }
  CHECK(sum == total);
  CHECK(plan.largest_tile == largest_tile);
  CHECK(plan.rank_cost == rank_cost);
  const uint64_t mx = *std::max_element(rank_cost.begin(), rank_cost.end());
  CHECK(plan.imbalance ==
        doctest::Approx(total == 0 ? 1.0 : double(mx) * o.ranks / double(total)).epsilon(1e-12));
}

// Every pair of every block is in exactly one tile (dedupe: every l < r pair).
void check_coverage(const Plan& plan) {
  const bool dd = plan.options.dedupe;
  for (size_t b = 0; b < plan.blocks.size(); ++b) {
    const BlockSize& block = plan.blocks[b];
    std::vector<int> seen(block.left * block.right, 0);
    for (const Tile& t : plan.tiles) {
      if (t.block != b) continue;
      for (uint64_t l = t.l_begin; l < t.l_end; ++l)
        for (uint64_t r = t.r_begin; r < t.r_end; ++r)
          if (!dd || l < r) ++seen[l * block.right + r];
    }
    for (uint64_t l = 0; l < block.left; ++l)
      for (uint64_t r = 0; r < block.right; ++r) {
        const int want = !dd || l < r ? 1 : 0;
        if (seen[l * block.right + r] != want) {
          FAIL("block " << b << " pair (" << l << ", " << r << ") covered "
                        << seen[l * block.right + r] << " times");
        }
      }
  }
}

// Slices of one side of a block differ in size by at most one record.
void check_near_equal_slices(const Plan& plan) {
  std::map<uint32_t, std::set<std::pair<uint64_t, uint64_t>>> left, right;
  for (const Tile& t : plan.tiles) {
    left[t.block].insert({t.l_begin, t.l_end});
    right[t.block].insert({t.r_begin, t.r_end});
  }
  for (auto* side : {&left, &right})
    for (const auto& [b, slices] : *side) {
      uint64_t lo = UINT64_MAX, hi = 0;
      for (const auto& [s, e] : slices) {
        lo = std::min(lo, e - s);
        hi = std::max(hi, e - s);
      }
      CHECK(hi - lo <= 1);
    }
}

// LPT written the slow, obvious way.
std::vector<uint32_t> naive_lpt(const Plan& plan) {
  std::vector<size_t> order(plan.tiles.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return plan.tiles[a].cost > plan.tiles[b].cost; });
  std::vector<uint64_t> load(plan.options.ranks, 0);
  std::vector<uint32_t> rank(plan.tiles.size());
  for (size_t id : order) {
    const auto r = static_cast<uint32_t>(std::min_element(load.begin(), load.end()) - load.begin());
    rank[id] = r;
    load[r] += plan.tiles[id].cost;
  }
  return rank;
}

// Routing sends each record to exactly the ranks whose tiles contain it; the
// per-rank record counts are those sets' sizes.
void check_routing(const Plan& plan) {
  const bool dd = plan.options.dedupe;
  const auto routes = nm::make_routing(plan);
  REQUIRE(routes.size() == plan.blocks.size());
  std::vector<uint64_t> left_records(plan.options.ranks, 0), right_records(plan.options.ranks, 0);
  for (size_t b = 0; b < plan.blocks.size(); ++b) {
    const BlockSize& block = plan.blocks[b];
    std::vector<std::set<uint32_t>> need_l(block.left), need_r(block.right);
    for (const Tile& t : plan.tiles) {
      if (t.block != b) continue;
      for (uint64_t p = t.l_begin; p < t.l_end; ++p) need_l[p].insert(t.rank);
      for (uint64_t p = t.r_begin; p < t.r_end; ++p) (dd ? need_l : need_r)[p].insert(t.rank);
    }
    if (dd) need_r = need_l;
    const nm::BlockRouting& r = routes[b];
    auto check_side = [&](const std::vector<uint64_t>& cuts,
                          const std::vector<std::vector<uint32_t>>& ranks,
                          const std::vector<std::set<uint32_t>>& need, uint64_t n,
                          std::vector<uint64_t>& records) {
      REQUIRE(cuts.size() >= 2);
      REQUIRE(ranks.size() == cuts.size() - 1);
      CHECK(cuts.front() == 0);
      CHECK(cuts.back() == n);
      for (size_t s = 0; s + 1 < cuts.size(); ++s) {
        CHECK(cuts[s] < cuts[s + 1]);
        CHECK(std::is_sorted(ranks[s].begin(), ranks[s].end()));
        CHECK(std::adjacent_find(ranks[s].begin(), ranks[s].end()) == ranks[s].end());
        for (uint64_t p = cuts[s]; p < cuts[s + 1]; ++p)
          CHECK(std::set<uint32_t>(ranks[s].begin(), ranks[s].end()) == need[p]);
      }
      for (const auto& set : need)
        for (uint32_t rank : set) ++records[rank];
    };
    check_side(r.left_cuts, r.left_ranks, need_l, block.left, left_records);
    check_side(r.right_cuts, r.right_ranks, need_r, block.right, right_records);
  }
  CHECK(plan.rank_left_records == left_records);
  CHECK(plan.rank_right_records == right_records);
}

void check_same(const Plan& a, const Plan& b) {
  CHECK(a.options.ranks == b.options.ranks);
  CHECK(a.options.dedupe == b.options.dedupe);
  CHECK(a.options.tiles_per_rank == b.options.tiles_per_rank);
  CHECK(a.options.min_tile_pairs == b.options.min_tile_pairs);
  CHECK(a.options.max_tile_pairs == b.options.max_tile_pairs);
  REQUIRE(a.blocks.size() == b.blocks.size());
  for (size_t i = 0; i < a.blocks.size(); ++i) {
    CHECK(a.blocks[i].key == b.blocks[i].key);
    CHECK(a.blocks[i].left == b.blocks[i].left);
    CHECK(a.blocks[i].right == b.blocks[i].right);
  }
  REQUIRE(a.tiles.size() == b.tiles.size());
  for (size_t i = 0; i < a.tiles.size(); ++i) {
    const Tile &x = a.tiles[i], &y = b.tiles[i];
    CHECK(std::tie(x.block, x.l_begin, x.l_end, x.r_begin, x.r_end, x.cost, x.rank) ==
          std::tie(y.block, y.l_begin, y.l_end, y.r_begin, y.r_end, y.cost, y.rank));
  }
  CHECK(a.rank_cost == b.rank_cost);
  CHECK(a.rank_left_records == b.rank_left_records);
  CHECK(a.rank_right_records == b.rank_right_records);
  CHECK(a.total_cost == b.total_cost);
  CHECK(a.tile_cap == b.tile_cap);
  CHECK(a.largest_tile == b.largest_tile);
  CHECK(a.largest_block == b.largest_block);
  CHECK(a.imbalance == b.imbalance);
  CHECK(nm::plan_hash(a) == nm::plan_hash(b));
}

PlanOptions opts(uint32_t ranks, bool dedupe, uint64_t min_pairs, uint64_t max_pairs,
                 uint32_t tiles_per_rank = 4) {
  PlanOptions o;
  o.ranks = ranks;
  o.dedupe = dedupe;
  o.tiles_per_rank = tiles_per_rank;
  o.min_tile_pairs = min_pairs;
  o.max_tile_pairs = max_pairs;
  return o;
}

// A registry-like set of blocks: ~33,000 birthdates of ~300 records a side, and
// one (1970-01-01) holding `skew` of both sides.
std::vector<BlockSize> registry_blocks(uint64_t rows, double skew, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const uint64_t big = static_cast<uint64_t>(skew * static_cast<double>(rows));
  const size_t n = 33000;
  const uint64_t mean = (rows - big) / n;
  std::uniform_int_distribution<uint64_t> side(mean / 2, mean + mean / 2);
  std::vector<BlockSize> blocks;
  for (size_t i = 0; i < n; ++i)
    blocks.push_back({nm::birthdate_key(static_cast<int32_t>(i) + 1), side(rng), side(rng)});
  blocks.push_back({nm::birthdate_key(0), big, big});
  return blocks;
}

namespace fs = std::filesystem;

using nm::test::TempDir;

nm::jobs::GenerateStats gen(const fs::path& dir, uint64_t rows, double skew, unsigned threads) {
  nm::jobs::GenerateOptions o;
  o.rows = rows;
  o.seed = 17;
  o.skew = skew;
  o.threads = threads;
  o.out_dir = dir.string();
  return nm::jobs::generate_dataset(o);
}

// Every record of a CSV file as its fields.
std::vector<std::vector<std::string>> read_csv(const fs::path& p) {
  nm::io::CsvReader reader(p.string());
  nm::io::CsvRecord rec;
  std::vector<std::vector<std::string>> rows;
  while (reader.next(rec)) {
    REQUIRE(rec.error.empty());
    rows.emplace_back(rec.fields.begin(), rec.fields.end());
  }
  return rows;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

uint64_t count_on(const nm::jobs::BirthdateCounts& c, int32_t day) {
  for (const auto& [d, n] : c.days)
    if (d == day) return n;
  return 0;
}

}  // namespace

TEST_CASE("plan: every pair of every block is in exactly one tile") {
  std::mt19937_64 rng(12345);
  for (bool dedupe : {false, true}) {
    for (uint32_t ranks : {1u, 2u, 3u, 7u, 64u, 1000u}) {
      for (uint64_t max_pairs : {1ull, 2ull, 5ull, 37ull, 200ull, 100000ull}) {
        CAPTURE(dedupe);
        CAPTURE(ranks);
        CAPTURE(max_pairs);
        const auto blocks = random_blocks(rng, 12, 30, dedupe);
        const Plan plan = nm::make_plan(blocks, opts(ranks, dedupe, 1, max_pairs));
        check_structure(plan, blocks);
        check_coverage(plan);
        check_near_equal_slices(plan);
        CHECK(naive_lpt(plan) == [&] {
          std::vector<uint32_t> r;
          for (const auto& t : plan.tiles) r.push_back(t.rank);
          return r;
        }());
      }
    }
  }
}

TEST_CASE("plan: small and odd-shaped blocks, sizes around the cap") {
  // Costs just below, at and above the cap; one-record sides; a block of 2
  // records in dedupe (one pair); empty sides dropped.
  for (bool dedupe : {false, true}) {
    CAPTURE(dedupe);
    std::vector<BlockSize> blocks;
    uint64_t key = 1;
    for (uint64_t l : {0ull, 1ull, 2ull, 3ull, 7ull, 8ull, 9ull, 31ull, 32ull, 33ull, 64ull})
      for (uint64_t r : {0ull, 1ull, 2ull, 31ull, 32ull, 33ull, 100ull})
        blocks.push_back({key++, l, dedupe ? l : r});
    for (uint64_t cap : {1ull, 31ull, 32ull, 33ull, 64ull, 1000ull}) {
      CAPTURE(cap);
      const Plan plan = nm::make_plan(blocks, opts(5, dedupe, cap, cap));
      CHECK(plan.tile_cap == cap);
      check_structure(plan, blocks);
      check_coverage(plan);
      check_near_equal_slices(plan);
      check_routing(plan);
    }
  }
}

TEST_CASE("plan: the grid is as square as the block allows") {
  // 10,000 x 10,000 with a cap of 1,000,000: 100 tiles of 1000 x 1000.
  Plan p = nm::make_plan({{1, 10000, 10000}}, opts(1, false, 1000000, 1000000));
  CHECK(p.tiles.size() == 100);
  for (const auto& t : p.tiles) {
    CHECK(t.l_end - t.l_begin == 1000);
    CHECK(t.r_end - t.r_begin == 1000);
  }
  // 40,000 x 2,500 (cost 1e8), cap 1e6: square tiles of 1000 records: 40 x 2.5 -> 40 x 3 grid
  // (a 100 x 1 grid of 400 x 2,500 would copy every right record 100 times).
  p = nm::make_plan({{1, 40000, 2500}}, opts(1, false, 1000000, 1000000));
  std::set<uint64_t> lb, rb;
  for (const auto& t : p.tiles) {
    lb.insert(t.l_begin);
    rb.insert(t.r_begin);
  }
  CHECK(lb.size() * rb.size() == p.tiles.size());
  CHECK(p.tiles.size() <= 120);
  CHECK(rb.size() >= 2);
  CHECK(rb.size() <= 4);
  // Very unbalanced: 1,000,000 x 3, cap 65,536: ~46 tiles of whole right side, not thousands.
  p = nm::make_plan({{1, 1000000, 3}}, opts(1, false, 65536, 65536));
  CHECK(p.tiles.size() >= 46);
  CHECK(p.tiles.size() <= 50);
  for (const auto& t : p.tiles) CHECK(t.r_end - t.r_begin == 3);
  CHECK(p.largest_tile <= 65536);
  // Dedupe: 1,000 records, cap 10,000 -> slices of 100, 10 x 11 / 2 = 55 tiles.
  p = nm::make_plan({{1, 1000, 1000}}, opts(1, true, 10000, 10000));
  CHECK(p.tiles.size() == 55);
  CHECK(p.total_cost == 1000 * 999 / 2);
  check_coverage(p);
}

TEST_CASE("plan: deterministic, input order and split duplicates do not matter") {
  std::mt19937_64 rng(99);
  auto blocks = random_blocks(rng, 500, 400, false);
  const PlanOptions o = opts(37, false, 1000, 1 << 20, 8);
  const Plan a = nm::make_plan(blocks, o);
  const Plan b = nm::make_plan(blocks, o);
  check_same(a, b);
  std::shuffle(blocks.begin(), blocks.end(), rng);
  check_same(a, nm::make_plan(blocks, o));
  // The same counts delivered as two partial entries per key (as ranks report them).
  std::vector<BlockSize> split;
  for (const auto& x : blocks) {
    split.push_back({x.key, x.left / 2, x.right / 3});
    split.push_back({x.key, x.left - x.left / 2, x.right - x.right / 3});
  }
  check_same(a, nm::make_plan(split, o));
  // Different rank counts give different plans (and hashes).
  CHECK(nm::plan_hash(a) !=
        nm::plan_hash(nm::make_plan(blocks, opts(38, false, 1000, 1 << 20, 8))));
}

TEST_CASE("plan: routing sends every record to exactly the ranks that need it") {
  std::mt19937_64 rng(7);
  for (bool dedupe : {false, true})
    for (uint32_t ranks : {1u, 3u, 16u, 500u}) {
      CAPTURE(dedupe);
      CAPTURE(ranks);
      const auto blocks = random_blocks(rng, 20, 60, dedupe);
      const Plan plan = nm::make_plan(blocks, opts(ranks, dedupe, 20, 300));
      check_structure(plan, blocks);
      check_routing(plan);
    }
}

TEST_CASE("plan: one rank gets everything, more ranks than tiles spread them one each") {
  std::mt19937_64 rng(3);
  for (bool dedupe : {false, true}) {
    CAPTURE(dedupe);
    const auto blocks = random_blocks(rng, 50, 100, dedupe);
    const Plan one = nm::make_plan(blocks, opts(1, dedupe, 64, 64));
    CHECK(one.tiles.size() > one.blocks.size());  // blocks were cut
    REQUIRE(one.rank_cost.size() == 1);
    CHECK(one.rank_cost[0] == one.total_cost);
    CHECK(one.imbalance == 1.0);
    uint64_t left = 0, right = 0;
    for (const auto& b : one.blocks) {
      left += b.left;
      right += b.right;
    }
    CHECK(one.rank_left_records[0] == left);
    CHECK(one.rank_right_records[0] == right);
    for (const auto& t : one.tiles) CHECK(t.rank == 0);

    const uint32_t many = static_cast<uint32_t>(one.tiles.size() * 3);
    const Plan spread = nm::make_plan(blocks, opts(many, dedupe, 64, 64));
    check_structure(spread, blocks);
    std::set<uint32_t> owners;
    for (const auto& t : spread.tiles) owners.insert(t.rank);
    CHECK(owners.size() == spread.tiles.size());
    CHECK(spread.imbalance ==
          doctest::Approx(double(spread.largest_tile) * many / double(spread.total_cost)));
  }
  // Nothing to do: no tiles, imbalance 1.
  const Plan empty = nm::make_plan({{1, 0, 5}, {2, 4, 0}}, opts(8, false, 1, 10));
  CHECK(empty.blocks.empty());
  CHECK(empty.tiles.empty());
  CHECK(empty.total_cost == 0);
  CHECK(empty.imbalance == 1.0);
  CHECK(empty.rank_cost == std::vector<uint64_t>(8, 0));
}

TEST_CASE("plan: serialize round trip, corrupt bytes are rejected") {
  std::mt19937_64 rng(11);
  for (bool dedupe : {false, true}) {
    CAPTURE(dedupe);
    const auto blocks = random_blocks(rng, 40, 200, dedupe);
    const Plan plan = nm::make_plan(blocks, opts(13, dedupe, 50, 2000));
    REQUIRE(plan.tiles.size() > plan.blocks.size());
    const std::string bytes = nm::serialize_plan(plan);
    check_same(plan, nm::deserialize_plan(bytes));
    CHECK(nm::serialize_plan(nm::deserialize_plan(bytes)) == bytes);
    // Compact: a few bytes per tile, not the 48 of the struct.
    CHECK(bytes.size() < 16 * plan.blocks.size() + 4 * plan.tiles.size() + 64);
    for (size_t n = 0; n < bytes.size(); ++n)
      CHECK_THROWS_AS(nm::deserialize_plan(std::string_view(bytes).substr(0, n)),
                      std::runtime_error);
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ 0x5A);
      CAPTURE(i);
      CHECK_THROWS_AS(nm::deserialize_plan(bad), std::runtime_error);
    }
    CHECK_THROWS_AS(nm::deserialize_plan(bytes + "x"), std::runtime_error);
  }
  const Plan empty = nm::make_plan({}, PlanOptions{});
  check_same(empty, nm::deserialize_plan(nm::serialize_plan(empty)));
  // A tile list that is not make_plan's grid cannot be written compactly.
  Plan odd = nm::make_plan({{5, 10, 10}}, opts(2, false, 1, 40));
  REQUIRE(odd.tiles.size() > 1);
  odd.tiles[0].l_end -= 1;
  CHECK_THROWS_AS(nm::serialize_plan(odd), std::invalid_argument);
}

TEST_CASE("plan: bad options and blocks are rejected") {
  CHECK_THROWS_AS(nm::make_plan({}, opts(0, false, 1, 10)), std::invalid_argument);
  CHECK_THROWS_AS(nm::make_plan({}, opts(1, false, 0, 10)), std::invalid_argument);
  CHECK_THROWS_AS(nm::make_plan({}, opts(1, false, 11, 10)), std::invalid_argument);
  CHECK_THROWS_AS(nm::make_plan({}, opts(1, false, 1, 10, 0)), std::invalid_argument);
  CHECK_THROWS_AS(nm::make_plan({{1, 3, 4}}, opts(1, true, 1, 10)), std::invalid_argument);
  CHECK_THROWS_AS(nm::make_plan({{1, 1ull << 40, 1ull << 40}}, PlanOptions{}),
                  std::invalid_argument);
}

TEST_CASE("plan: a skewed registry is cut and balanced over 1,024 ranks") {
  const auto blocks = registry_blocks(10000000, 0.05, 1);
  PlanOptions o;
  o.ranks = 1024;
  const Plan plan = nm::make_plan(blocks, o);
  check_structure(plan, blocks);
  const uint32_t big = static_cast<uint32_t>(
      std::find_if(plan.blocks.begin(), plan.blocks.end(),
                   [](const BlockSize& b) { return b.key == nm::birthdate_key(0); }) -
      plan.blocks.begin());
  REQUIRE(big < plan.blocks.size());
  const auto pieces = std::count_if(plan.tiles.begin(), plan.tiles.end(),
                                    [&](const Tile& t) { return t.block == big; });
  CHECK(pieces >= 1000);
  CHECK(plan.largest_block == 500000ull * 500000ull);
  CHECK(plan.imbalance <= 1.05);
  // Records are copied, but a rank receives a small share of them.
  const uint64_t most =
      *std::max_element(plan.rank_left_records.begin(), plan.rank_left_records.end());
  CHECK(most < 10000000 / 50);

  // The same data deduplicated (one table).
  auto dd_blocks = blocks;
  for (auto& b : dd_blocks) b.right = b.left;
  o.dedupe = true;
  const Plan dd = nm::make_plan(dd_blocks, o);
  check_structure(dd, dd_blocks);
  CHECK(dd.imbalance <= 1.05);
}

// The time make_plan takes is a benchmark figure (`plan --json` prints
// plan_seconds; docs/PERFORMANCE.md), not a test assertion.
TEST_CASE("plan: 100,000 ranks on a skewed 10M registry") {
  const auto blocks = registry_blocks(10000000, 0.05, 2);
  PlanOptions o;
  o.ranks = 100000;
  const Plan plan = nm::make_plan(blocks, o);
  check_structure(plan, blocks);
  CHECK(plan.tiles.size() > 2000000);
  CHECK(plan.imbalance <= 1.1);
}

TEST_CASE("plan command: birthdate counts and block sizes") {
  TempDir d;
  const std::string left =
      d.file("l.csv",
             "id,name,dob\n1,a,1970-01-01\n2,b, 1970-01-01 \n3,c,\n4,d,1970-02-30\n5,e\n"
             "6,f,2000-12-31\n8,h,1750-06-15\n9,i,2300-01-01\n\"7,g,1970-01-01\n");
  const std::string right = d.file("r.csv", "dob,id\n2000-12-31,1\n1999-01-01,2\n2300-01-01,3\n");
  nm::jobs::BirthdateReadOptions o;
  o.column = "dob";
  const auto lc = nm::jobs::count_birthdates(left, o);
  CHECK(lc.rows == 9);
  CHECK(lc.with_birthdate == 5);
  CHECK(lc.missing == 1);
  CHECK(lc.invalid == 1);
  CHECK(lc.malformed == 2);  // a short row and an unterminated quote
  CHECK(lc.file_bytes == fs::file_size(left));
  CHECK(count_on(lc, 0) == 2);
  CHECK(count_on(lc, 11322) == 1);  // 2000-12-31
  // Dates far from today take the other counting path; all come out in day order.
  REQUIRE(lc.days.size() == 4);
  CHECK(lc.days.front() == std::pair<int32_t, uint64_t>(-80188, 1));  // 1750-06-15
  CHECK(lc.days.back() == std::pair<int32_t, uint64_t>(120530, 1));   // 2300-01-01
  const auto rc = nm::jobs::count_birthdates(right, o);
  const auto blocks = nm::jobs::block_sizes(lc, &rc);
  REQUIRE(blocks.size() == 5);
  CHECK(blocks[0].key == nm::birthdate_key(-80188));
  CHECK(blocks[0].left == 1);
  CHECK(blocks[0].right == 0);
  CHECK(blocks[1].key == nm::birthdate_key(0));
  CHECK(blocks[1].left == 2);
  CHECK(blocks[1].right == 0);
  CHECK(blocks[2].key == nm::birthdate_key(10592));  // 1999-01-01
  CHECK(blocks[2].left == 0);
  CHECK(blocks[2].right == 1);
  CHECK(blocks[3].key == nm::birthdate_key(11322));
  CHECK(blocks[3].left == 1);
  CHECK(blocks[3].right == 1);
  CHECK(blocks[4].key == nm::birthdate_key(120530));
  CHECK(blocks[4].left == 1);
  CHECK(blocks[4].right == 1);
  const auto self = nm::jobs::block_sizes(lc, nullptr);
  REQUIRE(self.size() == 4);
  CHECK(self[1].left == 2);
  CHECK(self[1].right == 2);
  o.column = "birthdate";
  CHECK_THROWS_AS(nm::jobs::count_birthdates(left, o), nm::InputError);
  CHECK_THROWS_AS(nm::jobs::count_birthdates(d.file("e.csv", ""), o), nm::InputError);
  CHECK(nm::jobs::rank_memory_bytes(1000, 50.0, 10, 100.0) ==
        (1000 * 50 + 10 * 100) * 4 + (256u << 20));
  CHECK(nm::jobs::plan_main({"--left", left, "--right", right, "--ranks", "0"}) == 1);
  CHECK(nm::jobs::plan_main({"--left", left, "--right", right, "--ranks", "2"}) ==
        1);  // no 'birthdate'
}

TEST_CASE("generate --skew: one date for a fraction of persons, nothing else changes") {
  TempDir plain, skew1, skew2;
  // 70,000 rows = 3 chunks, so the threads really run in parallel.
  gen(plain.path(), 70000, 0.0, 2);
  gen(skew1.path(), 70000, 0.05, 1);
  gen(skew2.path(), 70000, 0.05, 2);
  for (const char* name : {"left.csv", "right.csv", "truth.csv"}) {
    CAPTURE(name);
    CHECK(slurp(skew1.path() / name) == slurp(skew2.path() / name));
  }
  // The same people and pairs: only birthdates differ.
  CHECK(slurp(plain.path() / "truth.csv") == slurp(skew1.path() / "truth.csv"));
  for (const char* name : {"left.csv", "right.csv"}) {
    CAPTURE(name);
    const auto a = read_csv(plain.path() / name), b = read_csv(skew1.path() / name);
    REQUIRE(a.size() == b.size());
    size_t changed_other = 0, changed_date = 0;
    for (size_t i = 0; i < a.size(); ++i) {
      REQUIRE(a[i].size() == 7);
      REQUIRE(b[i].size() == 7);
      for (size_t f = 0; f < 7; ++f)
        if (a[i][f] != b[i][f]) ++(f == 5 ? changed_date : changed_other);
    }
    CHECK(changed_other == 0);
    CHECK(changed_date > 70000 * 0.04);
  }
  nm::jobs::BirthdateReadOptions o;
  const auto l0 = nm::jobs::count_birthdates((plain.path() / "left.csv").string(), o);
  const auto l1 = nm::jobs::count_birthdates((skew1.path() / "left.csv").string(), o);
  const auto r1 = nm::jobs::count_birthdates((skew1.path() / "right.csv").string(), o);
  CHECK(count_on(l0, 0) < 70000 * 0.005);
  for (const auto* c : {&l1, &r1}) {
    const double share = static_cast<double>(count_on(*c, 0)) / 70000.0;
    CHECK(share > 0.045);
    CHECK(share < 0.056);
  }
  // True pairs keep the date: it is written after the copy's date corruption.
  const auto left = read_csv(skew1.path() / "left.csv"),
             right = read_csv(skew1.path() / "right.csv");
  std::map<std::string, std::string> ldate, rdate;
  for (const auto& r : left) ldate[r[0]] = r[5];
  for (const auto& r : right) rdate[r[0]] = r[5];
  size_t jan1 = 0, kept = 0;
  for (const auto& p : read_csv(skew1.path() / "truth.csv")) {
    if (ldate[p[0]] != "1970-01-01") continue;
    ++jan1;
    kept += rdate[p[1]] == "1970-01-01";
  }
  CHECK(jan1 > 1000);
  CHECK(kept == jan1);

  TempDir bad;
  nm::jobs::GenerateOptions o2;
  o2.out_dir = bad.path().string();
  o2.skew = 1.5;
  CHECK_THROWS_AS(nm::jobs::generate_dataset(o2), nm::InputError);
  CHECK(nm::jobs::generate_main({"--out-dir", bad.path().string(), "--skew", "-0.1", "--quiet"}) ==
        1);
}
