#include "io/csv_writer.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>

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

OutputFile::OutputFile(std::string path) : path_(std::move(path)), partial_(path_ + ".partial") {
  f_ = std::fopen(partial_.c_str(), "wb");
  if (f_ == nullptr) throw InputError("cannot write " + partial_ + ": " + std::strerror(errno));
  buf_.reserve(kFlushBytes + 4096);
}

OutputFile::~OutputFile() {
  if (f_ == nullptr) return;
  // Never closed: the run failed. Remove the unfinished data.
  std::fclose(f_);
  std::remove(partial_.c_str());
}

void OutputFile::flush() {
  if (buf_.empty()) return;
  if (std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size())
    throw InputError("cannot write " + path_ + ": " + std::strerror(errno));
  written_ += buf_.size();
  buf_.clear();
}

void OutputFile::close() {
  if (f_ == nullptr) return;
  flush();
  std::FILE* f = f_;
  f_ = nullptr;
  if (std::fclose(f) != 0) {
    std::remove(partial_.c_str());
    throw InputError("cannot write " + partial_ + ": " + std::strerror(errno));
  }
  if (std::rename(partial_.c_str(), path_.c_str()) != 0)
    throw InputError("cannot rename " + partial_ + " to " + path_ + ": " + std::strerror(errno));
}

}  // namespace nm::io
