// Tests of the streaming CSV reader. Every input goes through several chunk
// sizes and all three sources (file, FILE*, memory), and must give exactly
// what the plain reference parser (fuzz/csv_reference.hpp) gives.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "fuzz/csv_reference.hpp"
#include "io/csv_reader.hpp"
#include "src/errors.hpp"

namespace {

namespace fs = std::filesystem;
using nm::io::CsvOptions;
using nm::io::CsvReader;
using nm::io::CsvRecord;
using Record = nm::io::reference::Record;
using Records = std::vector<Record>;

// A file under the temp directory with a name unique to this process and
// call, removed when it goes out of scope.
class TempFile {
 public:
  explicit TempFile(std::string_view content) {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() / ("nm_test_csv_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(counter++) + ".csv");
    std::ofstream out(path_, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    REQUIRE(out.good());
  }
  ~TempFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  fs::path path_;
};

Record to_record(const CsvRecord& r) {
  Record out;
  out.line = r.line;
  for (auto f : r.fields) out.fields.emplace_back(f);
  out.error = r.error;
  out.error_field_hint = r.error_field_hint;
  out.raw = std::string(r.raw);
  return out;
}

Records read_all(CsvReader& reader) {
  Records out;
  CsvRecord r;
  while (reader.next(r)) out.push_back(to_record(r));
  CHECK_FALSE(reader.next(r));  // stays at the end
  return out;
}

Records read_memory(std::string_view content, CsvOptions opt) {
  auto reader = CsvReader::from_memory(content, opt);
  return read_all(*reader);
}

constexpr size_t kChunkSizes[] = {1, 2, 3, 7, 64, CsvOptions{}.chunk_bytes};

// Reads `content` with every chunk size from a file, plus from a FILE* and
// from memory; checks they all agree with the reference parser; returns the
// records.
Records read_everywhere(std::string_view content, CsvOptions opt = {}) {
  Records expected = nm::io::reference::parse(content, opt.delimiter, opt.trim_fields);
  TempFile file(content);
  for (size_t chunk : kChunkSizes) {
    CAPTURE(chunk);
    opt.chunk_bytes = chunk;
    CsvReader reader(file.path(), opt);
    CHECK(read_all(reader) == expected);
    CHECK(read_memory(content, opt) == expected);
  }
  std::FILE* f = std::fopen(file.path().c_str(), "rb");
  REQUIRE(f);
  {
    opt.chunk_bytes = 5;
    CsvReader reader(f, "stream", opt);
    CHECK(reader.path() == "stream");
    CHECK(read_all(reader) == expected);
  }
  std::fclose(f);
  return expected;
}

using Fields = std::vector<std::string>;

}  // namespace

TEST_CASE("csv_reader: simple file") {
  const Records recs = read_everywhere("id,first,last\n1,John,Smith\n2,Ann,Lee\n");
  REQUIRE(recs.size() == 3);
  CHECK(recs[0].fields == Fields{"id", "first", "last"});
  CHECK(recs[1].fields == Fields{"1", "John", "Smith"});
  CHECK(recs[2].fields == Fields{"2", "Ann", "Lee"});
  CHECK(recs[2].raw == "2,Ann,Lee");
  for (size_t i = 0; i < 3; ++i) {
    CHECK(recs[i].line == i + 1);
    CHECK(recs[i].error.empty());
  }
}

TEST_CASE("csv_reader: empty fields and empty input") {
  const Records recs = read_everywhere(",a,,\n,\n");
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].fields == Fields{"", "a", "", ""});
  CHECK(recs[1].fields == Fields{"", ""});
  CHECK(read_everywhere("").empty());
  CHECK(read_everywhere("\n\r\n\r").empty());
}

TEST_CASE("csv_reader: UTF-8 BOM is skipped") {
  Records recs = read_everywhere("\xEF\xBB\xBFid,name\n1,x\n");
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].fields == Fields{"id", "name"});
  CHECK(recs[0].line == 1);
  CHECK(read_everywhere("\xEF\xBB\xBF").empty());
  // Only at the very start: later it is data.
  recs = read_everywhere(
      "a\n\xEF\xBB\xBF"
      "b\n");
  REQUIRE(recs.size() == 2);
  CHECK(recs[1].fields == Fields{"\xEF\xBB\xBF"
                                 "b"});
}

TEST_CASE("csv_reader: CRLF and lone CR line ends") {
  Records recs = read_everywhere("a,b\r\nc,d\r\n");
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].fields == Fields{"a", "b"});
  CHECK(recs[0].raw == "a,b");
  CHECK(recs[1].fields == Fields{"c", "d"});
  CHECK(recs[1].line == 2);

  recs = read_everywhere("a\rb\r\n\r\nc\r");
  REQUIRE(recs.size() == 3);
  CHECK(recs[0].fields == Fields{"a"});
  CHECK(recs[1].fields == Fields{"b"});
  CHECK(recs[2].fields == Fields{"c"});
  CHECK(recs[2].line == 4);
}

TEST_CASE("csv_reader: quoted fields") {
  const Records recs = read_everywhere(
      "1,\"Smith, John\",\"He said \"\"hi\"\"\",\"line1\r\nline2\"\n"
      "2,x,\"a\nb\nc\",y\n"
      "3,\"\",\"\"\"\"\n"
      "4,z\n");
  REQUIRE(recs.size() == 4);
  CHECK(recs[0].fields == Fields{"1", "Smith, John", "He said \"hi\"", "line1\r\nline2"});
  CHECK(recs[0].line == 1);
  CHECK(recs[1].fields == Fields{"2", "x", "a\nb\nc", "y"});
  CHECK(recs[1].line == 3);
  CHECK(recs[2].fields == Fields{"3", "", "\""});
  CHECK(recs[2].line == 6);
  CHECK(recs[3].line == 7);
  for (const auto& r : recs) CHECK(r.error.empty());
  CHECK(recs[1].raw == "2,x,\"a\nb\nc\",y");
}

TEST_CASE("csv_reader: several doubled-quote fields in one record stay distinct") {
  const Records recs = read_everywhere("\"a\"\"b\",\"c\"\"\"\"d\",plain,\"\"\"e\"\n");
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].fields == Fields{"a\"b", "c\"\"d", "plain", "\"e"});
}

TEST_CASE("csv_reader: last line without newline") {
  Records recs = read_everywhere("a,b\nc,d");
  REQUIRE(recs.size() == 2);
  CHECK(recs[1].fields == Fields{"c", "d"});
  CHECK(recs[1].raw == "c,d");
  recs = read_everywhere("a,\"b\"\"\"");
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].fields == Fields{"a", "b\""});
  CHECK(recs[0].error.empty());
}

TEST_CASE("csv_reader: blank lines are skipped, line numbers count them") {
  const Records recs = read_everywhere("\n\na,b\n\r\n\nc\n\n");
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].line == 3);
  CHECK(recs[1].line == 6);
  CHECK(recs[1].fields == Fields{"c"});
}

TEST_CASE("csv_reader: trim_fields for FEBRL-style ', ' separation") {
  CsvOptions opt;
  opt.trim_fields = true;
  Records recs = read_everywhere(
      "rec_id, given_name, surname\nrec-1, john, smith\nrec-2,  ann ,\tlee \n", opt);
  REQUIRE(recs.size() == 3);
  CHECK(recs[0].fields == Fields{"rec_id", "given_name", "surname"});
  CHECK(recs[1].fields == Fields{"rec-1", "john", "smith"});
  CHECK(recs[2].fields == Fields{"rec-2", "ann", "lee"});

  recs = read_everywhere("a, \"b c\" ,d\n  \" x \"  \n", opt);
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].fields == Fields{"a", "b c", "d"});
  CHECK(recs[0].error.empty());
  CHECK(recs[1].fields == Fields{" x "});  // spaces inside quotes are data

  // Without trimming the same quote is not at the field start: a stray quote.
  recs = read_everywhere("a, \"b c\" ,d\n");
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].fields == Fields{"a", " \"b c\" ", "d"});
  CHECK(recs[0].error == "unexpected quote in unquoted field");
  CHECK(recs[0].error_field_hint == "1");

  // A tab delimiter is not trimmed away.
  opt.delimiter = '\t';
  recs = read_everywhere(" a \t\t b\n", opt);
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].fields == Fields{"a", "", "b"});
}

TEST_CASE("csv_reader: records longer than a chunk") {
  std::string big(10000, 'x');
  big[5000] = '"';
  const std::string quoted =
      "\"" + std::string(3000, 'y') + "\"\"," + std::string(3000, '\n') + "\"";
  const std::string content = "a,b\n" + std::string(10000, 'z') + ",1\n" + quoted + ",2\nlast\n";
  const Records recs = read_everywhere(content);
  REQUIRE(recs.size() == 4);
  CHECK(recs[1].fields == Fields{std::string(10000, 'z'), "1"});
  CHECK(recs[2].fields[0] == std::string(3000, 'y') + "\"," + std::string(3000, '\n'));
  CHECK(recs[2].fields[1] == "2");
  CHECK(recs[3].line == 3 + 3000 + 1);

  // Several default-size chunks in one record.
  const std::string huge = "id," + std::string(3 << 20, 'h') + "\nnext,1\n";
  TempFile file(huge);
  CsvReader reader(file.path());
  CsvRecord r;
  REQUIRE(reader.next(r));
  REQUIRE(r.fields.size() == 2);
  CHECK(r.fields[1].size() == (3u << 20));
  CHECK(r.fields[1].find_first_not_of('h') == std::string_view::npos);
  REQUIRE(reader.next(r));
  CHECK(r.fields[0] == "next");
  CHECK(r.line == 2);
  CHECK_FALSE(reader.next(r));
}

TEST_CASE("csv_reader: unterminated quote runs to EOF, earlier records intact") {
  const Records recs = read_everywhere("a,b\nc,\"d\ne,f\n");
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].fields == Fields{"a", "b"});
  CHECK(recs[0].error.empty());
  CHECK(recs[1].error == "unterminated quoted field");
  CHECK(recs[1].error_field_hint == "1");
  CHECK(recs[1].line == 2);
  CHECK(recs[1].raw == "c,\"d\ne,f\n");
}

TEST_CASE("csv_reader: junk after a closing quote, reader resynchronises") {
  const Records recs = read_everywhere("x,\"a\"b,c\n\"q\" ,d\nok,1\n");
  REQUIRE(recs.size() == 3);
  CHECK(recs[0].error == "unexpected character after closing quote");
  CHECK(recs[0].error_field_hint == "1");
  CHECK(recs[0].fields == Fields{"x", "a", "c"});
  CHECK(recs[1].error == "unexpected character after closing quote");
  CHECK(recs[1].error_field_hint == "0");
  CHECK(recs[2].fields == Fields{"ok", "1"});
  CHECK(recs[2].error.empty());
  CHECK(recs[2].line == 3);
}

TEST_CASE("csv_reader: invalid UTF-8 is a record error, next record fine") {
  struct Case {
    const char* name;
    std::string bytes;
  };
  const Case cases[] = {
      {"overlong C0 AF", "\xC0\xAF"},         {"lone continuation", "\x80"},
      {"surrogate ED A0 80", "\xED\xA0\x80"}, {"truncated 4-byte", "\xF0\x9F\x98"},
      {"above U+10FFFF", "\xF4\x90\x80\x80"}, {"overlong 3-byte", "\xE0\x80\xAF"},
      {"F5 lead", "\xF5\x80\x80\x80"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    const Records recs =
        read_everywhere("id,name\n7,ab" + c.bytes + "\n8,\"q" + c.bytes + "\"\n9,ok\n");
    REQUIRE(recs.size() == 4);
    CHECK(recs[1].error == "invalid UTF-8 at byte 5");
    CHECK(recs[1].error_field_hint == "1");
    CHECK(recs[2].error == "invalid UTF-8 at byte 5");
    CHECK(recs[2].error_field_hint == "1");
    CHECK(recs[3].fields == Fields{"9", "ok"});
    CHECK(recs[3].error.empty());
    CHECK(recs[3].line == 4);
  }
  // A sequence cut by the end of the record is truncated too.
  const Records recs = read_everywhere("\xC3\n\xC3\xA9\n");
  REQUIRE(recs.size() == 2);
  CHECK(recs[0].error == "invalid UTF-8 at byte 1");
  CHECK(recs[1].error.empty());
}

TEST_CASE("csv_reader: valid multi-byte UTF-8 is accepted unchanged") {
  const std::string names[] = {"Nguyễn",  "Łukasz", "王小明",
                               "😀 emoji", "Ñandú",  "\xF4\x8F\xBF\xBF"};
  std::string content;
  for (const auto& n : names) content += "1," + n + ",\"" + n + "\"\n";
  const Records recs = read_everywhere(content);
  REQUIRE(recs.size() == std::size(names));
  for (size_t i = 0; i < recs.size(); ++i) {
    CHECK(recs[i].error.empty());
    CHECK(recs[i].fields == Fields{"1", names[i], names[i]});
  }
}

TEST_CASE("csv_reader: find_invalid_utf8") {
  using nm::io::find_invalid_utf8;
  constexpr size_t npos = std::string_view::npos;
  CHECK(find_invalid_utf8("") == npos);
  CHECK(find_invalid_utf8("plain ascii that is longer than sixteen bytes") == npos);
  CHECK(find_invalid_utf8("0123456789abcdefXYZ\xC3") == 19);
  CHECK(find_invalid_utf8("0123456789abcdef\x80") == 16);
  CHECK(find_invalid_utf8("\xED\x9F\xBF") == npos);   // U+D7FF, just below the surrogates
  CHECK(find_invalid_utf8("\xEE\x80\x80") == npos);   // U+E000, just above
  CHECK(find_invalid_utf8("\xC2\x80") == npos);       // U+0080
  CHECK(find_invalid_utf8("\xC1\xBF") == 0);          // overlong U+007F
  CHECK(find_invalid_utf8("\xF0\x8F\xBF\xBF") == 0);  // overlong U+FFFF
  CHECK(find_invalid_utf8("a\xE2\x82") == 1);
  CHECK(find_invalid_utf8("a\xE2\x82x") == 1);
  CHECK(find_invalid_utf8(std::string_view("a\0b", 3)) == npos);

  // Against the decoding reference on random byte strings biased towards
  // the interesting lead and continuation bytes.
  std::mt19937 rng(12345);
  const unsigned char pool[] = {'a',  0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1,
                                0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  for (int iter = 0; iter < 20000; ++iter) {
    std::string s(rng() % 40, 'x');
    for (auto& ch : s) ch = static_cast<char>(rng() % 3 ? pool[rng() % std::size(pool)] : 'a');
    CAPTURE(s);
    REQUIRE(find_invalid_utf8(s) == nm::io::reference::first_invalid_utf8(s));
  }
}

TEST_CASE("csv_reader: random inputs match the reference at every chunk size") {
  std::mt19937 rng(2024);
  const std::string pool[] = {"a",    "b", ",",  ",", "\"", "\"",   "\"\"",     "\n",          "\r",
                              "\r\n", " ", "\t", ";", "é",  "\xFF", "\xE2\x82", "\xEF\xBB\xBF"};
  for (int iter = 0; iter < 300; ++iter) {
    std::string s;
    const size_t n = rng() % 60;
    for (size_t i = 0; i < n; ++i) s += pool[rng() % std::size(pool)];
    CAPTURE(s);
    CsvOptions opt;
    opt.trim_fields = iter % 2 == 1;
    opt.delimiter = iter % 3 == 2 ? ';' : ',';
    const Records expected = nm::io::reference::parse(s, opt.delimiter, opt.trim_fields);
    for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}}) {
      CAPTURE(chunk);
      opt.chunk_bytes = chunk;
      REQUIRE(read_memory(s, opt) == expected);
    }
  }
}

TEST_CASE("csv_reader: missing file throws InputError naming it") {
  const std::string path =
      (fs::temp_directory_path() / ("nm_test_csv_missing_" + std::to_string(::getpid()))).string();
  CHECK_THROWS_AS(CsvReader{path}, nm::InputError);
  try {
    CsvReader reader(path);
    FAIL("no exception");
  } catch (const nm::InputError& e) {
    CHECK(std::string(e.what()).find("cannot open " + path + ": ") == 0);
  }
}

TEST_CASE("csv_reader: unusable delimiters are rejected") {
  for (char d : {'"', '\n', '\r', static_cast<char>(0xC3)}) {
    CsvOptions opt;
    opt.delimiter = d;
    CHECK_THROWS_AS(CsvReader::from_memory("a", opt), nm::InputError);
  }
}

TEST_CASE("csv_reader: 200k generated rows read back exactly") {
  const std::string firsts[] = {"John",   "Ann",      "Nguyễn",   "Łukasz",
                                "王小明", "O\"Brien", "Mary, Jo", ""};
  const std::string lasts[] = {"Smith", "Lee", "Müller", "Line\nBreak", "García", "X"};
  std::vector<Fields> rows;
  std::string content = "id,first,last,birthdate\n";
  std::mt19937 rng(7);
  for (int i = 0; i < 200000; ++i) {
    Fields row{std::to_string(i), firsts[rng() % std::size(firsts)],
               lasts[rng() % std::size(lasts)],
               "19" + std::to_string(10 + rng() % 90) + "-0" + std::to_string(1 + rng() % 9) +
                   "-1" + std::to_string(rng() % 10)};
    for (size_t f = 0; f < row.size(); ++f) {
      const std::string& v = row[f];
      if (f) content += ',';
      if (v.find_first_of(",\"\n") == std::string::npos) {
        content += v;
      } else {
        content += '"';
        for (char c : v) content += c == '"' ? std::string("\"\"") : std::string(1, c);
        content += '"';
      }
    }
    content += i % 3 ? "\n" : "\r\n";
    rows.push_back(std::move(row));
  }
  TempFile file(content);
  for (size_t chunk : {size_t{4093}, CsvOptions{}.chunk_bytes}) {
    CAPTURE(chunk);
    CsvOptions opt;
    opt.chunk_bytes = chunk;
    CsvReader reader(file.path(), opt);
    CsvRecord r;
    REQUIRE(reader.next(r));
    CHECK(r.fields.size() == 4);
    size_t n = 0, mismatches = 0;
    uint64_t expected_line = 2;
    while (reader.next(r)) {
      REQUIRE(n < rows.size());
      const Fields& want = rows[n];
      bool same = r.error.empty() && r.line == expected_line && r.fields.size() == want.size();
      for (size_t f = 0; same && f < want.size(); ++f) same = r.fields[f] == want[f];
      if (!same) ++mismatches;
      expected_line += 1 + (want[2] == "Line\nBreak");
      ++n;
    }
    CHECK(n == rows.size());
    CHECK(mismatches == 0);
  }
}

TEST_CASE("csv_reader: record and field lengths around the 16-byte block size") {
  // The fast paths work in 16-byte blocks: put delimiters, quotes, line ends
  // and non-ASCII bytes just before, at and after block edges.
  const std::string inserts[] = {",", "\xC3\xA9", "\xFF", "\"", "\r\n", ",\"q\"\"\",", "\t"};
  for (size_t len = 1; len <= 48; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (const auto& ins : inserts) {
        std::string rec(len, 'a');
        rec.replace(at, ins.size() <= len - at ? ins.size() : len - at, ins);
        const std::string content = rec + "\n" + rec;
        CAPTURE(content);
        for (bool trim : {false, true}) {
          CsvOptions opt;
          opt.trim_fields = trim;
          const Records expected = nm::io::reference::parse(content, ',', trim);
          for (size_t chunk : {size_t{5}, size_t{16}, size_t{4096}}) {
            opt.chunk_bytes = chunk;
            REQUIRE(read_memory(content, opt) == expected);
          }
        }
      }
    }
  }
}
