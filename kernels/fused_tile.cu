// The fused tile kernel: the phases of kernels/fused_tile.hpp with the
// schedule of kernels::emulate_block (a block takes one group at a time,
// grid-stride over groups; __syncthreads() where the emulation ends a phase).
// The emulation adds a block's count to t.scored, the kernel each thread's:
// the same total.
#include "kernels/fused_tile_launch.hpp"

namespace nm::gpu {

__global__ void __launch_bounds__(kernels::kBlockThreads) fused_tile_kernel(kernels::TileView t) {
  __shared__ kernels::BlockShared sh;
  const uint32_t tid = threadIdx.x;
  const uint32_t nthreads = blockDim.x;
  kernels::reset_shared(sh, tid, nthreads);
  __syncthreads();
  uint32_t* const scratch =
      t.scratch + (static_cast<uint64_t>(blockIdx.x) * nthreads + tid) * t.scratch_words;
  unsigned long long scored = 0;
  for (uint32_t g = blockIdx.x; g < t.n_groups; g += gridDim.x) {
    kernels::build_group(t, g, tid, sh);
    __syncthreads();
    const kernels::DevGroup G = t.groups[g];
    uint32_t k = 0;
    for (uint32_t i = tid; i < G.pairs; i += nthreads)
      scored +=
          kernels::score_group_pair(t, G.col_begin, G.col_end - G.col_begin, i, sh, scratch, k);
    __syncthreads();
    kernels::clear_group(t, g, tid, sh);
    __syncthreads();
  }
  kernels::flush_hist(t, tid, nthreads, sh);
  if (scored != 0) kernels::atomic_add_u64(t.scored, scored);
}

void launch_fused_tile(const kernels::TileView& view, uint32_t grid, uint32_t block,
                       cudaStream_t stream) {
  fused_tile_kernel<<<grid, block, 0, stream>>>(view);
}

cudaError_t fused_tile_blocks_per_sm(int* blocks, uint32_t block) {
  return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, fused_tile_kernel,
                                                       static_cast<int>(block), 0);
}

}  // namespace nm::gpu
