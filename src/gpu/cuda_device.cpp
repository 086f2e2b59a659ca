// The CUDA implementation of nm::gpu::DeviceApi (src/gpu/device_api.hpp) and
// the device discovery functions; a build without the CUDA backend has the
// stubs of src/gpu/device_nocuda.cpp instead.
#include <cuda_runtime.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "kernels/fused_tile_launch.hpp"
#include "kernels/prob_tile_launch.hpp"
#include "src/gpu/cuda_check.hpp"
#include "src/gpu/device_api.hpp"

namespace nm::gpu {
namespace {

class CudaDevice final : public DeviceApi {
 public:
  explicit CudaDevice(int index) {
    info_.index = index;
    info_.emulated = false;
    check_cuda(cudaSetDevice(index), "cudaSetDevice");
    cudaDeviceProp prop{};
    check_cuda(cudaGetDeviceProperties(&prop, index), "cudaGetDeviceProperties");
    info_.name = prop.name;
    info_.sm_count = std::max(1, prop.multiProcessorCount);
    info_.cc_major = prop.major;
    info_.cc_minor = prop.minor;
    info_.total_mem = prop.totalGlobalMem;
    int per_sm = 0;
    check_cuda(fused_tile_blocks_per_sm(&per_sm, kernels::kBlockThreads),
               "cudaOccupancyMaxActiveBlocksPerMultiprocessor");
    blocks_per_sm_ = static_cast<uint32_t>(std::max(1, per_sm));
  }

  CudaDevice(const CudaDevice&) = delete;
  CudaDevice& operator=(const CudaDevice&) = delete;

  ~CudaDevice() override {
    if (cudaSetDevice(info_.index) != cudaSuccess) cudaGetLastError();
    for (cudaEvent_t e : events_) cudaEventDestroy(e);
    for (cudaStream_t s : streams_) cudaStreamDestroy(s);
    cudaGetLastError();
  }

  DeviceInfo info() const override { return info_; }

  void* alloc(size_t bytes) override {
    use();
    void* p = nullptr;
    const cudaError_t e = cudaMalloc(&p, bytes);
    if (e != cudaSuccess) check_cuda(e, "cudaMalloc(" + std::to_string(bytes) + " bytes)");
    return p;
  }

  void free(void* p) noexcept override {
    if (p == nullptr) return;
    if (cudaSetDevice(info_.index) != cudaSuccess || cudaFree(p) != cudaSuccess) cudaGetLastError();
  }

  void* host_alloc_pinned(size_t bytes) noexcept override {
    void* p = nullptr;
    if (cudaSetDevice(info_.index) != cudaSuccess ||
        cudaHostAlloc(&p, bytes, cudaHostAllocDefault) != cudaSuccess) {
      cudaGetLastError();
      return nullptr;
    }
    return p;
  }

  void host_free_pinned(void* p) noexcept override {
    if (p != nullptr && cudaFreeHost(p) != cudaSuccess) cudaGetLastError();
  }

  int create_stream() override {
    use();
    cudaStream_t s = nullptr;
    check_cuda(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    try {
      streams_.push_back(s);
    } catch (...) {
      cudaStreamDestroy(s);
      throw;
    }
    return static_cast<int>(streams_.size() - 1);
  }

  int create_event() override {
    use();
    cudaEvent_t ev = nullptr;
    // Blocking sync: a waiting host thread sleeps instead of spinning a core.
    check_cuda(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming | cudaEventBlockingSync),
          "cudaEventCreateWithFlags");
    try {
      events_.push_back(ev);
    } catch (...) {
      cudaEventDestroy(ev);
      throw;
    }
    return static_cast<int>(events_.size() - 1);
  }

  void copy_to_device(int stream, void* dst, const void* src, size_t n) override {
    use();
    check_cuda(cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, stream_of(stream)),
          "cudaMemcpyAsync(host to device)");
  }

  void copy_to_host(int stream, void* dst, const void* src, size_t n) override {
    use();
    check_cuda(cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, stream_of(stream)),
          "cudaMemcpyAsync(device to host)");
  }

  void fill_zero(int stream, void* dst, size_t n) override {
    use();
    check_cuda(cudaMemsetAsync(dst, 0, n, stream_of(stream)), "cudaMemsetAsync");
  }

  void launch_fused(int stream, const kernels::TileView& view, LaunchConfig cfg) override {
    // The kernel's phases need one thread per group column and are compiled
    // for at most kBlockThreads threads (__launch_bounds__).
    if (cfg.block < kernels::kGroupCols || cfg.block > kernels::kBlockThreads)
      throw DeviceError("launch_fused: block of " + std::to_string(cfg.block) +
                        " threads (must be " + std::to_string(kernels::kGroupCols) + ".." +
                        std::to_string(kernels::kBlockThreads) + ")");
    if (cfg.grid == 0) return;  // no block: nothing to do, as in the emulation
    use();
    cudaStream_t s = stream_of(stream);
    launch_fused_tile(view, cfg.grid, cfg.block, s);
    check_cuda(cudaGetLastError(), "fused_tile_kernel launch");
  }

  void launch_prob(int stream, const kernels::prob::ProbTileView& view,
                   LaunchConfig cfg) override {
    if (cfg.block == 0 || cfg.block > kernels::prob::kProbBlockThreads)
      throw DeviceError("launch_prob: block of " + std::to_string(cfg.block) +
                        " threads (must be 1.." +
                        std::to_string(kernels::prob::kProbBlockThreads) + ")");
    if (cfg.grid == 0) return;
    use();
    launch_prob_tile(view, cfg.grid, cfg.block, stream_of(stream));
    check_cuda(cudaGetLastError(), "prob_tile_kernel launch");
  }

  void record(int stream, int event) override {
    use();
    check_cuda(cudaEventRecord(event_of(event), stream_of(stream)), "cudaEventRecord");
  }

  void wait(int event) override {
    use();
    check_cuda(cudaEventSynchronize(event_of(event)), "cudaEventSynchronize");
  }

  uint32_t grid_for(uint32_t groups) const override {
    const uint64_t full = static_cast<uint64_t>(info_.sm_count) * blocks_per_sm_;
    return static_cast<uint32_t>(std::max<uint64_t>(1, std::min<uint64_t>(groups, full)));
  }

 private:
  // The current device is per host thread: make it ours before each call.
  void use() const { check_cuda(cudaSetDevice(info_.index), "cudaSetDevice"); }

  cudaStream_t stream_of(int h) const {
    if (h < 0 || static_cast<size_t>(h) >= streams_.size())
      throw DeviceError("no stream " + std::to_string(h) + " on CUDA device " +
                        std::to_string(info_.index));
    return streams_[static_cast<size_t>(h)];
  }
  cudaEvent_t event_of(int h) const {
    if (h < 0 || static_cast<size_t>(h) >= events_.size())
      throw DeviceError("no event " + std::to_string(h) + " on CUDA device " +
                        std::to_string(info_.index));
    return events_[static_cast<size_t>(h)];
  }

  DeviceInfo info_;
  uint32_t blocks_per_sm_ = 1;
  std::vector<cudaStream_t> streams_;
  std::vector<cudaEvent_t> events_;
};

}  // namespace

int cuda_device_count(std::string* why) {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    if (why != nullptr) *why = describe_cuda_error("cudaGetDeviceCount", e);
    return 0;
  }
  if (n <= 0) {
    if (why != nullptr) *why = "cudaGetDeviceCount: no CUDA device";
    return 0;
  }
  return n;
}

std::unique_ptr<DeviceApi> open_cuda_device(int index) {
  try {
    return std::make_unique<CudaDevice>(index);
  } catch (const DeviceOom& e) {  // creating the context ran out of memory
    throw DeviceError(std::string("CUDA device ") + std::to_string(index) + ": " + e.what());
  }
}

bool built_with_cuda() { return true; }

}  // namespace nm::gpu
