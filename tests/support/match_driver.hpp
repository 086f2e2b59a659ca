// One process, whole tables, pairs in memory: the engine's stages run back to
// back the plain way, so unit tests can check scoring and household results
// without the pipeline (MPI, the pair file, the reduce). Tests only: the
// product runs the stages through jobs/ and streams pairs instead.
#pragma once
#include <cstdint>
#include <vector>

#include "src/match/engine.hpp"
#include "src/match/households.hpp"
#include "src/match/options.hpp"
#include "src/match/table.hpp"

namespace nm::test {

// A kept pair as the tests compare it.
struct MatchPair {
  uint32_t left;
  uint32_t right;
  float confidence;
  uint8_t label;  // kernels::Label; kDirect for A1/A2
  bool operator<(const MatchPair& o) const {
    return left != o.left ? left < o.left : right < o.right;
  }
};

// Runs normalise -> partition -> score for algorithms 1–4 (for 5/6 the A4
// person pairs at the household threshold). `right` may be the same object as
// `left` with options.dedupe. Pairs come back sorted by (left, right).
std::vector<MatchPair> find_pairs(const RawTable& left, const RawTable& right,
                                  const MatchOptions& options, EngineStats* stats,
                                  const ProgressFn& progress = {});

// `pairs` are the A4 person pairs at or above the household threshold, sorted
// by (left, right). table2_view = false for A5, true for A6. Rows come back
// sorted by (uuid, hh_id) in byte order; their id is their position + 1.
std::vector<HouseholdRow> aggregate_households(const RawTable& t1, const RawTable& t2,
                                               const std::vector<MatchPair>& pairs,
                                               bool table2_view);

}  // namespace nm::test
