// Tests of the xlsx output: result CSVs are converted, then read back with an
// independent reader (openpyxl, through tests/xlsx_dump.py) and compared.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "io/match_writer.hpp"
#include "io/xlsx_writer.hpp"
#include "src/errors.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nm::io::WorkbookResult;
using nm::io::WorkbookSummary;
using nm::io::write_xlsx_workbook;
using Rows = std::vector<std::vector<std::string>>;

// One CSV line in the contract's quoting (matching.md section 5).
std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out += f;
      continue;
    }
    out += '"';
    for (char ch : f) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    out += '"';
  }
  return out + '\n';
}

std::string csv_text(int algorithm, const Rows& rows) {
  std::string text = nm::io::match_header(algorithm) + "\n";
  for (const auto& r : rows) text += csv_line(r);
  return text;
}

std::vector<std::string> header_names(int algorithm) {
  std::vector<std::string> names;
  std::stringstream in(nm::io::match_header(algorithm));
  for (std::string name; std::getline(in, name, ',');) names.push_back(name);
  return names;
}

// The workbook as tests/xlsx_dump.py prints it.
json dump_xlsx(const std::string& path) {
  const std::string cmd =
      "/usr/bin/python3 '" NM_SOURCE_DIR "/tests/xlsx_dump.py' '" + path + "'";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
  const int status = ::pclose(pipe);
  INFO("command: " << cmd << "\noutput: " << out
                   << "\n(needs /usr/bin/python3 with openpyxl: apt-get install python3-openpyxl)");
  REQUIRE(status == 0);
  return json::parse(out);
}

std::vector<std::string> sheet_names(const json& book) {
  std::vector<std::string> names;
  for (const auto& s : book["sheets"]) names.push_back(s["name"]);
  return names;
}

const json& sheet(const json& book, const std::string& name) {
  for (const auto& s : book["sheets"])
    if (s["name"] == name) return s;
  FAIL("no sheet " << name);
  throw;  // not reached
}

// Summary sheet: label (column A) -> value cell (column B).
std::map<std::string, json> summary_of(const json& book) {
  std::map<std::string, json> out;
  for (const auto& row : sheet(book, "Summary")["rows"]) {
    REQUIRE(row.size() == 2);
    CHECK(row[0]["bold"] == true);
    out[row[0]["v"]] = row[1];
  }
  return out;
}

double number(const std::string& text) { return std::stod(text); }

// Checks a result sheet against the CSV rows it should hold: header, values
// and types, striping, freeze and autofilter.
void check_result_sheet(const json& s, const std::vector<std::string>& names, const Rows& rows,
                        size_t number_col) {
  const json& cells = s["rows"];
  REQUIRE(cells.size() == rows.size() + 1);
  CHECK(s["freeze"] == "A2");
  const char last_col = static_cast<char>('A' + names.size() - 1);
  CHECK(s["autofilter"] == "A1:" + std::string(1, last_col) + std::to_string(rows.size() + 1));
  REQUIRE(cells[0].size() == names.size());
  for (size_t c = 0; c < names.size(); ++c) {
    CHECK(cells[0][c]["v"] == names[c]);
    CHECK(cells[0][c]["bold"] == true);
    REQUIRE(s["widths"][c].is_number());
    CHECK(s["widths"][c].get<double>() >= static_cast<double>(names[c].size()));
  }
  for (size_t r = 0; r < rows.size(); ++r) {
    const json& got = cells[r + 1];
    REQUIRE(got.size() == names.size());
    for (size_t c = 0; c < names.size(); ++c) {
      INFO("row " << r + 1 << " column " << names[c]);
      const std::string& want = rows[r][c];
      const json& cell = got[c];
      CHECK(cell["bold"] == false);
      if (want.empty()) {
        CHECK(cell["t"] == "empty");
      } else if (c == number_col) {
        CHECK(cell["t"] == "number");
        CHECK(cell["v"].get<double>() == number(want));
      } else {
        CHECK(cell["t"] == "string");
        CHECK(cell["v"] == want);
      }
      // Every second data row is filled, across every column (empty cells too).
      if (r % 2 == 1) {
        CHECK(cell["fill"] == "FFDDEBF7");
      } else {
        CHECK(cell["fill"].is_null());
      }
    }
  }
}

const Rows kA3Rows = {
    {"007", "u1", "Nguyễn", "Văn", "An", "1990-01-01", "12", "v1", "Nguyen", "Van", "An",
     "1990-01-01", "true", "0.96161616", "fuzzy,CASE 1,birthdate"},
    {"8", "u2", "Łukasz", "", "Kowalski", "1985-05-05", "0013", "v2", "Lukasz", "", "Kowalski",
     "1985-05-05", "true", "1", "fuzzy,CASE 1,birthdate"},
    {"9", "", "王小明", "", "Wang", "1970-01-01", "14", "v3", "王小明", "", "Wang", "1970-01-01",
     "true", "0.92", "fuzzy,CASE 2,birthdate"},
    {"007", "u1", "Nguyễn", "Văn", "An", "1990-01-01", "15", "v4", "Nguyen", "", "An",
     "1990-01-01", "true", "0.95", "fuzzy,CASE 3,birthdate"},
};

WorkbookSummary a3_summary() {
  WorkbookSummary s;
  s.algorithm = 3;
  s.left_source = "/data/left.csv";
  s.right_source = "mysql://db/people";
  s.left_rows = 10;
  s.right_rows = 8;
  s.rejected_rows = 2;
  s.left_units = 10;
  s.right_units = 8;
  s.load_s = 1.25;
  s.score_s = 2.5;
  s.write_s = 0.125;
  s.total_s = 3.875;
  s.finished_at = "2026-11-24T10:00:00Z";
  return s;
}

// A1 rows with ids 1..n (left) and 100+i (right).
Rows a1_rows(int n) {
  Rows rows;
  for (int i = 1; i <= n; ++i) {
    const std::string id = std::to_string(i);
    rows.push_back({id, "u" + id, "Ann", "Lee", "1990-01-01", std::to_string(100 + i), "v" + id,
                    "Ann", "Lee", "1990-01-01", "true", "1",
                    "id,uuid,first_name,last_name,birthdate"});
  }
  return rows;
}

// No xlsx, no partial, and no libxlsxwriter temporary file left in the folder.
void check_nothing_left(const nm::test::TempDir& dir, const std::string& csv) {
  for (const auto& entry : fs::directory_iterator(dir.path()))
    CHECK_MESSAGE(entry.path().string() == csv, "left behind: " << entry.path());
}

}  // namespace

TEST_CASE("xlsx_writer: A3 matches, read back with openpyxl") {
  nm::test::TempDir dir;
  const std::string csv = dir.file("m.csv", csv_text(3, kA3Rows));
  const std::string xlsx = dir.file("m.xlsx");
  const WorkbookResult r = write_xlsx_workbook(csv, xlsx, a3_summary());
  CHECK(r.rows == 4);
  CHECK(r.result_sheets == 1);
  CHECK(r.matched_left == 3);   // 007, 8, 9
  CHECK(r.matched_right == 4);  // 12, 0013, 14, 15
  REQUIRE(fs::exists(xlsx));
  CHECK(r.bytes == fs::file_size(xlsx));
  CHECK_FALSE(fs::exists(xlsx + ".partial"));

  const json book = dump_xlsx(xlsx);
  CHECK(sheet_names(book) == std::vector<std::string>{"Matches", "Summary"});
  const auto names = header_names(3);
  check_result_sheet(sheet(book, "Matches"), names, kA3Rows, 13);
  // Spot checks of what the generic comparison covers.
  const json& cells = sheet(book, "Matches")["rows"];
  CHECK(cells[1][0]["v"] == "007");
  CHECK(cells[1][2]["v"] == "Nguyễn");
  CHECK(cells[1][14]["v"] == "fuzzy,CASE 1,birthdate");
  CHECK(cells[2][2]["v"] == "Łukasz");
  CHECK(cells[2][6]["v"] == "0013");
  CHECK(cells[2][13]["v"] == 1);
  CHECK(cells[3][8]["v"] == "王小明");
  CHECK(cells[3][1]["t"] == "empty");
  CHECK(cells[1][13]["v"].get<double>() == 0.96161616);
  const auto& widths = sheet(book, "Matches")["widths"];
  CHECK(widths[1].get<double>() >= 36);  // a uuid fits
  CHECK(widths[14].get<double>() > widths[0].get<double>());

  auto sum = summary_of(book);
  CHECK(sum["Algorithm"]["v"] == 3);
  CHECK(sum["Left source"]["v"] == "/data/left.csv");
  CHECK(sum["Right source"]["v"] == "mysql://db/people");
  CHECK(sum["Left rows"]["v"] == 10);
  CHECK(sum["Right rows"]["v"] == 8);
  CHECK(sum["Rejected rows"]["v"] == 2);
  CHECK(sum["Result rows"]["v"] == 4);
  CHECK(sum["Result sheets"]["v"] == 1);
  CHECK(sum["Left records"]["v"] == 10);
  CHECK(sum["Matched left records"]["v"] == 3);
  CHECK(sum["Unmatched left records"]["v"] == 7);
  CHECK(sum["Unmatched left rate"]["v"].get<double>() == doctest::Approx(0.7));
  CHECK(sum["Unmatched left rate"]["format"] == "0.00%");
  CHECK(sum["Right records"]["v"] == 8);
  CHECK(sum["Matched right records"]["v"] == 4);
  CHECK(sum["Unmatched right records"]["v"] == 4);
  CHECK(sum["Unmatched right rate"]["v"].get<double>() == doctest::Approx(0.5));
  CHECK(sum["Load time (s)"]["v"] == 1.25);
  CHECK(sum["Scoring time (s)"]["v"] == 2.5);
  CHECK(sum["Writing time (s)"]["v"] == 0.125);
  CHECK(sum["Total time (s)"]["v"] == 3.875);
  CHECK(sum["Finished at"]["v"] == "2026-11-24T10:00:00Z");
  CHECK(sum.size() == 21);
}

TEST_CASE("xlsx_writer: A5 households and a dedupe summary") {
  nm::test::TempDir dir;
  const Rows rows = {{"1", "AA", "210", "66.67", "", "", ""},
                     {"2", "BB", "211", "100.00", "", "", ""},
                     {"3", "CC", "212", "75.00", "", "", ""},
                     {"4", "AA", "214", "50.00", "", "", ""}};
  const std::string csv = dir.file("hh.csv", csv_text(5, rows));
  const std::string xlsx = dir.file("hh.xlsx");
  WorkbookSummary s;
  s.algorithm = 5;
  s.left_source = "people.csv";  // right_source empty: --dedupe
  s.left_rows = 9;
  s.unit_name = "households";
  s.left_units = 4;
  s.right_units = 0;
  const WorkbookResult r = write_xlsx_workbook(csv, xlsx, s);
  CHECK(r.rows == 4);
  CHECK(r.matched_left == 3);   // AA, BB, CC
  CHECK(r.matched_right == 4);  // 210, 211, 212, 214

  const json book = dump_xlsx(xlsx);
  CHECK(sheet_names(book) == std::vector<std::string>{"Households", "Summary"});
  check_result_sheet(sheet(book, "Households"), header_names(5), rows, 3);
  const json& cells = sheet(book, "Households")["rows"];
  CHECK(cells[2][3]["v"] == 100);
  CHECK(cells[2][3]["format"] == "0.00");
  CHECK(cells[1][3]["v"].get<double>() == 66.67);

  auto sum = summary_of(book);
  CHECK(sum["Algorithm"]["v"] == 5);
  CHECK(sum["Right source"]["t"] == "empty");
  CHECK(sum["Left households"]["v"] == 4);
  CHECK(sum["Matched left households"]["v"] == 3);
  CHECK(sum["Unmatched left households"]["v"] == 1);
  CHECK(sum["Unmatched left rate"]["v"].get<double>() == doctest::Approx(0.25));
  // More matched than units (units not given): unmatched 0, rate 0, no wrap-around.
  CHECK(sum["Right households"]["v"] == 0);
  CHECK(sum["Matched right households"]["v"] == 4);
  CHECK(sum["Unmatched right households"]["v"] == 0);
  CHECK(sum["Unmatched right rate"]["v"] == 0);
}

TEST_CASE("xlsx_writer: rows beyond the per-sheet limit continue on new sheets") {
  nm::test::TempDir dir;
  const auto names = header_names(1);
  SUBCASE("7 rows, 3 per sheet: 3 sheets") {
    const Rows rows = a1_rows(7);
    const std::string csv = dir.file("m.csv", csv_text(1, rows));
    WorkbookSummary s;
    s.algorithm = 1;
    s.left_units = 7;
    s.right_units = 7;
    const WorkbookResult r = write_xlsx_workbook(csv, dir.file("m.xlsx"), s, 3);
    CHECK(r.rows == 7);
    CHECK(r.result_sheets == 3);
    CHECK(r.matched_left == 7);
    const json book = dump_xlsx(dir.file("m.xlsx"));
    CHECK(sheet_names(book) ==
          std::vector<std::string>{"Matches", "Matches (2)", "Matches (3)", "Summary"});
    // Each sheet has its own header, and striping starts again on it.
    check_result_sheet(sheet(book, "Matches"), names, Rows(rows.begin(), rows.begin() + 3), 11);
    check_result_sheet(sheet(book, "Matches (2)"), names,
                       Rows(rows.begin() + 3, rows.begin() + 6), 11);
    check_result_sheet(sheet(book, "Matches (3)"), names, Rows(rows.begin() + 6, rows.end()),
                       11);
    auto sum = summary_of(book);
    CHECK(sum["Result rows"]["v"] == 7);
    CHECK(sum["Result sheets"]["v"] == 3);
    CHECK(sum["Unmatched left records"]["v"] == 0);
  }
  SUBCASE("6 rows, 3 per sheet: exactly 2 sheets, no empty third") {
    const std::string csv = dir.file("m.csv", csv_text(1, a1_rows(6)));
    WorkbookSummary s;
    s.algorithm = 1;
    const WorkbookResult r = write_xlsx_workbook(csv, dir.file("m.xlsx"), s, 3);
    CHECK(r.result_sheets == 2);
    CHECK(sheet_names(dump_xlsx(dir.file("m.xlsx"))) ==
          std::vector<std::string>{"Matches", "Matches (2)", "Summary"});
  }
  SUBCASE("header only: one sheet with the header") {
    const std::string csv = dir.file("m.csv", csv_text(1, {}));
    WorkbookSummary s;
    s.algorithm = 1;
    const WorkbookResult r = write_xlsx_workbook(csv, dir.file("m.xlsx"), s, 3);
    CHECK(r.rows == 0);
    CHECK(r.result_sheets == 1);
    const json book = dump_xlsx(dir.file("m.xlsx"));
    check_result_sheet(sheet(book, "Matches"), names, {}, 11);
  }
  SUBCASE("a limit out of range is a bug") {
    const std::string csv = dir.file("m.csv", csv_text(1, a1_rows(1)));
    WorkbookSummary s;
    s.algorithm = 1;
    CHECK_THROWS_AS(write_xlsx_workbook(csv, dir.file("m.xlsx"), s, 0), std::invalid_argument);
    CHECK_THROWS_AS(write_xlsx_workbook(csv, dir.file("m.xlsx"), s, 1048576),
                    std::invalid_argument);
  }
}

TEST_CASE("xlsx_writer: failures throw InputError and leave no file behind") {
  nm::test::TempDir dir;
  WorkbookSummary s = a3_summary();
  const std::string xlsx = dir.file("m.xlsx");
  std::string csv;
  std::string expect;  // in the message
  SUBCASE("missing CSV") {
    csv = dir.file("missing.csv");
    expect = "missing.csv";
  }
  SUBCASE("header of another algorithm") {
    csv = dir.file("m.csv", csv_text(1, a1_rows(2)));
    expect = "header";
  }
  SUBCASE("header with a column missing") {
    std::string text = csv_text(3, kA3Rows);
    text.erase(0, text.find(',') + 1);
    csv = dir.file("m.csv", text);
    expect = "m.csv";
  }
  SUBCASE("empty CSV") {
    csv = dir.file("m.csv", "");
    expect = "m.csv";
  }
  SUBCASE("a row with too few fields") {
    csv = dir.file("m.csv", csv_text(3, kA3Rows) + "1,2,3\n");
    expect = "m.csv:6";
  }
  SUBCASE("Confidence not a number") {
    Rows rows = kA3Rows;
    rows[1][13] = "0.9x";
    csv = dir.file("m.csv", csv_text(3, rows));
    expect = "m.csv:3: Confidence";
  }
  SUBCASE("a string longer than a cell holds (libxlsxwriter's error)") {
    Rows rows = kA3Rows;
    rows[2][4] = std::string(40000, 'x');
    csv = dir.file("m.csv", csv_text(3, rows));
    expect = "m.csv:4: Table1_LastName";
  }
  SUBCASE("algorithm out of range") {
    csv = dir.file("m.csv", csv_text(3, kA3Rows));
    s.algorithm = 7;
    expect = "algorithm";
  }
  try {
    write_xlsx_workbook(csv, xlsx, s);
    FAIL("no exception");
  } catch (const nm::InputError& e) {
    CHECK_MESSAGE(std::string(e.what()).find(expect) != std::string::npos, e.what());
  }
  check_nothing_left(dir, csv);
}

TEST_CASE("xlsx_writer: a failed conversion keeps the previous xlsx; output folder missing") {
  nm::test::TempDir dir;
  const std::string old_xlsx = dir.file("m.xlsx", "previous");
  const std::string bad_csv = dir.file("bad.csv", csv_text(1, a1_rows(1)));
  CHECK_THROWS_AS(write_xlsx_workbook(bad_csv, old_xlsx, a3_summary()), nm::InputError);
  std::ifstream in(old_xlsx);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(content == "previous");
  CHECK_FALSE(fs::exists(old_xlsx + ".partial"));

  const std::string csv = dir.file("m.csv", csv_text(3, kA3Rows));
  CHECK_THROWS_WITH_AS(write_xlsx_workbook(csv, dir.file("no/such/dir/m.xlsx"), a3_summary()),
                       doctest::Contains("no/such/dir"), nm::InputError);
}
