// name_matcher: the command-line entry. Each subcommand lives in jobs/.
#include <boost/program_options/errors.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "jobs/bench.hpp"
#include "jobs/evaluate.hpp"
#include "jobs/explain.hpp"
#include "jobs/generate.hpp"
#include "jobs/pipeline.hpp"
#include "src/errors.hpp"

namespace {

constexpr const char* kUsage =
    "usage: name_matcher <command> [options]   (name_matcher <command> --help for its options)\n"
    "\n"
    "commands:\n"
    "  run       match two person tables (CSV) with algorithm 1..6\n"
    "  generate  write a realistic synthetic pair of registries with the true pairs\n"
    "  evaluate  precision, recall and F1 of a match file against the true pairs\n"
    "  explain   show why two names match or not, step by step\n"
    "  bench     run the pipeline on generated data and report speed as JSON\n"
    "  version   print the version\n";

int dispatch(const std::string& cmd, const std::vector<std::string>& args) {
  if (cmd == "run") return nm::jobs::run_main(args);
  if (cmd == "generate") return nm::jobs::generate_main(args);
  if (cmd == "evaluate") return nm::jobs::evaluate_main(args);
  if (cmd == "explain") return nm::jobs::explain_main(args);
  if (cmd == "bench") return nm::jobs::bench_main(args);
  if (cmd == "version" || cmd == "--version") {
    std::printf("name_matcher %s (%s)\n", NM_VERSION, NM_BUILD_FLAGS);
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::fprintf(stderr, "name_matcher: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 1;
  }
  const std::vector<std::string> args(argv + 2, argv + argc);
  try {
    return dispatch(argv[1], args);
  } catch (const nm::UsageError& e) {
    std::fprintf(stderr, "name_matcher: %s\n", e.what());
    return e.exit_code();
  } catch (const nm::InputError& e) {
    std::fprintf(stderr, "name_matcher: error: %s\n", e.what());
    return 1;
  } catch (const boost::program_options::error& e) {
    std::fprintf(stderr, "name_matcher %s: %s (see --help)\n", argv[1], e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "name_matcher: internal error: %s\n", e.what());
    return 3;
  }
}
