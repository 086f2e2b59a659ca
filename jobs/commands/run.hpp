// The `run` command: match two tables (or one with --dedupe) through the pipeline.
#pragma once
#include <string>
#include <vector>

#include "jobs/pipeline.hpp"

namespace nm::jobs {

// Sorts the --out values into cfg: a mysql:// URL (out_db), a .xlsx path
// (out_xlsx), any other path (out, the CSV); at most one of each. Without a
// CSV, out becomes a temporary one next to the workbook (or named after the
// table) and side_base names the summary and rejects.
void assign_outputs(RunConfig& cfg, const std::vector<std::string>& outs);

int run_main(const std::vector<std::string>& args);

}  // namespace nm::jobs
