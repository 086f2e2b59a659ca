#include "src/gpu/emulated_device.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include "src/parallel.hpp"

namespace nm::gpu {

EmulatedDevice::EmulatedDevice(Options o) : opt_(o) {}

EmulatedDevice::~EmulatedDevice() {
  for (auto& [p, n] : allocs_) ::operator delete(p, std::align_val_t{256});
}

DeviceInfo EmulatedDevice::info() const {
  DeviceInfo d;
  d.index = 0;
  d.name = "CPU emulation of the fused kernel";
  d.sm_count = static_cast<int>(opt_.threads);
  d.total_mem = opt_.memory_bytes;
  d.emulated = true;
  return d;
}

void EmulatedDevice::log(DeviceOp op) {
  if (opt_.record_ops) ops_.push_back(op);
}

void* EmulatedDevice::alloc(size_t bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (bytes > opt_.memory_bytes || in_use_ > opt_.memory_bytes - bytes)
    throw DeviceOom("emulated device: out of memory allocating " + std::to_string(bytes) +
                    " bytes (" + std::to_string(in_use_) + " of " +
                    std::to_string(opt_.memory_bytes) + " in use)");
  void* p = ::operator new(bytes == 0 ? 1 : bytes, std::align_val_t{256});
  allocs_[p] = bytes;
  in_use_ += bytes;
  log({DeviceOp::kAlloc, -1, -1, bytes});
  return p;
}

void EmulatedDevice::free(void* p) noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = allocs_.find(p);
  if (it == allocs_.end()) return;
  in_use_ -= it->second;
  log({DeviceOp::kFree, -1, -1, it->second});
  allocs_.erase(it);
  ::operator delete(p, std::align_val_t{256});
}

void* EmulatedDevice::host_alloc_pinned(size_t bytes) noexcept {
  if (opt_.refuse_pinned) return nullptr;
  return std::aligned_alloc(256, ((bytes == 0 ? 1 : bytes) + 255) & ~size_t{255});
}

void EmulatedDevice::host_free_pinned(void* p) noexcept { std::free(p); }

int EmulatedDevice::create_stream() {
  std::lock_guard<std::mutex> lock(mu_);
  return streams_++;
}

int EmulatedDevice::create_event() {
  std::lock_guard<std::mutex> lock(mu_);
  return events_++;
}

void EmulatedDevice::copy_to_device(int stream, void* dst, const void* src, size_t n) {
  if (n != 0) std::memcpy(dst, src, n);
  std::lock_guard<std::mutex> lock(mu_);
  log({DeviceOp::kCopyToDevice, stream, -1, n});
}

void EmulatedDevice::copy_to_host(int stream, void* dst, const void* src, size_t n) {
  if (n != 0) std::memcpy(dst, src, n);
  std::lock_guard<std::mutex> lock(mu_);
  log({DeviceOp::kCopyToHost, stream, -1, n});
}

void EmulatedDevice::fill_zero(int stream, void* dst, size_t n) {
  if (n != 0) std::memset(dst, 0, n);
  std::lock_guard<std::mutex> lock(mu_);
  log({DeviceOp::kFill, stream, -1, n});
}

void EmulatedDevice::launch_fused(int stream, const kernels::TileView& view, LaunchConfig cfg) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_launches_ > 0) {
      --fail_launches_;
      throw DeviceOom("emulated device: launch failed: out of memory (injected)");
    }
    ++launches_;
    log({DeviceOp::kLaunch, stream, -1, 0});
  }
  // Blocks are independent (they meet only in atomics), so CPU threads may
  // run them in any order; each has its own "shared memory".
  const unsigned threads = std::max(1u, opt_.threads);
  std::vector<std::unique_ptr<kernels::BlockShared>> shared(threads);
  for (auto& s : shared) s = std::make_unique<kernels::BlockShared>();
  parallel_for(cfg.grid, threads, [&](size_t bx, unsigned tid) {
    kernels::emulate_block(view, static_cast<uint32_t>(bx), cfg.grid, cfg.block, *shared[tid]);
  });
}

void EmulatedDevice::launch_prob(int stream, const kernels::prob::ProbTileView& view,
                                 LaunchConfig cfg) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fail_launches_ > 0) {
      --fail_launches_;
      throw DeviceOom("emulated device: launch failed: out of memory (injected)");
    }
    ++launches_;
    log({DeviceOp::kLaunch, stream, -1, 0});
  }
  // As launch_fused: blocks meet only in atomics, each has its own table.
  const unsigned threads = std::max(1u, opt_.threads);
  std::vector<std::unique_ptr<kernels::prob::ProbBlockShared>> shared(threads);
  for (auto& s : shared) s = std::make_unique<kernels::prob::ProbBlockShared>();
  parallel_for(cfg.grid, threads, [&](size_t bx, unsigned tid) {
    kernels::prob::emulate_prob_block(view, static_cast<uint32_t>(bx), cfg.grid, cfg.block,
                                      *shared[tid]);
  });
}

void EmulatedDevice::record(int stream, int event) {
  std::lock_guard<std::mutex> lock(mu_);
  log({DeviceOp::kRecord, stream, event, 0});
}

void EmulatedDevice::wait(int event) {
  std::lock_guard<std::mutex> lock(mu_);
  log({DeviceOp::kWait, -1, event, 0});
}

uint32_t EmulatedDevice::grid_for(uint32_t groups) const {
  const uint32_t g = groups < opt_.max_grid ? groups : opt_.max_grid;
  return g == 0 ? 1 : g;
}

std::vector<DeviceOp> EmulatedDevice::ops() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ops_;
}

void EmulatedDevice::clear_ops() {
  std::lock_guard<std::mutex> lock(mu_);
  ops_.clear();
}

size_t EmulatedDevice::bytes_in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}

}  // namespace nm::gpu
