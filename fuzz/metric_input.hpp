// The fuzzer's bytes as two strings of code points, for the metric targets
// (fuzz_levenshtein.cpp, fuzz_jaro.cpp). Byte 0 says where the body (bytes 2
// on) is cut into a and b; byte 1 how often each part is repeated (1, 2, 4
// or 8 times), so that short inputs, which a short run mostly tries, reach
// the paths beyond 64 code points too. Every body byte is one code point,
// drawn from a small alphabet so that equal characters (matches,
// transpositions, common prefixes) are frequent: mostly ASCII letters,
// sometimes a space, the ASCII/non-ASCII edge (0x7F, 0x80) and code points
// of 2, 3 and 4 UTF-8 bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>
#include <vector>

#include "kernels/metrics.hpp"

namespace nm::fuzz {

using CodePoints = std::vector<uint32_t>;

// Longer strings add no path (the block algorithms loop over 64-bit words) but
// make the quadratic references slow: each string is cut here.
// One pattern table for the whole run, cleared after each use as the engine
// does (a table is large: building one per input would swamp the run).
inline nm::kernels::Pattern64* shared_pattern() {
  static const std::unique_ptr<nm::kernels::Pattern64> pattern = [] {
    auto p = std::make_unique<nm::kernels::Pattern64>();
    p->reset_all();
    return p;
  }();
  return pattern.get();
}

inline constexpr size_t kMaxCodePoints = 512;

inline uint32_t code_point_of(uint8_t byte) {
  constexpr uint32_t kRare[] = {' ', 0x7F, 0x80, 0xE9, 0x142, 0x3A3, 0x738B, 0x1F600};
  if (byte < 0xC0) return 'a' + byte % 12;  // 3/4 of the bytes: a..l
  return kRare[byte % 8];
}

inline std::pair<CodePoints, CodePoints> two_strings(const uint8_t* data, size_t size) {
  std::pair<CodePoints, CodePoints> out;
  if (size < 2) return out;
  const uint8_t* body = data + 2;
  const size_t n = size - 2;
  const size_t cut = n * data[0] / 255;
  const int repeats = 1 << (data[1] & 3);
  for (int r = 0; r < repeats; ++r) {
    for (size_t i = 0; i < cut; ++i) out.first.push_back(code_point_of(body[i]));
    for (size_t i = cut; i < n; ++i) out.second.push_back(code_point_of(body[i]));
  }
  if (out.first.size() > kMaxCodePoints) out.first.resize(kMaxCodePoints);
  if (out.second.size() > kMaxCodePoints) out.second.resize(kMaxCodePoints);
  return out;
}

// Number of bytes the code points take in UTF-8.
inline uint32_t utf8_bytes(const CodePoints& s) {
  uint32_t n = 0;
  for (uint32_t c : s) n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  return n;
}

// Aborts (so libFuzzer keeps the input) when a fast path disagrees with the
// reference, printing both strings.
inline void expect_equal(double got, double want, const char* path, const CodePoints& a,
                         const CodePoints& b) {
  if (got == want) return;
  std::fprintf(stderr, "%s differs from the reference: got %.17g, want %.17g\na:", path, got, want);
  for (uint32_t c : a) std::fprintf(stderr, " %X", c);
  std::fprintf(stderr, "\nb:");
  for (uint32_t c : b) std::fprintf(stderr, " %X", c);
  std::fprintf(stderr, "\n");
  std::abort();
}

}  // namespace nm::fuzz
