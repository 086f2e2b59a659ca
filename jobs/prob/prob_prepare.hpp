// The first stages of run_prob (prob_run.cpp): reading the model and the
// tables, choosing the rules, preparing the compared values. `explain
// --model` and `plan --algorithm prob` call these same functions, so what
// they show is what a run with the same options does.
#pragma once
#include <string>
#include <vector>

#include "io/db/db_reader.hpp"
#include "io/table_loader.hpp"
#include "jobs/prob/prob_run.hpp"
#include "jobs/progress.hpp"
#include "src/match/prob/linker.hpp"
#include "src/match/prob/model.hpp"
#include "src/match/table.hpp"

namespace nm::jobs {

// The whole file; InputError "<path> (<role>): cannot be read".
std::string read_text_file(const std::string& path, const char* role);

// Columns the loader must read besides the contract's: those compared and
// those the blocking rules name.
std::vector<std::string> prob_extra_columns(const std::vector<prob::Comparison>& comparisons,
                                            const std::vector<prob::BlockingRule>& rules);

struct ProbTables {
  RawTable left, right;  // right is empty with dedupe
  io::LoadStats left_stats, right_stats;
  db::DbReadStats left_db, right_db;  // the sides read from database tables
};
// Reads --left (and --right unless dedupe), each a CSV file or a mysql://
// table, as the run does: cfg's column map, date format, trimming, bad-row
// handling and database options; bad dates are missing (prob_load.cpp).
ProbTables load_prob_tables(const ProbConfig& cfg, const std::vector<std::string>& extras,
                            io::RejectsFile& rejects, Progress& progress);

std::vector<prob::BlockingRule> parse_prob_rules(const std::vector<std::string>& texts);

// The texts of the rules that score: --block, else the model's (given), else
// the defaults for these comparisons; `defaults` says the last, whose rules
// are then cut to the pair budget (prob::choose_default_rules).
std::vector<std::string> scoring_rule_texts(const ProbConfig& cfg, const prob::Model* given,
                                            const std::vector<prob::Comparison>& comparisons,
                                            bool& defaults);

// The comparisons' half of the prepared link data: the plan, both sides'
// compared values and the term-frequency counts over both tables (no
// blocking rules).
prob::LinkData prepare_comparisons(const ProbConfig& cfg, const ProbTables& t,
                                   const std::vector<prob::Comparison>& comparisons);

}  // namespace nm::jobs
