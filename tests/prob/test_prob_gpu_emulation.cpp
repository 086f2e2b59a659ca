// The probabilistic mode's kernel (kernels/prob_tile.hpp) run on the CPU
// emulation of the device must equal the CPU path bit for bit: the patterns
// prob::count_patterns counts and the pairs and weights prob::score_pairs
// keeps, on random tables (linking and dedupe) over batch sizes around the
// block size, emulated grids, threads, pattern tables small enough to
// overflow and lists small enough to rerun; the kernel function alone on the
// edge batch sizes the GPU tests use (0, 1, 31-33, 127-129, 255-257 pairs),
// checked pair by pair; and the weight formula against the plain one.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/prob_tile.hpp"
#include "src/gpu/device_api.hpp"
#include "src/gpu/emulated_device.hpp"
#include "src/gpu/prob_device.hpp"
#include "src/gpu/selftest.hpp"
#include "src/match/prob/linker.hpp"
#include "tests/support/prob_link.hpp"

namespace {

namespace kp = nm::kernels::prob;
using nm::prob::LinkData;
using nm::prob::Pattern;
using nm::prob::PatternCount;
using nm::prob::ScoredLink;
using nm::test::Link;
using nm::test::make_link;
using nm::test::same_counts;
using nm::test::same_links;

struct Config {
  uint64_t batch_pairs;
  uint32_t max_grid;
  unsigned threads;
  uint32_t table_slots;
  uint32_t first_capacity;  // of both lists (small: the batch is rerun bigger)
};

std::string describe(const Config& c) {
  return "batch " + std::to_string(c.batch_pairs) + " max_grid " + std::to_string(c.max_grid) +
         " threads " + std::to_string(c.threads) + " table " + std::to_string(c.table_slots) +
         " capacity " + std::to_string(c.first_capacity);
}

struct DeviceResults {
  std::vector<std::vector<PatternCount>> patterns;  // per training rule
  std::vector<ScoredLink> kept;
  uint64_t counted_pairs = 0, scored_pairs = 0, batches = 0, max_batch = 0, reruns = 0;
};

// Counting and scoring through a ProbDevice, batch by batch as
// prob::for_each_pair_batch cuts them.
DeviceResults run_device(nm::gpu::DeviceApi& dev, const LinkData& d,
                         const nm::prob::Scoring& s, const Config& c, uint64_t chunk_pairs) {
  nm::gpu::ProbDeviceOptions o;
  o.table_slots = c.table_slots;
  o.tally_capacity = c.first_capacity;
  o.survivor_capacity = c.first_capacity;
  nm::gpu::ProbDevice pd(dev, d, &s, o);
  DeviceResults r;
  std::vector<std::map<Pattern, uint64_t>> sums(d.training.rules.size());
  auto note = [&](size_t n) {
    ++r.batches;
    r.max_batch = std::max<uint64_t>(r.max_batch, n);
  };
  nm::prob::for_each_pair_batch(d, d.training, {}, false, chunk_pairs, c.batch_pairs, c.threads,
                                [&](uint32_t rule, std::span<const kp::RowPair> pairs) {
                                  note(pairs.size());
                                  r.counted_pairs += pairs.size();
                                  for (const PatternCount& pc : pd.run(pairs, true, false).patterns)
                                    sums[rule][pc.pattern] += pc.count;
                                });
  for (const auto& m : sums) {
    r.patterns.emplace_back();
    for (const auto& [p, n] : m) r.patterns.back().push_back({p, n});
  }
  nm::prob::for_each_pair_batch(d, d.blocking, {}, true, chunk_pairs, c.batch_pairs, c.threads,
                                [&](uint32_t, std::span<const kp::RowPair> pairs) {
                                  note(pairs.size());
                                  r.scored_pairs += pairs.size();
                                  const auto k = pd.run(pairs, false, true).kept;
                                  r.kept.insert(r.kept.end(), k.begin(), k.end());
                                });
  std::sort(r.kept.begin(), r.kept.end(), [](const ScoredLink& a, const ScoredLink& b) {
    return std::tie(a.left, a.right) < std::tie(b.left, b.right);
  });
  r.reruns = pd.stats().reruns;
  return r;
}

// Runs every configuration on `dev` against the CPU path.
void check_against_cpu(const Link& k, const std::vector<Config>& configs,
                       nm::gpu::DeviceApi* fixed_device) {
  const LinkData& d = k.d;
  const uint64_t chunk_pairs = 200;
  nm::prob::LinkFigures count_fig, score_fig;
  const auto cpu_patterns = nm::prob::count_patterns(d, d.training, {}, chunk_pairs, 2, &count_fig);
  const nm::prob::Scoring s = nm::prob::make_scoring(k.model, d, 0.5);
  const auto cpu_kept = nm::prob::score_pairs(d, s, chunk_pairs, 2, &score_fig);
  REQUIRE(count_fig.candidate_pairs > 1000);
  REQUIRE(cpu_kept.size() > 10);                        // matches are kept ...
  REQUIRE(cpu_kept.size() < score_fig.candidate_pairs / 2);  // ... and most pairs are not
  for (const Config& c : configs) {
    INFO(describe(c));
    nm::gpu::EmulatedDevice::Options eo;
    eo.max_grid = c.max_grid;
    eo.threads = c.threads;
    nm::gpu::EmulatedDevice emulated(eo);
    nm::gpu::DeviceApi& dev = fixed_device != nullptr ? *fixed_device : emulated;
    const DeviceResults r = run_device(dev, d, s, c, chunk_pairs);
    CHECK(r.counted_pairs == count_fig.candidate_pairs);
    CHECK(r.scored_pairs == score_fig.candidate_pairs);
    CHECK(r.max_batch <= c.batch_pairs);
    REQUIRE(r.patterns.size() == cpu_patterns.size());
    for (size_t rule = 0; rule < cpu_patterns.size(); ++rule) {
      INFO("rule " << rule);
      CHECK(same_counts(r.patterns[rule], cpu_patterns[rule]));
    }
    CHECK(same_links(r.kept, cpu_kept));
    if (c.first_capacity == 1) CHECK(r.reruns > 0);
  }
}

const std::vector<Config> kConfigs = {
    // batch, max_grid, threads, table slots, first list capacity
    {1 << 20, 64, 2, kp::kPatternSlots, 1 << 16},
    {1, 3, 1, kp::kPatternSlots, 1024},  // every pair its own batch
    {31, 1, 1, 64, 1024},
    {32, 3, 2, kp::kPatternSlots, 1},
    {33, 64, 1, 4, 1024},  // a 4-slot table overflows into the list
    {127, 1, 2, 1, 1},     // one slot: nearly every pattern takes the overflow path
    {128, 7, 1, 16, 1024},
    {129, 3, 2, 2, 64},
    {5000, 2, 2, 8, 1},
};

}  // namespace

TEST_CASE("prob gpu emulation: linking, patterns and kept pairs equal the CPU's") {
  const auto k = make_link(41, 260, 220, false);
  check_against_cpu(*k, kConfigs, nullptr);
}

TEST_CASE("prob gpu emulation: dedupe, patterns and kept pairs equal the CPU's") {
  const auto k = make_link(43, 300, 0, true);
  check_against_cpu(*k, kConfigs, nullptr);
}

TEST_CASE("prob gpu emulation: on a CUDA device, the same as the CPU") {
  std::string why;
  if (nm::gpu::cuda_device_count(&why) == 0) {
    MESSAGE("skipped: no CUDA device (" << why << ")");
    return;
  }
  auto dev = nm::gpu::open_cuda_device(0);
  const auto k = make_link(41, 260, 220, false);
  check_against_cpu(*k, kConfigs, dev.get());
  const auto kd = make_link(43, 300, 0, true);
  check_against_cpu(*kd, kConfigs, dev.get());
}
