// What the loader reads for the probabilistic mode (io/table_loader.hpp):
// extra columns besides the contract's fields, and unreadable birthdates as
// missing ones (dates_optional), counted. With both off, a file loads as it
// always did: the same rows, the same rejects.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/table_loader.hpp"
#include "jobs/pipeline.hpp"
#include "src/errors.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

using nm::io::LoadOptions;
using nm::io::LoadStats;
using nm::test::TempDir;

template <class F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const nm::InputError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> extras_of(const nm::RawTable& t, size_t row) {
  std::vector<std::string> v;
  for (size_t k = 0; k < t.extra_names.size(); ++k) v.emplace_back(t.get_extra(row, k));
  return v;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kPeople =
    "id,first_name,last_name,birthdate,postcode,suburb\n"
    "1,Ann,Lee,1990-01-01, 2600 ,north ryde\n"
    "2,Bob,Ray,1980-05-06,\"26,01\",\" quoted \"\n"
    "3,Cy,Ng,1970-02-03,,\n";

}  // namespace

TEST_CASE("prob loader: extra columns are read from a CSV file, as given or trimmed") {
  TempDir d;
  const std::string f = d.file("people.csv", kPeople);
  LoadOptions lo;
  lo.extra_columns = {"suburb", "postcode"};
  LoadStats st;
  const nm::RawTable t = nm::io::load_csv_table(f, lo, &st);
  REQUIRE(t.size() == 3);
  CHECK(t.extra_names == std::vector<std::string>{"suburb", "postcode"});
  REQUIRE(t.extra.size() == 6);
  CHECK(extras_of(t, 0) == std::vector<std::string>{"north ryde", " 2600 "});
  CHECK(extras_of(t, 1) == std::vector<std::string>{" quoted ", "26,01"});
  CHECK(extras_of(t, 2) == std::vector<std::string>{"", ""});
  CHECK(t.get(1, nm::Field::kLast) == "Ray");  // the contract fields are unchanged

  lo.trim_fields = true;
  const nm::RawTable trimmed = nm::io::load_csv_table(f, lo, nullptr);
  REQUIRE(trimmed.size() == 3);
  CHECK(extras_of(trimmed, 0) == std::vector<std::string>{"north ryde", "2600"});
  CHECK(extras_of(trimmed, 1) == std::vector<std::string>{" quoted ", "26,01"});  // quotes keep blanks
}

TEST_CASE("prob loader: an unknown extra column names the file and lists the header") {
  TempDir d;
  const std::string f = d.file("people.csv", kPeople);
  LoadOptions lo;
  lo.extra_columns = {"postcode", "postcod"};
  CHECK(input_error([&] { nm::io::load_csv_table(f, lo, nullptr); }) ==
        f + ": header: no column 'postcod' (columns: id, first_name, last_name, birthdate, "
            "postcode, suburb)");
  const std::string twice = d.file("twice.csv", "id,first_name,last_name,birthdate,pc,pc\n");
  lo.extra_columns = {"pc"};
  CHECK(input_error([&] { nm::io::load_csv_table(twice, lo, nullptr); }) ==
        twice + ": header: columns 5 and 6 are both called 'pc': rename one");
}

TEST_CASE("prob loader: an extra column may be a contract field's column too") {
  TempDir d;
  const std::string f = d.file("people.csv",
                               "rec_id,given_name,surname,dob,suburb\n"
                               "a1,ann,lee,1990-01-01,north ryde\n");
  LoadOptions lo;
  lo.column_map = {{"id", "rec_id"}, {"first_name", "given_name"}, {"last_name", "surname"},
                   {"birthdate", "dob"}};
  // Mapped to a field (surname, dob), or with a field's own name (rec_id).
  lo.extra_columns = {"surname", "suburb", "rec_id", "dob"};
  const nm::RawTable t = nm::io::load_csv_table(f, lo, nullptr);
  REQUIRE(t.size() == 1);
  CHECK(t.get(0, nm::Field::kLast) == "lee");
  CHECK(t.get(0, nm::Field::kId) == "a1");
  CHECK(extras_of(t, 0) == std::vector<std::string>{"lee", "north ryde", "a1", "1990-01-01"});
}

TEST_CASE("prob loader: with dates_optional, a blank or impossible date is a missing one") {
  TempDir d;
  const std::string f = d.file("dates.csv",
                               "id,first_name,last_name,birthdate\n"
                               "1,Ann,Lee,19900101\n"
                               "2,Bob,Ray,\n"
                               "3,Cy,Ng,  \n"
                               "4,Di,Ho,19450493\n"
                               "5,Ed,Li,soon\n"
                               ",Fay,Wu,19450493\n"  // no id: bad whatever the date
                               "7,Gus,Oh\n"           // too few fields
                               "8,Hal,Yu,19991231\n");
  nm::io::RejectsFile rejects(d.file("rejects.csv"));
  LoadOptions lo;
  lo.date_format = nm::DateFormat("%Y%m%d");
  lo.skip_bad_rows = true;
  lo.rejects = &rejects;
  lo.dates_optional = true;
  LoadStats st;
  const nm::RawTable t = nm::io::load_csv_table(f, lo, &st);
  REQUIRE(t.size() == 6);
  CHECK(t.get(4, nm::Field::kId) == "5");
  CHECK(t.birthdate[0] != nm::kNoDate);
  CHECK(t.birthdate[5] != nm::kNoDate);
  for (size_t r = 1; r <= 4; ++r) CHECK(t.birthdate[r] == nm::kNoDate);
  CHECK(st.rows_read == 8);
  CHECK(st.rows_rejected == 2);
  CHECK(st.dates_missing == 2);
  CHECK(st.dates_invalid == 2);  // not the row without an id: it is rejected
  rejects.close();
  const std::string rejected = read_all(rejects.data_path());
  CHECK(rejected.find(",7,id,missing id,") != std::string::npos);
  CHECK(rejected.find(",8,record,\"expected 4 fields, found 3\",") != std::string::npos);

  // Without a rejects file the first bad row still stops the load.
  LoadOptions strict = lo;
  strict.skip_bad_rows = false;
  strict.rejects = nullptr;
  CHECK(input_error([&] { nm::io::load_csv_table(f, strict, nullptr); }) ==
        f + ":7: id: missing id");
}

TEST_CASE("prob loader: with the options off, the same file loads as before") {
  TempDir d;
  const std::string f = d.file("dates.csv",
                               "id,first_name,last_name,birthdate,postcode\n"
                               "1,Ann,Lee,19900101,2600\n"
                               "2,Bob,Ray,,2601\n"
                               "3,Di,Ho,19450493,2602\n");
  nm::io::RejectsFile rejects(d.file("rejects.csv"));
  LoadOptions lo;
  lo.date_format = nm::DateFormat("%Y%m%d");
  lo.skip_bad_rows = true;
  lo.rejects = &rejects;
  LoadStats st;
  const nm::RawTable t = nm::io::load_csv_table(f, lo, &st);
  REQUIRE(t.size() == 2);
  CHECK(t.birthdate[1] == nm::kNoDate);  // a blank date was always missing, not bad
  CHECK(st.rows_rejected == 1);
  CHECK(st.dates_missing == 1);
  CHECK(st.dates_invalid == 0);
  CHECK(t.extra_names.empty());
  CHECK(t.extra.empty());
  // The arena holds the contract fields and nothing else.
  size_t text = 0;
  for (size_t r = 0; r < t.size(); ++r)
    for (const nm::StrRef s : t.fields[r]) text += s.length;
  CHECK(t.arena.bytes() == text);
  rejects.close();
  CHECK(read_all(rejects.data_path()) ==
        "file,line,field,reason,record\n" + f +
            ",4,birthdate,'19450493' is not a real date,\"3,Di,Ho,19450493,2602\"\n");
  lo.skip_bad_rows = false;
  lo.rejects = nullptr;
  CHECK(input_error([&] { nm::io::load_csv_table(f, lo, nullptr); }).starts_with(f + ":4: birthdate: "));
}

TEST_CASE("prob loader: FEBRL dataset4b loads every row with dates_optional") {
  const std::string f = NM_SHARED_DIR "/data/febrl/dataset4b.csv";
  LoadOptions lo;
  lo.trim_fields = true;  // ", "-separated
  lo.column_map = {{"id", "rec_id"}, {"first_name", "given_name"}, {"last_name", "surname"},
                   {"birthdate", "date_of_birth"}};
  lo.date_format = nm::DateFormat("%Y%m%d");
  lo.dates_optional = true;
  lo.extra_columns = {"postcode", "soc_sec_id", "street_number"};
  LoadStats st;
  const nm::RawTable t = nm::io::load_csv_table(f, lo, &st);
  // `wc -l` gives 5001: the header and 5000 rows.
  CHECK(t.size() == 5000);
  CHECK(st.rows_rejected == 0);
  CHECK(st.dates_missing == 199);
  CHECK(st.dates_invalid == 64);
  REQUIRE(t.extra.size() == 3 * 5000);
  CHECK(t.get(0, nm::Field::kId) == "rec-561-dup-0");
  CHECK(extras_of(t, 0) == std::vector<std::string>{"3212", "1551941", "3"});
  size_t blank_postcode = 0, blank_street = 0;
  for (size_t r = 0; r < t.size(); ++r) {
    blank_postcode += t.get_extra(r, 0).empty();
    blank_street += t.get_extra(r, 2).empty();
  }
  CHECK(blank_postcode == 0);
  CHECK(blank_street == 287);
}

TEST_CASE("prob loader: the run's summary counts missing and invalid dates with dates_optional") {
  TempDir d;
  const std::string left = d.file("l.csv",
                                  "id,first_name,last_name,birthdate,postcode\n"
                                  "1,Ann,Lee,1990-01-01,2600\n2,Bob,Ray,,2601\n"
                                  "3,Cy,Ng,1990-02-30,2602\n4,Di,Ho,,2603\n");
  const std::string right = d.file("r.csv",
                                   "id,first_name,last_name,birthdate,postcode\n"
                                   "9,Ann,Lee,1990-13-01,2600\n");
  nm::jobs::RunConfig cfg;
  cfg.left = left;
  cfg.right = right;
  cfg.out = d.file("out.csv");
  cfg.show_progress = false;
  cfg.dates_optional = true;
  cfg.extra_columns = {"postcode"};
  const nm::jobs::RunResult res = nm::jobs::run_pipeline(cfg);
  CHECK(res.rejected == 0);
  const auto j = nlohmann::json::parse(read_all(res.summary_path));
  CHECK(j["inputs"]["left"]["dates_missing"] == 2);
  CHECK(j["inputs"]["left"]["dates_invalid"] == 1);
  CHECK(j["inputs"]["right"]["dates_missing"] == 0);
  CHECK(j["inputs"]["right"]["dates_invalid"] == 1);

  // Off: the invalid dates are rejected and the summary has no such keys.
  cfg.dates_optional = false;
  cfg.extra_columns = {};
  cfg.skip_bad_rows = true;
  const nm::jobs::RunResult off = nm::jobs::run_pipeline(cfg);
  CHECK(off.rejected == 2);
  const auto k = nlohmann::json::parse(read_all(off.summary_path));
  CHECK_FALSE(k["inputs"]["left"].contains("dates_missing"));
  CHECK_FALSE(k["inputs"]["right"].contains("dates_invalid"));
}
