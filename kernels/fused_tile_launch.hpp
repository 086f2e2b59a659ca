// Host side of kernels/fused_tile.cu, for the CUDA device (src/gpu/cuda_device.cpp).
// CUDA builds only: include from .cu files.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/fused_tile.hpp"

namespace nm::gpu {

// Enqueues fused_tile_kernel<<<grid, block, 0, stream>>>(view). Errors are
// reported by cudaGetLastError() afterwards, as for any launch.
void launch_fused_tile(const kernels::TileView& view, uint32_t grid, uint32_t block,
                       cudaStream_t stream);

// Blocks of `block` threads of the fused kernel one multiprocessor holds at once.
cudaError_t fused_tile_blocks_per_sm(int* blocks, uint32_t block);

}  // namespace nm::gpu
