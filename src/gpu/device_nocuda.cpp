// The device functions of src/gpu/device_api.hpp in a build without the CUDA
// backend (NAME_MATCHER_CUDA=OFF or no nvcc); src/gpu/cuda_device.cpp replaces
// this file in a CUDA build.
#include <memory>
#include <string>

#include "src/gpu/device_api.hpp"

namespace nm::gpu {
namespace {
constexpr const char* kNoCuda =
    "this build has no CUDA backend (configured with NAME_MATCHER_CUDA=OFF or without nvcc)";
}  // namespace

int cuda_device_count(std::string* why) {
  if (why != nullptr) *why = kNoCuda;
  return 0;
}

std::unique_ptr<DeviceApi> open_cuda_device(int /*index*/) { throw DeviceError(kNoCuda); }

bool built_with_cuda() { return false; }

}  // namespace nm::gpu
