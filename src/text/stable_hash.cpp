#include "src/text/stable_hash.hpp"

#include <cstring>

namespace nm {

uint64_t stable_hash(std::string_view s, uint64_t seed) {
  // 64-bit multiply-xorshift over 8-byte words; stable across runs and hosts.
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = seed ^ (s.size() * kMul);
  size_t i = 0;
  auto mix = [&](uint64_t w) {
    h ^= w;
    h *= kMul;
    h ^= h >> 29;
  };
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    mix(w);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  mix(tail ^ 0xFF);
  h ^= h >> 32;
  h *= 0xD6E8FEB86659FD93ull;
  h ^= h >> 32;
  return h;
}

}  // namespace nm
