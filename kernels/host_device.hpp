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

// Relaxed atomics: the device's on a GPU, the compiler's builtins on the
// host (the emulation runs a grid's threads on CPU threads).
NM_HD NM_INLINE uint32_t atomic_add_u32(uint32_t* p, uint32_t v) {
#if defined(__CUDA_ARCH__)
  return atomicAdd(p, v);
#else
  return __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
#endif
}
NM_HD NM_INLINE void atomic_add_u64(unsigned long long* p, unsigned long long v) {
#if defined(__CUDA_ARCH__)
  atomicAdd(p, v);
#else
  __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
#endif
}
// The slot's previous value; `want` is stored when that was `expected`.
NM_HD NM_INLINE unsigned long long atomic_cas_u64(unsigned long long* p,
                                                  unsigned long long expected,
                                                  unsigned long long want) {
#if defined(__CUDA_ARCH__)
  return atomicCAS(p, expected, want);
#else
  __atomic_compare_exchange_n(p, &expected, want, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
  return expected;
#endif
}

}  // namespace nm::kernels
