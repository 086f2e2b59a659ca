// A DeviceApi on the CPU: "device" memory is host memory, every operation runs
// at once in the order it is issued (a valid execution of any stream
// schedule), and the fused kernel runs through kernels::emulate_block (the
// probabilistic one through kernels::prob::emulate_prob_block) for every
// block and thread index. It records each operation so tests can check the
// schedule, and can be told to run out of memory. `--device emulate` and
// `gpu-selftest --emulate` use it to run the GPU backend's host side here.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/gpu/device_api.hpp"

namespace nm::gpu {

struct DeviceOp {
  enum Kind { kAlloc, kFree, kCopyToDevice, kCopyToHost, kFill, kLaunch, kRecord, kWait };
  Kind kind;
  int stream;  // -1 for host-side operations
  int event;   // kRecord / kWait, else -1
  size_t bytes;
};

class EmulatedDevice : public DeviceApi {
 public:
  struct Options {
    size_t memory_bytes = size_t{16} << 30;  // alloc beyond this throws DeviceOom
    bool refuse_pinned = false;              // host_alloc_pinned returns nullptr
    unsigned threads = 1;                    // CPU threads running the blocks of a launch
    uint32_t max_grid = 64;                  // grid_for() cap
    bool record_ops = false;                 // keep the log of operations
  };
  EmulatedDevice() : EmulatedDevice(Options{}) {}
  explicit EmulatedDevice(Options o);
  ~EmulatedDevice() override;

  DeviceInfo info() const override;
  void* alloc(size_t bytes) override;
  void free(void* p) noexcept override;
  void* host_alloc_pinned(size_t bytes) noexcept override;
  void host_free_pinned(void* p) noexcept override;
  int create_stream() override;
  int create_event() override;
  void copy_to_device(int stream, void* dst, const void* src, size_t n) override;
  void copy_to_host(int stream, void* dst, const void* src, size_t n) override;
  void fill_zero(int stream, void* dst, size_t n) override;
  void launch_fused(int stream, const kernels::TileView& view, LaunchConfig cfg) override;
  void launch_prob(int stream, const kernels::prob::ProbTileView& view, LaunchConfig cfg) override;
  void record(int stream, int event) override;
  void wait(int event) override;
  uint32_t grid_for(uint32_t groups) const override;

  // Test hooks.
  std::vector<DeviceOp> ops() const;
  void clear_ops();
  size_t bytes_in_use() const;
  uint64_t launches() const { return launches_; }
  // The next `n` launches throw DeviceOom (as a launch that cannot get its resources).
  void fail_next_launches(int n) { fail_launches_ = n; }
  void set_memory_bytes(size_t n) { opt_.memory_bytes = n; }

 private:
  void log(DeviceOp op);
  Options opt_;
  mutable std::mutex mu_;
  std::unordered_map<void*, size_t> allocs_;
  size_t in_use_ = 0;
  int streams_ = 0, events_ = 0;
  std::vector<DeviceOp> ops_;
  uint64_t launches_ = 0;
  int fail_launches_ = 0;
};

}  // namespace nm::gpu
