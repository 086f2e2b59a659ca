// Streaming RFC 4180 CSV reader.
//
// Reads a file in fixed-size chunks (never the whole file as text), splits it
// into records, and hands out one record at a time as string_views that stay
// valid until the next call to next(). Handles a UTF-8 BOM, CRLF and LF line
// ends, quoted fields with doubled quotes and embedded commas/newlines.
//
// A malformed record (unterminated quote, stray quote inside an unquoted
// field, invalid UTF-8) is not an exception: next() returns it with
// `error` set, so the caller decides to stop or to reject the row and go on.
//
// Grammar, precisely (fuzz/csv_reference.hpp is a plain implementation of it
// that the tests and the fuzz target compare against):
// - A record ends at LF, CRLF or a lone CR outside quotes, or at end of input.
//   Empty physical lines are skipped. A UTF-8 BOM at the very start is skipped.
// - A field is quoted when its first character (after spaces/tabs, if
//   trim_fields) is `"`. Inside quotes `""` is one quote; delimiters, CR and LF
//   are data. After the closing quote only spaces/tabs (if trim_fields), the
//   delimiter or the line end may follow.
// - Error texts (first error in the record wins; UTF-8 is checked only when
//   the record parsed cleanly):
//     "unterminated quoted field"                 (the record runs to EOF)
//     "unexpected character after closing quote"  (rest of the field skipped)
//     "unexpected quote in unquoted field"        (the quote is kept as data)
//     "invalid UTF-8 at byte N"                   (N: 1-based offset in `raw`)
//   error_field_hint is the 0-based index of the field the error is in.
//
// Example:
//   nm::io::CsvReader reader("people.csv", {.trim_fields = true});
//   nm::io::CsvRecord rec;
//   while (reader.next(rec)) {
//     if (!rec.error.empty()) { reject(reader.path(), rec.line, rec.error, rec.raw); continue; }
//     use(rec.fields);  // views valid until the next call to next()
//   }
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/text/utf8.hpp"

namespace nm::io {

struct CsvOptions {
  char delimiter = ',';
  // Strip ASCII spaces and tabs around every (unquoted part of a) field: FEBRL
  // files separate fields with ", ".
  bool trim_fields = false;
  size_t chunk_bytes = 1 << 20;  // read granularity
};

struct CsvRecord {
  std::vector<std::string_view> fields;
  uint64_t line = 0;             // 1-based physical line where the record starts
  std::string error;             // empty when the record is well-formed
  std::string error_field_hint;  // index (as text) of the field the error is in, if known
  std::string_view raw;          // the record's raw text (without the line end), for rejects files
};

class CsvReader {
 public:
  // Throws nm::InputError if the file cannot be opened, or if the options are
  // unusable (delimiter `"`, CR, LF or a non-ASCII byte). A read error later
  // throws nm::InputError naming the path.
  CsvReader(const std::string& path, CsvOptions options = {});
  // Reads only the bytes [begin, end) of the file, which must start at a
  // record boundary (see io/csv_ranges.hpp); `first_line` is the physical
  // line number at `begin`, so record lines stay those of the whole file.
  CsvReader(const std::string& path, uint64_t begin, uint64_t end, uint64_t first_line,
            CsvOptions options = {});
  // Reads from an open stream (e.g. stdin), which the reader does not close;
  // `name` stands for the path in messages and path().
  CsvReader(std::FILE* stream, std::string name, CsvOptions options = {});
  // Reads from memory that must outlive the reader, still in chunk_bytes
  // pieces, so it behaves exactly like a file (tests, fuzz targets).
  static std::unique_ptr<CsvReader> from_memory(std::string_view data, CsvOptions options = {},
                                                std::string name = "<memory>");
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record. Returns false at end of input. Blank lines are skipped.
  // The record's views (fields, raw) stay valid until the next call to next()
  // or the reader's destruction.
  bool next(CsvRecord& record);

  const std::string& path() const { return path_; }

 private:
  struct MemoryTag {};
  CsvReader(std::string_view data, std::string name, CsvOptions options, MemoryTag);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

// The UTF-8 check of every record (src/text/utf8.hpp), also io::'s for the
// other inputs.
using nm::find_invalid_utf8;

}  // namespace nm::io
