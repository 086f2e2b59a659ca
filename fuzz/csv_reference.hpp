// A plain, obviously-correct implementation of the CSV grammar documented in
// io/csv_reader.hpp: one character at a time over the whole input, in memory.
// It exists only so that tests and the fuzz target can compare the streaming
// reader (chunks, memchr fast paths, resumable scanning) against it.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace nm::io::reference {

struct Record {
  uint64_t line = 0;
  std::vector<std::string> fields;
  std::string error;
  std::string error_field_hint;
  std::string raw;
  bool operator==(const Record&) const = default;
};

// Decodes code point by code point; returns the offset of the first sequence
// that is not the shortest encoding of a scalar value <= U+10FFFF.
inline size_t first_invalid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      len = 1, cp = c;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (b & 0x3F);
    }
    const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string_view::npos;
}

inline std::vector<Record> parse(std::string_view in, char delim = ',', bool trim = false) {
  auto is_trim = [&](char c) { return (c == ' ' || c == '\t') && c != delim; };
  auto is_eol = [](char c) { return c == '\n' || c == '\r'; };
  std::vector<Record> out;
  size_t i = 0;
  uint64_t line = 1;
  if (in.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < in.size()) {
    if (is_eol(in[i])) {  // blank line
      if (in[i] == '\r' && i + 1 < in.size() && in[i + 1] == '\n') ++i;
      ++i, ++line;
      continue;
    }
    Record r;
    r.line = line;
    const size_t start = i;
    std::vector<size_t> field_begins{i - start};
    std::string cur;
    enum { kStart, kUnquoted, kQuoted, kAfterClose, kJunk } st = kStart;
    auto fail = [&](const char* what) {
      if (r.error.empty()) r.error = what, r.error_field_hint = std::to_string(r.fields.size());
    };
    auto emit = [&] {
      if (st == kUnquoted && trim) {
        while (!cur.empty() && is_trim(cur.back())) cur.pop_back();
      }
      r.fields.push_back(cur);
      cur.clear();
    };
    bool ended = false;
    for (; i < in.size() && !ended; ++i) {
      const char c = in[i];
      switch (st) {
        case kStart:
          if (trim && is_trim(c)) break;
          if (c == '"') {
            st = kQuoted;
            break;
          }
          st = kUnquoted;
          [[fallthrough]];
        case kUnquoted:
        case kAfterClose:
        case kJunk:
          if (c == delim) {
            emit();
            st = kStart;
            field_begins.push_back(i + 1 - start);
          } else if (is_eol(c)) {
            ended = true;
          } else if (st == kUnquoted) {
            if (c == '"') fail("unexpected quote in unquoted field");
            cur += c;
          } else if (st == kAfterClose && !(trim && is_trim(c))) {
            fail("unexpected character after closing quote");
            st = kJunk;
          }
          break;
        case kQuoted:
          if (c == '"') {
            if (i + 1 < in.size() && in[i + 1] == '"') {
              cur += '"';
              ++i;
            } else {
              st = kAfterClose;
            }
          } else {
            cur += c;
            if (c == '\n' || (c == '\r' && (i + 1 == in.size() || in[i + 1] != '\n'))) ++line;
          }
          break;
      }
    }
    // i is one past the line end, or at the end of input.
    const size_t stop = ended ? i - 1 : i;
    r.raw = std::string(in.substr(start, stop - start));
    if (st == kQuoted) fail("unterminated quoted field");
    emit();
    if (ended) {
      ++line;
      if (in[stop] == '\r' && i < in.size() && in[i] == '\n') ++i;
    }
    if (r.error.empty()) {
      const size_t bad = first_invalid_utf8(r.raw);
      if (bad != std::string_view::npos) {
        size_t f = 0;
        while (f + 1 < field_begins.size() && field_begins[f + 1] <= bad) ++f;
        r.error = "invalid UTF-8 at byte " + std::to_string(bad + 1);
        r.error_field_hint = std::to_string(f);
      }
    }
    out.push_back(std::move(r));
  }
  // A UTF-16 byte order mark at the start: the first record's error says so.
  if (!out.empty() && (in.substr(0, 2) == "\xFF\xFE" || in.substr(0, 2) == "\xFE\xFF")) {
    out[0].error =
        "the file looks like UTF-16 (it starts with a UTF-16 byte order mark), not "
        "UTF-8: save it as UTF-8";
    out[0].error_field_hint.clear();
  }
  return out;
}

}  // namespace nm::io::reference
