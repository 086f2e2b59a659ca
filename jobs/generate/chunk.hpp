// One chunk of the generated data set: rows [c*K, c*K+n) of both tables
// (K = kChunkRows) and their true pairs, made from an RNG seeded from
// (seed, c) only, so chunks can be made on any thread in any order.
#pragma once
#include <cstdint>
#include <string>

#include "jobs/generate/generate.hpp"

namespace nm::jobs::generator {

inline constexpr uint64_t kChunkRows = 1 << 15;

struct ChunkOut {
  std::string left, right, truth;
  uint64_t pairs = 0;
  bool ready = false;
};

// Fills out with chunk `chunk` of the data set o describes (out.ready untouched).
void generate_chunk(const GenerateOptions& o, uint64_t chunk, ChunkOut& out);

}  // namespace nm::jobs::generator
