// The one rule for a failed CUDA runtime call in host code (compiled only in
// the CUDA build: src/gpu/cuda_device.cpp and nccl_collectives.cpp). Every
// caller raises the same errors, so an out-of-memory is DeviceOom wherever it
// happens and the backend's fallback (smaller tiles, CPU) sees it.
#pragma once
#include <cuda_runtime.h>

#include <string>

#include "src/gpu/device_api.hpp"

namespace nm::gpu {

// "call: CUDA's text (error N)".
inline std::string describe_cuda_error(const std::string& call, cudaError_t e) {
  return call + ": " + cudaGetErrorString(e) + " (error " + std::to_string(static_cast<int>(e)) +
         ")";
}

// Throws for a failed call: DeviceOom when memory ran out, else DeviceError.
// Clears CUDA's sticky last error first so that later calls do not see it again.
inline void check_cuda(cudaError_t e, const std::string& call) {
  if (e == cudaSuccess) return;
  cudaGetLastError();
  if (e == cudaErrorMemoryAllocation) throw DeviceOom(describe_cuda_error(call, e));
  throw DeviceError(describe_cuda_error(call, e));
}

}  // namespace nm::gpu
