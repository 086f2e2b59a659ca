// Where the probabilistic mode counts its training patterns and scores its
// pairs (`--device auto|cpu|gpu|emulate`): on the CPU (prob::count_patterns,
// prob::score_pairs on threads) or through gpu::ProbDevice, the kernel of
// kernels/prob_tile.hpp on a CUDA GPU or its CPU emulation, fed with the
// batches of prob::for_each_pair_batch. Both give the same pattern counts,
// kept pairs and per-rule figures, so the model, the pairs and the clusters
// are byte-identical whatever the device. The u sample is drawn on the CPU
// either way. docs/PROBABILISTIC.md, "Devices".
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/gpu/backend.hpp"
#include "src/gpu/device_api.hpp"
#include "src/match/prob/linker.hpp"
#include "src/match/prob/training.hpp"

namespace nm::jobs {

// Candidate pairs per device batch: 32 MiB of pairs.
inline constexpr uint64_t kProbDeviceBatchPairs = uint64_t{1} << 22;

// What one phase (training or linking) did on the device.
struct ProbDeviceUse {
  uint64_t batches = 0;       // batches of prob::for_each_pair_batch
  uint64_t launches = 0;      // kernel launches (reruns included)
  uint64_t reruns = 0;        // a result list overflowed: grown and the batch run again
  uint64_t oom_halvings = 0;  // the device ran out of memory: the batch was split in two
  uint64_t pairs = 0;         // pairs compared
  nlohmann::ordered_json to_json() const;
};

// train_model's pattern counts from the kernel on `dev` (the same counts and
// figures as prob::count_patterns).
class DevicePatternCounts final : public prob::PatternCountSource {
 public:
  DevicePatternCounts(gpu::DeviceApi& dev, uint64_t batch_pairs, ProbDeviceUse& use)
      : dev_(dev), batch_pairs_(batch_pairs), use_(use) {}
  std::vector<std::vector<prob::PatternCount>> count(
      const prob::LinkData& d, const prob::RuleSet& set,
      const std::vector<prob::RuleSample>& samples, uint64_t chunk_pairs, unsigned threads,
      prob::LinkFigures* figures, const std::function<void(uint64_t)>& progress) override;

 private:
  gpu::DeviceApi& dev_;
  uint64_t batch_pairs_;
  ProbDeviceUse& use_;
};

// prob::score_pairs through the kernel on `dev`: the same kept pairs (sorted
// by (left, right)) and figures.
std::vector<prob::ScoredLink> device_score_pairs(gpu::DeviceApi& dev, const prob::LinkData& d,
                                                 const prob::Scoring& s, uint64_t chunk_pairs,
                                                 uint64_t batch_pairs, unsigned threads,
                                                 prob::LinkFigures* figures,
                                                 const std::function<void(uint64_t)>& progress,
                                                 ProbDeviceUse& use);

// A run's device: chosen once when made (gpu::open_device: `gpu` without a
// usable GPU throws InputError, `auto` falls back to the CPU) and said once
// in the log, as the other algorithms do.
class ProbEngine {
 public:
  ProbEngine(const std::string& device, unsigned threads);
  // For prob::TrainOptions::counting: null when the CPU counts.
  prob::PatternCountSource* counting() { return counts_.get(); }
  std::vector<prob::ScoredLink> score_pairs(const prob::LinkData& d, const prob::Scoring& s,
                                            uint64_t chunk_pairs, unsigned threads,
                                            prob::LinkFigures* figures,
                                            const std::function<void(uint64_t)>& progress);
  // The summary's "device": requested, used, why, the device, and what
  // training and linking did on it.
  nlohmann::ordered_json to_json() const;

 private:
  std::unique_ptr<gpu::Backend> backend_;
  ProbDeviceUse training_, linking_;
  std::unique_ptr<DevicePatternCounts> counts_;
};

}  // namespace nm::jobs
