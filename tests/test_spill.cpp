// Bounded memory for kept pairs (docs/DISTRIBUTED.md, "Memory"): the spill
// buffer and its runs, merges in passes, and the household aggregator's
// fixed record per person, each against a plain reference.
#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "io/pair_file.hpp"
#include "jobs/pipeline/reduce.hpp"
#include "src/match/households.hpp"
#include "src/errors.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using nm::jobs::PairRun;

struct Pair {
  uint64_t left, right;
  float confidence;
  uint8_t label;
  std::string payload;
  bool operator<(const Pair& o) const {
    return left != o.left ? left < o.left : right < o.right;
  }
  bool operator==(const Pair& o) const {
    return left == o.left && right == o.right && confidence == o.confidence && label == o.label &&
           payload == o.payload;
  }
};

// Distinct random pairs with payloads of 0 to 300 bytes.
std::vector<Pair> random_pairs(size_t n, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::set<std::pair<uint64_t, uint64_t>> seen;
  std::vector<Pair> out;
  while (out.size() < n) {
    const uint64_t l = rng() % 5000, r = rng() % 5000;
    if (!seen.insert({l, r}).second) continue;
    Pair p{l, r, static_cast<float>(rng() % 1000) / 1000.0f, static_cast<uint8_t>(rng() % 4), {}};
    p.payload.assign(rng() % 301, static_cast<char>('a' + rng() % 26));
    out.push_back(p);
  }
  return out;
}

std::vector<Pair> drain(std::vector<std::unique_ptr<PairRun>> runs) {
  // Merges by collecting every run and checking each is sorted.
  std::vector<Pair> all;
  for (auto& r : runs) {
    std::vector<nm::io::PairRecord> batch;
    std::string payload;
    std::vector<Pair> one;
    while (r->next_batch(batch, payload))
      for (const auto& p : batch)
        one.push_back(Pair{p.left, p.right, p.confidence, p.label,
                           payload.substr(p.payload_offset, p.payload_len)});
    CHECK(std::is_sorted(one.begin(), one.end()));
    all.insert(all.end(), one.begin(), one.end());
  }
  std::sort(all.begin(), all.end());
  return all;
}

nm::jobs::SpillOptions options(const nm::test::TempDir& dir, uint64_t bytes) {
  nm::jobs::SpillOptions o;
  o.buffer_bytes = bytes;
  o.dir = dir.str();
  return o;
}

}  // namespace

TEST_CASE("spill: a buffer that never fills gives one run, nothing on disk") {
  nm::test::TempDir dir;
  const auto pairs = random_pairs(500, 1);
  nm::jobs::PairSpill spill(options(dir, 64 << 20));
  for (const Pair& p : pairs) {
    nm::io::PairRecord r{};
    r.left = p.left;
    r.right = p.right;
    r.confidence = p.confidence;
    r.label = p.label;
    spill.add(r, [&](std::string& b) { b += p.payload; });
  }
  auto runs = spill.finish();
  CHECK(runs.size() == 1);
  CHECK(spill.runs_spilled() == 0);
  auto want = pairs;
  std::sort(want.begin(), want.end());
  CHECK(drain(std::move(runs)) == want);
}

TEST_CASE("spill: a small buffer spills many runs, merged in passes to the same pairs") {
  nm::test::TempDir dir;
  const auto pairs = random_pairs(20000, 2);
  const auto o = options(dir, 64 << 10);
  nm::jobs::PairSpill spill(o);
  for (const Pair& p : pairs) {
    nm::io::PairRecord r{};
    r.left = p.left;
    r.right = p.right;
    r.confidence = p.confidence;
    r.label = p.label;
    spill.add(r, [&](std::string& b) { b += p.payload; });
    // The file is unlinked as soon as it is made: the folder stays empty.
    CHECK(std::filesystem::is_empty(dir.path()));
  }
  CHECK(spill.runs_spilled() > 3 * o.fan_in());  // so the merge takes more than one pass
  auto runs = spill.finish();
  CHECK(runs.size() <= o.fan_in());
  auto want = pairs;
  std::sort(want.begin(), want.end());
  CHECK(drain(std::move(runs)) == want);
  CHECK(std::filesystem::is_empty(dir.path()));
}

TEST_CASE("spill: a folder that cannot be written is an InputError naming it") {
  nm::jobs::SpillOptions o;
  o.buffer_bytes = 64 << 10;
  o.dir = "/nonexistent/spill";
  nm::jobs::PairSpill spill(o);
  nm::io::PairRecord r{};
  const std::string big(70 << 10, 'x');
  CHECK_THROWS_WITH_AS(spill.add(r, [&](std::string& b) { b += big; }),
                       doctest::Contains("/nonexistent/spill"), nm::InputError);
}

TEST_CASE("spill: settings from the environment") {
  setenv("NAME_MATCHER_SPILL_BUFFER", "3M", 1);
  setenv("NAME_MATCHER_SPILL_DIR", "/somewhere", 1);
  auto o = nm::jobs::SpillOptions::from_environment();
  CHECK(o.buffer_bytes == 3u << 20);
  CHECK(o.dir == "/somewhere");
  unsetenv("NAME_MATCHER_SPILL_DIR");
  setenv("TMPDIR", "/scratch", 1);
  CHECK(nm::jobs::SpillOptions::from_environment().dir == "/scratch");
  for (const char* bad : {"", "12Q", "1k0", "100", "-5M", "99999999999G"}) {
    setenv("NAME_MATCHER_SPILL_BUFFER", bad, 1);
    if (*bad == '\0') {
      CHECK(nm::jobs::SpillOptions::from_environment().buffer_bytes == 128u << 20);
    } else {
      CHECK_THROWS_AS(nm::jobs::SpillOptions::from_environment(), nm::InputError);
    }
  }
  unsetenv("NAME_MATCHER_SPILL_BUFFER");
  unsetenv("TMPDIR");
}

namespace {

// The aggregation as first written: every pair within FLT_EPSILON of the
// person's best kept as a candidate, pruned as the best grows.
struct Reference {
  struct Cand {
    std::string key;
    float c;
  };
  struct Person {
    float best = -1;
    std::string own;
    std::vector<Cand> cands;
  };
  static void offer(Person& p, const std::string& key, float c) {
    if (c > p.best) {
      p.best = c;
      std::erase_if(p.cands, [&](const Cand& k) { return !(p.best - k.c < FLT_EPSILON); });
    }
    if (p.best - c < FLT_EPSILON) p.cands.push_back(Cand{key, c});
  }
  // The chosen household of each person (empty: none, a tie).
  static std::string settle(const Person& p) {
    if (p.cands.empty()) return {};
    for (const Cand& k : p.cands)
      if (k.key != p.cands.front().key) return {};
    return p.cands.front().key;
  }
};

}  // namespace

TEST_CASE("households: a fixed record per person decides as keeping every pair did") {
  std::mt19937 rng(7);
  // Confidences with exact ties and values a float epsilon apart.
  const std::vector<float> conf = {0.9f, 0.9f + FLT_EPSILON, 0.9f - FLT_EPSILON, 0.95f, 1.0f,
                                   0.85f, 0.9f + 2 * FLT_EPSILON};
  for (int round = 0; round < 300; ++round) {
    for (bool a6 : {false, true}) {
      // Pairs in (left, right) order; 6 left and 6 right persons.
      std::vector<std::tuple<uint64_t, uint64_t, float>> pairs;
      for (uint64_t l = 0; l < 6; ++l)
        for (uint64_t r = 0; r < 6; ++r)
          if (rng() % 3 != 0) pairs.emplace_back(l, r, conf[rng() % conf.size()]);
      auto key = [](char side, uint64_t n) { return std::string(1, side) + std::to_string(n); };
      auto hh1 = [&](uint64_t l) { return key('U', l % 3); };
      auto hh2 = [&](uint64_t r) { return key('H', (r * static_cast<uint64_t>(round % 4 + 1)) % 4); };
      nm::HouseholdAggregator agg(a6);
      std::map<uint64_t, Reference::Person> ref;  // by the person whose household is sought
      for (const auto& [l, r, c] : pairs) {
        agg.add(l, r, c, hh1(l), hh2(r));
        Reference::Person& p = ref[a6 ? r : l];
        p.own = a6 ? hh2(r) : hh1(l);
        Reference::offer(p, a6 ? hh1(l) : hh2(r), c);
      }
      std::map<std::pair<std::string, std::string>, uint64_t> assigned;
      for (const auto& [who, p] : ref) {
        const std::string k = Reference::settle(p);
        if (!k.empty()) ++assigned[a6 ? std::make_pair(k, p.own) : std::make_pair(p.own, k)];
      }
      std::map<std::string, uint64_t, std::less<>> sizes;
      for (int i = 0; i < 4; ++i) {
        sizes[key('U', static_cast<uint64_t>(i))] = 2;
        sizes[key('H', static_cast<uint64_t>(i))] = 2;
      }
      const auto rows = agg.finish(sizes);
      std::vector<nm::HouseholdRow> want;
      for (const auto& [key, n] : assigned) {
        const float pct = static_cast<float>(n) / 2.0f * 100.0f;
        if (pct > 50.0f) want.push_back(nm::HouseholdRow{key.first, key.second, pct});
      }
      REQUIRE(rows.size() == want.size());
      for (size_t i = 0; i < rows.size(); ++i) {
        CHECK(rows[i].uuid == want[i].uuid);
        CHECK(rows[i].hh_id == want[i].hh_id);
        CHECK(rows[i].pct == want[i].pct);
      }
    }
  }
}
