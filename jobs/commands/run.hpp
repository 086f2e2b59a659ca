// The `run` command: match two tables (or one with --dedupe) through the pipeline.
#pragma once
#include <string>
#include <vector>

#include "jobs/pipeline.hpp"

namespace nm::jobs {

int run_main(const std::vector<std::string>& args);

}  // namespace nm::jobs
