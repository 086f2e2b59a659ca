// The GPU backend on the CPU emulation of the device, as the GPU tests build
// it: an emulated device, its host buffer pool and a scorer on them
// (destroyed in reverse order). The scorer's report lines (out of memory,
// retries) are kept in `reports` for the tests to read.
#pragma once
#include <string>
#include <vector>

#include "src/gpu/buffer_pool.hpp"
#include "src/gpu/emulated_device.hpp"
#include "src/gpu/gpu_scorer.hpp"

namespace nm::test {

struct GpuRig {
  gpu::EmulatedDevice dev;
  gpu::HostBufferPool pool;
  std::vector<std::string> reports;
  gpu::GpuScorer scorer;

  GpuRig(const gpu::EmulatedDevice::Options& device, const gpu::GpuOptions& scorer_options)
      : dev(device),
        pool(&dev),
        scorer(dev, pool, scorer_options, [this](const std::string& m) { reports.push_back(m); }) {}
  GpuRig(const GpuRig&) = delete;
  GpuRig& operator=(const GpuRig&) = delete;
};

}  // namespace nm::test
