#include "io/csv_writer.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "src/errors.hpp"

namespace nm::io {

void append_csv_field(std::string& out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(s);
    return;
  }
  out.push_back('"');
  for (char c : s) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_confidence(std::string& out, float f) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  out.append(buf, res.ptr);
}

OutputFile::OutputFile(std::string path, CommitGroup* group, CommitKind kind)
    : path_(std::move(path)), group_(group), kind_(kind) {
  if (!is_stdout_path(path_))
    staged_ = StagedFile(path_, group_ != nullptr ? group_->display_for(path_) : std::string());
  buf_.reserve(kFlushBytes + 4096);
}

void OutputFile::flush() {
  if (buf_.empty()) return;
  if (!open_) throw std::logic_error("OutputFile::flush after close: " + path_);
  if (staged_.active()) {
    staged_.write(buf_);
  } else if (std::fwrite(buf_.data(), 1, buf_.size(), stdout) != buf_.size()) {
    throw InputError(std::string("cannot write to standard output: ") + std::strerror(errno));
  }
  written_ += buf_.size();
  buf_.clear();
}

void OutputFile::close() {
  if (!open_) return;
  flush();
  open_ = false;
  if (!staged_.active()) {
    if (std::fflush(stdout) != 0)
      throw InputError(std::string("cannot write to standard output: ") + std::strerror(errno));
    return;
  }
  staged_.finish();
  if (group_ != nullptr)
    group_->add(std::move(staged_), kind_);
  else
    staged_.commit();
}

}  // namespace nm::io
