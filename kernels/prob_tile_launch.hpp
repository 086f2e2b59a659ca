// Host side of kernels/prob_tile.cu, for the CUDA device (src/gpu/cuda_device.cpp).
// CUDA builds only: include from .cu files or code built with the CUDA runtime.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/prob_tile.hpp"

namespace nm::gpu {

// Enqueues prob_tile_kernel<<<grid, block, 0, stream>>>(view). Errors are
// reported by cudaGetLastError() afterwards, as for any launch.
void launch_prob_tile(const kernels::prob::ProbTileView& view, uint32_t grid, uint32_t block,
                      cudaStream_t stream);

// Blocks of `block` threads of the probabilistic kernel one multiprocessor holds at once.
cudaError_t prob_tile_blocks_per_sm(int* blocks, uint32_t block);

}  // namespace nm::gpu
