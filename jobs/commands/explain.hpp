// `name_matcher explain`: why a pair matches or not, step by step.
#pragma once
#include <string>
#include <vector>

namespace nm::jobs {
int explain_main(const std::vector<std::string>& args);
}  // namespace nm::jobs
