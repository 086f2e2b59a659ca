// The probabilistic mode on a device (a CUDA GPU or the emulation): the
// prepared records of both sides, the comparison plan and the model's weights
// are copied to the device once; then each batch of candidate pairs (as
// prob::for_each_pair_batch gives them) runs through the kernel of
// kernels/prob_tile.hpp, which counts their patterns (training) or keeps the
// pairs at or above the threshold (scoring). Results come back in an order
// that does not depend on the device's scheduling: patterns summed and sorted
// by pattern, kept pairs sorted by (left, right) — what prob::count_patterns
// and prob::score_pairs give for the same pairs.
//
// `run --algorithm prob` and `train` use it with --device gpu or emulate
// (jobs/prob/prob_engine.*).
#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "kernels/prob_tile.hpp"
#include "src/gpu/device_api.hpp"
#include "src/match/prob/linker.hpp"

namespace nm::gpu {

struct ProbDeviceOptions {
  uint32_t table_slots = kernels::prob::kPatternSlots;  // block pattern table: a power of two
  uint32_t tally_capacity = 1024;                       // first size of the pattern list
  uint32_t survivor_capacity = 1024;                    // first size of the kept-pair list
  uint32_t block = kernels::prob::kProbBlockThreads;
};

struct ProbBatchResult {
  std::vector<prob::PatternCount> patterns;  // summed, sorted by pattern
  std::vector<prob::ScoredLink> kept;        // sorted by (left, right)
};

struct ProbDeviceStats {
  uint64_t launches = 0;
  uint64_t reruns = 0;  // a list overflowed: grown and the batch run again
  uint64_t pairs = 0;
};

class ProbDevice {
 public:
  // `scoring` may be null when the device only counts patterns. `d` and
  // `scoring` are copied: they need not outlive the object.
  ProbDevice(DeviceApi& dev, const prob::LinkData& d, const prob::Scoring* scoring,
             ProbDeviceOptions options = {});
  // Runs one batch: count (patterns) and/or score (kept pairs). Throws
  // DeviceOom or DeviceError from the device.
  ProbBatchResult run(std::span<const kernels::prob::RowPair> pairs, bool count, bool score);
  const ProbDeviceStats& stats() const { return stats_; }

 private:
  struct Side {
    DeviceBuffer cp, offset, length, dm, days;
    kernels::prob::SideView view{};
  };
  Side upload_side(const prob::PreparedSide& s);
  DeviceBuffer upload(const void* data, size_t bytes);
  template <class T>
  DeviceBuffer upload(const std::vector<T>& v) {
    return upload(v.data(), v.size() * sizeof(T));
  }
  void ensure(DeviceBuffer& b, size_t bytes);
  // One launch with the current list sizes; returns the counters.
  void launch(kernels::prob::ProbTileView& v, uint32_t n_pairs, uint32_t counters[2]);

  DeviceApi& dev_;
  ProbDeviceOptions opt_;
  int stream_ = 0, event_ = 0;
  Side left_, right_;
  DeviceBuffer items_, level_, tf_slot_, left_tf_, left_name_tf_;
  kernels::prob::ProbTileView base_{};
  uint32_t scratch_words_ = 0;
  DeviceBuffer pairs_, tallies_, survivors_, counters_, scratch_;
  uint32_t tally_capacity_, survivor_capacity_;
  ProbDeviceStats stats_;
};

}  // namespace nm::gpu
