// Household aggregation, algorithms 5 and 6 (matching.md section 4).
#pragma once
#include <string>
#include <vector>

#include "src/engine.hpp"
#include "src/table.hpp"

namespace nm {

struct HouseholdRow {
  std::string uuid;   // table-1 household key
  std::string hh_id;  // table-2 household key (hh_id, or the id text)
  float pct;
};

// `pairs` are the A4 person pairs at or above the household threshold, sorted
// by (left, right). table2_view = false for A5, true for A6. Rows come back
// sorted by (uuid, hh_id) in byte order; their id is their position + 1.
std::vector<HouseholdRow> aggregate_households(const RawTable& t1, const RawTable& t2,
                                               const std::vector<MatchPair>& pairs,
                                               bool table2_view);

}  // namespace nm
