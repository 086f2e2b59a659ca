// The command lines of the probabilistic mode: `run --algorithm prob` and
// `train`.
#include <boost/program_options.hpp>

#include "jobs/cli.hpp"
#include "jobs/prob/prob_run.hpp"
#include "jobs/run_io.hpp"
#include "src/errors.hpp"
#include "src/gpu/backend.hpp"
#include "src/log.hpp"
#include "src/mpi/mpi_env.hpp"
#include "src/parallel.hpp"

namespace nm::jobs {
namespace po = boost::program_options;

bool asks_for_prob(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "--algorithm" || a == "-a") && i + 1 < args.size() && args[i + 1] == "prob")
      return true;
    if (a == "--algorithm=prob" || a == "-aprob") return true;
  }
  return false;
}

int prob_run_main(const std::vector<std::string>& args, bool train_only) {
  ProbConfig cfg;
  cfg.train_only = train_only;
  cfg.threads = default_threads();
  std::vector<std::string> maps, outs;
  std::string algorithm, log_level = "info";
  bool quiet = false;
  po::options_description desc(
      train_only ? "name_matcher train: learn a probabilistic model (m, u, prior) without "
                   "linking; docs/PROBABILISTIC.md"
                 : "name_matcher run --algorithm prob: probabilistic linkage "
                   "(Fellegi-Sunter weights learned by EM); docs/PROBABILISTIC.md");
  desc.add_options()("help,h", "show this help")(
      "left", po::value(&cfg.left),
      "table 1: a CSV file with a header row or a mysql://USER@HOST:PORT/DB/TABLE table")(
      "right", po::value(&cfg.right), "table 2 (CSV or mysql://); not with --dedupe")(
      "dedupe", po::bool_switch(&cfg.dedupe), "link --left with itself, each unordered pair once")(
      "map", po::value(&maps)->composing(),
      "FIELD=COLUMN: read FIELD (id, first_name, middle_name, last_name, birthdate, ...) from "
      "COLUMN; repeatable")("date-format", po::value(&cfg.date_format)->default_value(cfg.date_format),
                            "birthdate format: %Y-%m-%d, %Y%m%d, %m/%d/%Y, %d/%m/%Y, %Y/%m/%d")(
      "trim-fields", po::bool_switch(&cfg.trim_fields),
      "strip spaces around fields (files separated by ', ' like FEBRL)")(
      "skip-bad-rows", po::bool_switch(&cfg.skip_bad_rows),
      "write bad rows (no id, ...) to OUT.rejects.csv and go on; a bad birthdate is a missing "
      "one in this mode")(
      "compare", po::value(&cfg.compare)->composing(),
      "COLUMN=exact|name|date|prefix|numeric: also compare this column; repeatable")(
      "block", po::value(&cfg.block)->composing(),
      "a blocking rule, e.g. 'dm(last_name) + year(birthdate)'; repeatable (default: the "
      "built-in rules)")("train-block", po::value(&cfg.train_block)->composing(),
                         "a rule whose blocks train m (dense in matches; default: 'birthdate' "
                         "and 'first_name + last_name'); repeatable")("model-out", po::value(&cfg.model_out),
                         train_only ? "where the model is written (JSON; required)"
                                    : "where the learned model is written (default OUT.model.json)")(
      "threads,t", number_option("run", "threads", &cfg.threads, 0u, kMaxThreads),
      "worker threads (default: all cores; 0 = all cores)")(
      "u-sample-pairs",
      number_option("train", "u-sample-pairs", &cfg.u_sample_pairs, uint64_t{1000},
                    uint64_t{1} << 34),
      "random record pairs drawn to estimate u (default 2000000)")(
      "seed", number_option("train", "seed", &cfg.seed, uint64_t{0}, ~uint64_t{0}),
      "seed of the u sample (default 1)")(
      "device", po::value(&cfg.device)->default_value(cfg.device),
      "where training's pattern counts and the pairs' scores are computed: auto (a GPU when one "
      "is found, else the CPU), cpu, gpu (an error without one), emulate (the GPU kernel run on "
      "the CPU; slow, for testing); the results are the same on each. See docs/PROBABILISTIC.md")(
      "quiet,q", po::bool_switch(&quiet), "no progress and no summary line")(
      "log-level", po::value(&log_level), "error, warn, info (default), debug");
  if (!train_only) {
    desc.add_options()("algorithm,a", po::value(&algorithm), "prob")(
        "out,o", po::value(&outs)->composing(),
        "the pairs: a CSV file (- for standard output), a .xlsx workbook and/or a "
        "mysql://USER@HOST:PORT/DB/TABLE table; repeatable")(
        "model", po::value(&cfg.model_in), "use this model (from train or an earlier run)")(
        "min-probability",
        po::value(&cfg.min_probability)->default_value(cfg.min_probability),
        "write pairs whose match probability is at least this (0..1)")(
        "clusters", po::value(&cfg.clusters),
        "also write each record's cluster (connected components of the written pairs)")(
        "one-to-one", po::bool_switch(&cfg.one_to_one),
        "linking: each record in at most one pair, best weight first")(
        "pairs", po::value(&cfg.pairs),
        "also keep the scored pairs in this HDF5 pair file (docs/PAIR_FILE.md): `reduce` "
        "rebuilds the outputs from it, --resume continues an interrupted run")(
        "resume", po::bool_switch(&cfg.resume),
        "continue the interrupted run of --pairs FILE: the chunks it finished are not scored "
        "again (same inputs, options and rank count)")(
        "chunk-pairs",
        number_option("run", "chunk-pairs", &cfg.chunk_pairs, uint64_t{1}, uint64_t{1} << 40),
        "candidate pairs per unit of work (default 1048576): what --pairs marks done");
  }
  desc.add(database_options(cfg.db, train_only ? "train" : "run"));
  po::variables_map vm;
  if (!parse_command_line(args, desc, vm)) return 0;
  // Under mpirun every rank reads the same tables: rank 0 alone tells of them.
  const bool root = mpi::launcher_rank() == 0;
  const LogLevel level = parse_log_level(log_level);  // checked on every rank
  set_log_level(!root ? LogLevel::kError : quiet ? LogLevel::kWarn : level);
  const char* cmd = train_only ? "train" : "run";
  if (cfg.left.empty()) throw InputError(std::string("--left is required (see ") + cmd + " --help)");
  if (cfg.dedupe && !cfg.right.empty())
    throw InputError("--dedupe links --left with itself: give no --right with it");
  if (!cfg.dedupe && cfg.right.empty()) throw InputError("--right is required (or use --dedupe)");
  if (train_only && cfg.model_out.empty()) throw InputError("train: --model-out is required");
  assign_outputs(cfg, outs);
  if (!train_only && cfg.out.empty()) throw InputError("--out is required");
  checked_db_options(cfg.db);  // a bad --if-exists, --db-write-method or --db-key fails now
  if (!(cfg.min_probability > 0 && cfg.min_probability < 1))
    throw UsageError("--min-probability must be between 0 and 1 (exclusive)");
  if (cfg.resume && cfg.pairs.empty()) throw UsageError("--resume needs --pairs FILE");
  if (cfg.one_to_one && cfg.dedupe)
    throw UsageError("--one-to-one is for linking two tables, not with --dedupe");
  gpu::parse_device(cfg.device);  // a bad value is a usage error before any work
  cfg.column_map = parse_map_options(maps);
  if (cfg.threads == 0) cfg.threads = default_threads();
  cfg.show_progress = !quiet;
  const ProbResult r = run_prob(cfg);
  if (!quiet) {
    log(LogLevel::kInfo,
        fmt::format("prob: {} x {} records, {} candidate pairs, {} pairs written{} in {:.2f} s{}",
                    r.left_rows, r.right_rows, r.candidate_pairs, r.pairs_written,
                    cfg.train_only ? "" : " -> " + output_names(cfg), r.total_s,
                    r.model_path.empty() ? "" : "; model " + r.model_path));
  }
  if (r.rejected > 0 && root) log(LogLevel::kWarn, std::to_string(r.rejected) + " bad rows skipped");
  return 0;
}

}  // namespace nm::jobs
