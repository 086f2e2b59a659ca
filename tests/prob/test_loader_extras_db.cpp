// The database reader's side of the probabilistic mode's loading
// (io/db/db_reader.hpp): extra columns SELECTed besides the contract's, found
// in any case and quoted, trimmed with --trim-fields, NULL = empty; zero and
// NULL dates with dates_optional. It needs a MariaDB server: it runs when
// NM_TEST_DB_URL names a database (mysql://USER@HOST:PORT/DB, the password in
// NAME_MATCHER_DB_PASSWORD), as tests/db/prob_extras_test.sh does; without
// it, the case only says it was skipped.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "io/db/db_reader.hpp"
#include "io/db/url.hpp"
#include "src/errors.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

std::vector<std::string> extras_of(const nm::RawTable& t, size_t row) {
  std::vector<std::string> v;
  for (size_t k = 0; k < t.extra_names.size(); ++k) v.emplace_back(t.get_extra(row, k));
  return v;
}

}  // namespace

TEST_CASE("prob loader: extra columns and optional dates from a database table") {
  const char* base = std::getenv("NM_TEST_DB_URL");
  if (base == nullptr) {
    MESSAGE("skipped: NM_TEST_DB_URL is not set (tests/db/prob_extras_test.sh sets it)");
    return;
  }
  const nm::db::DbUrl url = nm::db::parse_db_url(std::string(base) + "/prob_extras", true);
  const nm::db::ConnectSettings cs = nm::db::connect_settings(url, {}, "");
  nm::db::Connection conn = nm::db::Connection::open(cs, nullptr);
  conn.exec("SET SESSION sql_mode = ''", "setup");  // zero dates, as old tables hold them
  conn.exec("DROP TABLE IF EXISTS prob_extras", "setup");
  conn.exec(
      "CREATE TABLE prob_extras (pk INT PRIMARY KEY, id VARCHAR(16), first_name VARCHAR(32), "
      "last_name VARCHAR(32), birthdate DATE, Postcode VARCHAR(8), `street no` VARCHAR(8), "
      "soc VARBINARY(8)) CHARACTER SET utf8mb4",
      "setup");
  conn.exec(
      "INSERT INTO prob_extras VALUES "
      "(1, 'a', 'ann', 'lee', '1990-01-01', ' 2600 ', '3', '111'), "
      "(2, 'b', 'bob', 'ray', NULL, NULL, '', '222'), "
      "(3, 'c', 'cy', 'ng', '0000-00-00', '2601', '7a', '333'), "
      "(4, NULL, 'di', 'ho', '0000-00-00', '2602', '9', '444'), "
      "(5, 'e', 'ed', 'li', '1980-02-03', '2603', '1', x'ff')",
      "setup");
  const nm::db::TableInfo info = nm::db::describe_table(conn, url, "");
  const nm::test::TempDir dir;
  nm::io::RejectsFile rejects(dir.file("rejects.csv"));
  nm::io::LoadOptions lo;
  lo.skip_bad_rows = true;
  lo.rejects = &rejects;
  lo.trim_fields = true;
  lo.dates_optional = true;
  lo.extra_columns = {"postcode", "street no", "last_name", "soc"};
  nm::io::LoadStats st;
  const nm::RawTable t = nm::db::load_db_table(conn, url, info, lo, {}, &st, nullptr);
  REQUIRE(t.size() == 3);
  CHECK(t.extra_names == lo.extra_columns);
  CHECK(extras_of(t, 0) == std::vector<std::string>{"2600", "3", "lee", "111"});
  CHECK(extras_of(t, 1) == std::vector<std::string>{"", "", "ray", "222"});
  CHECK(extras_of(t, 2) == std::vector<std::string>{"2601", "7a", "ng", "333"});
  CHECK(t.birthdate[0] != nm::kNoDate);
  CHECK(t.birthdate[1] == nm::kNoDate);
  CHECK(t.birthdate[2] == nm::kNoDate);
  CHECK(st.rows_rejected == 2);  // no id; a compared value that is not UTF-8
  CHECK(st.dates_missing == 1);
  CHECK(st.dates_invalid == 1);

  lo.extra_columns = {"postcod"};
  std::string error = "(no error)";
  try {
    nm::db::load_db_table(conn, url, info, lo, {}, nullptr, nullptr);
  } catch (const nm::InputError& e) {
    error = e.what();
  }
  CHECK(error == url.text() +
                     ": table: no column 'postcod' (columns: pk, id, first_name, last_name, "
                     "birthdate, Postcode, street no, soc)");

  // Without dates_optional the zero date is a bad row, as it always was.
  lo.extra_columns = {};
  lo.dates_optional = false;
  lo.skip_bad_rows = false;
  error = "(no error)";
  try {
    nm::db::load_db_table(conn, url, info, lo, {}, nullptr, nullptr);
  } catch (const nm::BadRowError& e) {
    error = e.what();
  }
  CHECK(error == url.text() + ":3: birthdate: zero date 0000-00-00 is not a date");
  // A read stopped by a bad row leaves its connection unusable: a new one.
  conn = nm::db::Connection::open(cs, nullptr);
  conn.exec("DROP TABLE prob_extras", "cleanup");
}
