#include "jobs/prob/prob_engine.hpp"

#include <algorithm>
#include <span>
#include <utility>

#include "jobs/prob/batch_overlap.hpp"
#include "src/gpu/prob_device.hpp"
#include "src/log.hpp"
#include "src/match/prob/em.hpp"

namespace nm::jobs {

namespace {

using Pairs = std::span<const kernels::prob::RowPair>;
using Take = std::function<void(gpu::ProbBatchResult&&)>;

// Runs one batch; when the device runs out of memory, its two halves one
// after the other (counts add up and kept pairs are sorted at the end, so
// the split changes no result).
void run_split(gpu::ProbDevice& pd, Pairs pairs, bool count, bool score, ProbDeviceUse& use,
               const Take& take) {
  try {
    take(pd.run(pairs, count, score));
  } catch (const gpu::DeviceOom&) {
    if (pairs.size() < 2) throw;
    ++use.oom_halvings;
    const size_t half = pairs.size() / 2;
    run_split(pd, pairs.first(half), count, score, use, take);
    run_split(pd, pairs.subspan(half), count, score, use, take);
  }
}

// One rule's batch of candidate pairs, owned, for the device's thread.
struct RuleBatch {
  uint32_t rule = 0;
  std::vector<kernels::prob::RowPair> pairs;
};

// Lists the candidate pairs (prob::for_each_pair_batch, on this thread) and
// hands each batch to `device` on another, so the device compares one batch
// while the next is listed (BatchOverlap). `device` sees the batches in
// order; `progress` gets the pairs listed so far.
void overlapped_batches(const prob::LinkData& d, const prob::RuleSet& set,
                        const std::vector<prob::RuleSample>& samples, bool skip_earlier,
                        uint64_t chunk_pairs, uint64_t batch_pairs, unsigned threads,
                        const std::function<void(uint64_t)>& progress,
                        const std::function<void(RuleBatch&&)>& device) {
  BatchOverlap<RuleBatch> overlap(device);
  uint64_t done = 0;
  prob::for_each_pair_batch(d, set, samples, skip_earlier, chunk_pairs, batch_pairs, threads,
                            [&](uint32_t rule, Pairs pairs) {
                              overlap.push({rule, {pairs.begin(), pairs.end()}});
                              done += pairs.size();
                              if (progress) progress(done);
                            });
  overlap.finish();
}

void add_stats(ProbDeviceUse& use, const gpu::ProbDeviceStats& s) {
  use.launches += s.launches;
  use.reruns += s.reruns;
  use.pairs += s.pairs;
}

}  // namespace

nlohmann::ordered_json ProbDeviceUse::to_json() const {
  return {{"batches", batches},
          {"launches", launches},
          {"reruns", reruns},
          {"oom_halvings", oom_halvings},
          {"pairs", pairs}};
}

std::vector<std::vector<prob::PatternCount>> DevicePatternCounts::count(
    const prob::LinkData& d, const prob::RuleSet& set, const std::vector<prob::RuleSample>& samples,
    uint64_t chunk_pairs, unsigned threads, prob::LinkFigures* figures,
    const std::function<void(uint64_t)>& progress) {
  gpu::ProbDevice pd(dev_, d, nullptr);
  std::vector<std::vector<prob::PatternCount>> out(set.rules.size());
  overlapped_batches(d, set, samples, false, chunk_pairs, batch_pairs_, threads, progress,
                     [&](RuleBatch&& b) {
                       ++use_.batches;
                       run_split(pd, b.pairs, true, false, use_, [&](gpu::ProbBatchResult&& r) {
                         std::vector<prob::PatternCount>& o = out[b.rule];
                         o.insert(o.end(), r.patterns.begin(), r.patterns.end());
                         o = prob::merge_patterns(std::move(o));
                       });
                     });
  add_stats(use_, pd.stats());
  if (figures) *figures = prob::figures_of(out);
  return out;
}

std::vector<prob::ScoredLink> device_score_pairs(gpu::DeviceApi& dev, const prob::LinkData& d,
                                                 const prob::Scoring& s, uint64_t chunk_pairs,
                                                 uint64_t batch_pairs, unsigned threads,
                                                 prob::LinkFigures* figures,
                                                 const std::function<void(uint64_t)>& progress,
                                                 ProbDeviceUse& use) {
  gpu::ProbDevice pd(dev, d, &s);
  std::vector<prob::ScoredLink> kept;
  std::vector<uint64_t> per_rule(d.blocking.rules.size(), 0);
  overlapped_batches(d, d.blocking, {}, true, chunk_pairs, batch_pairs, threads, progress,
                     [&](RuleBatch&& b) {
                       ++use.batches;
                       run_split(pd, b.pairs, false, true, use, [&](gpu::ProbBatchResult&& r) {
                         kept.insert(kept.end(), r.kept.begin(), r.kept.end());
                       });
                       per_rule[b.rule] += b.pairs.size();
                     });
  add_stats(use, pd.stats());
  prob::sort_links(kept);
  if (figures) {
    figures->pairs_per_rule = per_rule;
    figures->candidate_pairs = 0;
    for (uint64_t n : per_rule) figures->candidate_pairs += n;
  }
  return kept;
}

ProbEngine::ProbEngine(const std::string& device, unsigned threads)
    : backend_(gpu::open_device(gpu::parse_device(device), std::max(1u, threads))) {
  if (const std::string line = gpu::device_line(*backend_); !line.empty())
    log(LogLevel::kInfo, line);
  if (backend_->device)
    counts_ =
        std::make_unique<DevicePatternCounts>(*backend_->device, kProbDeviceBatchPairs, training_);
}

std::vector<prob::ScoredLink> ProbEngine::score_pairs(
    const prob::LinkData& d, const prob::Scoring& s, uint64_t chunk_pairs, unsigned threads,
    prob::LinkFigures* figures, const std::function<void(uint64_t)>& progress) {
  if (!backend_->device) return prob::score_pairs(d, s, chunk_pairs, threads, figures, progress);
  return device_score_pairs(*backend_->device, d, s, chunk_pairs, kProbDeviceBatchPairs, threads,
                            figures, progress, linking_);
}

nlohmann::ordered_json ProbEngine::to_json() const {
  const gpu::Backend& b = *backend_;
  nlohmann::ordered_json j = {{"requested", gpu::device_choice_name(b.requested)},
                              {"used", b.used},
                              {"reason", b.reason},
                              {"built_with_cuda", gpu::built_with_cuda()},
                              {"rollback_switches", b.switches.to_json()}};
  if (b.device) {
    j["device"] = gpu::device_info_json(b.info);
    j["training"] = training_.to_json();
    j["linking"] = linking_.to_json();
  }
  return j;
}

}  // namespace nm::jobs
