// `name_matcher gpu-selftest`: random tiles through the fused kernel (on a
// CUDA device, or its CPU emulation), compared with the CPU backend.
#pragma once
#include <string>
#include <vector>

namespace nm::jobs {

// name_matcher gpu-selftest [--emulate] [--rows N] [--seed S] [--json]
int gpu_selftest_main(const std::vector<std::string>& args);

}  // namespace nm::jobs
