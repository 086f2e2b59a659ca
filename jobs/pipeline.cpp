#include "jobs/pipeline.hpp"

#include <unistd.h>

#include <boost/program_options.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <future>
#include <iostream>

#include "io/match_writer.hpp"
#include "io/table_loader.hpp"
#include "jobs/cli.hpp"
#include "src/errors.hpp"
#include "src/households.hpp"
#include "src/parallel.hpp"

namespace nm::jobs {
namespace po = boost::program_options;
namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

bool env_true(const char* v) {
  if (v == nullptr) return false;
  std::string s(v);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "1" || s == "true" || s == "yes" || s == "on";
}
}  // namespace

void apply_environment(MatchOptions& m, bool threshold_given, bool household_given,
                       bool fuzzy_norm_given) {
  if (!threshold_given)
    if (const char* v = std::getenv("NAME_MATCHER_FUZZY_THRESHOLD"))
      m.threshold = parse_fuzzy_threshold(v);
  if (!household_given)
    if (const char* v = std::getenv("NAME_MATCHER_HOUSEHOLD_THRESHOLD"))
      m.household_threshold = parse_household_threshold(v);
  if (!fuzzy_norm_given && env_true(std::getenv("NAME_MATCHER_DIRECT_FUZZY_NORMALIZATION")))
    m.fuzzy_normalization = true;
}

RunResult run_pipeline(const RunConfig& cfg) {
  const auto t_start = Clock::now();
  const int algo = cfg.match.algorithm;
  if (algo == 7)
    throw UsageError("algorithm 7 is deprecated and was removed; use algorithm 3 or 4", 2);
  if (algo < 1 || algo > 7)
    throw InputError("--algorithm must be 1..6 (got " + std::to_string(algo) + ")");
  if (cfg.match.dedupe && algo >= 5)
    throw InputError("algorithms 5 and 6 need two tables; they cannot be used with --dedupe");
  if (!cfg.match.dedupe && cfg.right.empty())
    throw InputError("--right is required (or use --dedupe)");
  if (cfg.out.empty()) throw InputError("--out is required");
  // Fail before hours of work, not after: the output folder must be writable.
  {
    const std::filesystem::path dir = std::filesystem::path(cfg.out).parent_path();
    const std::string d = dir.empty() ? "." : dir.string();
    if (access(d.c_str(), W_OK) != 0)
      throw InputError("cannot write " + cfg.out + ".partial: " + std::strerror(errno));
  }

  RunResult res;
  Progress progress(cfg.show_progress);
  // The two tables load concurrently; each has its own rejects file, the
  // right one appended to the left one afterwards so the order is fixed.
  io::RejectsFile rejects(cfg.out + ".rejects.csv");
  io::RejectsFile rejects_right(cfg.out + ".rejects.csv.right-part");
  io::LoadOptions lo{cfg.column_map,  DateFormat(cfg.date_format),
                     cfg.trim_fields, cfg.skip_bad_rows,
                     &rejects,        nullptr};
  io::LoadOptions ro = lo;
  ro.rejects = &rejects_right;
  lo.progress = [&](uint64_t n) { progress.update("load", n, 0, "records (left)"); };
  auto t0 = Clock::now();
  io::LoadStats ls, rs;
  RawTable left, right;
  {
    std::future<RawTable> right_future;
    if (!cfg.match.dedupe)
      right_future = std::async(cfg.match.threads > 1 ? std::launch::async : std::launch::deferred,
                                [&] { return io::load_csv_table(cfg.right, ro, &rs); });
    left = io::load_csv_table(cfg.left, lo, &ls);
    if (right_future.valid()) right = right_future.get();
  }
  rejects.close();
  rejects_right.close();
  rejects.absorb(rejects_right);
  res.load_s = since(t0);
  res.left_rows = left.size();
  res.right_rows = cfg.match.dedupe ? left.size() : right.size();
  res.rejected = rejects.count();
  res.duplicate_ids = ls.duplicate_ids + rs.duplicate_ids;
  if (res.rejected > 0) res.rejects_path = rejects.path();
  if (ls.duplicate_ids > 0)
    log(LogLevel::kWarn, cfg.left + ": " + std::to_string(ls.duplicate_ids) +
                             " duplicate ids (rows are still matched by position)");
  if (rs.duplicate_ids > 0)
    log(LogLevel::kWarn, cfg.right + ": " + std::to_string(rs.duplicate_ids) +
                             " duplicate ids (rows are still matched by position)");

  const RawTable& r = cfg.match.dedupe ? left : right;
  MatchOptions m = cfg.match;
  if (algo >= 5) m.algorithm = algo;  // engine scores A4 rules at the household threshold
  std::vector<MatchPair> pairs = find_pairs(left, r, m, &res.engine, [&](uint64_t d, uint64_t t) {
    progress.update("score", d, t, "pairs");
  });
  progress.finish();

  t0 = Clock::now();
  if (algo <= 4) {
    res.output_bytes = io::write_matches(cfg.out, algo, left, r, pairs);
    res.output_rows = pairs.size();
  } else {
    auto rows = aggregate_households(left, r, pairs, algo == 6);
    res.output_bytes = io::write_households(cfg.out, rows);
    res.output_rows = rows.size();
  }
  res.write_s = since(t0);
  res.total_s = since(t_start);
  return res;
}

int run_main(const std::vector<std::string>& args) {
  RunConfig cfg;
  std::vector<std::string> maps;
  std::string threshold, household, log_level = "info";
  bool quiet = false;
  po::options_description desc("name_matcher run: match two person tables (or one with --dedupe)");
  desc.add_options()("help,h", "show this help")("left", po::value(&cfg.left),
                                                 "table 1 (CSV with a header row)")(
      "right", po::value(&cfg.right), "table 2 (CSV); not with --dedupe")(
      "algorithm,a", po::value(&cfg.match.algorithm)->default_value(1),
      "1..6 (see docs/ and the contract)")("out,o", po::value(&cfg.out), "output CSV")(
      "threshold", po::value(&threshold),
      "fuzzy threshold for A3/A4 (95, 0.95, 95%; default 0.95; env NAME_MATCHER_FUZZY_THRESHOLD)")(
      "household-threshold", po::value(&household),
      "person-pair threshold for A5/A6 (default 0.95; env NAME_MATCHER_HOUSEHOLD_THRESHOLD)")(
      "fuzzy-normalization", po::bool_switch(&cfg.match.fuzzy_normalization),
      "A1/A2 compare normalize_simple(normalize_text(x)) (env "
      "NAME_MATCHER_DIRECT_FUZZY_NORMALIZATION=1)")(
      "threads,t", po::value(&cfg.match.threads)->default_value(default_threads()),
      "worker threads (default: all cores)")(
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
      "tile-pairs", po::value(&cfg.match.tile_pairs)->default_value(cfg.match.tile_pairs),
      "largest tile in pairs before a block is cut")("quiet,q", po::bool_switch(&quiet),
                                                     "no progress and no summary line")(
      "log-level", po::value(&log_level), "error, warn, info (default), debug");
  po::variables_map vm;
  if (!parse_command_line(args, desc, vm)) return 0;
  set_log_level(quiet ? LogLevel::kWarn : parse_log_level(log_level));
  if (cfg.left.empty()) throw InputError("--left is required (see run --help)");
  for (const auto& m : maps) {
    const auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
      throw InputError("--map expects FIELD=COLUMN (got '" + m + "')");
    cfg.column_map[m.substr(0, eq)] = m.substr(eq + 1);
  }
  if (vm.count("threshold"))
    cfg.match.threshold = parse_fuzzy_threshold(threshold);
  if (vm.count("household-threshold"))
    cfg.match.household_threshold = parse_household_threshold(household);
  apply_environment(cfg.match, vm.count("threshold") > 0, vm.count("household-threshold") > 0,
                    cfg.match.fuzzy_normalization);
  if (cfg.match.threads == 0) cfg.match.threads = default_threads();
  cfg.show_progress = !quiet;

  RunResult r = run_pipeline(cfg);
  log(LogLevel::kDebug,
      "partition: " + std::to_string(r.engine.blocks) + " blocks, " +
          std::to_string(r.engine.tiles) + " tiles, grouping by " +
          (cfg.match.algorithm <= 2 ? "(birthdate, normalised names)"
           : r.engine.shortcut      ? "(birthdate, metaphone) and (birthdate, full name)"
                                    : "birthdate") +
          "; " + std::to_string(r.output_bytes) + " bytes written");
  if (r.rejected > 0)
    log(LogLevel::kWarn,
        std::to_string(r.rejected) + " bad rows skipped, written to " + r.rejects_path);
  if (!quiet) {
    char line[512];
    std::snprintf(line, sizeof line,
                  "A%d: %llu x %llu records, %llu pairs scored, %llu %s -> %s in %.2f s "
                  "(load %.2f, normalise %.2f, partition %.2f, score %.2f, write %.2f; %u threads; "
                  "%llu rejected)",
                  cfg.match.algorithm, (unsigned long long)r.left_rows,
                  (unsigned long long)r.right_rows, (unsigned long long)r.engine.pairs_scored,
                  (unsigned long long)r.output_rows,
                  cfg.match.algorithm >= 5 ? "households" : "matches", cfg.out.c_str(), r.total_s,
                  r.load_s, r.engine.normalize_s, r.engine.partition_s, r.engine.score_s, r.write_s,
                  cfg.match.threads, (unsigned long long)r.rejected);
    log(LogLevel::kInfo, line);
  }
  return 0;
}

}  // namespace nm::jobs
