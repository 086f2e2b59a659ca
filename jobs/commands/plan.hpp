// `name_matcher plan`: the distributed plan (partition/plan.hpp) for any rank
// count, from the birthdate columns alone, without matching.
//
//   name_matcher plan --left A.csv --right B.csv --ranks 4096 [--json] [--per-rank]
//
// Reads only the birthdate column of each file (a missing or invalid date
// counts as "no birthdate, cannot match", never an error), counts records per
// birthdate block and prints what make_plan predicts: blocks, tiles, candidate
// pairs, pairs per rank (mean, max, imbalance), the largest tile and block,
// records and memory per rank, and how long make_plan took.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "partition/plan.hpp"
#include "src/text/dates.hpp"

namespace nm::jobs {

// The memory a rank needs, estimated from the records it receives:
//   records x (file bytes / rows) x kPreparedFactor + kFixedBufferBytes
// (the prepared form -- code points, metaphone, masks -- is about four times
// the CSV text; the fixed part is the I/O, scoring and pair buffers).
inline constexpr double kPreparedFactor = 4.0;
inline constexpr uint64_t kFixedBufferBytes = uint64_t{256} << 20;
uint64_t rank_memory_bytes(uint64_t left_records, double left_bytes_per_record,
                           uint64_t right_records, double right_bytes_per_record);

struct BirthdateReadOptions {
  std::string column = "birthdate";  // header name of the birthdate column (--map birthdate=COL)
  DateFormat date_format;
  bool trim_fields = false;
};

// Records per birthdate of one CSV file.
struct BirthdateCounts {
  std::string path;
  uint64_t rows = 0;            // data rows (the header not counted)
  uint64_t with_birthdate = 0;  // rows in a block
  uint64_t missing = 0;         // empty birthdate: cannot match
  uint64_t invalid = 0;         // not a real date in the format: cannot match
  uint64_t malformed = 0;       // bad CSV record or wrong field count: `run` would reject it
  uint64_t file_bytes = 0;
  std::vector<std::pair<int32_t, uint64_t>> days;  // (days since 1970-01-01, rows), by day
  double bytes_per_record() const {
    return rows == 0 ? 0.0 : static_cast<double>(file_bytes) / static_cast<double>(rows);
  }
};

// Throws nm::InputError when the file cannot be read, is empty, or has no
// such column (the message lists the header) or two (as run: io/header.hpp).
BirthdateCounts count_birthdates(const std::string& path, const BirthdateReadOptions& options);

// One BlockSize per birthdate (key = birthdate_key(day)); `right` null means
// dedupe (left matched against itself).
std::vector<BlockSize> block_sizes(const BirthdateCounts& left, const BirthdateCounts* right);

// CLI (see --help). Returns 0, or 1 on bad options or input (message on stderr).
int plan_main(const std::vector<std::string>& args);

}  // namespace nm::jobs
