// Tests of the database table addresses (io/db/url.hpp): parse_db_url,
// check_identifier and quote_identifier. No server is needed.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "io/db/url.hpp"
#include "src/errors.hpp"

namespace {

using nm::InputError;
using nm::db::check_identifier;
using nm::db::DbUrl;
using nm::db::is_db_url;
using nm::db::parse_db_url;
using nm::db::quote_identifier;

// The message of the InputError that parse_db_url throws for `url` (a failed
// check when it throws nothing or something else).
std::string parse_error(std::string_view url, bool want_table = true) {
  try {
    parse_db_url(url, want_table);
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL_CHECK("not an InputError for " << url << ": " << e.what());
    return {};
  }
  FAIL_CHECK("accepted: " << url);
  return {};
}

std::string identifier_error(std::string_view name, std::string_view what = "table") {
  try {
    check_identifier(name, what);
  } catch (const InputError& e) {
    return e.what();
  }
  FAIL_CHECK("accepted identifier: " << name);
  return {};
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("db url: is_db_url knows both schemes and nothing else") {
  CHECK(is_db_url("mysql://u@h/db/t"));
  CHECK(is_db_url("mariadb://u@h/db/t"));
  CHECK_FALSE(is_db_url("left.csv"));
  CHECK_FALSE(is_db_url("/tmp/mysql://x"));
  CHECK_FALSE(is_db_url("MYSQL://u@h/db/t"));
  CHECK_FALSE(is_db_url("postgres://u@h/db/t"));
  CHECK_FALSE(is_db_url("mysql:/u@h/db/t"));
  CHECK_FALSE(is_db_url(""));
}

TEST_CASE("db url: every part of a full URL") {
  const DbUrl u = parse_db_url("mysql://nm@127.0.0.1:3307/nmtest/people", true);
  CHECK(u.user == "nm");
  CHECK(u.host == "127.0.0.1");
  CHECK(u.port == 3307);
  CHECK(u.database == "nmtest");
  CHECK(u.table == "people");
  CHECK(u.text() == "mysql://nm@127.0.0.1:3307/nmtest/people");
  CHECK(u.server() == "nm@127.0.0.1:3307");
}

TEST_CASE("db url: the port defaults to 3306, the user to none") {
  const DbUrl u = parse_db_url("mysql://nm@db.example.org/registry/persons", true);
  CHECK(u.host == "db.example.org");
  CHECK(u.port == 3306);
  CHECK(u.text() == "mysql://nm@db.example.org:3306/registry/persons");

  const DbUrl v = parse_db_url("mysql://localhost/registry/persons", true);
  CHECK(v.user.empty());
  CHECK(v.host == "localhost");
  CHECK(v.port == 3306);
  CHECK(v.server() == "localhost:3306");
  CHECK(v.text() == "mysql://localhost:3306/registry/persons");
}

TEST_CASE("db url: the mariadb:// scheme means the same") {
  const DbUrl a = parse_db_url("mariadb://nm@host-1:4000/d_b/t$1", true);
  CHECK(a.user == "nm");
  CHECK(a.host == "host-1");
  CHECK(a.port == 4000);
  CHECK(a.database == "d_b");
  CHECK(a.table == "t$1");
  const DbUrl b = parse_db_url("mysql://nm@host-1:4000/d_b/t$1", true);
  CHECK(a.text() == b.text());
  CHECK(a.text() == "mysql://nm@host-1:4000/d_b/t$1");
}

TEST_CASE("db url: IPv6 hosts in brackets") {
  const DbUrl u = parse_db_url("mysql://nm@[::1]:3307/nmtest/people", true);
  CHECK(u.host == "::1");
  CHECK(u.port == 3307);
  CHECK(u.database == "nmtest");
  CHECK(u.table == "people");
  CHECK(u.server() == "nm@[::1]:3307");
  CHECK(u.text() == "mysql://nm@[::1]:3307/nmtest/people");

  const DbUrl d = parse_db_url("mysql://[fe80::1:2]/db/t", true);
  CHECK(d.user.empty());
  CHECK(d.host == "fe80::1:2");
  CHECK(d.port == 3306);
  CHECK(d.text() == "mysql://[fe80::1:2]:3306/db/t");

  CHECK(contains(parse_error("mysql://nm@[::1/db/t"), "unterminated"));
  CHECK(contains(parse_error("mysql://nm@[::1]x/db/t"), "after the IPv6 host"));
  CHECK(contains(parse_error("mysql://nm@[::1]:/db/t"), "empty port"));
}

TEST_CASE("db url: user, database and table are percent-decoded") {
  const DbUrl u = parse_db_url("mysql://first%2Elast%40corp@h:1/my%5Fdb/Tab%6Ce", true);
  CHECK(u.user == "first.last@corp");
  CHECK(u.database == "my_db");
  CHECK(u.table == "Table");
  // lower-case hex digits too
  CHECK(parse_db_url("mysql://a%2eb@h/d/t%5f1", true).user == "a.b");
  CHECK(parse_db_url("mysql://a%2eb@h/d/t%5f1", true).table == "t_1");

  // bad escapes: too short, not hex
  CHECK(contains(parse_error("mysql://u@h/db/t%4"), "percent-encoding"));
  CHECK(contains(parse_error("mysql://u@h/db/t%zz"), "percent-encoding"));
  CHECK(contains(parse_error("mysql://u%@h/db/t"), "percent-encoding"));
}

TEST_CASE("db url: a decoded name is still checked as an identifier") {
  // people`; DROP TABLE x; --  percent-encoded: decodes to a name with ` ; space -
  const std::string e = parse_error("mysql://u@h/db/people%60%3B%20DROP%20TABLE%20x%3B%20--");
  CHECK(contains(e, "table"));
  CHECK(contains(e, "only letters, digits"));
  // ... and raw
  CHECK(contains(parse_error("mysql://u@h/db/people`; DROP TABLE x; --"), "only letters, digits"));
  CHECK(contains(parse_error("mysql://u@h/d%2Fb/t"), "database"));
  CHECK(contains(parse_error("mysql://u@h/db/a%2Fb"), "table"));  // %2F = '/'
  CHECK(contains(parse_error("mysql://u@h/db/a/b"), "table"));    // a raw '/' in the table
}

TEST_CASE("db url: a password in the URL is refused and not repeated") {
  for (const char* url : {"mysql://nm:s3cr3tPW@127.0.0.1:3306/nmtest/people",
                          "mariadb://nm:s3cr3tPW@[::1]/nmtest/people",
                          "mysql://nm:s3cr3tPW@h/db", "mysql://:s3cr3tPW@h/db/t",
                          "mysql://nm:@h/db/t"}) {
    const std::string shown(url);
    CAPTURE(shown);
    std::string e;
    try {
      parse_db_url(url, true);
      FAIL_CHECK("accepted");
    } catch (const InputError& err) {
      e = err.what();
    }
    CHECK(contains(e, "password"));
    CHECK_FALSE(contains(e, "s3cr3tPW"));
  }
  // also when only a database is wanted (seed)
  std::string e;
  try {
    parse_db_url("mysql://nm:s3cr3tPW@h:3306/nmtest", false);
    FAIL_CHECK("accepted");
  } catch (const InputError& err) {
    e = err.what();
  }
  CHECK(contains(e, "password"));
  CHECK_FALSE(contains(e, "s3cr3tPW"));
}

TEST_CASE("db url: a table is required for a table URL, refused for a database URL") {
  CHECK(contains(parse_error("mysql://u@h:1/db"), "no table"));
  CHECK(contains(parse_error("mysql://u@h:1/db/"), "no table"));
  CHECK(contains(parse_error("mysql://u@h:1/db"), "/DATABASE/TABLE"));

  const DbUrl d = parse_db_url("mysql://u@h:1/db", false);
  CHECK(d.database == "db");
  CHECK(d.table.empty());
  CHECK(d.text() == "mysql://u@h:1/db");
  CHECK(parse_db_url("mysql://u@h:1/db/", false).table.empty());
  CHECK(contains(parse_error("mysql://u@h:1/db/t", false), "table is not expected"));
}

TEST_CASE("db url: no database, no host, empty user") {
  CHECK(contains(parse_error("mysql://u@h:1"), "no database"));
  CHECK(contains(parse_error("mysql://u@h:1/"), "no database"));
  CHECK(contains(parse_error("mysql://u@h:1//t"), "no database"));
  CHECK(contains(parse_error("mysql://u@:1/db/t"), "no host"));
  CHECK(contains(parse_error("mysql:///db/t"), "no host"));
  CHECK(contains(parse_error("mysql://@h/db/t"), "empty user"));
  CHECK(contains(parse_error("mysql://u@h st/db/t"), "host"));
  CHECK(contains(parse_error("postgres://u@h/db/t"), "not a database URL"));
}

TEST_CASE("db url: bad ports") {
  for (const char* url :
       {"mysql://u@h:0/db/t", "mysql://u@h:65536/db/t", "mysql://u@h:99999999999/db/t",
        "mysql://u@h:33a/db/t", "mysql://u@h:abc/db/t", "mysql://u@h:-1/db/t",
        "mysql://u@h:+3306/db/t", "mysql://u@h: 3306/db/t", "mysql://u@h:3306:1/db/t",
        "mysql://u@[::1]:0/db/t", "mysql://u@[::1]:70000/db/t"}) {
    const std::string shown(url);
    CAPTURE(shown);
    CHECK(contains(parse_error(url), "bad port"));
  }
  CHECK(contains(parse_error("mysql://u@h:/db/t"), "empty port"));
  CHECK(parse_db_url("mysql://u@h:65535/db/t", true).port == 65535);
  CHECK(parse_db_url("mysql://u@h:1/db/t", true).port == 1);
  CHECK(parse_db_url("mysql://u@h:03306/db/t", true).port == 3306);
}

TEST_CASE("db url: query strings and fragments are refused") {
  CHECK(contains(parse_error("mysql://u@h/db/t?ssl=1"), "query strings"));
  CHECK(contains(parse_error("mysql://u@h/db/t?password=x"), "query strings"));
  CHECK(contains(parse_error("mysql://u@h/db/t#x"), "query strings"));
  CHECK(contains(parse_error("mysql://u@h/db?x=1", false), "query strings"));
}

TEST_CASE("db url: every error names the URL") {
  for (const char* url : {"mysql://u@h:0/db/t", "mysql://u@h/db", "mysql://u@h/db/t?x",
                          "mysql://u@h/db/a-b"}) {
    const std::string shown(url);
    CAPTURE(shown);
    CHECK(contains(parse_error(url), url));
  }
}

TEST_CASE("db identifier: accepted names") {
  for (const char* name : {"people", "People_2024", "_x", "$tmp", "a", "x1", "1abc", "nm_left",
                           "T$_9"}) {
    const std::string shown(name);
    CAPTURE(shown);
    CHECK_NOTHROW(check_identifier(name, "table"));
  }
  CHECK_NOTHROW(check_identifier(std::string(64, 'a'), "table"));
}

TEST_CASE("db identifier: refused names say why and what") {
  CHECK(contains(identifier_error("", "column"), "column '': empty"));
  CHECK(contains(identifier_error(std::string(65, 'a')), "longer than 64"));
  CHECK(contains(identifier_error("123", "database"), "database '123'"));
  CHECK(contains(identifier_error("123"), "only digits"));
  for (const char* name :
       {"people`", "peo ple", "a;b", "a--b", "a'b", "a\"b", "a.b", "a/b", "a\\b", "a-b", "a(b)",
        "people`; DROP TABLE x; --", "a\nb", "a\tb", "Łukasz", "caf\xc3\xa9", "a\xffz"}) {
    const std::string shown(name);
    CAPTURE(shown);
    const std::string e = identifier_error(name, "table");
    CHECK(e.rfind("table '", 0) == 0);
    CHECK(contains(e, "only letters, digits"));
  }
  // a NUL byte (the message holds it too, so what() stops there: only the refusal is checked)
  CHECK_THROWS_AS(check_identifier(std::string("a\0b", 3), "table"), InputError);
}

TEST_CASE("db identifier: quote_identifier wraps in backticks and doubles them") {
  CHECK(quote_identifier("people") == "`people`");
  CHECK(quote_identifier("") == "``");
  CHECK(quote_identifier("a`b") == "`a``b`");
  CHECK(quote_identifier("`") == "````");
  CHECK(quote_identifier("``") == "``````");
  CHECK(quote_identifier("people`; DROP TABLE x; --") == "`people``; DROP TABLE x; --`");
  CHECK(quote_identifier("first name") == "`first name`");
  CHECK(quote_identifier("Nguyễn") == "`Nguyễn`");
}
