// name_matcher: the command-line entry. Each subcommand lives in jobs/.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "jobs/commands/bench.hpp"
#include "jobs/commands/evaluate.hpp"
#include "jobs/commands/explain.hpp"
#include "jobs/generate/generate.hpp"
#include "jobs/commands/legacy.hpp"
#include "jobs/commands/run.hpp"
#include "jobs/commands/plan.hpp"
#include "jobs/prob/prob_run.hpp"
#include "jobs/commands/reduce.hpp"
#include "jobs/commands/seed.hpp"
#include "jobs/commands/gpu_selftest.hpp"
#include "src/exit_code.hpp"
#include "src/mpi/mpi_env.hpp"

namespace {

constexpr const char* kUsage =
    "usage: name_matcher <command> [options]   (name_matcher <command> --help for its options)\n"
    "\n"
    "commands:\n"
    "  run       match two person tables (CSV files or MySQL/MariaDB tables) with algorithm 1..6,\n"
    "            or link them probabilistically (--algorithm prob; docs/PROBABILISTIC.md)\n"
    "  train     learn the probabilistic mode's model (m, u, prior) without linking\n"
    "  generate  write a realistic synthetic pair of registries with the true pairs\n"
    "  evaluate  precision, recall and F1 of a match file against the true pairs\n"
    "  plan      predict the distributed plan (tiles, balance, memory) for R ranks\n"
    "  explain   show why two names match or not, step by step\n"
    "  reduce    rebuild the outputs of a run from its pair file (run --pairs)\n"
    "  bench     run the pipeline on generated data and report speed as JSON\n"
    "  seed      fill a MySQL/MariaDB database with generated left, right and truth tables\n"
    "  gpu-selftest  random tiles through the GPU kernel, compared with the CPU backend\n"
    "  version   print the version\n"
    "\n"
    "The original tool's command line also works (docs/DATABASE.md):\n"
    "  name_matcher HOST PORT USER PASSWORD DATABASE TABLE1 TABLE2 ALGO OUT_PATH [csv|xlsx|both]\n"
    "  (PASSWORD '-': from NAME_MATCHER_DB_PASSWORD or DB_PASSWORD; DB2_HOST, DB2_PORT, DB2_USER,\n"
    "  DB2_PASS, DB2_DATABASE: a second server for TABLE2)\n";

int dispatch(const std::string& cmd, const std::vector<std::string>& args) {
  if (cmd == "run")
    return nm::jobs::asks_for_prob(args) ? nm::jobs::prob_run_main(args, false)
                                         : nm::jobs::run_main(args);
  if (cmd == "train") return nm::jobs::prob_run_main(args, true);
  if (cmd == "generate") return nm::jobs::generate_main(args);
  if (cmd == "evaluate") return nm::jobs::evaluate_main(args);
  if (cmd == "plan") return nm::jobs::plan_main(args);
  if (cmd == "explain") return nm::jobs::explain_main(args);
  if (cmd == "bench") return nm::jobs::bench_main(args);
  if (cmd == "reduce") return nm::jobs::reduce_main(args);
  if (cmd == "seed") return nm::jobs::seed_main(args);
  if (cmd == "gpu-selftest") return nm::jobs::gpu_selftest_main(args);
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
  // Under mpirun every rank runs this. An error found before MPI starts (an
  // option) is the same on every rank: rank 0 prints it. After that, errors
  // are agreed on (one rank prints, all exit) or, if not, abort the job so no
  // rank waits forever in a collective.
  auto report = [&](int code, const std::string& message) {
    if (!nm::mpi::initialized()) {
      if (nm::mpi::launcher_rank() == 0) std::fputs(message.c_str(), stderr);
      return code;
    }
    const MPI_Comm w = MPI_COMM_WORLD;
    if (nm::mpi::size(w) > 1 && !nm::mpi::error_agreed()) {
      std::fprintf(stderr, "[rank %d] ", nm::mpi::rank(w));
      std::fputs(message.c_str(), stderr);
      std::fflush(stderr);
      nm::mpi::abort_job(w, code);
    }
    std::fputs(message.c_str(), stderr);
    return code;
  };
  try {
    // The original tool's positional command line, mapped onto `run`.
    const std::vector<std::string> all(argv + 1, argv + argc);
    if (nm::jobs::looks_like_legacy(all)) {
      const nm::jobs::LegacyInvocation inv = nm::jobs::map_legacy(all, [](const std::string& n) {
        const char* v = std::getenv(n.c_str());
        return v ? std::optional<std::string>(v) : std::nullopt;
      });
      // A literal password: out of argv (ps shows argv) and into this
      // process's environment, where the connection code reads it.
      char* pw = argv[inv.password_arg_index + 1];
      for (const auto& [name, value] : inv.set_env) setenv(name.c_str(), value.c_str(), 1);
      std::memset(pw, 0, std::strlen(pw));
      if (nm::mpi::launcher_rank() == 0) {
        for (const auto& w : inv.warnings) std::fprintf(stderr, "name_matcher: warning: %s\n", w.c_str());
        if (!inv.set_env.empty() && nm::mpi::launched_by_mpi())
          std::fprintf(stderr,
                       "name_matcher: warning: this process's copy of the password is wiped, but "
                       "the launcher's (mpirun, srun) command line shows it for the whole run\n");
        std::fprintf(stderr, "name_matcher: the original command line, run as: %s\n",
                     nm::jobs::describe(inv).c_str());
      }
      return nm::jobs::run_main(inv.run_args);
    }
    return dispatch(argv[1], args);
  } catch (...) {
    const nm::ErrorExit x = nm::error_exit(std::current_exception(), argv[1]);
    if (x.message.empty()) return x.code;  // another rank failed and reported it
    return report(x.code, x.message);
  }
}
