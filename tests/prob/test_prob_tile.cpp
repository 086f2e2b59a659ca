// The probabilistic kernel's function alone (kernels::prob::emulate_prob_kernel)
// on the edge batch sizes the GPU tests use, with grid 1 and grid 7, against
// compare_pair and pair_weight pair by pair: pattern counts (also through a
// table of 2 slots, which overflows into the global list), kept pairs, list
// counters past a full list; the weight formula against the plain one; and
// the batches prob::for_each_pair_batch cuts.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/prob_tile.hpp"
#include "src/match/prob/comparisons.hpp"
#include "src/match/prob/linker.hpp"
#include "tests/support/prob_link.hpp"

namespace {

namespace kp = nm::kernels::prob;
using nm::prob::LinkData;

struct KernelRun {
  std::map<uint64_t, uint64_t> patterns;  // summed
  std::vector<kp::ProbSurvivor> kept;     // sorted by (left, right)
  uint32_t n_tallies = 0, n_kept = 0;
};

KernelRun run_kernel(const LinkData& d, const nm::prob::Scoring& s,
                     const std::vector<kp::RowPair>& pairs, uint32_t grid, uint32_t table_slots,
                     uint32_t capacity) {
  KernelRun r;
  // Exactly `capacity` entries: a write beyond is caught by ASan.
  std::vector<kp::PatternTally> tallies(capacity);
  std::vector<kp::ProbSurvivor> out(capacity);
  const uint32_t words =
      nm::kernels::device_metric_scratch_words(std::max(d.left.max_len, d.right_side().max_len) + 1);
  std::vector<uint32_t> scratch(size_t{grid} * kp::kProbBlockThreads * words);
  kp::ProbTileView v{};
  v.items = d.plan.items.data();
  v.n_items = static_cast<uint32_t>(d.plan.items.size());
  v.swap_first = d.plan.swap_first;
  v.swap_last = d.plan.swap_last;
  v.left = nm::prob::side_view(d.left);
  v.right = nm::prob::side_view(d.right_side());
  v.weights = s.view();
  v.pairs = pairs.data();
  v.n_pairs = static_cast<uint32_t>(pairs.size());
  v.count = 1;
  v.score = 1;
  v.table_slots = table_slots;
  v.keep_at = s.keep_at;
  v.tallies = tallies.data();
  v.tally_capacity = capacity;
  v.n_tallies = &r.n_tallies;
  v.out = out.data();
  v.capacity = capacity;
  v.survivors = &r.n_kept;
  v.scratch = scratch.data();
  v.scratch_words = words;
  auto shared = std::make_unique<kp::ProbBlockShared>();
  kp::emulate_prob_kernel(v, grid, kp::kProbBlockThreads, *shared);
  for (uint32_t i = 0; i < std::min(r.n_tallies, capacity); ++i)
    r.patterns[tallies[i].pattern] += tallies[i].count;
  out.resize(std::min(r.n_kept, capacity));
  std::sort(out.begin(), out.end(), [](const kp::ProbSurvivor& a, const kp::ProbSurvivor& b) {
    return std::tie(a.left, a.right) < std::tie(b.left, b.right);
  });
  r.kept = out;
  return r;
}

std::vector<kp::RowPair> all_pairs(const LinkData& d) {
  std::vector<kp::RowPair> out;
  nm::prob::for_each_pair_batch(d, d.blocking, {}, true, 1 << 20, 1 << 20, 1,
                                [&](uint32_t, std::span<const kp::RowPair> p) {
                                  out.insert(out.end(), p.begin(), p.end());
                                });
  return out;
}

// The weight as linker.cpp summed it before the formula moved to kernels/.
int64_t plain_weight(const nm::prob::Scoring& s, const LinkData& d, uint64_t p, uint32_t lrow) {
  using nm::prob::level_of;
  int64_t w = s.weights.prior;
  const bool whole_name = s.first_c >= 0 && level_of(p, static_cast<uint32_t>(s.first_c)) == 0 &&
                          level_of(p, static_cast<uint32_t>(s.last_c)) == 0;
  if (whole_name) {
    // The pair's birthdates far apart (level "else"): the whole-name weight
    // for two of the name's groups of dates.
    const uint8_t date =
        s.date_c < 0 ? nm::prob::kNullLevel : level_of(p, static_cast<uint32_t>(s.date_c));
    const bool differ = date == s.date_else;
    w += s.left_name_tf[2 * size_t{lrow} + (differ ? 1 : 0)];
  }
  for (uint32_t c = 0; c < d.plan.items.size(); ++c) {
    const uint8_t lev = level_of(p, c);
    if (lev == nm::prob::kNullLevel) continue;
    if (whole_name && (static_cast<int>(c) == s.first_c || static_cast<int>(c) == s.last_c))
      continue;
    if (lev == 0 && d.plan.term_frequency[c] && d.tf_totals.values[c] != 0)
      w += s.left_tf[lrow * d.left.text_slots + d.plan.items[c].slot];
    else
      w += s.weights.level[c][lev];
  }
  return w;
}

}  // namespace

TEST_CASE("prob tile: the kernel function on edge batch sizes, pair by pair") {
  const auto k = nm::test::make_link(47, 200, 180, false);
  const LinkData& d = k->d;
  const nm::prob::Scoring s = nm::prob::make_scoring(k->model, d, 0.5);
  const std::vector<kp::RowPair> pairs = all_pairs(d);
  REQUIRE(pairs.size() > 300);
  std::vector<uint32_t> scratch(
      nm::kernels::device_metric_scratch_words(std::max(d.left.max_len, d.right.max_len) + 1));
  const auto lv = nm::prob::side_view(d.left), rv = nm::prob::side_view(d.right);
  for (size_t n : {0, 1, 31, 32, 33, 127, 128, 129, 255, 256, 257}) {
    const std::vector<kp::RowPair> batch(pairs.begin(), pairs.begin() + static_cast<long>(n));
    std::map<uint64_t, uint64_t> want_patterns;
    std::vector<kp::ProbSurvivor> want_kept;
    for (const kp::RowPair& p : batch) {
      const uint64_t pat = nm::prob::compare_pair(d.plan, lv, p.left, rv, p.right, scratch.data());
      ++want_patterns[pat];
      const int64_t w = nm::prob::pair_weight(s, pat, p.left);
      if (w >= s.keep_at) want_kept.push_back({p.left, p.right, w, pat});
    }
    std::sort(want_kept.begin(), want_kept.end(),
              [](const kp::ProbSurvivor& a, const kp::ProbSurvivor& b) {
                return std::tie(a.left, a.right) < std::tie(b.left, b.right);
              });
    for (uint32_t grid : {1u, 7u}) {
      for (uint32_t slots : {kp::kPatternSlots, 2u}) {
        INFO("pairs " << n << " grid " << grid << " table slots " << slots);
        const KernelRun r = run_kernel(d, s, batch, grid, slots, static_cast<uint32_t>(n) + 64);
        CHECK(r.patterns == want_patterns);
        CHECK(r.n_kept == want_kept.size());
        REQUIRE(r.kept.size() == want_kept.size());
        for (size_t i = 0; i < want_kept.size(); ++i) {
          CHECK(r.kept[i].left == want_kept[i].left);
          CHECK(r.kept[i].right == want_kept[i].right);
          CHECK(r.kept[i].weight == want_kept[i].weight);
          CHECK(r.kept[i].pattern == want_kept[i].pattern);
        }
        // Two slots cannot hold every pattern: the rest went to the list one pair at a time.
        if (slots == 2 && want_patterns.size() > 2 * grid) CHECK(r.n_tallies > 2 * grid);
        if (n == 0) CHECK(r.n_tallies == 0);
        // A list of one entry: the counters still say how many there were.
        const KernelRun small = run_kernel(d, s, batch, grid, slots, 1);
        CHECK(small.n_kept == want_kept.size());
        CHECK(small.n_tallies == r.n_tallies);
        CHECK(small.kept.size() == std::min<size_t>(want_kept.size(), 1));
      }
    }
  }
}

TEST_CASE("prob tile: the shared weight formula equals the plain one") {
  for (bool dedupe : {false, true}) {
    const auto k = nm::test::make_link(53, 150, 120, dedupe);
    const LinkData& d = k->d;
    const nm::prob::Scoring s = nm::prob::make_scoring(k->model, d, 0.5);
    REQUIRE(s.first_c >= 0);  // the whole-name weight is in play
    std::mt19937_64 rng(7);
    const auto nc = static_cast<uint32_t>(d.plan.items.size());
    for (int i = 0; i < 20000; ++i) {
      uint64_t p = 0;
      for (uint32_t c = 0; c < nc; ++c) {
        const uint32_t levels = kp::level_count(d.plan.items[c].set);
        uint64_t lev = rng() % (levels + 1);
        if (lev == levels) lev = nm::prob::kNullLevel;
        if (i % 3 == 0 && (static_cast<int>(c) == s.first_c || static_cast<int>(c) == s.last_c))
          lev = 0;  // both names equal: the whole-name weight
        p |= lev << (4 * c);
      }
      const auto row = static_cast<uint32_t>(rng() % d.left.rows);
      REQUIRE(nm::prob::pair_weight(s, p, row) == plain_weight(s, d, p, row));
    }
  }
}

TEST_CASE("prob tile: for_each_pair_batch cuts batches of one rule, each pair once") {
  const auto k = nm::test::make_link(59, 180, 160, false);
  const LinkData& d = k->d;
  nm::prob::LinkFigures fig;
  nm::prob::score_pairs(d, nm::prob::make_scoring(k->model, d, 0.5), 100, 1, &fig);
  for (uint64_t batch : {1ull, 33ull, 128ull, 1ull << 20}) {
    std::set<std::pair<uint32_t, uint32_t>> seen;
    std::vector<uint64_t> per_rule(d.blocking.rules.size(), 0);
    uint64_t n = 0;
    nm::prob::for_each_pair_batch(d, d.blocking, {}, true, 100, batch, 2,
                                  [&](uint32_t rule, std::span<const kp::RowPair> p) {
                                    CHECK(!p.empty());
                                    CHECK(p.size() <= batch);
                                    per_rule[rule] += p.size();
                                    for (const auto& rp : p) seen.insert({rp.left, rp.right});
                                    n += p.size();
                                  });
    CHECK(n == fig.candidate_pairs);
    CHECK(seen.size() == n);
    CHECK(per_rule == fig.pairs_per_rule);
  }
}
