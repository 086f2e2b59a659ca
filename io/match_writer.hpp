// Writes the user outputs in the contract's exact formats (matching.md section 5).
#pragma once
#include <string>
#include <vector>

#include "src/engine.hpp"
#include "src/households.hpp"
#include "src/table.hpp"

namespace nm::io {

std::string match_header(int algorithm);

// Pairs (sorted by left, right) for algorithms 1–4. Returns bytes written.
uint64_t write_matches(const std::string& path, int algorithm, const RawTable& t1,
                       const RawTable& t2, const std::vector<MatchPair>& pairs);

uint64_t write_households(const std::string& path, const std::vector<HouseholdRow>& rows);

}  // namespace nm::io
