// libFuzzer target for the streaming CSV reader. The input is read from
// memory (no disk) with several chunk sizes, with and without trim_fields,
// and every result must equal the plain reference parser's. For each good
// record it also checks that the fields are valid UTF-8 and that writing them
// back as CSV (every field quoted) and reading that again gives them back.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/csv_reference.hpp"
#include "io/csv_reader.hpp"

namespace {

using nm::io::CsvOptions;
using nm::io::CsvReader;
using nm::io::CsvRecord;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}
void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

std::string quote_all(const std::vector<std::string>& fields, char delim) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += delim;
    out += '"';
    for (char c : fields[i]) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  return out + "\r\n";
}

void round_trip(const std::vector<std::string>& fields, CsvOptions opt) {
  const std::string text = quote_all(fields, opt.delimiter);
  opt.chunk_bytes = 3;
  auto reader = CsvReader::from_memory(text, opt);
  CsvRecord r;
  check(reader->next(r), "round trip: no record");
  check(r.error.empty(), "round trip: error");
  check(r.line == 1, "round trip: line");
  check(r.fields.size() == fields.size(), "round trip: field count");
  for (size_t i = 0; i < fields.size(); ++i) check(r.fields[i] == fields[i], "round trip: field");
  check(!reader->next(r), "round trip: extra record");
}

void run(std::string_view input, CsvOptions opt) {
  const auto expected = nm::io::reference::parse(input, opt.delimiter, opt.trim_fields);
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{4096}}) {
    opt.chunk_bytes = chunk;
    auto reader = CsvReader::from_memory(input, opt);
    CsvRecord r;
    size_t n = 0;
    uint64_t last_line = 0;
    while (reader->next(r)) {
      check(n < expected.size(), "more records than the reference");
      const auto& want = expected[n];
      check(r.line > last_line, "line numbers not increasing");
      last_line = r.line;
      check(r.line == want.line, "line differs from reference");
      check(r.error == want.error, "error differs from reference");
      check(r.error_field_hint == want.error_field_hint, "error hint differs from reference");
      check(r.raw == want.raw, "raw differs from reference");  // reads every byte of raw
      check(r.fields.size() == want.fields.size(), "field count differs from reference");
      for (size_t i = 0; i < r.fields.size(); ++i) {
        check(r.fields[i] == want.fields[i], "field differs from reference");
      }
      if (r.error.empty()) {
        for (auto f : r.fields) {
          check(nm::io::find_invalid_utf8(f) == std::string_view::npos, "good field not UTF-8");
        }
      }
      ++n;
    }
    check(n == expected.size(), "fewer records than the reference");
    check(!reader->next(r), "next() after the end returned a record");
  }
  for (const auto& rec : expected) {
    if (rec.error.empty()) round_trip(rec.fields, opt);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check(nm::io::find_invalid_utf8(input) == nm::io::reference::first_invalid_utf8(input),
        "find_invalid_utf8 differs from reference");
  run(input, {.delimiter = ',', .trim_fields = false});
  run(input, {.delimiter = ',', .trim_fields = true});
  run(input, {.delimiter = '\t', .trim_fields = true});
  return 0;
}
