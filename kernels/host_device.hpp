// Portability macros for code shared by the CPU backend and CUDA kernels.
#pragma once
#if defined(__CUDACC__)
#define NM_HD __host__ __device__
#define NM_INLINE __forceinline__
#else
#define NM_HD
#define NM_INLINE inline __attribute__((always_inline))
#endif
#include <cstdint>

namespace nm::kernels {

NM_HD NM_INLINE int ctz64(uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __ffsll(static_cast<long long>(x)) - 1;
#else
  return __builtin_ctzll(x);
#endif
}

NM_HD NM_INLINE int popcount64(uint64_t x) {
#if defined(__CUDA_ARCH__)
  return __popcll(x);
#else
  // Bit arithmetic rather than __builtin_popcountll, which without -mpopcnt
  // becomes a libgcc call on the hottest path of the CPU backend.
  x = x - ((x >> 1) & 0x5555555555555555ull);
  x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
  x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0Full;
  return static_cast<int>((x * 0x0101010101010101ull) >> 56);
#endif
}

NM_HD NM_INLINE uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }
NM_HD NM_INLINE uint32_t max_u32(uint32_t a, uint32_t b) { return a > b ? a : b; }

}  // namespace nm::kernels
