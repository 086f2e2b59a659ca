// The generator's random numbers: xoshiro256** streams seeded from (seed,
// stream), and Walker/Vose alias tables for weighted choices. Every file of
// the generated data set depends on the exact sequence these produce: a change
// here changes every output.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nm::jobs::generator {

inline uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// xoshiro256**, seeded from (seed, stream) through splitmix64.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ 0x6A09E667F3BCC909ULL;
    uint64_t a = splitmix64(x);
    x = a ^ ((stream + 0x632BE59BD9B4E019ULL) * 0xD1B54A32D192ED03ULL);
    for (auto& s : s_) s = splitmix64(x);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  int range(int lo, int hi) {
    return lo + static_cast<int>(below(static_cast<uint64_t>(hi - lo + 1)));
  }
  bool chance(double p) { return uniform() < p; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_;
};

// Walker/Vose alias table: O(1) weighted sampling.
class Alias {
 public:
  Alias() = default;
  explicit Alias(const std::vector<double>& w);
  size_t sample(Rng& rng) const {
    size_t i = rng.below(prob_.size());
    return rng.uniform() < prob_[i] ? i : alias_[i];
  }
  size_t size() const { return prob_.size(); }

 private:
  std::vector<double> prob_;
  std::vector<uint32_t> alias_;
};

}  // namespace nm::jobs::generator
