// Tests of `generate` (synthetic registries with truth) and `evaluate` (P/R/F1).
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "jobs/commands/evaluate.hpp"
#include "jobs/generate/generate.hpp"
#include "src/errors.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using nm::jobs::EvalResult;
using nm::jobs::evaluate_files;
using nm::jobs::generate_dataset;
using nm::jobs::GenerateOptions;

using nm::test::TempDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// RFC 4180 split of one line (the generator never writes line breaks inside fields).
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  bool lf_only = true;
};

Csv read_csv(const fs::path& p) {
  Csv csv;
  const std::string text = slurp(p);
  csv.lf_only = text.find('\r') == std::string::npos;
  std::istringstream in(text);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (first) {
      csv.header = split_csv(line);
      first = false;
    } else {
      csv.rows.push_back(split_csv(line));
    }
  }
  return csv;
}

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

nm::jobs::GenerateStats gen(const TempDir& dir, uint64_t rows, uint64_t seed, unsigned threads,
                            double overlap = 0.6) {
  GenerateOptions o;
  o.rows = rows;
  o.seed = seed;
  o.threads = threads;
  o.overlap = overlap;
  o.out_dir = dir.str();
  return generate_dataset(o);
}

std::string fmt_join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
  return out;
}

const char* const kHeader = "id,uuid,first_name,middle_name,last_name,birthdate,hh_id";

}  // namespace

TEST_CASE("generate: same seed gives identical bytes whatever the thread count") {
  TempDir a, b, c;
  // 70,000 rows = 3 chunks, so several threads really run in parallel.
  const auto sa = gen(a, 70000, 42, 1);
  const auto sb = gen(b, 70000, 42, 2);
  const auto sc = gen(c, 70000, 42, 3);
  for (const char* name : {"left.csv", "right.csv", "truth.csv"}) {
    CAPTURE(name);
    const std::string x = slurp(a.path() / name);
    CHECK(x.size() > 1000);
    CHECK(x == slurp(b.path() / name));
    CHECK(x == slurp(c.path() / name));
  }
  CHECK(sa.true_pairs == sb.true_pairs);
  CHECK(sa.true_pairs == sc.true_pairs);
  // No temporary files left behind.
  size_t files = 0;
  for (const auto& e : fs::directory_iterator(a.path())) {
    (void)e;
    ++files;
  }
  CHECK(files == 3);
}

TEST_CASE("generate: a different seed gives different data") {
  TempDir a, b;
  gen(a, 3000, 1, 0);
  gen(b, 3000, 2, 0);
  CHECK(slurp(a.path() / "left.csv") != slurp(b.path() / "left.csv"));
  CHECK(slurp(a.path() / "right.csv") != slurp(b.path() / "right.csv"));
}

TEST_CASE("generate: shape, ids, truth and realism on 20k rows") {
  TempDir d;
  const uint64_t rows = 20000;
  const auto stats = gen(d, rows, 7, 0);
  const Csv left = read_csv(d.path() / "left.csv");
  const Csv right = read_csv(d.path() / "right.csv");
  const Csv truth = read_csv(d.path() / "truth.csv");

  SUBCASE("headers, row counts, field counts, LF, UTF-8") {
    CHECK(fmt_join(left.header) == kHeader);
    CHECK(fmt_join(right.header) == kHeader);
    CHECK(truth.header == std::vector<std::string>{"left_id", "right_id"});
    CHECK(left.rows.size() == rows);
    CHECK(right.rows.size() == rows);
    CHECK(truth.rows.size() == stats.true_pairs);
    CHECK(stats.left_rows == rows);
    CHECK(stats.right_rows == rows);
    CHECK(left.lf_only);
    CHECK(right.lf_only);
    for (const auto* t : {&left, &right})
      for (const auto& r : t->rows) REQUIRE(r.size() == 7);
    CHECK(valid_utf8(slurp(d.path() / "left.csv")));
    CHECK(valid_utf8(slurp(d.path() / "right.csv")));
  }

  // Index ids.
  std::unordered_map<std::string, size_t> lrow, rrow;
  for (size_t i = 0; i < left.rows.size(); ++i) lrow.emplace(left.rows[i][0], i);
  for (size_t i = 0; i < right.rows.size(); ++i) rrow.emplace(right.rows[i][0], i);

  SUBCASE("ids unique, truth refers to existing ids, sorted, size near overlap") {
    CHECK(lrow.size() == rows);
    CHECK(rrow.size() == rows);
    CHECK(left.rows[0][0] == "L00000001");
    CHECK(right.rows[0][0] == "1");
    std::vector<std::pair<size_t, size_t>> pairs;
    for (const auto& t : truth.rows) {
      REQUIRE(t.size() == 2);
      REQUIRE(lrow.count(t[0]) == 1);
      REQUIRE(rrow.count(t[1]) == 1);
      pairs.emplace_back(lrow[t[0]], rrow[t[1]]);
    }
    CHECK(std::is_sorted(pairs.begin(), pairs.end()));
    CHECK(std::adjacent_find(pairs.begin(), pairs.end()) == pairs.end());
    // 60 % of right rows are copies (a few left persons are copied twice).
    CHECK(truth.rows.size() == doctest::Approx(0.6 * rows).epsilon(0.01));
    std::set<size_t> right_in_truth;
    for (const auto& p : pairs) right_in_truth.insert(p.second);
    CHECK(right_in_truth.size() == truth.rows.size());  // a right row is one person
  }

  SUBCASE("birthdates: ~3 % January 1, a few missing, years 1930-2020") {
    size_t jan1 = 0, missing = 0;
    for (const auto& r : left.rows) {
      const std::string& bd = r[5];
      if (bd.empty()) {
        ++missing;
        continue;
      }
      REQUIRE(bd.size() == 10);
      const int y = std::stoi(bd.substr(0, 4)), m = std::stoi(bd.substr(5, 2)),
                dd = std::stoi(bd.substr(8, 2));
      CHECK(y >= 1930);
      CHECK(y <= 2020);
      CHECK(m >= 1);
      CHECK(m <= 12);
      CHECK(dd >= 1);
      CHECK(dd <= 31);
      if (bd.ends_with("-01-01")) ++jan1;
    }
    const double present = static_cast<double>(rows - missing);
    CHECK(jan1 / present > 0.025);
    CHECK(jan1 / present < 0.035);
    CHECK(missing > 0);
    CHECK(missing < rows / 100);
  }

  SUBCASE("true pairs mostly share a birthdate, some cannot by design") {
    size_t same = 0;
    for (const auto& t : truth.rows) {
      const std::string& a = left.rows[lrow[t[0]]][5];
      const std::string& b = right.rows[rrow[t[1]]][5];
      if (!a.empty() && a == b) ++same;
    }
    const double frac = static_cast<double>(same) / static_cast<double>(truth.rows.size());
    CHECK(frac > 0.97);
    CHECK(frac < 0.995);
  }

  SUBCASE("names: non-ASCII present, pools repeat, corruption present but limited") {
    size_t non_ascii_left = 0, non_ascii_right = 0;
    std::map<std::string, size_t> first_counts;
    for (const auto& r : left.rows) {
      for (int k = 2; k <= 4; ++k)
        if (std::any_of(r[k].begin(), r[k].end(),
                        [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
          ++non_ascii_left;
      ++first_counts[r[2]];
    }
    for (const auto& r : right.rows)
      for (int k = 2; k <= 4; ++k)
        if (std::any_of(r[k].begin(), r[k].end(),
                        [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
          ++non_ascii_right;
    CHECK(non_ascii_left > rows / 50);
    CHECK(non_ascii_right > rows / 100);
    CHECK(first_counts.size() > 300);  // several hundred first names
    size_t top = 0;
    for (const auto& [n, c] : first_counts) top = std::max(top, c);
    CHECK(top > rows / 200);  // Zipf: the most common name repeats a lot
    // Exact first+last agreement of true pairs: high but not perfect.
    size_t exact = 0;
    for (const auto& t : truth.rows) {
      const auto& l = left.rows[lrow[t[0]]];
      const auto& r = right.rows[rrow[t[1]]];
      if (l[2] == r[2] && l[4] == r[4]) ++exact;
    }
    const double frac = static_cast<double>(exact) / static_cast<double>(truth.rows.size());
    CHECK(frac > 0.5);
    CHECK(frac < 0.95);
  }

  SUBCASE("households: left uuid groups of 1-6, copies mostly land in one right household") {
    std::map<std::string, size_t> uuid_size;
    for (const auto& r : left.rows)
      if (!r[1].empty()) ++uuid_size[r[1]];
    size_t max_size = 0;
    for (const auto& [u, s] : uuid_size) max_size = std::max(max_size, s);
    CHECK(max_size <= 6);
    CHECK(uuid_size.size() > rows / 4);
    CHECK(uuid_size.size() < rows / 2);
    for (const auto& r : left.rows) CHECK(r[6].empty());
    size_t hh_present = 0;
    for (const auto& r : right.rows) {
      CHECK(r[1].empty());
      if (!r[6].empty()) {
        ++hh_present;
        CHECK(r[6].find_first_not_of("0123456789") == std::string::npos);
      }
    }
    CHECK(hh_present > rows * 8 / 10);
    CHECK(hh_present < rows);
    // For each left uuid with >= 2 copied members: do they share one right household key?
    std::map<std::string, std::set<std::string>> homes;
    std::map<std::string, size_t> copied;
    for (const auto& t : truth.rows) {
      const auto& l = left.rows[lrow[t[0]]];
      const auto& r = right.rows[rrow[t[1]]];
      if (l[1].empty()) continue;
      homes[l[1]].insert(r[6].empty() ? r[0] : r[6]);
      ++copied[l[1]];
    }
    size_t multi = 0, together = 0;
    for (const auto& [u, n] : copied)
      if (n >= 2) {
        ++multi;
        together += homes[u].size() == 1;
      }
    CHECK(multi > 100);
    CHECK(static_cast<double>(together) / static_cast<double>(multi) > 0.8);
    CHECK(together < multi);  // some moved out or lost their hh_id
  }
}

TEST_CASE("generate: overlap extremes and small sizes") {
  TempDir a, b, c;
  CHECK(gen(a, 500, 3, 1, 0.0).true_pairs == 0);
  CHECK(gen(b, 500, 3, 1, 1.0).true_pairs == 500);
  const auto s = gen(c, 0, 3, 1);
  CHECK(s.true_pairs == 0);
  CHECK(slurp(c.path() / "left.csv") == std::string(kHeader) + "\n");
  CHECK(slurp(c.path() / "truth.csv") == "left_id,right_id\n");
}

TEST_CASE("generate: option errors") {
  TempDir d;
  GenerateOptions o;
  o.out_dir = d.str();
  o.overlap = 1.5;
  CHECK_THROWS_AS(generate_dataset(o), nm::InputError);
  o.overlap = 0.5;
  o.out_dir = "";
  CHECK_THROWS_AS(generate_dataset(o), nm::InputError);
  const std::string file = d.file("plain", "x");
  o.out_dir = file;  // a file, not a directory
  CHECK_THROWS_AS(generate_dataset(o), nm::InputError);
  CHECK(nm::jobs::generate_main({"--rows", "-5", "--out-dir", d.str(), "--quiet"}) == 1);
  CHECK(nm::jobs::generate_main({"--rows", "10", "--bogus"}) == 1);
  CHECK(nm::jobs::generate_main({"--rows", "10"}) == 1);  // no --out-dir
  CHECK(nm::jobs::generate_main(
            {"--rows", "10", "--out-dir", (d.path() / "sub").string(), "--quiet"}) == 0);
  CHECK(fs::exists(d.path() / "sub" / "truth.csv"));
}

TEST_CASE("evaluate: exact counts and scores on a hand-written case") {
  TempDir d;
  const std::string truth = d.file("truth.csv",
                                   "left_id,right_id\n"
                                   "L1,1\n"
                                   "L2,2\n"
                                   "L3,3\n"
                                   "L4,4\n"
                                   "L4,4\n");  // duplicate counts once: 4 true pairs
  // Columns in another order, MatchedFields quoted with commas, a quoted id,
  // a duplicate prediction, CRLF line ends.
  const std::string matches =
      d.file("m.csv",
             "Table1_UUID,Table1_ID,Table1_FirstName,Table2_ID,Confidence,MatchedFields\r\n"
             "u,L1,Ann,1,1,\"id,uuid,first_name,last_name,birthdate\"\r\n"
             "u,L1,Ann,1,1,\"id,uuid,first_name,last_name,birthdate\"\r\n"
             "u,\"L2\",\"Smith, Jr.\",2,0.96,\"fuzzy,CASE 1,birthdate\"\r\n"
             "u,L3,\"He said \"\"hi\"\"\",9,0.95,\"fuzzy,CASE 2,birthdate\"\r\n"
             "u,L9,Bob,4,0.97,\"fuzzy,CASE 3,birthdate\"\r\n");
  const EvalResult r = evaluate_files(truth, matches);
  CHECK(r.true_pairs == 4);
  CHECK(r.predicted_pairs == 4);
  CHECK(r.true_positives == 2);
  CHECK(r.false_positives == 2);
  CHECK(r.false_negatives == 2);
  CHECK(r.precision == doctest::Approx(0.5));
  CHECK(r.recall == doctest::Approx(0.5));
  CHECK(r.f1 == doctest::Approx(0.5));

  const std::string m2 = d.file("m2.csv",
                                "Table1_ID,Table2_ID,MatchedFields\n"
                                "L1,1,\"a,b\"\n"
                                "L2,2,\"a,b\"\n"
                                "L3,3,\"a\nwith a line break\"\n");
  const EvalResult r2 = evaluate_files(truth, m2);
  CHECK(r2.true_positives == 3);
  CHECK(r2.precision == doctest::Approx(1.0));
  CHECK(r2.recall == doctest::Approx(0.75));
  CHECK(r2.f1 == doctest::Approx(6.0 / 7.0));
}

TEST_CASE("evaluate: truth columns by name, empty predictions, pair keys are exact") {
  TempDir d;
  const std::string truth = d.file("t.csv",
                                   "\xEF\xBB\xBF"
                                   "extra,Right_ID,left_id\n1,y,x\n2,z,\"x,y\"\n");
  const std::string m = d.file("m.csv", "Table1_ID,Table2_ID\nx,\"y,z\"\nx,y\n");
  const EvalResult r = evaluate_files(truth, m);
  CHECK(r.true_pairs == 2);
  CHECK(r.predicted_pairs == 2);
  CHECK(r.true_positives == 1);  // ("x","y,z") is not ("x,y","z")

  const std::string none = d.file("none.csv", "Table1_ID,Table2_ID\n");
  const EvalResult e = evaluate_files(truth, none);
  CHECK(e.predicted_pairs == 0);
  CHECK(e.precision == 0.0);  // documented: 0 when nothing is predicted
  CHECK(e.recall == 0.0);
  CHECK(e.f1 == 0.0);
  CHECK(e.false_negatives == 2);
}

TEST_CASE("evaluate: the truth format is checked") {
  TempDir d;
  const std::string m = d.file("m.csv", "Table1_ID,Table2_ID\nL1,R1\n");
  auto error_of = [&](const std::string& truth_text, const std::string& matches) {
    const std::string t = d.file("t.csv", truth_text);
    try {
      evaluate_files(t, matches);
    } catch (const nm::InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // A first row that is a pair, not the header, is refused (it was taken as a header).
  CHECK(error_of("L1,R1\nL2,R2\n", m).find("the first row must be the header left_id,right_id") !=
        std::string::npos);
  // A "," row is no pair (it counted as a true pair).
  CHECK(error_of("left_id,right_id\nL1,R1\n,\n", m).find("t.csv:3: empty left_id") !=
        std::string::npos);
  CHECK(error_of("left_id,right_id\nL1,\n", m).find("t.csv:2: empty right_id") !=
        std::string::npos);
  // 3 fields and 1 field under a 2-column header are both errors (3 were accepted).
  CHECK(error_of("left_id,right_id\nL1,R1,x\n", m).find("t.csv:2: 3 fields, the header has 2") !=
        std::string::npos);
  CHECK(error_of("left_id,right_id\nL1\n", m).find("t.csv:2: 1 field, the header has 2") !=
        std::string::npos);
  // A column named twice: which one is meant is not guessed.
  CHECK(error_of("left_id,right_id,LEFT_ID\nL1,R1,L2\n", m)
            .find("columns 1 and 3 are both called left_id") != std::string::npos);
  const std::string m2 = d.file("m2.csv", "Table1_ID,Table2_ID,Table2_ID\nL1,R1,R2\n");
  CHECK(
      error_of("left_id,right_id\nL1,R1\n", m2).find("columns 2 and 3 are both called Table2_ID") !=
      std::string::npos);
  // The format generate writes is accepted.
  CHECK(error_of("left_id,right_id\nL1,R1\n", m) == "no error");
}

TEST_CASE("evaluate: errors") {
  TempDir d;
  const std::string truth = d.file("t.csv", "left_id,right_id\nL1,1\n");
  const std::string no_col = d.file("m.csv", "Table1_ID,Other\nL1,1\n");
  CHECK_THROWS_AS(evaluate_files(truth, no_col), nm::InputError);
  try {
    evaluate_files(truth, no_col);
  } catch (const nm::InputError& e) {
    CHECK(std::string(e.what()).find("Table2_ID") != std::string::npos);
  }
  CHECK_THROWS_AS(evaluate_files((d.path() / "missing.csv").string(), no_col), nm::InputError);
  CHECK_THROWS_AS(evaluate_files(truth, (d.path() / "missing.csv").string()), nm::InputError);
  const std::string empty = d.file("e.csv", "");
  CHECK_THROWS_AS(evaluate_files(empty, no_col), nm::InputError);
  const std::string one_col = d.file("one.csv", "id\nL1\n");
  CHECK_THROWS_AS(evaluate_files(one_col, no_col), nm::InputError);
  const std::string short_row = d.file("s.csv", "Table1_ID,Table2_ID\nL1\n");
  CHECK_THROWS_AS(evaluate_files(truth, short_row), nm::InputError);
  const std::string unterminated = d.file("u.csv", "Table1_ID,Table2_ID\nL1,\"1\n");
  CHECK_THROWS_AS(evaluate_files(truth, unterminated), nm::InputError);
  CHECK(nm::jobs::evaluate_main({"--truth", truth, "--matches", no_col}) == 1);
  CHECK(nm::jobs::evaluate_main({"--truth", truth}) == 1);
}

TEST_CASE("generate + evaluate: the truth scores itself perfectly") {
  TempDir d;
  gen(d, 2000, 11, 0);
  // A matches file made from the truth rows.
  const Csv truth = read_csv(d.path() / "truth.csv");
  std::string m = "Table1_ID,Table1_UUID,Table2_ID,MatchedFields\n";
  for (const auto& t : truth.rows) m += t[0] + ",," + t[1] + ",\"fuzzy,CASE 1,birthdate\"\n";
  const std::string mf = d.file("m.csv", m);
  const EvalResult r = evaluate_files((d.path() / "truth.csv").string(), mf);
  CHECK(r.true_pairs == truth.rows.size());
  CHECK(r.true_positives == truth.rows.size());
  CHECK(r.precision == 1.0);
  CHECK(r.recall == 1.0);
  CHECK(r.f1 == 1.0);
  CHECK(nm::jobs::evaluate_main(
            {"--truth", (d.path() / "truth.csv").string(), "--matches", mf, "--json"}) == 0);
}

TEST_CASE("generate/evaluate CLI: stray positional arguments are errors") {
  TempDir d;
  CHECK(nm::jobs::generate_main({"20000", "--out-dir", d.str(), "--quiet"}) == 1);
  CHECK(nm::jobs::evaluate_main({"extra", "--truth", "a", "--matches", "b"}) == 1);
  CHECK(nm::jobs::generate_main({"--help"}) == 0);
  CHECK(nm::jobs::evaluate_main({"--help"}) == 0);
}
