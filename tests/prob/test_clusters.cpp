// Clusters and one-to-one linking (src/match/prob/clusters.hpp) against plain
// references written here: a breadth-first search for the components, and a
// greedy that picks the best remaining pair again and again.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <queue>
#include <random>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "src/match/prob/clusters.hpp"

namespace {

using nm::prob::ClusterId;
using nm::prob::Clusters;
using nm::prob::ClusterSizeCount;
using nm::prob::LinkedPair;

// Components by breadth-first search over an adjacency list; a cluster's id
// is its smallest member, found by looking at every member.
Clusters reference_clusters(size_t left_rows, size_t right_rows, bool dedupe,
                            const std::vector<LinkedPair>& pairs) {
  const size_t nodes = dedupe ? left_rows : left_rows + right_rows;
  std::vector<std::vector<size_t>> next(nodes);
  for (const LinkedPair& p : pairs) {
    const size_t b = dedupe ? p.right : left_rows + p.right;
    next[p.left].push_back(b);
    next[b].push_back(p.left);
  }
  auto id_of = [&](size_t node) {
    return node < left_rows ? ClusterId{0, static_cast<uint32_t>(node)}
                            : ClusterId{1, static_cast<uint32_t>(node - left_rows)};
  };
  std::vector<ClusterId> id(nodes);
  std::vector<bool> seen(nodes);
  for (size_t start = 0; start < nodes; ++start) {
    if (seen[start]) continue;
    std::vector<size_t> members;
    std::queue<size_t> todo;
    todo.push(start);
    seen[start] = true;
    while (!todo.empty()) {
      const size_t n = todo.front();
      todo.pop();
      members.push_back(n);
      for (const size_t m : next[n]) {
        if (!seen[m]) {
          seen[m] = true;
          todo.push(m);
        }
      }
    }
    ClusterId smallest = id_of(members[0]);
    for (const size_t m : members) smallest = std::min(smallest, id_of(m));
    for (const size_t m : members) id[m] = smallest;
  }
  Clusters c;
  c.left.assign(id.begin(), id.begin() + static_cast<ptrdiff_t>(left_rows));
  if (!dedupe) c.right.assign(id.begin() + static_cast<ptrdiff_t>(left_rows), id.end());
  return c;
}

std::vector<ClusterSizeCount> reference_sizes(const Clusters& c) {
  std::map<ClusterId, uint64_t> members;
  for (const ClusterId& id : c.left) ++members[id];
  for (const ClusterId& id : c.right) ++members[id];
  std::map<uint64_t, uint64_t> histogram;
  for (const auto& [id, n] : members) ++histogram[n];
  std::vector<ClusterSizeCount> out;
  for (const auto& [size, n] : histogram) out.push_back({size, n});
  return out;
}

// Pairs over small tables, so that clusters merge and rows repeat.
std::vector<LinkedPair> random_pairs(std::mt19937& rng, size_t left_rows, size_t right_rows,
                                     bool dedupe, size_t count, int64_t weights) {
  std::vector<LinkedPair> pairs;
  if (left_rows == 0 || (dedupe ? left_rows < 2 : right_rows == 0)) return pairs;
  std::uniform_int_distribution<uint32_t> l(0, static_cast<uint32_t>(left_rows - 1));
  std::uniform_int_distribution<uint32_t> r(
      0, static_cast<uint32_t>((dedupe ? left_rows : right_rows) - 1));
  std::uniform_int_distribution<int64_t> w(-weights, weights);
  while (pairs.size() < count) {
    LinkedPair p{l(rng), r(rng), w(rng) * 65536};
    if (dedupe) {
      if (p.left == p.right) continue;
      if (p.left > p.right) std::swap(p.left, p.right);
    }
    pairs.push_back(p);
  }
  return pairs;
}

void check_clusters(size_t left_rows, size_t right_rows, bool dedupe,
                    const std::vector<LinkedPair>& pairs) {
  const Clusters got = nm::prob::connected_components(left_rows, right_rows, dedupe, pairs);
  const Clusters want = reference_clusters(left_rows, right_rows, dedupe, pairs);
  REQUIRE(got.left == want.left);
  REQUIRE(got.right == want.right);
  uint64_t clusters = 0;
  for (const ClusterSizeCount& s : reference_sizes(want)) clusters += s.clusters;
  CHECK(nm::prob::cluster_count(got) == clusters);
  CHECK(nm::prob::cluster_sizes(got) == reference_sizes(want));
}

// The greedy as written in the header, one pick at a time: the best
// remaining pair (weight, then smaller left, right, index), then every pair
// sharing a record with it leaves.
std::vector<size_t> reference_one_to_one(const std::vector<LinkedPair>& pairs) {
  std::vector<bool> gone(pairs.size());
  std::vector<size_t> kept;
  for (;;) {
    size_t best = pairs.size();
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (gone[i]) continue;
      if (best == pairs.size()) {
        best = i;
        continue;
      }
      const LinkedPair& p = pairs[i];
      const LinkedPair& b = pairs[best];
      if (p.weight > b.weight ||
          (p.weight == b.weight && (p.left < b.left || (p.left == b.left && p.right < b.right)))) {
        best = i;
      }
    }
    if (best == pairs.size()) break;
    kept.push_back(best);
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (pairs[i].left == pairs[best].left || pairs[i].right == pairs[best].right) gone[i] = true;
    }
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

// The pairs (not their indices) behind a list of indices, sorted.
std::vector<std::tuple<uint32_t, uint32_t, int64_t>> pairs_at(const std::vector<LinkedPair>& pairs,
                                                              const std::vector<size_t>& at) {
  std::vector<std::tuple<uint32_t, uint32_t, int64_t>> out;
  for (const size_t i : at) out.emplace_back(pairs[i].left, pairs[i].right, pairs[i].weight);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("prob clusters: linking matches a breadth-first search on random inputs") {
  std::mt19937 rng(20240611);
  for (int trial = 0; trial < 2000; ++trial) {
    const size_t left_rows = rng() % 13, right_rows = rng() % 13;
    const auto pairs = random_pairs(rng, left_rows, right_rows, false, rng() % 20, 3);
    CAPTURE(trial);
    check_clusters(left_rows, right_rows, false, pairs);
  }
}

TEST_CASE("prob clusters: dedupe matches a breadth-first search on random inputs") {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    const size_t rows = rng() % 20;
    const auto pairs = random_pairs(rng, rows, 0, true, rng() % 25, 3);
    CAPTURE(trial);
    check_clusters(rows, 0, true, pairs);
    // right_rows is ignored with dedupe.
    CHECK(nm::prob::connected_components(rows, 99, true, pairs).right.empty());
  }
}

TEST_CASE("prob clusters: the order of the pairs changes nothing") {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 500; ++trial) {
    const bool dedupe = trial % 2 == 1;
    const size_t left_rows = 1 + rng() % 30, right_rows = 1 + rng() % 30;
    auto pairs = random_pairs(rng, left_rows, right_rows, dedupe, rng() % 40, 3);
    const Clusters first = nm::prob::connected_components(left_rows, right_rows, dedupe, pairs);
    for (int shuffle = 0; shuffle < 4; ++shuffle) {
      std::shuffle(pairs.begin(), pairs.end(), rng);
      const Clusters again = nm::prob::connected_components(left_rows, right_rows, dedupe, pairs);
      CHECK(again.left == first.left);
      CHECK(again.right == first.right);
    }
  }
}

TEST_CASE("prob clusters: the id is the smallest member, wherever the chain is joined") {
  // Left 3 - right 0 - left 1 - right 2 - left 0, joined from either end (so
  // neither "the left's root wins" nor "the right's" gives the smallest), and
  // rows in no pair.
  std::vector<LinkedPair> pairs = {{3, 0, 0}, {1, 0, 0}, {1, 2, 0}, {0, 2, 0}};
  for (int reversed = 0; reversed < 2; ++reversed) {
    CAPTURE(reversed);
    const Clusters c = nm::prob::connected_components(5, 4, false, pairs);
    const ClusterId l0{0, 0};
    CHECK(c.left == std::vector<ClusterId>{l0, l0, {0, 2}, l0, {0, 4}});
    CHECK(c.right == std::vector<ClusterId>{l0, {1, 1}, l0, {1, 3}});
    CHECK(nm::prob::cluster_count(c) == 5);
    CHECK(nm::prob::cluster_sizes(c) == std::vector<ClusterSizeCount>{{1, 4}, {5, 1}});
    std::reverse(pairs.begin(), pairs.end());
  }
  // Dedupe: 4-5 and 2-5 and 2-3 are one cluster with id 2.
  const std::vector<LinkedPair> dd = {{4, 5, 0}, {2, 5, 0}, {2, 3, 0}};
  const Clusters d = nm::prob::connected_components(6, 0, true, dd);
  const ClusterId l2{0, 2};
  CHECK(d.left == std::vector<ClusterId>{{0, 0}, {0, 1}, l2, l2, l2, l2});
  CHECK(nm::prob::cluster_count(d) == 3);
}

TEST_CASE("prob clusters: no pairs gives singletons; no rows gives nothing") {
  const Clusters c = nm::prob::connected_components(2, 3, false, {});
  CHECK(c.left == std::vector<ClusterId>{{0, 0}, {0, 1}});
  CHECK(c.right == std::vector<ClusterId>{{1, 0}, {1, 1}, {1, 2}});
  CHECK(nm::prob::cluster_count(c) == 5);
  CHECK(nm::prob::cluster_sizes(c) == std::vector<ClusterSizeCount>{{1, 5}});
  const Clusters none = nm::prob::connected_components(0, 0, false, {});
  CHECK(none.left.empty());
  CHECK(none.right.empty());
  CHECK(nm::prob::cluster_count(none) == 0);
  CHECK(nm::prob::cluster_sizes(none).empty());
}

TEST_CASE("prob clusters: a pair past the table is refused") {
  const std::vector<LinkedPair> right_past = {{0, 3, 0}};
  CHECK_THROWS_AS(nm::prob::connected_components(2, 3, false, right_past), std::out_of_range);
  const std::vector<LinkedPair> left_past = {{2, 0, 0}};
  CHECK_THROWS_AS(nm::prob::connected_components(2, 3, false, left_past), std::out_of_range);
  // With dedupe the right row is a row of the one table.
  CHECK_THROWS_AS(nm::prob::connected_components(3, 10, true, right_past), std::out_of_range);
  CHECK_NOTHROW(nm::prob::connected_components(4, 0, true, right_past));
}

TEST_CASE("prob one_to_one: matches a brute-force greedy on random inputs") {
  std::mt19937 rng(314159);
  for (int trial = 0; trial < 3000; ++trial) {
    const size_t left_rows = 1 + rng() % 8, right_rows = 1 + rng() % 8;
    // Few weights, so ties are common; a pair may come twice.
    auto pairs = random_pairs(rng, left_rows, right_rows, false, rng() % 25, trial % 3);
    if (!pairs.empty() && trial % 5 == 0) pairs.push_back(pairs[rng() % pairs.size()]);
    CAPTURE(trial);
    CHECK(nm::prob::one_to_one(pairs) == reference_one_to_one(pairs));
  }
}

TEST_CASE("prob one_to_one: ties go to the smaller left, then the smaller right") {
  // All one weight: (0,1) before (1,0)... and (0,0) first of all.
  const std::vector<LinkedPair> tie = {{1, 0, 5}, {1, 1, 5}, {0, 1, 5}, {0, 0, 5}};
  CHECK(nm::prob::one_to_one(tie) == std::vector<size_t>{1, 3});
  // A better weight beats the smaller rows.
  const std::vector<LinkedPair> weight = {{0, 0, 5}, {0, 1, 6}, {1, 0, 6}, {1, 1, -1}};
  CHECK(nm::prob::one_to_one(weight) == std::vector<size_t>{1, 2});
  // The same pair twice: the first index is kept.
  const std::vector<LinkedPair> twice = {{2, 3, 1}, {2, 3, 1}};
  CHECK(nm::prob::one_to_one(twice) == std::vector<size_t>{0});
}

TEST_CASE("prob one_to_one: empty input and the order of the pairs") {
  CHECK(nm::prob::one_to_one({}).empty());
  std::mt19937 rng(2718);
  for (int trial = 0; trial < 500; ++trial) {
    auto pairs = random_pairs(rng, 1 + rng() % 10, 1 + rng() % 10, false, rng() % 30, 2);
    const auto first = pairs_at(pairs, nm::prob::one_to_one(pairs));
    std::shuffle(pairs.begin(), pairs.end(), rng);
    const auto kept = nm::prob::one_to_one(pairs);
    CHECK(std::is_sorted(kept.begin(), kept.end()));
    CHECK(pairs_at(pairs, kept) == first);
  }
}

TEST_CASE("prob clusters and one_to_one: a million pairs") {
  std::mt19937 rng(1);
  const size_t left_rows = 600000, right_rows = 400000;
  const auto pairs = random_pairs(rng, left_rows, right_rows, false, 1000000, 1000);
  check_clusters(left_rows, right_rows, false, pairs);

  // The greedy's result is the one matching in which every pair left out
  // shares a record with a kept pair that comes before it in the order.
  const std::vector<size_t> kept = nm::prob::one_to_one(pairs);
  REQUIRE(std::is_sorted(kept.begin(), kept.end()));
  constexpr size_t kNone = SIZE_MAX;
  std::vector<size_t> by_left(left_rows, kNone), by_right(right_rows, kNone);
  for (const size_t i : kept) {
    REQUIRE(by_left[pairs[i].left] == kNone);
    REQUIRE(by_right[pairs[i].right] == kNone);
    by_left[pairs[i].left] = i;
    by_right[pairs[i].right] = i;
  }
  auto before = [&](size_t a, size_t b) {
    const LinkedPair &x = pairs[a], &y = pairs[b];
    if (x.weight != y.weight) return x.weight > y.weight;
    if (x.left != y.left) return x.left < y.left;
    if (x.right != y.right) return x.right < y.right;
    return a < b;
  };
  size_t dropped_ok = 0;
  for (size_t i = 0; i < pairs.size(); ++i) {
    const size_t l = by_left[pairs[i].left], r = by_right[pairs[i].right];
    if (l == i) continue;
    dropped_ok += (l != kNone && before(l, i)) || (r != kNone && before(r, i));
  }
  CHECK(dropped_ok == pairs.size() - kept.size());
  CHECK(kept.size() > 100000);
}
