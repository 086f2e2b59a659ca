// Byte ranges cut at record boundaries: the records of all ranges, in order,
// are exactly the records of the whole file, with the same line numbers.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "io/csv_ranges.hpp"
#include "io/csv_reader.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

struct Rec {
  std::vector<std::string> fields;
  uint64_t line;
  std::string error;
  bool operator==(const Rec&) const = default;
};

std::vector<Rec> read_all(nm::io::CsvReader& r) {
  std::vector<Rec> out;
  nm::io::CsvRecord rec;
  while (r.next(rec))
    out.push_back(Rec{{rec.fields.begin(), rec.fields.end()}, rec.line, rec.error});
  return out;
}

std::string random_csv(std::mt19937_64& rng, int rows, bool crlf) {
  std::string s;
  if (rng() % 4 == 0) s += "\xEF\xBB\xBF";
  s += "id,first_name,last_name\n";
  const char* pieces[] = {"ann", "bo b", "x,y", "q\"q", "multi\nline", "cr\r\nlf", "", "é"};
  for (int i = 0; i < rows; ++i) {
    for (int f = 0; f < 3; ++f) {
      if (f) s += ',';
      std::string v = pieces[rng() % 8];
      const bool needs = v.find_first_of(",\"\r\n") != std::string::npos;
      if (needs || rng() % 5 == 0) {
        std::string q = "\"";
        for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
        v = q + "\"";
      }
      s += v;
    }
    s += crlf ? "\r\n" : "\n";
    if (rng() % 10 == 0) s += "\n";  // blank line
  }
  if (rng() % 2) s.pop_back();  // no line end at EOF
  return s;
}

}  // namespace

TEST_CASE("csv ranges: every split reads the same records with the same lines") {
  nm::test::TempDir dir;
  const std::string path = dir.file("t.csv");
  std::mt19937_64 rng(42);
  for (int round = 0; round < 40; ++round) {
    const std::string text = random_csv(rng, 1 + static_cast<int>(rng() % 60), round % 3 == 0);
    {
      std::FILE* f = std::fopen(path.c_str(), "wb");
      REQUIRE(f != nullptr);
      std::fwrite(text.data(), 1, text.size(), f);
      std::fclose(f);
    }
    nm::io::CsvReader whole(path);
    const std::vector<Rec> expect = read_all(whole);
    uint64_t checksum0 = 0;
    for (uint32_t parts : {1u, 2u, 3u, 4u, 7u, 16u, 64u}) {
      const nm::io::FileSplit split = nm::io::split_file(path, parts);
      REQUIRE(split.ranges.size() == parts);
      if (parts == 1) checksum0 = split.checksum;
      CHECK(split.checksum == checksum0);
      CHECK(split.ranges.front().begin == 0);
      CHECK(split.ranges.back().end == text.size());
      std::vector<Rec> got;
      for (size_t k = 0; k < parts; ++k) {
        const auto& r = split.ranges[k];
        if (k > 0) CHECK(r.begin == split.ranges[k - 1].end);
        nm::io::CsvReader part(path, r.begin, r.end, r.first_line);
        for (auto& rec : read_all(part)) got.push_back(std::move(rec));
      }
      INFO("round " << round << " parts " << parts);
      CHECK(got == expect);
    }
  }
}

TEST_CASE("csv ranges: checksum changes with one byte") {
  nm::test::TempDir dir;
  const std::string path = dir.file("t.csv");
  std::string text(300000, 'a');
  for (size_t i = 0; i < text.size(); i += 37) text[i] = '\n';
  auto write = [&] {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
  };
  write();
  const uint64_t a = nm::io::split_file(path, 3).checksum;
  CHECK(nm::io::split_file(path, 5).checksum == a);
  text[200001] = 'b';
  write();
  CHECK(nm::io::split_file(path, 3).checksum != a);
}
