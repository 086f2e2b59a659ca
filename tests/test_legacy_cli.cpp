// Tests of the mapping of the original tool's positional command line
//   HOST PORT USER PASSWORD DATABASE TABLE1 TABLE2 ALGO OUT_PATH [csv|xlsx|both]
// onto `name_matcher run` (jobs/commands/legacy.hpp). The environment is a map
// handed in, so nothing here depends on the test process's environment.
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/db/url.hpp"
#include "jobs/commands/legacy.hpp"
#include "src/errors.hpp"

namespace {

using nm::InputError;
using nm::jobs::describe;
using nm::jobs::encode_url_identifier;
using nm::jobs::GetEnv;
using nm::jobs::LegacyInvocation;
using nm::jobs::looks_like_legacy;
using nm::jobs::map_legacy;
using Args = std::vector<std::string>;
using Env = std::map<std::string, std::string>;

constexpr const char* kPassword = "hunter2Zq!";

GetEnv env_of(Env vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// The original tool's arguments with a literal password and no format.
Args base_args() {
  return {"db1.example.org", "3306",  "alice", kPassword,        "people",
          "reg_a",           "reg_b", "3",     "out/matches.csv"};
}

Args with(Args args, size_t index, std::string value) {
  args.at(index) = std::move(value);
  return args;
}

Args with_format(Args args, std::string format) {
  args.push_back(std::move(format));
  return args;
}

// The value following `option` in run_args ("" when absent); all values when repeated.
std::vector<std::string> values_of(const LegacyInvocation& inv, const std::string& option) {
  std::vector<std::string> values;
  for (size_t i = 0; i + 1 < inv.run_args.size(); ++i) {
    if (inv.run_args[i] == option) values.push_back(inv.run_args[i + 1]);
  }
  return values;
}

std::string value_of(const LegacyInvocation& inv, const std::string& option) {
  const auto values = values_of(inv, option);
  REQUIRE(values.size() <= 1);
  return values.empty() ? std::string() : values.front();
}

bool has_arg(const LegacyInvocation& inv, const std::string& arg) {
  for (const auto& a : inv.run_args) {
    if (a == arg) return true;
  }
  return false;
}

bool any_arg_contains(const LegacyInvocation& inv, const std::string& text) {
  for (const auto& a : inv.run_args) {
    if (a.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string warnings_text(const LegacyInvocation& inv) {
  std::string all;
  for (const auto& w : inv.warnings) all += w + "\n";
  return all;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // upper case only: the encoder writes upper-case hex
}

// Plain percent-decoding, as the URL parser does before it validates a name.
std::string percent_decode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      REQUIRE(i + 2 < s.size());
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      REQUIRE(hi >= 0);
      REQUIRE(lo >= 0);
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("legacy: looks_like_legacy accepts the original positional command line") {
  CHECK(looks_like_legacy(base_args()));
  CHECK(looks_like_legacy(with_format(base_args(), "xlsx")));
  CHECK(looks_like_legacy(with(base_args(), 3, "-")));
  CHECK(looks_like_legacy(with(base_args(), 1, "1")));
  CHECK(looks_like_legacy(with(base_args(), 1, "65535")));
  CHECK(looks_like_legacy(with(base_args(), 1, "03306")));
  CHECK(looks_like_legacy(with(base_args(), 0, "localhost")));
  CHECK(looks_like_legacy(with(base_args(), 0, "[::1]")));
}

TEST_CASE("legacy: looks_like_legacy rejects the wrong count, subcommands, options, bad ports") {
  Args eight = base_args();
  eight.pop_back();
  CHECK_FALSE(looks_like_legacy(eight));
  CHECK_FALSE(looks_like_legacy(with_format(with_format(base_args(), "csv"), "extra")));
  CHECK_FALSE(looks_like_legacy({}));

  // Ordinary subcommand lines, some of exactly 9 or 10 arguments.
  CHECK_FALSE(looks_like_legacy(
      {"run", "--left", "a.csv", "--right", "b.csv", "--algorithm", "3", "--out", "m.csv"}));
  CHECK_FALSE(looks_like_legacy({"run", "--left", "a.csv", "--right", "b.csv", "--algorithm", "3",
                                 "--out", "m.csv", "--quiet"}));
  CHECK_FALSE(looks_like_legacy(
      {"plan", "--left", "a.csv", "--right", "b.csv", "--ranks", "4096", "--json", "--per-rank"}));
  // A subcommand followed by a number is still the subcommand.
  for (const char* cmd : {"run", "generate", "evaluate", "plan", "explain", "bench", "reduce",
                          "gpu-selftest", "version", "help"}) {
    CAPTURE(cmd);
    CHECK_FALSE(looks_like_legacy(with(base_args(), 0, cmd)));
  }
  CHECK_FALSE(looks_like_legacy(with(base_args(), 0, "--help")));
  CHECK_FALSE(looks_like_legacy(with(base_args(), 0, "-h")));
  CHECK_FALSE(looks_like_legacy(with(base_args(), 0, "")));

  for (const char* port : {"", "33o6", "port", "-1", "+3306", "3306 ", " 3306", "3306.0", "0x10"}) {
    CAPTURE(port);
    CHECK_FALSE(looks_like_legacy(with(base_args(), 1, port)));
  }
}

TEST_CASE("legacy: a number out of the port range is the original command line with a bad PORT") {
  // It was taken for an unknown command ("unknown command '127.0.0.1'").
  for (const char* port : {"0", "65536", "99999", "99999999999"}) {
    CAPTURE(port);
    CHECK(looks_like_legacy(with(base_args(), 1, port)));
    try {
      map_legacy(with(base_args(), 1, port), env_of({}));
      FAIL("accepted");
    } catch (const nm::InputError& e) {
      CHECK(std::string(e.what()) ==
            "PORT '" + std::string(port) + "' is not a port number (1..65535)");
    }
  }
}

TEST_CASE("legacy: the basic mapping, same server for both tables") {
  const LegacyInvocation inv = map_legacy(with(base_args(), 3, "-"), env_of({}));
  CHECK(inv.run_args == Args{"--left", "mysql://alice@db1.example.org:3306/people/reg_a", "--right",
                             "mysql://alice@db1.example.org:3306/people/reg_b", "--algorithm", "3",
                             "--out", "out/matches.csv"});
  CHECK(inv.set_env.empty());
  CHECK(inv.warnings.empty());
  CHECK(inv.password_arg_index == 3);
  CHECK(describe(inv) ==
        "name_matcher run --left mysql://alice@db1.example.org:3306/people/reg_a --right "
        "mysql://alice@db1.example.org:3306/people/reg_b --algorithm 3 --out out/matches.csv");
}

TEST_CASE("legacy: a literal password goes to the environment, never into the arguments") {
  const LegacyInvocation inv = map_legacy(base_args(), env_of({}));
  REQUIRE(inv.set_env.size() == 1);
  CHECK(inv.set_env[0].first == "NAME_MATCHER_DB_PASSWORD");
  CHECK(inv.set_env[0].second == kPassword);
  CHECK(inv.password_arg_index == 3);
  CHECK(base_args()[inv.password_arg_index] == kPassword);
  CHECK_FALSE(any_arg_contains(inv, kPassword));
  CHECK_FALSE(any_arg_contains(inv, "hunter2"));
  CHECK(describe(inv).find("hunter2") == std::string::npos);
  CHECK(warnings_text(inv).find("hunter2") == std::string::npos);
  CHECK_FALSE(has_arg(inv, "--left-password-env"));
  CHECK_FALSE(has_arg(inv, "--right-password-env"));
  REQUIRE(inv.warnings.size() == 1);
  CHECK(inv.warnings[0].find("command line") != std::string::npos);
  CHECK(inv.warnings[0].find("(ps)") != std::string::npos);
  CHECK(inv.warnings[0].find("NAME_MATCHER_DB_PASSWORD or DB_PASSWORD") != std::string::npos);
  // The same result with the password in every other form of the run.
  const LegacyInvocation both = map_legacy(with_format(base_args(), "both"), env_of({}));
  CHECK_FALSE(any_arg_contains(both, "hunter2"));
  CHECK(describe(both).find("hunter2") == std::string::npos);
}

TEST_CASE("legacy: a password that looks like other arguments is still kept out of them") {
  // A password equal to a table name: set_env holds it, and run_args are
  // exactly those of the "-" form (the table name is there as a table only).
  const LegacyInvocation inv = map_legacy(with(base_args(), 3, "reg_a"), env_of({}));
  const LegacyInvocation from_env = map_legacy(with(base_args(), 3, "-"), env_of({}));
  CHECK(inv.run_args == from_env.run_args);
  REQUIRE(inv.set_env.size() == 1);
  CHECK(inv.set_env[0].second == "reg_a");
  // Characters that would need encoding or quoting do not leak either.
  const std::string odd = "p@ss word/'x'";
  const LegacyInvocation o = map_legacy(with(base_args(), 3, odd), env_of({}));
  CHECK(o.run_args == from_env.run_args);
  CHECK(describe(o) == describe(from_env));
  REQUIRE(o.set_env.size() == 1);
  CHECK(o.set_env[0].second == odd);
}

TEST_CASE("legacy: password - reads the environment, with or without a password there") {
  for (const Env& env :
       {Env{}, Env{{"NAME_MATCHER_DB_PASSWORD", "x"}}, Env{{"DB_PASSWORD", "y"}}}) {
    const LegacyInvocation inv = map_legacy(with(base_args(), 3, "-"), env_of(env));
    CHECK(inv.set_env.empty());
    CHECK(inv.warnings.empty());
    CHECK_FALSE(has_arg(inv, "--left-password-env"));
    CHECK_FALSE(has_arg(inv, "--right-password-env"));
  }
}

TEST_CASE("legacy: an empty password literal is an empty password, with the warning") {
  const LegacyInvocation inv = map_legacy(with(base_args(), 3, ""), env_of({}));
  REQUIRE(inv.set_env.size() == 1);
  CHECK(inv.set_env[0].first == "NAME_MATCHER_DB_PASSWORD");
  CHECK(inv.set_env[0].second.empty());
  REQUIRE(inv.warnings.size() == 1);
  CHECK(inv.warnings[0].find("(ps)") != std::string::npos);
}

TEST_CASE("legacy: a literal password over a set NAME_MATCHER_DB_PASSWORD is warned about") {
  const LegacyInvocation inv =
      map_legacy(base_args(), env_of({{"NAME_MATCHER_DB_PASSWORD", "EnvPwQz"}}));
  REQUIRE(inv.set_env.size() == 1);
  CHECK(inv.set_env[0].second == kPassword);
  REQUIRE(inv.warnings.size() == 2);
  CHECK(inv.warnings[1].find("NAME_MATCHER_DB_PASSWORD is set") != std::string::npos);
  CHECK(warnings_text(inv).find("EnvPwQz") == std::string::npos);
}

TEST_CASE("legacy: DB2_HOST alone puts TABLE2 on that server with the first server's rest") {
  // PORT 3307, not 3306: DB2_PORT falls back to the first server's port.
  const Args args = with(with(base_args(), 1, "3307"), 3, "-");
  const LegacyInvocation inv = map_legacy(args, env_of({{"DB2_HOST", "db2.example.org"}}));
  CHECK(value_of(inv, "--left") == "mysql://alice@db1.example.org:3307/people/reg_a");
  CHECK(value_of(inv, "--right") == "mysql://alice@db2.example.org:3307/people/reg_b");
  // DB2_PASS unset: the right side uses the left's password, no option.
  CHECK_FALSE(has_arg(inv, "--right-password-env"));
  CHECK_FALSE(has_arg(inv, "--left-password-env"));
  CHECK(inv.warnings.empty());
  CHECK(inv.set_env.empty());
}

TEST_CASE("legacy: every DB2_* variable replaces its first-server value") {
  const Env env = {{"DB2_HOST", "db2.example.org"},
                   {"DB2_PORT", "3310"},
                   {"DB2_USER", "bob"},
                   {"DB2_DATABASE", "registry2"},
                   {"DB2_PASS", "SecondSecretQ"}};
  const LegacyInvocation inv = map_legacy(base_args(), env_of(env));
  CHECK(inv.run_args == Args{"--left", "mysql://alice@db1.example.org:3306/people/reg_a", "--right",
                             "mysql://bob@db2.example.org:3310/registry2/reg_b", "--algorithm", "3",
                             "--right-password-env", "DB2_PASS", "--out", "out/matches.csv"});
  CHECK_FALSE(any_arg_contains(inv, "SecondSecret"));
  CHECK(describe(inv).find("SecondSecret") == std::string::npos);
  CHECK(describe(inv).find("--right-password-env DB2_PASS") != std::string::npos);
  // The literal first-server password still only goes to NAME_MATCHER_DB_PASSWORD.
  REQUIRE(inv.set_env.size() == 1);
  CHECK(inv.set_env[0].first == "NAME_MATCHER_DB_PASSWORD");
  CHECK(inv.set_env[0].second == kPassword);
}

TEST_CASE("legacy: DB2 fallbacks one variable at a time") {
  const Args args = with(base_args(), 3, "-");
  SUBCASE("DB2_USER only") {
    const auto inv = map_legacy(args, env_of({{"DB2_HOST", "h2"}, {"DB2_USER", "carol"}}));
    CHECK(value_of(inv, "--right") == "mysql://carol@h2:3306/people/reg_b");
  }
  SUBCASE("DB2_PORT only") {
    const auto inv = map_legacy(args, env_of({{"DB2_HOST", "h2"}, {"DB2_PORT", "13306"}}));
    CHECK(value_of(inv, "--right") == "mysql://alice@h2:13306/people/reg_b");
  }
  SUBCASE("DB2_DATABASE only") {
    const auto inv = map_legacy(args, env_of({{"DB2_HOST", "h2"}, {"DB2_DATABASE", "other_db"}}));
    CHECK(value_of(inv, "--right") == "mysql://alice@h2:3306/other_db/reg_b");
  }
  SUBCASE("empty DB2_USER, DB2_PORT, DB2_DATABASE fall back too") {
    const auto inv = map_legacy(
        args,
        env_of({{"DB2_HOST", "h2"}, {"DB2_USER", ""}, {"DB2_PORT", ""}, {"DB2_DATABASE", ""}}));
    CHECK(value_of(inv, "--right") == "mysql://alice@h2:3306/people/reg_b");
  }
  SUBCASE("DB2_PORT with leading zeros is written plainly") {
    const auto inv = map_legacy(args, env_of({{"DB2_HOST", "h2"}, {"DB2_PORT", "03310"}}));
    CHECK(value_of(inv, "--right") == "mysql://alice@h2:3310/people/reg_b");
  }
  // The left side never changes.
  const auto inv = map_legacy(args, env_of({{"DB2_HOST", "h2"}, {"DB2_USER", "carol"}}));
  CHECK(value_of(inv, "--left") == "mysql://alice@db1.example.org:3306/people/reg_a");
}

TEST_CASE("legacy: DB2_PASS - or unset means the left password; empty DB2_PASS is a password") {
  const Args args = with(base_args(), 3, "-");
  CHECK_FALSE(has_arg(map_legacy(args, env_of({{"DB2_HOST", "h2"}, {"DB2_PASS", "-"}})),
                      "--right-password-env"));
  CHECK_FALSE(has_arg(map_legacy(args, env_of({{"DB2_HOST", "h2"}})), "--right-password-env"));
  CHECK(value_of(map_legacy(args, env_of({{"DB2_HOST", "h2"}, {"DB2_PASS", ""}})),
                 "--right-password-env") == "DB2_PASS");
  CHECK(value_of(map_legacy(args, env_of({{"DB2_HOST", "h2"}, {"DB2_PASS", "pw"}})),
                 "--right-password-env") == "DB2_PASS");
  // DB2_PASS names the right side's variable; the password literal from argv
  // is still the left's (and the default's).
  const auto inv = map_legacy(base_args(), env_of({{"DB2_HOST", "h2"}, {"DB2_PASS", "-"}}));
  CHECK_FALSE(has_arg(inv, "--right-password-env"));
  REQUIRE(inv.set_env.size() == 1);
  CHECK(inv.set_env[0].second == kPassword);
}

TEST_CASE("legacy: DB2_* without DB2_HOST are ignored with a warning") {
  const Args args = with(base_args(), 3, "-");
  const Env env = {
      {"DB2_USER", "bob"}, {"DB2_PORT", "3310"}, {"DB2_PASS", "pw"}, {"DB2_DATABASE", "registry2"}};
  const LegacyInvocation inv = map_legacy(args, env_of(env));
  CHECK(value_of(inv, "--right") == "mysql://alice@db1.example.org:3306/people/reg_b");
  CHECK_FALSE(has_arg(inv, "--right-password-env"));
  REQUIRE(inv.warnings.size() == 1);
  for (const char* name : {"DB2_USER", "DB2_PORT", "DB2_PASS", "DB2_DATABASE", "DB2_HOST"}) {
    CAPTURE(name);
    CHECK(inv.warnings[0].find(name) != std::string::npos);
  }
  CHECK(inv.warnings[0].find("ignored") != std::string::npos);
  CHECK(inv.warnings[0].find("pw") == std::string::npos);

  const auto one = map_legacy(args, env_of({{"DB2_USER", "bob"}}));
  REQUIRE(one.warnings.size() == 1);
  CHECK(one.warnings[0].find("DB2_USER is set") != std::string::npos);
  CHECK(one.warnings[0].find("DB2_PORT") == std::string::npos);

  // An empty DB2_HOST counts as unset.
  const auto empty_host = map_legacy(args, env_of({{"DB2_HOST", ""}, {"DB2_USER", "bob"}}));
  CHECK(value_of(empty_host, "--right") == "mysql://alice@db1.example.org:3306/people/reg_b");
  CHECK(empty_host.warnings.size() == 1);

  // DB2_PASS "-" alone, or empty values alone, are nothing to warn about.
  CHECK(map_legacy(args, env_of({{"DB2_PASS", "-"}})).warnings.empty());
  CHECK(map_legacy(args, env_of({{"DB2_USER", ""}, {"DB2_HOST", ""}})).warnings.empty());
  // Unrelated variables are nothing to warn about.
  CHECK(map_legacy(args, env_of({{"DB_PASSWORD", "x"}, {"DB2_OTHER", "y"}})).warnings.empty());
}

TEST_CASE("legacy: bad DB2_HOST or DB2_PORT are errors naming the variable") {
  const Args args = with(base_args(), 3, "-");
  CHECK_THROWS_WITH_AS(map_legacy(args, env_of({{"DB2_HOST", "h2"}, {"DB2_PORT", "70000"}})),
                       doctest::Contains("DB2_PORT '70000'"), InputError);
  CHECK_THROWS_WITH_AS(map_legacy(args, env_of({{"DB2_HOST", "h2"}, {"DB2_PORT", "x"}})),
                       doctest::Contains("DB2_PORT"), InputError);
  CHECK_THROWS_WITH_AS(map_legacy(args, env_of({{"DB2_HOST", "h2:3306"}})),
                       doctest::Contains("DB2_HOST 'h2:3306'"), InputError);
  CHECK_THROWS_WITH_AS(map_legacy(args, env_of({{"DB2_HOST", "u@h2"}})),
                       doctest::Contains("DB2_HOST"), InputError);
  // Without DB2_HOST a bad DB2_PORT is only ignored (with the warning).
  CHECK_NOTHROW(map_legacy(args, env_of({{"DB2_PORT", "x"}})));
}

TEST_CASE("legacy: ALGO is passed through when it is an integer") {
  for (const char* algo : {"1", "3", "6", "7", "0", "12", "03"}) {
    CAPTURE(algo);
    CHECK(value_of(map_legacy(with(base_args(), 7, algo), env_of({})), "--algorithm") == algo);
  }
  for (const char* algo : {"", "three", "3a", "-1", "+3", " 3", "3 ", "3.0", "0x3"}) {
    CAPTURE(algo);
    CHECK_THROWS_WITH_AS(map_legacy(with(base_args(), 7, algo), env_of({})),
                         doctest::Contains("ALGO"), InputError);
  }
}

TEST_CASE("legacy: format and OUT_PATH give the --out options") {
  auto outs = [](const std::string& out_path, std::optional<std::string> format) {
    Args args = with(with(base_args(), 3, "-"), 8, out_path);
    if (format) args.push_back(*format);
    return values_of(map_legacy(args, env_of({})), "--out");
  };
  using V = std::vector<std::string>;
  CHECK(outs("m.csv", std::nullopt) == V{"m.csv"});
  CHECK(outs("m", std::nullopt) == V{"m.csv"});
  CHECK(outs("m.csv", "csv") == V{"m.csv"});
  CHECK(outs("m.csv", "xlsx") == V{"m.xlsx"});
  CHECK(outs("m.csv", "both") == V{"m.csv", "m.xlsx"});
  CHECK(outs("m.xlsx", "csv") == V{"m.csv"});
  CHECK(outs("m.xlsx", std::nullopt) == V{"m.csv"});
  CHECK(outs("m.xlsx", "xlsx") == V{"m.xlsx"});
  CHECK(outs("m.xlsx", "both") == V{"m.csv", "m.xlsx"});
  CHECK(outs("dir/m", "both") == V{"dir/m.csv", "dir/m.xlsx"});
  // Case-insensitive: the extension and the format.
  CHECK(outs("Report.CSV", "BOTH") == V{"Report.csv", "Report.xlsx"});
  CHECK(outs("Report.XlSx", "Csv") == V{"Report.csv"});
  CHECK(outs("m", "XLSX") == V{"m.xlsx"});
  // Only one trailing extension goes; others are part of the name.
  CHECK(outs("m.csv.bak", "csv") == V{"m.csv.bak.csv"});
  CHECK(outs("m.xlsx.csv", "xlsx") == V{"m.xlsx.xlsx"});
  CHECK(outs("m.tsv", "csv") == V{"m.tsv.csv"});
  CHECK(outs("/abs/path/m.csv", "csv") == V{"/abs/path/m.csv"});
  // A path starting with '-' cannot be read as an option.
  CHECK(outs("-m.csv", "both") == V{"./-m.csv", "./-m.xlsx"});

  for (const char* format : {"tsv", "", "csv,xlsx", "xls", "json", " csv"}) {
    CAPTURE(format);
    CHECK_THROWS_WITH_AS(map_legacy(with_format(with(base_args(), 3, "-"), format), env_of({})),
                         doctest::Contains("csv, xlsx or both"), InputError);
  }
  for (const char* out : {"", "out/", "/", ".", "..", "out/.", "out/.."}) {
    CAPTURE(out);
    CHECK_THROWS_WITH_AS(map_legacy(with(base_args(), 8, out), env_of({})),
                         doctest::Contains("OUT_PATH"), InputError);
  }
}

TEST_CASE("legacy: PORT must be 1..65535 and is written without leading zeros") {
  for (const char* port : {"", "0", "65536", "abc", "-3306", "33 06"}) {
    CAPTURE(port);
    CHECK_THROWS_WITH_AS(map_legacy(with(base_args(), 1, port), env_of({})),
                         doctest::Contains("PORT"), InputError);
  }
  const auto inv = map_legacy(with(base_args(), 1, "03307"), env_of({}));
  CHECK(value_of(inv, "--left") == "mysql://alice@db1.example.org:3307/people/reg_a");
  CHECK(value_of(inv, "--right") == "mysql://alice@db1.example.org:3307/people/reg_b");
  CHECK(value_of(map_legacy(with(base_args(), 1, "65535"), env_of({})), "--left") ==
        "mysql://alice@db1.example.org:65535/people/reg_a");
}

TEST_CASE("legacy: HOST must be a host name or an IPv6 literal in brackets") {
  for (const char* host : {"localhost", "127.0.0.1", "db-1.example_org", "DB1"}) {
    CAPTURE(host);
    const auto inv = map_legacy(with(base_args(), 0, host), env_of({}));
    CHECK(value_of(inv, "--left") == "mysql://alice@" + std::string(host) + ":3306/people/reg_a");
  }
  const auto v6 = map_legacy(with(base_args(), 0, "[::1]"), env_of({}));
  CHECK(value_of(v6, "--left") == "mysql://alice@[::1]:3306/people/reg_a");
  CHECK(value_of(map_legacy(with(base_args(), 0, "[fe80::1:2.3.4.5]"), env_of({})), "--right") ==
        "mysql://alice@[fe80::1:2.3.4.5]:3306/people/reg_b");

  for (const char* host :
       {"", "db/x", "u@h", "h:3306", "::1", "[::1", "::1]", "[zz::1]", "[]", "[1]", "[1:2]",
        "[::1]x", "-h", ".h", "h st", "h?x", "h#x", "h%x", "[fe80::1%eth0]"}) {
    CAPTURE(host);
    CHECK_THROWS_WITH_AS(map_legacy(with(base_args(), 0, host), env_of({})),
                         doctest::Contains("HOST"), InputError);
  }
  CHECK_THROWS_WITH_AS(map_legacy(with(base_args(), 0, "::1"), env_of({})),
                       doctest::Contains("[::1]"), InputError);
}

TEST_CASE("legacy: empty USER, DATABASE, TABLE1 or TABLE2 are errors naming the argument") {
  const std::vector<std::pair<size_t, const char*>> cases = {
      {2, "USER"}, {4, "DATABASE"}, {5, "TABLE1"}, {6, "TABLE2"}};
  for (const auto& c : cases) {
    const size_t index = c.first;
    const char* name = c.second;
    CAPTURE(name);
    CHECK_THROWS_WITH_AS(map_legacy(with(base_args(), index, ""), env_of({})),
                         doctest::Contains((std::string(name) + " is empty").c_str()), InputError);
  }
}

TEST_CASE("legacy: wrong argument counts are errors") {
  Args eight = base_args();
  eight.pop_back();
  CHECK_THROWS_WITH_AS(map_legacy(eight, env_of({})), doctest::Contains("got 8"), InputError);
  CHECK_THROWS_WITH_AS(map_legacy(with_format(with_format(base_args(), "csv"), "x"), env_of({})),
                       doctest::Contains("got 11"), InputError);
}

TEST_CASE("legacy: identifiers are percent-encoded outside [A-Za-z0-9_$.-]") {
  CHECK(encode_url_identifier("people") == "people");
  CHECK(encode_url_identifier("Reg_2$x-y.z") == "Reg_2$x-y.z");
  CHECK(encode_url_identifier("my table") == "my%20table");
  CHECK(encode_url_identifier("a/b") == "a%2Fb");
  CHECK(encode_url_identifier("a@b:c%d") == "a%40b%3Ac%25d");
  CHECK(encode_url_identifier("q?h#") == "q%3Fh%23");
  CHECK(encode_url_identifier("x+y") == "x%2By");
  CHECK(encode_url_identifier("`t`") == "%60t%60");
  CHECK(encode_url_identifier("\xC3\xA9t\xC3\xA9") == "%C3%A9t%C3%A9");  // "été"
  CHECK(encode_url_identifier(".") == "%2E");
  CHECK(encode_url_identifier("..") == "%2E%2E");
  CHECK(encode_url_identifier("a..b") == "a..b");
  CHECK(encode_url_identifier(".hidden") == ".hidden");
  CHECK(encode_url_identifier("") == "");

  // Every byte 1..255 survives encode + decode, and the encoding holds only
  // URL-safe characters.
  std::string all;
  for (int c = 1; c < 256; ++c) all += static_cast<char>(c);
  const std::string encoded = encode_url_identifier(all);
  CHECK(percent_decode(encoded) == all);
  for (char c : encoded) {
    const bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '$' || c == '-' || c == '.' || c == '%';
    CHECK(safe);
  }
  for (const char* name : {".", "..", "...", "x.y"}) {
    CHECK(percent_decode(encode_url_identifier(name)) == name);
  }
}

TEST_CASE("legacy: names are encoded in the URLs and decode back to exactly the names") {
  Args args = with(base_args(), 3, "-");
  args[2] = "bob@corp";
  args[4] = "my db";
  args[5] = "t/1";
  args[6] = "Sch\xC3\xBCler";
  const auto inv = map_legacy(args, env_of({}));
  CHECK(value_of(inv, "--left") == "mysql://bob%40corp@db1.example.org:3306/my%20db/t%2F1");
  CHECK(value_of(inv, "--right") == "mysql://bob%40corp@db1.example.org:3306/my%20db/Sch%C3%BCler");
  CHECK(percent_decode("Sch%C3%BCler") == args[6]);
  // The DB2_* names are encoded the same way.
  const auto inv2 =
      map_legacy(args, env_of({{"DB2_HOST", "h2"}, {"DB2_USER", "u:2"}, {"DB2_DATABASE", "d b"}}));
  CHECK(value_of(inv2, "--right") == "mysql://u%3A2@h2:3306/d%20b/Sch%C3%BCler");
}

TEST_CASE("legacy: describe shell-quotes what needs it and shows no password") {
  Args args = base_args();
  args[8] = "my out's.csv";
  args[4] = "a$b";
  const auto inv = map_legacy(with_format(args, "both"),
                              env_of({{"DB2_HOST", "h2"}, {"DB2_PASS", "pw2Secret"}}));
  CHECK(describe(inv) ==
        "name_matcher run --left 'mysql://alice@db1.example.org:3306/a$b/reg_a' --right "
        "'mysql://alice@h2:3306/a$b/reg_b' --algorithm 3 --right-password-env DB2_PASS --out "
        "'my out'\\''s.csv' --out 'my out'\\''s.xlsx'");
  CHECK(describe(inv).find("hunter2") == std::string::npos);
  CHECK(describe(inv).find("pw2Secret") == std::string::npos);
  CHECK(describe(LegacyInvocation{}) == "name_matcher run");
}

TEST_CASE("legacy: the URLs parse back (io/db/url.hpp) to exactly the given names") {
  Args args = with(base_args(), 3, "-");
  args[0] = "[fe80::1]";
  args[1] = "03307";
  args[2] = "bob@corp:x y/%";  // any user name: the parser decodes it, it does not check it
  args[4] = "a$b";
  args[5] = "Tbl_1";
  args[6] = "$2";
  const auto inv = map_legacy(
      args, env_of({{"DB2_HOST", "db2.example.org"}, {"DB2_USER", "u?#2"}, {"DB2_PORT", "13306"}}));
  const nm::db::DbUrl left = nm::db::parse_db_url(value_of(inv, "--left"), true);
  CHECK(left.user == args[2]);
  CHECK(left.host == "fe80::1");
  CHECK(left.port == 3307);
  CHECK(left.database == "a$b");
  CHECK(left.table == "Tbl_1");
  const nm::db::DbUrl right = nm::db::parse_db_url(value_of(inv, "--right"), true);
  CHECK(right.user == "u?#2");
  CHECK(right.host == "db2.example.org");
  CHECK(right.port == 13306);
  CHECK(right.database == "a$b");
  CHECK(right.table == "$2");
  // A name the parser refuses reaches it decoded, so its message shows the
  // name as the user wrote it.
  const auto spaced = map_legacy(with(with(base_args(), 3, "-"), 4, "my db"), env_of({}));
  CHECK_THROWS_WITH_AS(nm::db::parse_db_url(value_of(spaced, "--left"), true),
                       doctest::Contains("database 'my db'"), InputError);
}
