// Streaming RFC 4180 CSV reader: see csv_reader.hpp for the grammar.
//
// Each record is handled in two steps. scan() finds where the record ends
// (the first line end outside quotes); it is resumable, so when the buffer
// runs out mid-record it keeps its place, the buffer is refilled (moving the
// partial record to the front, growing it if the record is longer than a
// chunk) and scanning continues without re-reading what it already saw. Then
// the complete record, now contiguous in the buffer, is split into fields.
// Records without any quote (the common case) are split with memchr only;
// fields are views into the buffer, and only quoted fields containing `""`
// are copied (unescaped) into a per-reader scratch string.
#include "io/csv_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "io/csv_byte_search.hpp"
#include "src/errors.hpp"
#include "src/text/utf8.hpp"

namespace nm::io {

namespace {

using namespace csv_search;  // the reader is the searches' only user

constexpr char kBom[] = "\xEF\xBB\xBF";

std::string errno_text(int err) { return std::strerror(err); }

}  // namespace

struct CsvReader::Impl {
  enum class Source { File, Stream, Memory };

  Impl(std::string name_in, CsvOptions opt_in) : name(std::move(name_in)), opt(opt_in) {
    const auto d = static_cast<unsigned char>(opt.delimiter);
    if (d >= 0x80 || d == '"' || d == '\n' || d == '\r') {
      throw InputError("CSV delimiter must be an ASCII character other than quote, CR and LF");
    }
    opt.chunk_bytes = std::max<size_t>(opt.chunk_bytes, 1);
    delim = opt.delimiter;
    trim = opt.trim_fields;
  }
  ~Impl() {
    if (source == Source::File && fd >= 0) ::close(fd);
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  bool next(CsvRecord& r);

 private:
  friend class CsvReader;

  bool is_trim(char c) const { return (c == ' ' || c == '\t') && c != delim; }
  size_t read_some(char* dst, size_t n);
  bool refill();
  void skip_bom();
  bool scan(size_t& len, char& term);
  bool opens_quote(const char* rec, const char* q) const;
  bool parse_plain(const char* rec, size_t len, CsvRecord& r);
  void parse_quoted(const char* rec, size_t len, CsvRecord& r);
  std::string_view trimmed(const char* b, const char* e) const;
  void set_error(CsvRecord& r, const char* what, size_t field);

  std::string name;
  CsvOptions opt;
  char delim;
  bool trim;

  Source source = Source::File;
  int fd = -1;
  uint64_t remaining = UINT64_MAX;  // bytes left in a byte range (files only)
  std::FILE* stream = nullptr;
  std::string_view memory;
  size_t memory_off = 0;

  // buf[pos, end) is unconsumed input; the current record starts at pos.
  std::unique_ptr<char[]> buf;
  size_t cap = 0, pos = 0, end = 0;
  bool eof = false;
  bool started = false;
  // The file starts with a UTF-16 byte order mark (FF FE or FE FF, never UTF-8): its first
  // record's error says so instead of "invalid UTF-8 at byte 1".
  bool utf16 = false;
  bool after_cr = false;  // the last line end was a CR: a following LF belongs to it
  uint64_t line = 1;      // physical line at pos

  // scan() state for the record at pos, as an offset so it survives a refill.
  size_t scan_off = 0;
  bool in_quotes = false;
  bool has_quote = false;
  uint64_t quoted_breaks = 0;  // line breaks inside quotes so far

  std::string scratch;               // unescaped quoted fields of the current record
  std::vector<size_t> field_begins;  // raw offsets of fields (quoted records only)
};

size_t CsvReader::Impl::read_some(char* dst, size_t n) {
  switch (source) {
    case Source::File:
      n = static_cast<size_t>(std::min<uint64_t>(n, remaining));
      if (n == 0) return 0;
      for (;;) {
        const ssize_t got = ::read(fd, dst, n);
        if (got >= 0) {
          remaining -= static_cast<uint64_t>(got);
          return static_cast<size_t>(got);
        }
        if (errno != EINTR) throw InputError("cannot read " + name + ": " + errno_text(errno));
      }
    case Source::Stream: {
      const size_t got = std::fread(dst, 1, n, stream);
      if (got == 0 && std::ferror(stream)) {
        throw InputError("cannot read " + name + ": " + errno_text(errno));
      }
      return got;
    }
    case Source::Memory: {
      const size_t got = std::min(n, memory.size() - memory_off);
      if (got) std::memcpy(dst, memory.data() + memory_off, got);
      memory_off += got;
      return got;
    }
  }
  return 0;
}

// Makes room for one chunk after the unconsumed bytes and reads it. Returns
// false at end of input. Invalidates pointers into the buffer (not offsets
// relative to pos).
bool CsvReader::Impl::refill() {
  if (eof) return false;
  if (pos > 0) {
    std::memmove(buf.get(), buf.get() + pos, end - pos);
    end -= pos;
    pos = 0;
  }
  if (cap - end < opt.chunk_bytes) {
    const size_t new_cap = std::max(cap * 2, end + opt.chunk_bytes);
    // Zeroed, with kPadding bytes past cap so that 16-byte loads of a
    // record's last bytes stay inside the allocation (and read defined bytes).
    auto bigger = std::make_unique<char[]>(new_cap + kPadding);
    if (end) std::memcpy(bigger.get(), buf.get(), end);
    buf = std::move(bigger);
    cap = new_cap;
  }
  const size_t got = read_some(buf.get() + end, opt.chunk_bytes);
  if (got == 0) {
    eof = true;
    return false;
  }
  end += got;
  return true;
}

void CsvReader::Impl::skip_bom() {
  while (end - pos < 3 && refill()) {
  }
  if (end - pos >= 3 && std::memcmp(buf.get() + pos, kBom, 3) == 0) {
    pos += 3;
    return;
  }
  const auto* b = reinterpret_cast<const unsigned char*>(buf.get() + pos);
  utf16 = end - pos >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF));
}

// A quote outside quotes opens a quoted field only at the start of a field
// (after the delimiter, or the record start, and leading blanks if trimming).
// Anywhere else it is a stray quote: data, reported by the parser.
bool CsvReader::Impl::opens_quote(const char* rec, const char* q) const {
  const char* b = q;
  if (trim) {
    while (b > rec && is_trim(b[-1])) --b;
  }
  return b == rec || b[-1] == delim;
}

// Looks for the end of the record starting at pos in the bytes buffered so
// far. Returns true with the record length and its terminator ('\n' or '\r');
// false when more input is needed (its progress is kept in scan_off and
// in_quotes).
bool CsvReader::Impl::scan(size_t& len, char& term) {
  const char* rec = buf.get() + pos;
  const char* e = buf.get() + end;
  const char* p = rec + scan_off;
  for (;;) {
    if (in_quotes) {
      const char* q = find_line_special(p, e);
      if (q == e) {
        scan_off = static_cast<size_t>(e - rec);
        return false;
      }
      if (*q != '"') {
        // A line break inside quotes: CR, LF and CRLF count once each. The
        // byte before an LF inside quotes is always in the buffer (at worst
        // it is the opening quote).
        if (*q == '\r' || q[-1] != '\r') ++quoted_breaks;
        p = q + 1;
        continue;
      }
      if (q + 1 == e) {  // need the next byte to tell `""` from a closing quote
        scan_off = static_cast<size_t>(q - rec);
        return false;
      }
      if (q[1] == '"') {
        p = q + 2;
      } else {
        in_quotes = false;
        p = q + 1;
      }
      continue;
    }
    const char* lim = find_line_special(p, e);
    if (lim == e) {
      scan_off = static_cast<size_t>(e - rec);
      return false;
    }
    if (*lim == '"') {
      has_quote = true;
      if (opens_quote(rec, lim)) in_quotes = true;
      p = lim + 1;
      continue;
    }
    len = static_cast<size_t>(lim - rec);
    term = *lim;
    return true;
  }
}

inline std::string_view CsvReader::Impl::trimmed(const char* b, const char* e) const {
  if (trim) {
    while (b < e && is_trim(*b)) ++b;
    while (e > b && is_trim(e[-1])) --e;
  }
  return {b, static_cast<size_t>(e - b)};
}

void CsvReader::Impl::set_error(CsvRecord& r, const char* what, size_t field) {
  if (!r.error.empty()) return;  // the first error in the record wins
  r.error = what;
  r.error_field_hint = std::to_string(field);
}

// Splits a record that has no quote. Returns whether it is all ASCII (then
// it needs no UTF-8 check), found on the way at no extra cost.
bool CsvReader::Impl::parse_plain(const char* rec, size_t len, CsvRecord& r) {
  const char* field = rec;
  const char* p = rec;
  const char* e = rec + len;
  unsigned high = 0;
#ifdef NM_CSV_SSE2
  // The last block may reach past the record (the buffer is padded for it);
  // bits beyond e are masked off.
  const __m128i dv = _mm_set1_epi8(delim);
  for (; kUseSimd && p < e; p += 16) {
    const __m128i v = load16(p);
    const unsigned valid = mask_until(p, e);
    high |= movemask(v) & valid;
    unsigned mask = movemask(_mm_cmpeq_epi8(v, dv)) & valid;
    while (mask) {
      const char* d = p + __builtin_ctz(mask);
      mask &= mask - 1;
      r.fields.push_back(trimmed(field, d));
      field = d + 1;
    }
  }
  if (kUseSimd) p = e;  // the vector loop may step past e
#endif
  for (; p < e; ++p) {
    high |= static_cast<unsigned char>(*p) & 0x80;
    if (*p == delim) {
      r.fields.push_back(trimmed(field, p));
      field = p + 1;
    }
  }
  r.fields.push_back(trimmed(field, e));
  return high == 0;
}

void CsvReader::Impl::parse_quoted(const char* rec, size_t len, CsvRecord& r) {
  // Unescaped text is never longer than the record, so sizing the scratch
  // once up front keeps the views taken into it valid.
  if (scratch.size() < len) scratch.resize(len);
  char* const out_base = scratch.data();
  size_t used = 0;
  const char* p = rec;
  const char* e = rec + len;
  for (;;) {
    const size_t fi = r.fields.size();
    field_begins.push_back(static_cast<size_t>(p - rec));
    const char* s = p;
    if (trim) {
      while (s < e && is_trim(*s)) ++s;
    }
    if (s == e || *s != '"') {
      const char* d = find_byte(p, e, delim);
      const char* fe = d ? d : e;
      if (find_byte(p, fe, '"')) set_error(r, "unexpected quote in unquoted field", fi);
      r.fields.push_back(trimmed(p, fe));
      if (!d) return;
      p = d + 1;
      continue;
    }
    // Quoted field. Until the first `""` it is a view of the buffer; from
    // there on it is copied piecewise into the scratch.
    const char* content = s + 1;
    const char* q = content;
    char* out = nullptr;
    size_t out_len = 0;
    bool closed = false;
    const char* piece = content;
    for (;;) {
      q = find_byte(piece, e, '"');
      if (!q) break;
      if (q + 1 < e && q[1] == '"') {
        if (!out) out = out_base + used;
        const size_t n = static_cast<size_t>(q + 1 - piece);  // keep one quote
        std::memcpy(out + out_len, piece, n);
        out_len += n;
        piece = q + 2;
        continue;
      }
      closed = true;
      break;
    }
    const char* content_end = closed ? q : e;
    if (out) {
      const size_t n = static_cast<size_t>(content_end - piece);
      std::memcpy(out + out_len, piece, n);
      out_len += n;
      used += out_len;
      r.fields.emplace_back(out, out_len);
    } else {
      r.fields.emplace_back(content, static_cast<size_t>(content_end - content));
    }
    if (!closed) {
      set_error(r, "unterminated quoted field", fi);
      return;
    }
    p = q + 1;
    if (trim) {
      while (p < e && is_trim(*p)) ++p;
    }
    if (p == e) return;
    if (*p != delim) {
      set_error(r, "unexpected character after closing quote", fi);
      p = find_byte(p, e, delim);
      if (!p) return;
    }
    ++p;
  }
}

bool CsvReader::Impl::next(CsvRecord& r) {
  r.fields.clear();
  r.error.clear();
  r.error_field_hint.clear();
  r.raw = {};
  r.line = 0;
  if (!started) {
    started = true;
    skip_bom();
  }
  // Skip blank lines (and the LF of a CRLF whose CR ended the last record).
  for (;;) {
    if (pos == end && !refill()) return false;
    const char c = buf[pos];
    if (after_cr) {
      after_cr = false;
      if (c == '\n') {
        ++pos;
        continue;
      }
    }
    if (c != '\n' && c != '\r') break;
    ++pos;
    ++line;
    after_cr = c == '\r';
  }

  scan_off = 0;
  in_quotes = false;
  has_quote = false;
  quoted_breaks = 0;
  size_t len = 0;
  char term = 0;
  while (!scan(len, term)) {
    if (!refill()) {  // end of input: the record runs to it
      len = end - pos;
      term = 0;
      break;
    }
  }

  const char* rec = buf.get() + pos;
  r.line = line;
  r.raw = {rec, len};
  pos += len + (term ? 1 : 0);
  after_cr = term == '\r';
  line += (term ? 1 : 0) + quoted_breaks;

  size_t bad_field = 0;
  size_t bad = std::string_view::npos;
  if (has_quote) {
    field_begins.clear();
    parse_quoted(rec, len, r);
    if (r.error.empty()) {
      bad = find_invalid_utf8(r.raw);
      if (bad != std::string_view::npos) {
        bad_field =
            static_cast<size_t>(std::upper_bound(field_begins.begin(), field_begins.end(), bad) -
                                field_begins.begin() - 1);
      }
    }
  } else {
    if (!parse_plain(rec, len, r)) bad = find_invalid_utf8(r.raw);
    if (bad != std::string_view::npos) {
      bad_field = static_cast<size_t>(std::count(rec, rec + bad, delim));
    }
  }
  if (bad != std::string_view::npos) {
    r.error = "invalid UTF-8 at byte " + std::to_string(bad + 1);
    r.error_field_hint = std::to_string(bad_field);
  }
  if (utf16) {
    utf16 = false;
    r.error =
        "the file looks like UTF-16 (it starts with a UTF-16 byte order mark), not UTF-8: "
        "save it as UTF-8";
    r.error_field_hint.clear();
  }
  return true;
}

CsvReader::CsvReader(const std::string& path, CsvOptions options)
    : impl_(std::make_unique<Impl>(path, options)), path_(path) {
  impl_->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (impl_->fd < 0) throw InputError("cannot open " + path + ": " + errno_text(errno));
#ifdef POSIX_FADV_SEQUENTIAL
  (void)::posix_fadvise(impl_->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
}

CsvReader::CsvReader(const std::string& path, uint64_t begin, uint64_t end, uint64_t first_line,
                     CsvOptions options)
    : CsvReader(path, options) {
  if (end < begin) end = begin;
  if (::lseek(impl_->fd, static_cast<off_t>(begin), SEEK_SET) < 0)
    throw InputError("cannot read " + path + ": " + errno_text(errno));
  impl_->remaining = end - begin;
  impl_->line = first_line;
  impl_->started = begin > 0;  // a BOM can only be at the start of the file
}

CsvReader::CsvReader(std::FILE* stream, std::string name, CsvOptions options)
    : impl_(std::make_unique<Impl>(name, options)), path_(std::move(name)) {
  impl_->source = Impl::Source::Stream;
  impl_->stream = stream;
}

CsvReader::CsvReader(std::string_view data, std::string name, CsvOptions options, MemoryTag)
    : impl_(std::make_unique<Impl>(name, options)), path_(std::move(name)) {
  impl_->source = Impl::Source::Memory;
  impl_->memory = data;
}

std::unique_ptr<CsvReader> CsvReader::from_memory(std::string_view data, CsvOptions options,
                                                  std::string name) {
  return std::unique_ptr<CsvReader>(new CsvReader(data, std::move(name), options, MemoryTag{}));
}

CsvReader::~CsvReader() = default;

bool CsvReader::next(CsvRecord& record) { return impl_->next(record); }

}  // namespace nm::io
