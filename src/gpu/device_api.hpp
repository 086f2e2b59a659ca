// What the GPU backend needs of a device, as an interface: the CUDA
// implementation (src/gpu/cuda_device.cpp, built with NAME_MATCHER_CUDA) and an
// emulated device (src/gpu/emulated_device.*: host memory, copies done at
// once, the kernel run by kernels::emulate_fused_kernel) that tests and
// `--device emulate` use, so the whole host side runs without a GPU.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "kernels/fused_tile.hpp"
#include "kernels/prob_tile.hpp"

namespace nm::gpu {

// The device cannot allocate (or launch) for lack of memory; the backend
// halves its batch and retries.
struct DeviceOom : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Any other device failure (names the call and the CUDA error).
struct DeviceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct DeviceInfo {
  int index = 0;
  std::string name;
  int sm_count = 1;
  int cc_major = 0, cc_minor = 0;
  size_t total_mem = 0;
  bool emulated = false;
};

struct LaunchConfig {
  uint32_t grid = 1;   // blocks (grid-stride over groups)
  uint32_t block = kernels::kBlockThreads;
};

// Streams and events are small integer handles owned by the device object:
// everything is released when it is destroyed.
class DeviceApi {
 public:
  virtual ~DeviceApi() = default;
  virtual DeviceInfo info() const = 0;
  // Device memory; throws DeviceOom when the device has too little.
  virtual void* alloc(size_t bytes) = 0;
  virtual void free(void* p) noexcept = 0;
  // Page-locked host memory, or nullptr when the system refuses it.
  virtual void* host_alloc_pinned(size_t bytes) noexcept = 0;
  virtual void host_free_pinned(void* p) noexcept = 0;
  virtual int create_stream() = 0;
  virtual int create_event() = 0;
  // Asynchronous in stream order (host memory should be pinned to overlap).
  virtual void copy_to_device(int stream, void* dst, const void* src, size_t n) = 0;
  virtual void copy_to_host(int stream, void* dst, const void* src, size_t n) = 0;
  virtual void fill_zero(int stream, void* dst, size_t n) = 0;
  // Launches the fused kernel on `view` (device pointers). May throw DeviceOom.
  virtual void launch_fused(int stream, const kernels::TileView& view, LaunchConfig cfg) = 0;
  // Launches the probabilistic mode's kernel (kernels/prob_tile.hpp) on
  // `view` (device pointers). A device without it (the tests' fakes) keeps
  // this default, which throws DeviceError.
  virtual void launch_prob(int /*stream*/, const kernels::prob::ProbTileView& /*view*/,
                           LaunchConfig /*cfg*/) {
    throw DeviceError("launch_prob: this device has no probabilistic kernel");
  }
  virtual void record(int stream, int event) = 0;
  // The host waits until everything recorded before `event` has completed.
  virtual void wait(int event) = 0;
  // Grid size that fills the device for this launch.
  virtual uint32_t grid_for(uint32_t groups) const = 0;
};

// Device memory owned by one object.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(DeviceApi& dev, size_t bytes) : dev_(&dev), p_(dev.alloc(bytes)), n_(bytes) {}
  DeviceBuffer(DeviceBuffer&& o) noexcept
      : dev_(o.dev_), p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      dev_ = o.dev_;
      p_ = std::exchange(o.p_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { reset(); }
  void reset() noexcept {
    if (p_ != nullptr) dev_->free(p_);
    p_ = nullptr;
    n_ = 0;
  }
  void* get() const { return p_; }
  size_t size() const { return n_; }

 private:
  DeviceApi* dev_ = nullptr;
  void* p_ = nullptr;
  size_t n_ = 0;
};

// Number of CUDA devices this process can use; 0 with the reason in `why`
// (no driver, no device, or built without CUDA).
int cuda_device_count(std::string* why);
// Opens CUDA device `index` (cudaSetDevice); throws DeviceError.
std::unique_ptr<DeviceApi> open_cuda_device(int index);
// True when this binary was built with the CUDA backend.
bool built_with_cuda();

}  // namespace nm::gpu
