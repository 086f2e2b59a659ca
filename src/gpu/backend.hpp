// Which device a rank scores on (--device auto|cpu|gpu|emulate), the
// original tool's rollback switches, and the objects the GPU backend lives
// in for the whole run (device, pinned pool, scorer).
#pragma once
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "src/gpu/buffer_pool.hpp"
#include "src/gpu/device_api.hpp"
#include "src/gpu/gpu_scorer.hpp"

namespace nm::gpu {

enum class DeviceChoice { kAuto, kCpu, kGpu, kEmulate };
// "auto", "cpu", "gpu" or "emulate"; throws InputError otherwise.
DeviceChoice parse_device(const std::string& s);
const char* device_choice_name(DeviceChoice d);

// NAME_MATCHER_DISABLE_FUSED_KERNEL: score on the CPU even with a GPU.
// NAME_MATCHER_DISABLE_PINNED_MEMORY: pageable host staging buffers.
// NAME_MATCHER_DISABLE_SIMD: scalar code instead of SSE2 in the CSV scan.
// Set means present and not "0" / "false" / "".
struct RollbackSwitches {
  bool disable_fused_kernel = false;
  bool disable_pinned_memory = false;
  bool disable_simd = false;
  static RollbackSwitches from_env();
  nlohmann::json to_json() const;
};

// The rank's local index among the ranks of its node (Open MPI, Slurm,
// MPICH/PMI variables; 0 without a launcher): the GPU it takes is
// local_rank mod device count.
int local_rank();

struct Backend {
  DeviceChoice requested = DeviceChoice::kAuto;
  std::string used = "cpu";  // "cpu", "gpu" or "emulate"
  std::string reason;        // why this backend (shown once and in the summary)
  DeviceInfo info;
  RollbackSwitches switches;
  std::unique_ptr<DeviceApi> device;
  std::unique_ptr<HostBufferPool> pool;
  std::unique_ptr<GpuScorer> scorer;  // null: the CPU backend
  GpuScorer* gpu() const { return scorer.get(); }
  nlohmann::json to_json() const;
};

// The line a run logs once about its device ("device: emulate (--device
// emulate: ...), <name>"); empty when the CPU was asked for and used.
std::string device_line(const Backend& b);
// The device's identity in the summary JSON (index, name, SMs, ...).
nlohmann::json device_info_json(const DeviceInfo& info);

// Chooses and opens this rank's device alone (no host pool, no scorer):
// --device cpu, emulate (an EmulatedDevice on `threads` threads), gpu (an
// InputError naming the reason without a usable CUDA device) or auto (the
// GPU when one is usable, else the CPU, the reason set); the rollback
// switch NAME_MATCHER_DISABLE_FUSED_KERNEL keeps the CPU. `device` is null
// when the CPU is used. The probabilistic mode runs its own kernel on it.
std::unique_ptr<Backend> open_device(DeviceChoice choice, unsigned threads);

// Opens the backend for this rank (open_device, then the pool and scorer).
// `fuzzy`: algorithms 3–6 (1/2 always run on the CPU). --device gpu without
// a usable device throws InputError naming the reason; auto without one
// uses the CPU (reason set).
std::unique_ptr<Backend> open_backend(DeviceChoice choice, bool fuzzy, unsigned threads,
                                      GpuOptions opt = {});

}  // namespace nm::gpu
