// The command line of the tool name_matcher replaces,
//   name_matcher HOST PORT USER PASSWORD DATABASE TABLE1 TABLE2 ALGO OUT_PATH [csv|xlsx|both]
// (with DB2_HOST, DB2_PORT, DB2_USER, DB2_PASS, DB2_DATABASE naming a second
// server for TABLE2), mapped onto the arguments of `name_matcher run`.
//
// Pure: no I/O, no globals; the environment is read only through the function
// passed in, and the caller sets `set_env`, prints `warnings` and scrubs the
// password from argv.
#pragma once
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nm::jobs {

// Reads one environment variable: std::nullopt when it is not set.
using GetEnv = std::function<std::optional<std::string>(const std::string&)>;

// True when args (argv[1..]) look like the original tool's positional command
// line: 9 or 10 arguments, the first is not a known subcommand and does not
// start with '-', and the second is a number (decimal digits only; map_legacy
// then checks it is a port, 1..65535).
bool looks_like_legacy(const std::vector<std::string>& args);

struct LegacyInvocation {
  // The arguments for run_main (without "run"). Never holds a password.
  std::vector<std::string> run_args;
  // Environment variables to set in this process before run_main. Only ever
  // NAME_MATCHER_DB_PASSWORD, with a literal password taken from argv.
  std::vector<std::pair<std::string, std::string>> set_env;
  // Real warnings, one line each, printed to stderr by the caller.
  std::vector<std::string> warnings;
  // Index in args of PASSWORD (the caller scrubs argv[password_arg_index + 1]).
  size_t password_arg_index = 3;
};

// Maps the original tool's arguments (argv[1..], 9 or 10 of them) onto `run`.
// Throws nm::InputError (src/errors.hpp) with a message naming the argument or
// variable for: a wrong argument count, a port (PORT or DB2_PORT) that is not
// 1..65535, ALGO not a non-negative decimal integer, a format other than
// csv|xlsx|both, an empty USER, DATABASE, TABLE1 or TABLE2, an empty OUT_PATH
// or one naming a directory, a host (HOST or DB2_HOST) that is not a host name
// ([A-Za-z0-9._-], not starting with '-' or '.') or an IPv6 literal in brackets.
LegacyInvocation map_legacy(const std::vector<std::string>& args, const GetEnv& getenv);

// The equivalent new command line, "name_matcher run --left ... --out ...",
// each argument shell-quoted where needed. The password is never in it (it is
// not in run_args); set_env is not shown.
std::string describe(const LegacyInvocation& invocation);

// A database, table or user name as it goes into a mysql:// URL: every byte
// outside [A-Za-z0-9_$.-] becomes %XX (upper-case hex, UTF-8 bytes one by
// one), and a name made only of dots ("." or "..") has its dots encoded too
// (%2E), so that it cannot read as a relative path segment.
std::string encode_url_identifier(std::string_view name);

}  // namespace nm::jobs
