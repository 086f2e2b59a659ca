// `name_matcher seed`: the generator's data (the same rows as `generate`)
// loaded into a database as a left, a right and a truth table.
#pragma once
#include <string>
#include <vector>

namespace nm::jobs {

// CLI: seed --rows N --seed S [--overlap F] [--skew F] [--left-table T]
// [--right-table T] [--truth-table T] [--if-exists fail|replace]
// [--password-file F] [--db-option-file F] [--quiet] mysql://USER@HOST:PORT/DB
int seed_main(const std::vector<std::string>& args);

}  // namespace nm::jobs
