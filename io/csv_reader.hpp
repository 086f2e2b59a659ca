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
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
  uint64_t line = 0;       // 1-based physical line where the record starts
  std::string error;       // empty when the record is well-formed
  std::string error_field_hint;  // index (as text) of the field the error is in, if known
  std::string_view raw;    // the record's raw text (without the line end), for rejects files
};

class CsvReader {
 public:
  // Throws nm::InputError if the file cannot be opened.
  CsvReader(const std::string& path, CsvOptions options = {});
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next record. Returns false at end of input. Blank lines are skipped.
  bool next(CsvRecord& record);

  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

// Validates UTF-8 (no overlongs, no surrogates, <= U+10FFFF). Returns the byte
// offset of the first invalid sequence, or npos if valid.
size_t find_invalid_utf8(std::string_view s);

}  // namespace nm::io
