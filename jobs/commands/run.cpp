// The `run` command: its options, then run_pipeline (jobs/pipeline.hpp) and
// the one-line report.
#include "jobs/commands/run.hpp"

#include <boost/program_options.hpp>
#include <cstdio>

#include "io/safe_output.hpp"
#include "jobs/cli.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/run_io.hpp"
#include "src/errors.hpp"
#include "src/gpu/backend.hpp"
#include "src/mpi/mpi_env.hpp"
#include "src/parallel.hpp"
#include "src/match/algorithm.hpp"

namespace nm::jobs {
namespace po = boost::program_options;

int run_main(const std::vector<std::string>& args) {
  RunConfig cfg;
  cfg.match.threads = default_threads();
  std::vector<std::string> maps, outs;
  std::string threshold, household, log_level = "info";
  bool quiet = false;
  po::options_description desc("name_matcher run: match two person tables (or one with --dedupe)");
  desc.add_options()("help,h", "show this help")("left", po::value(&cfg.left),
                                                 "table 1 (CSV with a header row)")(
      "right", po::value(&cfg.right), "table 2 (CSV); not with --dedupe")(
      "algorithm,a", po::value(&cfg.match.algorithm)->default_value(1),
      "1..6 (see docs/ and the contract)")("out,o", po::value(&outs)->composing(),
                                           "output: a CSV file (- for standard output), a .xlsx "
                                           "workbook and/or a mysql://USER@HOST:PORT/DB/TABLE "
                                           "table; repeatable")(
      "threshold", po::value(&threshold),
      "fuzzy threshold for A3/A4 (95, 0.95, 95%; default 0.95; env NAME_MATCHER_FUZZY_THRESHOLD)")(
      "household-threshold", po::value(&household),
      "person-pair threshold for A5/A6 (default 0.95; env NAME_MATCHER_HOUSEHOLD_THRESHOLD)")(
      "fuzzy-normalization", po::bool_switch(&cfg.match.fuzzy_normalization),
      "A1/A2 compare normalize_simple(normalize_text(x)) (env "
      "NAME_MATCHER_DIRECT_FUZZY_NORMALIZATION=1)")(
      "threads,t", number_option("run", "threads", &cfg.match.threads, 0u, kMaxThreads),
      "worker threads, 0..1024 (default: all cores; 0 = all cores)")(
      "dedupe", po::bool_switch(&cfg.match.dedupe),
      "match --left against itself, each unordered pair once")(
      "exhaustive", po::bool_switch(&cfg.match.exhaustive),
      "A3-A6: score every pair of a birthdate block (same output, slower)")(
      "map", po::value(&maps)->composing(),
      "FIELD=COLUMN: read FIELD (id, uuid, first_name, middle_name, last_name, birthdate, hh_id) "
      "from COLUMN; repeatable")(
      "date-format", po::value(&cfg.date_format)->default_value("%Y-%m-%d"),
      "birthdate format: %Y-%m-%d, %Y%m%d, %m/%d/%Y, %d/%m/%Y, %Y/%m/%d")(
      "trim-fields", po::bool_switch(&cfg.trim_fields),
      "strip spaces around fields (files separated by ', ' like FEBRL)")(
      "skip-bad-rows", po::bool_switch(&cfg.skip_bad_rows),
      "write bad rows to OUT.rejects.csv and go on instead of stopping")(
      "tile-pairs",
      number_option("run", "tile-pairs", &cfg.match.tile_pairs, uint64_t{1}, kMaxPairs),
      "largest tile in pairs before a block is cut (1..2^40)")("quiet,q", po::bool_switch(&quiet),
                                                               "no progress and no summary line")(
      "log-level", po::value(&log_level), "error, warn, info (default), debug")(
      "pairs", po::value(&cfg.pairs),
      "also write every candidate pair, the plan and per-rank statistics to this parallel-HDF5 "
      "file (docs/PAIR_FILE.md); needed for --resume and `reduce`")(
      "resume", po::bool_switch(&cfg.resume),
      "continue the killed run recorded in --pairs: finished tiles are kept, the rest redone")(
      "tiles-per-rank",
      number_option("run", "tiles-per-rank", &cfg.tiles_per_rank, uint32_t{1}, kMaxTilesPerRank),
      "plan granularity: blocks are cut so each rank gets about this many tiles (1..1000000)")(
      "piece-pairs", number_option("run", "piece-pairs", &cfg.piece_pairs, uint64_t{1}, kMaxPairs),
      "candidate pairs a rank scores between two appends to the pair file (the unit of work "
      "a crash can lose; 64 times more by default when the rank scores on a GPU; 1..2^40)")(
      "device", po::value(&cfg.device)->default_value(cfg.device),
      "where A3-A6 pairs are scored: auto (a GPU when one is found, else the CPU), cpu, gpu "
      "(an error without one), emulate (the GPU backend with its kernel run on the CPU; slow, "
      "for testing); see docs/GPU.md")(
      "gpu-batch-pairs",
      number_option("run", "gpu-batch-pairs", &cfg.gpu_batch_pairs, uint64_t{1}, kMaxGpuBatchPairs),
      "candidate pairs per GPU kernel launch, 1..2^32 (halved automatically when the GPU runs "
      "out of memory)");
  desc.add(database_options(cfg.db, "run"));
  po::variables_map vm;
  if (!parse_command_line(args, desc, vm)) return 0;
  // Under mpirun only rank 0 talks; the others report warnings and errors.
  set_log_level(quiet || mpi::launcher_rank() != 0 ? LogLevel::kWarn : parse_log_level(log_level));
  if (cfg.left.empty()) throw InputError("--left is required (see run --help)");
  check_algorithm(cfg.match.algorithm);
  if (cfg.match.dedupe && !cfg.right.empty())
    throw InputError("run: --dedupe matches --left against itself: give no --right with it");
  assign_outputs(cfg, outs);
  cfg.pairs = io::resolve_output_path(cfg.pairs);
  gpu::parse_device(cfg.device);  // a bad value is a usage error before any work
  cfg.column_map = parse_map_options(maps);
  cfg.piece_pairs_given = !vm["piece-pairs"].defaulted();
  if (vm.count("threshold"))
    cfg.match.threshold =
        threshold_option("run", "--threshold", threshold, kFuzzyThresholdMin, kDefaultThreshold);
  if (vm.count("household-threshold"))
    cfg.match.household_threshold = threshold_option("run", "--household-threshold", household,
                                                     kHouseholdThresholdMin, kDefaultThreshold);
  apply_environment(cfg.match, vm.count("threshold") > 0, vm.count("household-threshold") > 0,
                    cfg.match.fuzzy_normalization);
  if (cfg.match.threads == 0) cfg.match.threads = default_threads();
  cfg.show_progress = !quiet;

  RunResult r = run_pipeline(cfg);
  log(LogLevel::kDebug,
      "partition: " + std::to_string(r.engine.blocks) + " blocks, " +
          std::to_string(r.engine.tiles) + " tiles, grouping by " +
          (algorithm_traits(cfg.match.algorithm).exact ? "(birthdate, normalised names)"
           : r.engine.shortcut      ? "(birthdate, metaphone) and (birthdate, full name)"
                                    : "birthdate") +
          "; " + std::to_string(r.output_bytes) + " bytes written");
  if (r.rejected > 0)
    log(LogLevel::kWarn,
        std::to_string(r.rejected) + " bad rows skipped, written to " + r.rejects_path);
  if (!quiet && mpi::rank(MPI_COMM_WORLD) == 0) {
    const std::string out_names = output_names(cfg);
    char line[1024];
    std::snprintf(
        line, sizeof line,
        "A%d: %llu x %llu records, %llu pairs scored, %llu %s -> %s in %.2f s "
        "(load %.2f, partition %.2f, shuffle %.2f, normalise %.2f, score %.2f, write %.2f; "
        "%d ranks x %u threads on %s; %llu rejected)",
        cfg.match.algorithm, (unsigned long long)r.left_rows, (unsigned long long)r.right_rows,
        (unsigned long long)r.engine.pairs_scored, (unsigned long long)r.output_rows,
        algorithm_traits(cfg.match.algorithm).households ? "households" : "matches", out_names.c_str(), r.total_s, r.load_s,
        r.engine.partition_s, r.shuffle_s, r.engine.normalize_s, r.engine.score_s, r.write_s,
        r.ranks, cfg.match.threads, r.backend.c_str(), (unsigned long long)r.rejected);
    log(LogLevel::kInfo, line);
  }
  return 0;
}

}  // namespace nm::jobs
