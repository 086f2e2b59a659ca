// The fused tile kernel: the phases of kernels/fused_tile.hpp with the
// schedule of hd::emulate_block (a block takes one group at a time,
// grid-stride over groups; __syncthreads() where the emulation ends a phase).
// The emulation adds a block's count to t.scored, the kernel each thread's:
// the same total.
#include "kernels/fused_tile_launch.hpp"

namespace nm::gpu {

__global__ void __launch_bounds__(hd::kBlockThreads) fused_tile_kernel(hd::TileView t) {
  __shared__ hd::Pattern64 pats[hd::kGroupCols];
  const uint32_t tid = threadIdx.x;
  const uint32_t nthreads = blockDim.x;
  hd::reset_patterns(pats, tid, nthreads);
  __syncthreads();
  uint32_t* const scratch =
      t.scratch + (static_cast<uint64_t>(blockIdx.x) * nthreads + tid) * t.scratch_words;
  unsigned long long scored = 0;
  for (uint32_t g = blockIdx.x; g < t.n_groups; g += gridDim.x) {
    hd::build_patterns(t, g, tid, pats);
    __syncthreads();
    const uint32_t n = t.groups[g].pairs;
    for (uint32_t i = tid; i < n; i += nthreads)
      scored += hd::score_group_pair(t, g, i, pats, scratch);
    __syncthreads();
    hd::clear_patterns(t, g, tid, pats);
    __syncthreads();
  }
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
