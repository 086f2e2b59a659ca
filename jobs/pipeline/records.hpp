// The records of one side that a rank holds, between the load and the score
// stages: loaded (its slice of the input) or received in the shuffle (the
// records its tiles need).
#pragma once
#include <cstdint>
#include <vector>

#include "io/table_loader.hpp"

namespace nm::jobs {

struct SideRecords {
  RawTable table;
  std::vector<uint64_t> global;  // global row number of each local row
  std::vector<uint32_t> block;   // plan block index; kNoBlock = cannot match
  std::vector<uint64_t> pos;     // position among the block's rows (global row order)
};

constexpr uint32_t kNoBlock = UINT32_MAX;

}  // namespace nm::jobs
