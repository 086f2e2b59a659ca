// The single-process pipeline: load -> normalise -> partition -> score ->
// write (-> households). Used by `run` and `bench`.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "jobs/progress.hpp"
#include "src/engine.hpp"
#include "src/options.hpp"

namespace nm::jobs {

struct RunConfig {
  std::string left, right, out;
  MatchOptions match;
  std::map<std::string, std::string> column_map;
  std::string date_format = "%Y-%m-%d";
  bool trim_fields = false;
  bool skip_bad_rows = false;
  bool show_progress = true;
};

struct RunResult {
  uint64_t left_rows = 0, right_rows = 0, rejected = 0, duplicate_ids = 0;
  uint64_t output_rows = 0, output_bytes = 0;
  double load_s = 0, write_s = 0, total_s = 0;
  EngineStats engine;
  std::string rejects_path;
};

// Throws InputError / BadRowError / UsageError.
RunResult run_pipeline(const RunConfig& cfg);

// Applies the contract's environment variables to options not given on the
// command line.
void apply_environment(MatchOptions& m, bool threshold_given, bool household_given,
                       bool fuzzy_norm_given);

int run_main(const std::vector<std::string>& args);

}  // namespace nm::jobs
