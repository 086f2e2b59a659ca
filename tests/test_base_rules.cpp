// The base layer's one-place rules: the exit code and message of each kind of
// error (src/exit_code.hpp) and the reading of boolean environment switches
// (src/env_flag.hpp).
#include <doctest/doctest.h>

#include <boost/program_options/errors.hpp>
#include <cstdlib>
#include <stdexcept>

#include "src/env_flag.hpp"
#include "src/errors.hpp"
#include "src/exit_code.hpp"

namespace {

template <class E>
nm::ErrorExit exit_of(const E& e, std::string_view command = "run") {
  return nm::error_exit(std::make_exception_ptr(e), command);
}

}  // namespace

TEST_CASE("exit codes: each kind of error, its code and its line") {
  const nm::ErrorExit input = exit_of(nm::InputError("bad file"));
  CHECK(input.code == 1);
  CHECK(input.message == "name_matcher: error: bad file\n");
  CHECK(exit_of(nm::BadRowError("a.csv", 3, "birthdate", "not a date")).code == 1);
  const nm::ErrorExit usage = exit_of(nm::UsageError("algorithm 7 was removed", 2));
  CHECK(usage.code == 2);
  CHECK(usage.message == "name_matcher: algorithm 7 was removed\n");
  const nm::ErrorExit peer = exit_of(nm::PeerFailed(4));
  CHECK(peer.code == 4);
  CHECK(peer.message.empty());  // the failing rank reported it
  const nm::ErrorExit option = exit_of(boost::program_options::unknown_option("--nope"), "plan");
  CHECK(option.code == 1);
  CHECK(option.message.starts_with("name_matcher plan: "));
  CHECK(option.message.ends_with(" (see --help)\n"));
  const nm::ErrorExit internal = exit_of(std::runtime_error("broken"));
  CHECK(internal.code == 3);
  CHECK(internal.message == "name_matcher: internal error: broken\n");
  CHECK(nm::exit_code_of(std::make_exception_ptr(nm::UsageError("x", 5))) == 5);
}

TEST_CASE("env_flag_set: 1, true, yes, on in any case; nothing else") {
  const char* kName = "NAME_MATCHER_TEST_BASE_RULES_FLAG";
  unsetenv(kName);
  CHECK_FALSE(nm::env_flag_set(kName));
  for (const char* on : {"1", "true", "TRUE", "yes", "Yes", "on", "ON"}) {
    setenv(kName, on, 1);
    CHECK_MESSAGE(nm::env_flag_set(kName), on);
  }
  for (const char* off : {"", "0", "false", "FALSE", "no", "off", "2", "enabled", " 1"}) {
    setenv(kName, off, 1);
    CHECK_MESSAGE(!nm::env_flag_set(kName), off);
  }
  unsetenv(kName);
}
