// The GPU backend of the score stage: packs the jobs into batches, moves each
// batch to the device, runs the fused kernel and copies back only the
// surviving pairs.
//
// Schedule: `streams` slots, each with its own stream, event, pinned host
// buffers and device buffers (grown, then reused for every later batch).
// Batch k goes to slot k mod S. Before reusing a slot the host waits on that
// slot's event only (never a device-wide sync), so while batch k's kernel
// runs, batch k+1 is packed and its copy is queued on the other stream.
// Out of device memory: the batch is halved (by columns) and retried, and the
// budget for later batches lowered; reported once per halving.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/match/engine.hpp"
#include "src/gpu/buffer_pool.hpp"
#include "src/gpu/device_api.hpp"
#include "src/gpu/tile_packer.hpp"

namespace nm::gpu {

struct GpuOptions {
  uint64_t batch_pairs = uint64_t{1} << 25;  // candidate pairs per launch
  size_t batch_bytes = size_t{64} << 20;     // packed bytes per launch
  int streams = 2;
  uint32_t min_capacity = 4096;  // survivor slots of a batch at least
  // The rank's right table is sent to the device once and stays there (the
  // batches then carry only left records and columns) when it packs into at
  // most this many bytes; 0 = never. Without room on the device, the right
  // records travel with each batch instead (reported once).
  size_t resident_right_bytes = size_t{1} << 30;
};

struct GpuStats {
  uint64_t batches = 0;          // batches completed
  uint64_t launches = 0;         // kernel launches (reruns included)
  uint64_t oom_halvings = 0;     // batches halved after running out of device memory
  uint64_t overflow_reruns = 0;  // batches rerun with a larger survivor list
  uint64_t bytes_to_device = 0, bytes_to_host = 0;
  uint64_t candidate_pairs = 0;  // pairs of the batches (before dedupe/date checks)
  uint64_t survivors = 0;
  uint64_t resident_uploads = 0;  // times a right table was sent to stay on the device
  uint64_t resident_bytes = 0;    // size of the resident right table
};

// Counters kept on the device for the whole run: pairs scored, pairs kept,
// then the score histogram (kernels::kHistBins).
inline constexpr size_t kDeviceCounterWords = 2 + kernels::kHistBins;

class GpuScorer final : public OffloadScorer {
 public:
  using Report = std::function<void(const std::string&)>;
  GpuScorer(DeviceApi& dev, HostBufferPool& pool, GpuOptions opt, Report report = {});
  ~GpuScorer();
  GpuScorer(const GpuScorer&) = delete;
  GpuScorer& operator=(const GpuScorer&) = delete;

  // Scores every job (fuzzy algorithms only); kept pairs are appended to
  // `out` (batch by batch, each batch in (column, left) order). Returns the
  // number of pairs put through the rule.
  uint64_t score(const PreparedTables& prep, const std::vector<ScoreJob>& jobs,
                 const PairOrder& order, std::vector<ScoredPair>& out) override;

  // The run's counters, copied from the device (one small copy).
  std::array<uint64_t, kDeviceCounterWords> counters();
  // Device address of the counters (for a device-side reduction across GPUs).
  void* device_counters() const { return d_acc_.get(); }
  const GpuStats& stats() const { return stats_; }
  DeviceApi& device() { return dev_; }
  const GpuOptions& options() const { return opt_; }

 private:
  struct Slot;
  void issue(Slot& s, const TilePacker& packer, BatchSpan& span, const PreparedTables& prep,
             bool dedupe, bool resident);
  bool make_resident(const PreparedTables& prep, const PairOrder& order);
  void finish(Slot& s, std::vector<ScoredPair>& out);
  void fetch(Slot& s, uint32_t n, std::vector<kernels::Survivor>& got);
  void rerun_groups(Slot& s, uint32_t g0, uint32_t g1, std::vector<kernels::Survivor>& got);
  void launch(Slot& s, unsigned long long* acc);

  DeviceApi& dev_;
  HostBufferPool& pool_;
  GpuOptions opt_;
  Report report_;
  std::vector<Slot> slots_;
  DeviceBuffer d_acc_;      // kDeviceCounterWords
  DeviceBuffer d_discard_;  // counters of reruns (not counted twice)
  HostBuffer h_acc_;
  DeviceBuffer d_right_;  // the resident right table
  ResidentLayout rlay_;
  uint64_t resident_id_ = 0;  // PreparedTables::id it was packed from (0 = none)
  uint64_t too_big_id_ = 0;   // PreparedTables::id whose right table did not fit
  const uint64_t* resident_order_ = nullptr;
  uint64_t kept_total_ = 0;
  GpuStats stats_;
};

}  // namespace nm::gpu
