// The `reduce` command: rebuild the outputs of a finished run from its pair
// file (run --pairs), without rescoring.
#pragma once
#include <string>
#include <vector>

namespace nm::jobs {

int reduce_main(const std::vector<std::string>& args);

}  // namespace nm::jobs
