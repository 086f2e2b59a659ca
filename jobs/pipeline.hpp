// The pipeline of a run (`run`, `bench`): what it is given, what it reports,
// and run_pipeline. Its stages are in jobs/pipeline/ (stages.hpp).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "jobs/run_io.hpp"
#include "jobs/progress.hpp"
#include "src/match/engine.hpp"
#include "src/match/options.hpp"

namespace nm::jobs {

struct RunConfig {
  // left/right: CSV paths or mysql:// table URLs. out: the result CSV.
  std::string left, right, out;
  std::string out_xlsx;          // also write this workbook (empty: none)
  std::string out_db;            // also write the results into this mysql:// table
  std::string side_base;         // BASE of BASE.summary.json and BASE.rejects.csv (empty: out)
  bool out_is_temporary = false; // `out` was not asked for: removed once the others have it
  bool out_to_stdout = false;    // the temporary `out` is copied to standard output (--out -)
  DbRunOptions db;
  MatchOptions match;
  std::map<std::string, std::string> column_map;
  std::string date_format = "%Y-%m-%d";
  bool trim_fields = false;
  bool skip_bad_rows = false;
  // The probabilistic mode's reading (io::LoadOptions): columns read besides
  // the contract's (--compare/--block), and unreadable birthdates as missing.
  std::vector<std::string> extra_columns;
  bool dates_optional = false;
  bool show_progress = true;
  std::string pairs;                         // parallel-HDF5 pair file to write (empty: none)
  bool resume = false;                       // continue the run recorded in `pairs`
  uint32_t tiles_per_rank = 32;              // plan granularity (see partition/plan.hpp)
  uint64_t piece_pairs = uint64_t{1} << 25;  // candidate pairs scored between two pair-file appends
  bool piece_pairs_given = false;            // set on the command line (else x64 on a GPU)
  std::string device = "auto";               // auto | cpu | gpu | emulate (src/gpu/backend.hpp)
  uint64_t gpu_batch_pairs = uint64_t{1} << 25;  // candidate pairs per kernel launch
};

struct RunResult {
  uint64_t left_rows = 0, right_rows = 0, rejected = 0, duplicate_ids = 0;
  // Kept rows' blank birthdates, and (dates_optional) those read as missing
  // because they were no date; per side, summed over the ranks.
  uint64_t left_dates_missing = 0, left_dates_invalid = 0;
  uint64_t right_dates_missing = 0, right_dates_invalid = 0;
  uint64_t output_rows = 0, output_bytes = 0;
  double load_s = 0, write_s = 0, total_s = 0;
  EngineStats engine;
  std::string rejects_path;
  // Distributed figures (rank 0's view of the whole job).
  int ranks = 1;
  double shuffle_s = 0;
  uint64_t tiles_total = 0, tiles_skipped = 0;  // tiles skipped: finished before a --resume
  double predicted_imbalance = 1, measured_imbalance = 1;
  std::string summary_path;
  std::string backend;  // what rank 0 scored on: cpu, gpu or emulate
};

// Runs on every rank of MPI_COMM_WORLD (one rank without mpirun): load ->
// partition -> shuffle -> normalise -> score -> write -> reduce; rank 0
// writes the outputs and OUT.summary.json. Throws InputError / BadRowError /
// UsageError on the rank that found the problem and PeerFailed on the others.
RunResult run_pipeline(const RunConfig& cfg);

}  // namespace nm::jobs
