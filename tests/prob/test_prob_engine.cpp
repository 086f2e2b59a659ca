// The probabilistic mode's device wiring (jobs/prob/prob_engine.hpp): the
// pattern counts train_model gets through its counting hook
// (prob::PatternCountSource) from the emulated device equal
// prob::count_patterns' for sampled training rules (a share of the left
// records, small blocks only), with the same figures, and give the same
// model file; device scoring equals prob::score_pairs, figures included,
// also when the device runs out of memory and batches are split; and the
// hook is what train_model counts with.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "jobs/prob/prob_engine.hpp"
#include "src/errors.hpp"
#include "src/gpu/emulated_device.hpp"
#include "src/match/prob/linker.hpp"
#include "src/match/prob/model.hpp"
#include "src/match/prob/training.hpp"
#include "tests/support/prob_link.hpp"

namespace {

using nm::prob::LinkFigures;
using nm::prob::PatternCount;
using nm::prob::RuleSample;
using nm::test::same_links;

// Every rule's counts equal.
bool same_counts(const std::vector<std::vector<PatternCount>>& a,
                 const std::vector<std::vector<PatternCount>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t r = 0; r < a.size(); ++r)
    if (!nm::test::same_counts(a[r], b[r])) return false;
  return true;
}

void check_figures(const LinkFigures& a, const LinkFigures& b) {
  CHECK(a.pairs_per_rule == b.pairs_per_rule);
  CHECK(a.candidate_pairs == b.candidate_pairs);
}

// The samples train_model uses at scale: a share of the left records, and
// name rules limited to small blocks.
std::vector<RuleSample> samples_for(size_t rules) {
  std::vector<RuleSample> s(rules);
  s[0].left_share = 0.5;
  if (rules > 1) s[1].max_side = 2;
  return s;
}

// Counts a source is asked for, passed on to the CPU: to see train_model use it.
class CountingSpy final : public nm::prob::PatternCountSource {
 public:
  std::vector<std::vector<PatternCount>> count(
      const nm::prob::LinkData& d, const nm::prob::RuleSet& set,
      const std::vector<RuleSample>& samples, uint64_t chunk_pairs, unsigned threads,
      LinkFigures* figures, const std::function<void(uint64_t)>& progress) override {
    ++calls;
    auto out = nm::prob::count_patterns(d, set, samples, chunk_pairs, threads, figures, progress);
    if (drop_first && !out.empty() && !out[0].empty()) out[0].erase(out[0].begin());
    return out;
  }
  int calls = 0;
  bool drop_first = false;  // hand train_model different counts
};

void check_link(bool dedupe) {
  const auto k =
      dedupe ? nm::test::make_link(53, 320, 0, true) : nm::test::make_link(51, 280, 240, false);
  const nm::prob::LinkData& d = k->d;
  const uint64_t chunk_pairs = 150;
  const std::vector<RuleSample> samples = samples_for(d.training.rules.size());

  SUBCASE("pattern counts of sampled training rules") {
    LinkFigures cpu_fig, dev_fig;
    const auto cpu = nm::prob::count_patterns(d, d.training, samples, chunk_pairs, 2, &cpu_fig);
    REQUIRE(cpu_fig.candidate_pairs > 500);
    nm::gpu::EmulatedDevice dev;
    nm::jobs::ProbDeviceUse use;
    nm::jobs::DevicePatternCounts counts(dev, 37, use);
    uint64_t last_progress = 0;
    const auto got = counts.count(d, d.training, samples, chunk_pairs, 2, &dev_fig,
                                  [&](uint64_t n) { last_progress = n; });
    CHECK(same_counts(cpu, got));
    check_figures(cpu_fig, dev_fig);
    CHECK(use.pairs == cpu_fig.candidate_pairs);
    CHECK(last_progress == cpu_fig.candidate_pairs);
    CHECK(use.batches >= cpu_fig.candidate_pairs / 37);
    CHECK(use.launches >= use.batches);
  }

  SUBCASE("train_model through the hook: the CPU's model, byte for byte") {
    nm::prob::TrainOptions o;
    o.u_sample_pairs = 20000;
    o.chunk_pairs = chunk_pairs;
    o.pairs_per_rule = 2000;  // some rules sampled
    LinkFigures cpu_fig, dev_fig, spy_fig;
    const auto cpu = nm::prob::train_model(d, k->model.comparisons, o, 2, &cpu_fig);
    nm::gpu::EmulatedDevice dev;
    nm::jobs::ProbDeviceUse use;
    nm::jobs::DevicePatternCounts counts(dev, 1000, use);
    o.counting = &counts;
    const auto got = nm::prob::train_model(d, k->model.comparisons, o, 2, &dev_fig);
    CHECK(use.pairs > 0);
    CHECK(nm::prob::model_to_json(got) == nm::prob::model_to_json(cpu));
    check_figures(cpu_fig, dev_fig);
    // The hook is what counts: other counts, another model.
    CountingSpy spy;
    spy.drop_first = true;
    o.counting = &spy;
    const auto spied = nm::prob::train_model(d, k->model.comparisons, o, 2, &spy_fig);
    CHECK(spy.calls == 1);
    CHECK(nm::prob::model_to_json(spied) != nm::prob::model_to_json(cpu));
  }

  SUBCASE("scoring, also with batches split when the device runs out of memory") {
    const nm::prob::Scoring s = nm::prob::make_scoring(k->model, d, 0.5);
    LinkFigures cpu_fig;
    const auto cpu = nm::prob::score_pairs(d, s, chunk_pairs, 2, &cpu_fig);
    REQUIRE(cpu.size() > 10);
    for (int failures : {0, 3}) {
      INFO("failing launches: " << failures);
      nm::gpu::EmulatedDevice dev;
      dev.fail_next_launches(failures);
      nm::jobs::ProbDeviceUse use;
      LinkFigures dev_fig;
      const auto got =
          nm::jobs::device_score_pairs(dev, d, s, chunk_pairs, 64, 2, &dev_fig, {}, use);
      CHECK(same_links(cpu, got));
      check_figures(cpu_fig, dev_fig);
      CHECK(use.pairs == cpu_fig.candidate_pairs);
      CHECK(use.oom_halvings == static_cast<uint64_t>(failures));
    }
  }
}

}  // namespace

TEST_CASE("prob engine: device counting and scoring equal the CPU (linking)") { check_link(false); }

TEST_CASE("prob engine: device counting and scoring equal the CPU (dedupe)") { check_link(true); }

TEST_CASE("prob engine: --device gpu without a GPU is a clear error; cpu has no device") {
  std::string why;
  if (nm::gpu::cuda_device_count(&why) > 0) {
    MESSAGE("skipped the no-GPU error: a CUDA device is present");
  } else {
    CHECK_THROWS_WITH_AS(nm::jobs::ProbEngine("gpu", 1),
                         doctest::Contains("--device gpu: no CUDA device"), nm::InputError);
  }
  nm::jobs::ProbEngine cpu("cpu", 1);
  CHECK(cpu.counting() == nullptr);
  CHECK(cpu.to_json()["used"] == "cpu");
  nm::jobs::ProbEngine emulate("emulate", 2);
  CHECK(emulate.counting() != nullptr);
  CHECK(emulate.to_json()["used"] == "emulate");
  CHECK_THROWS_AS(nm::jobs::ProbEngine("fpga", 1), nm::InputError);
}
