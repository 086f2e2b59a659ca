// Writes the user outputs in the contract's exact formats (matching.md section 5).
#pragma once
#include <string>
#include <vector>

#include "io/csv_writer.hpp"
#include "src/match/households.hpp"
#include "src/match/table.hpp"

namespace nm::io {

std::string match_header(int algorithm);

// What the output needs of one pair besides its numbers, rendered where the
// two records are (the scoring rank) so the reduce needs no record lookups:
// each table's output fields as CSV text (with a trailing comma) and the two
// household keys (table-1 uuid; table-2 hh_id, or its id when hh_id is missing).
struct PairPayload {
  std::string_view t1, t2, hh1, hh2;
};
void append_payload(std::string& out, int algorithm, const RawTable& t1, uint32_t row1,
                    const RawTable& t2, uint32_t row2);
PairPayload parse_payload(std::string_view bytes);  // throws InputError when malformed

// A1–A4 output, one pair at a time in canonical order.
class MatchCsvWriter {
 public:
  // group: see OutputFile (null: the file is renamed into place by close()).
  MatchCsvWriter(const std::string& path, int algorithm, CommitGroup* group = nullptr);
  void add(const PairPayload& p, float confidence, uint8_t label);
  uint64_t close();  // returns bytes written
  uint64_t rows() const { return rows_; }

 private:
  OutputFile file_;
  int algorithm_;
  uint64_t rows_ = 0;
};

uint64_t write_households(const std::string& path, const std::vector<HouseholdRow>& rows,
                          CommitGroup* group = nullptr);

}  // namespace nm::io
