// The header rules of io/header.hpp, and that `plan` finds the birthdate
// column exactly as `run` does (it used to take the last of two columns of
// the same name, where run refuses the file).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "io/header.hpp"
#include "io/table_loader.hpp"
#include "jobs/commands/plan.hpp"
#include "src/errors.hpp"
#include "src/text/dates.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

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

std::string run_error(const std::string& path, const std::string& birthdate_column) {
  nm::io::LoadOptions lo;
  if (birthdate_column != "birthdate") lo.column_map["birthdate"] = birthdate_column;
  return input_error([&] { nm::io::load_csv_table(path, lo, nullptr); });
}

std::string plan_error(const std::string& path, const std::string& birthdate_column) {
  nm::jobs::BirthdateReadOptions ro;
  ro.column = birthdate_column;
  return input_error([&] { nm::jobs::count_birthdates(path, ro); });
}

}  // namespace

TEST_CASE("header: find_column finds a name once, refuses it twice") {
  const std::vector<std::string_view> h = {"id", "dob", "first_name", "dob"};
  CHECK(nm::io::find_column("f.csv", h, "id", "id") == 0);
  CHECK(nm::io::find_column("f.csv", h, "uuid", "uuid") == -1);
  CHECK(input_error([&] { nm::io::find_column("f.csv", h, "dob", "birthdate"); }) ==
        "f.csv: header: columns 2 and 4 are both called 'dob' (--map birthdate=dob): rename one, "
        "or read birthdate from another column with --map birthdate=COLUMN");
  CHECK(nm::io::required_column("f.csv", h, "first_name", "first_name") == 2);
  CHECK(input_error([&] { nm::io::required_column("f.csv", h, "last_name", "last_name"); }) ==
        "f.csv: required column 'last_name' not found; the header has: id, dob, first_name, dob");
  CHECK(nm::io::is_field_name("birthdate"));
  CHECK(nm::io::is_field_name("hh_id"));
  CHECK_FALSE(nm::io::is_field_name("dob"));
}

TEST_CASE("plan and run agree on the birthdate column: two of that name are refused by both") {
  TempDir d;
  const std::string twice = d.file(
      "twice.csv",
      "id,first_name,last_name,birthdate,birthdate\n1,Ann,Lee,1990-01-01,1991-01-01\n");
  const std::string run = run_error(twice, "birthdate");
  CHECK(run.find("twice.csv: header: columns 4 and 5 are both called 'birthdate'") !=
        std::string::npos);
  CHECK(plan_error(twice, "birthdate") == run);

  const std::string mapped =
      d.file("mapped.csv", "id,dob,first_name,last_name,dob\n1,1990-01-01,Ann,Lee,1991-01-01\n");
  CHECK(plan_error(mapped, "dob") == run_error(mapped, "dob"));
  CHECK(run_error(mapped, "dob").find("(--map birthdate=dob)") != std::string::npos);

  const std::string none = d.file("none.csv", "id,first_name,last_name\n1,Ann,Lee\n");
  CHECK(plan_error(none, "birthdate") == run_error(none, "birthdate"));
}

TEST_CASE("plan and run read the same birthdate column, blanks around the date ignored") {
  TempDir d;
  const std::string f = d.file(
      "f.csv", "dob,id,first_name,last_name\n 1990-01-01\t,1,Ann,Lee\n,2,Bob,Ray\n");
  nm::io::LoadOptions lo;
  lo.column_map["birthdate"] = "dob";
  const nm::RawTable t = nm::io::load_csv_table(f, lo, nullptr);
  nm::jobs::BirthdateReadOptions ro;
  ro.column = "dob";
  const auto counts = nm::jobs::count_birthdates(f, ro);
  REQUIRE(t.size() == 2);
  REQUIRE(counts.days.size() == 1);
  CHECK(counts.days[0].first == t.birthdate[0]);
  CHECK(counts.missing == 1);
  CHECK(t.birthdate[1] == nm::kNoDate);
  CHECK(nm::trim_date_blanks(" \t1990-01-01 ") == "1990-01-01");
  CHECK(nm::trim_date_blanks(" \t ").empty());
}
