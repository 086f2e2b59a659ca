// Output side of CSV (matching.md section 5): quoting only when needed, LF,
// shortest round-trip float text, a buffered RAII file.
#pragma once
#include <cstdio>
#include <string>
#include <string_view>

#include "io/safe_output.hpp"

namespace nm::io {

// Appends s, quoted with '"' only if it contains , " CR or LF ('"' doubled).
void append_csv_field(std::string& out, std::string_view s);

// Shortest decimal that reads back to the same float, never in exponent form.
void append_confidence(std::string& out, float f);

// A file written through a large buffer; throws InputError with the path on
// any failure, including at close. The data goes to a temporary file beside
// PATH (io/safe_output.hpp), renamed to PATH by close() — or, with a
// CommitGroup, handed to the group and renamed when the group commits — so a
// run that fails midway never leaves a file that looks finished. PATH "-"
// writes to standard output as it goes.
class OutputFile {
 public:
  explicit OutputFile(std::string path, CommitGroup* group = nullptr,
                      CommitKind kind = CommitKind::kMain);
  ~OutputFile() = default;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  // Appends to the buffer; flushes when it is large.
  std::string& buffer() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= kFlushBytes) flush();
  }
  void flush();
  void close();  // flush + finish, errors reported; then commit (or hand to the group)
  const std::string& path() const { return path_; }
  uint64_t bytes_written() const { return written_; }

 private:
  static constexpr size_t kFlushBytes = 1 << 20;
  std::string path_;
  CommitGroup* group_;
  CommitKind kind_;
  StagedFile staged_;  // inactive for "-"
  bool open_ = true;
  std::string buf_;
  uint64_t written_ = 0;
};

}  // namespace nm::io
