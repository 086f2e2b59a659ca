// `name_matcher bench`: speed figures as JSON (never a timed test).
#pragma once
#include <string>
#include <vector>

namespace nm::jobs {
int bench_main(const std::vector<std::string>& args);
}  // namespace nm::jobs
