// Score stage: candidate pairs of the tiles, scored with the contract's rules.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/candidate_pair.hpp"
#include "partition/blocks.hpp"
#include "src/match/options.hpp"
#include "src/match/prepare.hpp"
#include "src/match/table.hpp"

namespace nm {

// floor(score) of every matching pair (before the output threshold), 0..100.
using ScoreHistogram = std::array<uint64_t, kernels::kHistBins>;

struct EngineStats {
  double normalize_s = 0, partition_s = 0, score_s = 0;
  uint64_t blocks = 0, tiles = 0;
  uint64_t pairs_scored = 0;  // candidate pairs put through the rule
  uint64_t pairs_kept = 0;
  bool shortcut = false;  // metaphone / full-string grouping used
};

using ProgressFn = std::function<void(uint64_t pairs_done, uint64_t pairs_total)>;

// A kept pair with everything the pair file stores. Rows are indices into the
// tables the engine was given.
struct ScoredPair {
  uint32_t left, right;
  uint32_t tile;  // the ScoreJob's tag
  float confidence;
  float lev, jw, mp;  // metric values in percent (100 for direct/exact matches)
  uint8_t label;
};

// The normalise stage: every record of both tables prepared once (normalised
// names or code points + metaphone), and each record's candidate key (the
// birthdate, or a finer lossless key; kNoKey = cannot match).
struct PreparedTables {
  PreparedTables(const RawTable& left, const RawTable& right, const MatchOptions& options,
                 bool same_table, unsigned threads);
  const RawTable& left;
  const RawTable& right;
  uint64_t id;  // unique per object in the process (caches keyed on a preparation use it)
  bool same_table;  // right is the left table itself (single-process dedupe)
  bool fuzzy, with_middle, shortcut;
  float keep;  // pairs below this confidence are not kept
  ExactKeys left_exact;                         // exact algorithms (A1/A2)
  ExactKeys right_exact_own;                    // empty with same_table: read through right_exact()
  FuzzyTable left_fuzzy;                        // fuzzy algorithms
  FuzzyTable right_fuzzy_own;                   // empty with same_table: read through right_fuzzy()
  std::vector<uint64_t> left_keys, right_keys;  // right_keys is a copy of left_keys with same_table
  const FuzzyTable& right_fuzzy() const { return same_table ? left_fuzzy : right_fuzzy_own; }
  const ExactKeys& right_exact() const { return same_table ? left_exact : right_exact_own; }
};

// One rectangle of work handed to the scorer (CPU threads or the GPU
// backend): left entries x right entries grouped by key, cut into chunks for
// the threads. `tag` (the plan Tile's id in a distributed run) is copied into
// every kept pair.
struct ScoreJob {
  KeyedRows left_rows, right_rows;  // each side's entries, sorted by candidate key
  ChunkPlan chunk_plan;
  uint32_t tag = 0;
};

// All of both tables as one job (one process): rows sorted by key, blocks
// cut into chunks of at most tile_pairs pairs; with a same-table
// preparation both sides are the left table's rows.
ScoreJob whole_table_job(const PreparedTables& prep, uint64_t tile_pairs, unsigned threads);

// With dedupe a pair is scored only when left_order[l] < right_order[r]
// (global row numbers); null orders mean the row indices themselves.
struct PairOrder {
  bool dedupe = false;
  const uint64_t* left_order = nullptr;
  const uint64_t* right_order = nullptr;
};

// A scorer that runs the fuzzy rule elsewhere (the GPU backend, src/gpu):
// scores every job, appends kept pairs to `out` and returns the number of
// pairs put through the rule. The engine does not know what is behind it.
class OffloadScorer {
 public:
  virtual ~OffloadScorer() = default;
  virtual uint64_t score(const PreparedTables& prep, const std::vector<ScoreJob>& jobs,
                         const PairOrder& order, std::vector<ScoredPair>& out) = 0;
};

// Scores every job with `threads` threads, or on `offload` (the GPU backend)
// when it is given and the algorithm is fuzzy (A1/A2 are hash joins: always here);
// kept pairs are appended to `out` in no particular order and, when `hist`
// is given, every matching pair is counted in it (CPU backend; the GPU
// backend keeps its histogram on the device). Returns the number of pairs
// put through the rule.
uint64_t score_jobs(const PreparedTables& prep, const std::vector<ScoreJob>& jobs,
                    const PairOrder& order, unsigned threads, std::vector<ScoredPair>& out,
                    const ProgressFn& progress = {}, OffloadScorer* offload = nullptr,
                    ScoreHistogram* hist = nullptr);

// The largest confidence a non-direct pair without a phonetic match can have:
// (100 + 100 + 0) / 3 / 100 as float. Above it, grouping by metaphone code is lossless.
float phonetic_shortcut_bound();

// A note for the log when scoring one pair of full names of la and lb code
// points takes about a second or more (exact metrics, no length cap: the
// block Levenshtein's ceil(min/64) * max word steps dominate); empty
// otherwise.
std::string long_pair_note(uint32_t la, uint32_t lb);
// The same for the longest full name of each side of a fuzzy preparation,
// naming the two records by id; empty when such a pair is fast.
std::string long_names_note(const PreparedTables& prep);

const char* label_name(uint8_t label);

}  // namespace nm
