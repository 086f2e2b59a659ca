// The probabilistic mode's micro-benchmark for `name_matcher bench`: the
// comparison vector of the default comparisons (first, middle, last name,
// birthdate: kernels::prob::compare_pair) on one thread.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>

#include "src/match/table.hpp"

namespace nm::jobs {

// Every pair of a grid of the first (up to) 2,000 left x 2,000 right records,
// left row outer as in the engine's blocks, repeated until `target` pairs:
// through the CPU's fast path (each left row's patterns reused over its
// right rows) and, on a quarter of the pairs, the plain path (the GPU's).
// Reports pairs per second of each and whether their levels agreed.
nlohmann::ordered_json prob_compare_micro(const RawTable& left, const RawTable& right,
                                          uint64_t target);

}  // namespace nm::jobs
