// The probabilistic mode's kernel: the phases of kernels/prob_tile.hpp with
// the schedule of kernels::prob::emulate_prob_block (pairs grid-stride, the
// block's pattern table reset before and flushed after, with __syncthreads()
// where the emulation ends a phase).
#include "kernels/prob_tile_launch.hpp"

namespace nm::gpu {

__global__ void __launch_bounds__(kernels::prob::kProbBlockThreads)
    prob_tile_kernel(kernels::prob::ProbTileView t) {
  __shared__ kernels::prob::ProbBlockShared sh;
  const uint32_t tid = threadIdx.x;
  const uint32_t nthreads = blockDim.x;
  if (t.count != 0) {
    kernels::prob::prob_reset_shared(t, tid, nthreads, sh);
    __syncthreads();
  }
  uint32_t* const scratch =
      t.scratch + (static_cast<uint64_t>(blockIdx.x) * nthreads + tid) * t.scratch_words;
  const uint64_t stride = static_cast<uint64_t>(gridDim.x) * nthreads;
  for (uint64_t i = static_cast<uint64_t>(blockIdx.x) * nthreads + tid; i < t.n_pairs; i += stride)
    kernels::prob::prob_pair(t, static_cast<uint32_t>(i), sh, scratch);
  if (t.count != 0) {
    __syncthreads();
    kernels::prob::prob_flush_table(t, tid, nthreads, sh);
  }
}

void launch_prob_tile(const kernels::prob::ProbTileView& view, uint32_t grid, uint32_t block,
                      cudaStream_t stream) {
  prob_tile_kernel<<<grid, block, 0, stream>>>(view);
}

cudaError_t prob_tile_blocks_per_sm(int* blocks, uint32_t block) {
  return cudaOccupancyMaxActiveBlocksPerMultiprocessor(blocks, prob_tile_kernel,
                                                       static_cast<int>(block), 0);
}

}  // namespace nm::gpu
