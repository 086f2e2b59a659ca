// The fused tile kernel: the phases of kernels/fused_tile.hpp with the
// schedule of hd::emulate_block (a block takes one group at a time,
// grid-stride over groups; __syncthreads() where the emulation ends a phase).
// The emulation adds a block's count to t.scored, the kernel each thread's:
// the same total.
#include "kernels/fused_tile_launch.hpp"

namespace nm::gpu {

__global__ void __launch_bounds__(hd::kBlockThreads) fused_tile_kernel(hd::TileView t) {
  __shared__ hd::BlockShared sh;
  const uint32_t tid = threadIdx.x;
  const uint32_t nthreads = blockDim.x;
  hd::reset_shared(sh, tid, nthreads);
  __syncthreads();
  uint32_t* const scratch =
      t.scratch + (static_cast<uint64_t>(blockIdx.x) * nthreads + tid) * t.scratch_words;
  unsigned long long scored = 0;
  for (uint32_t g = blockIdx.x; g < t.n_groups; g += gridDim.x) {
    hd::build_group(t, g, tid, sh);
    __syncthreads();
    const hd::DevGroup G = t.groups[g];
    uint32_t k = 0;
    for (uint32_t i = tid; i < G.pairs; i += nthreads)
      scored += hd::score_group_pair(t, G.col_begin, G.col_end - G.col_begin, i, sh, scratch, k);
    __syncthreads();
    hd::clear_group(t, g, tid, sh);
    __syncthreads();
  }
  hd::flush_hist(t, tid, nthreads, sh);
  if (scored != 0) hd::atomic_add_u64(t.scored, scored);
}

void launch_fused_tile(const hd::TileView& view, uint32_t grid, uint32_t block,
                       cudaStream_t stream) {
  fused_tile_kernel<<<grid, block, 0, stream>>>(view);
}

cudaError_t fused_tile_blocks_per_sm(int* blocks, uint32_t block) {
  return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, fused_tile_kernel,
                                                       static_cast<int>(block), 0);
}

}  // namespace nm::gpu
