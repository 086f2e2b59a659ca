// Score stage: candidate pairs of the tiles, scored with the contract's rules.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "src/options.hpp"
#include "src/prepare.hpp"
#include "src/table.hpp"

namespace nm {

struct MatchPair {
  uint32_t left;
  uint32_t right;
  float confidence;
  uint8_t label;  // hd::Label; kDirect for A1/A2
  bool operator<(const MatchPair& o) const {
    return left != o.left ? left < o.left : right < o.right;
  }
};

struct EngineStats {
  double normalize_s = 0, partition_s = 0, score_s = 0;
  uint64_t blocks = 0, tiles = 0;
  uint64_t pairs_scored = 0;  // candidate pairs put through the rule
  uint64_t pairs_kept = 0;
  bool shortcut = false;  // metaphone / full-string grouping used
};

using ProgressFn = std::function<void(uint64_t pairs_done, uint64_t pairs_total)>;

// Runs normalise -> partition -> score for algorithms 1–4 (for 5/6 the A4
// person pairs at the household threshold). `right` may be the same object as
// `left` with options.dedupe. Pairs come back sorted by (left, right).
std::vector<MatchPair> find_pairs(const RawTable& left, const RawTable& right,
                                  const MatchOptions& options, EngineStats* stats,
                                  const ProgressFn& progress = {});

// The largest confidence a non-direct pair without a phonetic match can have:
// (100 + 100 + 0) / 3 / 100 as float. Above it, grouping by metaphone code is lossless.
float phonetic_shortcut_bound();

const char* label_name(uint8_t label);

}  // namespace nm
