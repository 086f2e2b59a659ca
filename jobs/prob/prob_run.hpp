// The probabilistic mode's run (`run --algorithm prob`) and `train`:
// load -> prepare -> block -> (train) -> score -> write (pairs, clusters,
// model, summary). docs/PROBABILISTIC.md.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "jobs/run_io.hpp"

namespace nm::jobs {

struct ProbConfig {
  std::string left, right;  // CSV files or mysql:// tables
  std::string out;          // the pairs CSV (empty with train only)
  // --out FILE.xlsx, --out mysql://...: the pairs also as a workbook and in a
  // table, made from the CSV (jobs/run_io.hpp: sort_outputs). side_base and
  // out_is_temporary and out_to_stdout as in RunConfig.
  std::string out_xlsx, out_db, side_base;
  bool out_is_temporary = false;
  bool out_to_stdout = false;
  DbRunOptions db;
  std::string clusters;     // --clusters OUT.csv
  std::string model_in;     // --model: use this model, no training
  std::string model_out;    // --model-out (default with run: OUT.model.json)
  bool train_only = false;  // the `train` command
  bool dedupe = false;
  bool one_to_one = false;
  std::map<std::string, std::string> column_map;
  std::string date_format = "%Y-%m-%d";
  bool trim_fields = false, skip_bad_rows = false;
  std::vector<std::string> compare;  // --compare COLUMN=KIND
  std::vector<std::string> block;    // --block RULE (empty: the default rules)
  std::vector<std::string> train_block;  // --train-block RULE (empty: the default training rules)
  double min_probability = 0.7;
  unsigned threads = 1;
  uint64_t u_sample_pairs = 2'000'000;
  uint64_t seed = 1;
  uint64_t chunk_pairs = uint64_t{1} << 20;
  // --pairs P.h5: the kept pairs go to this pair file (scored on the CPU, a
  // chunk of pairs at a time) and the outputs are made from it; --resume
  // continues an interrupted run of it (jobs/prob/prob_pairs.hpp).
  std::string pairs;
  bool resume = false;
  std::string device = "auto";  // --device auto|cpu|gpu|emulate (jobs/prob/prob_engine.hpp)
  bool show_progress = true;
};

struct ProbResult {
  uint64_t left_rows = 0, right_rows = 0, rejected = 0;
  uint64_t candidate_pairs = 0, pairs_written = 0, clusters = 0;
  double total_s = 0;
  std::string model_path, summary_path;
};

ProbResult run_prob(const ProbConfig& cfg);

// The command lines: `run --algorithm prob ...` and `train ...`.
int prob_run_main(const std::vector<std::string>& args, bool train_only);
// Whether a `run` (or `plan`) command line asks for the probabilistic mode.
bool asks_for_prob(const std::vector<std::string>& args);
// `plan --algorithm prob`: each blocking rule's candidate pairs (prob_plan.cpp).
int prob_plan_main(const std::vector<std::string>& args);

}  // namespace nm::jobs
