// Reads a CSV person table into a RawTable: header mapping, validation, bad
// rows (stop, or reject to a file and go on).
#pragma once
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/csv_ranges.hpp"
#include "io/safe_output.hpp"
#include "src/text/dates.hpp"
#include "src/match/table.hpp"

namespace nm::io {

// A rejects-file field as written: text that is valid UTF-8 as it is; otherwise each byte that
// is not valid UTF-8 as \xHH and each backslash as \\, so the rejects file is valid UTF-8
// and the original bytes can be recovered.
std::string rejects_text(std::string_view text);

// Rows that cannot be used, written with their reason (never silently dropped).
// The rows go to a temporary file beside `path` (io/safe_output.hpp), made
// on the first rejected row; commit_to() hands it to the run's CommitGroup,
// or, with no rows, has the group remove a stale file of that name.
class RejectsFile {
 public:
  explicit RejectsFile(std::string path) : path_(std::move(path)) {}
  RejectsFile(const RejectsFile&) = delete;
  RejectsFile& operator=(const RejectsFile&) = delete;
  void add(const std::string& file, uint64_t line, const std::string& field,
           const std::string& reason, std::string_view raw);
  // The same with the row named by a text key (a database row's primary key).
  void add(const std::string& file, std::string_view key, const std::string& field,
           const std::string& reason, std::string_view raw);
  uint64_t count() const { return count_; }
  const std::string& path() const { return path_; }
  // Where the rows are now (the temporary file; empty before the first row).
  const std::string& data_path() const { return file_.temp_path(); }
  // Flushes and closes the rows written so far (they stay in data_path()).
  void close();
  // Appends the rows of a closed rejects file written by another rank (its
  // data_path()) to this one and removes it.
  void absorb_file(const std::string& other_path, uint64_t other_count);
  // Closes and hands the file to `group` (a side file), or with no rows
  // asks the group to remove an older file at path().
  void commit_to(CommitGroup& group);

 private:
  void open_file();
  std::string path_;
  StagedFile file_;
  uint64_t count_ = 0;
};

struct LoadOptions {
  // contract field name -> header name in the file (from --map)
  std::map<std::string, std::string> column_map;
  DateFormat date_format;
  bool trim_fields = false;
  bool skip_bad_rows = false;
  RejectsFile* rejects = nullptr;               // required when skip_bad_rows
  std::function<void(uint64_t rows)> progress;  // called every ~64k rows
  // Read only this byte range of the file (one rank's slice); the header is
  // still read from the start of the file. Duplicate ids are then counted
  // within the slice only.
  const ByteRange* range = nullptr;
  // The probabilistic mode's needs; both off for algorithms 1-6, which then
  // read exactly as before.
  // Columns read besides the contract's fields, by header name (its --compare
  // and --block columns; a contract field's column may be one too), into
  // RawTable::extra in this order. Each must exist (InputError otherwise).
  std::vector<std::string> extra_columns;
  // A birthdate that is not a real date in the format is a missing date
  // (kNoDate, counted in LoadStats::dates_invalid), not a bad row: a model
  // weighs a missing date, where a rule would need one. The birthdate column
  // itself is still required.
  bool dates_optional = false;
};

struct LoadStats {
  uint64_t rows_read = 0;
  uint64_t rows_rejected = 0;
  uint64_t duplicate_ids = 0;
  // Of the rows kept: blank birthdates, and (dates_optional only) birthdates
  // that were no date and are read as missing.
  uint64_t dates_missing = 0;
  uint64_t dates_invalid = 0;
};

// Throws InputError for a missing file or column, BadRowError for the first
// bad row unless skip_bad_rows.
RawTable load_csv_table(const std::string& path, const LoadOptions& options, LoadStats* stats);

// What every source checks of a row (matching.md section 7): an id, and a
// birthdate (blanks around it ignored) that is a real date in the chosen
// format (or, with dates_optional, any birthdate). Returns false with the
// column and reason of a bad row; a kept row's blank or (dates_optional)
// unreadable date is counted in `stats` when given.
bool check_row(const std::array<std::string_view, kTextFieldCount>& values, std::string_view date,
               const LoadOptions& options, int32_t& birthdate, std::string& column,
               std::string& reason, LoadStats* stats = nullptr);

// A birthdate that is no date: with dates_optional a missing date (true,
// counted in `stats`), else a bad row (false, `column` set to the date's).
bool accept_bad_date(const LoadOptions& options, std::string& column, LoadStats* stats);

// The column a contract field is read from (its --map name, or its own).
std::string column_name(const LoadOptions& options, std::string_view field);
// Fields that must have a column: id, first_name, last_name (and birthdate).
bool field_required(size_t field);
// Throws InputError for a --map entry that names no contract field.
void check_column_map(const LoadOptions& options);

// Ids that occur more than once in the table (a warning, not an error).
uint64_t count_duplicate_ids(const RawTable& table);

}  // namespace nm::io
