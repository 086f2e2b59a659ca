// `name_matcher bench`: generates (or reads) a pair of tables, runs the
// pipeline K times and a single-thread micro-benchmark of the per-pair fuzzy
// kernel, and reports the figures as one JSON object. `bench --compare A B`
// sets two such reports side by side.
#include "jobs/commands/bench.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "io/csv_writer.hpp"
#include "io/table_loader.hpp"
#include "jobs/cli.hpp"
#include "jobs/commands/evaluate.hpp"
#include "jobs/generate/generate.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/prob/prob_bench.hpp"
#include "kernels/pair_scoring.hpp"
#include "src/errors.hpp"
#include "src/gpu/backend.hpp"
#include "src/parallel.hpp"
#include "src/peak_rss.hpp"
#include "src/stopwatch.hpp"
#include "src/match/algorithm.hpp"
#include "src/match/prepare.hpp"

namespace nm::jobs {
namespace po = boost::program_options;
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

constexpr size_t kMicroGroup = 32;
constexpr uint32_t kMicroMinLen = 10, kMicroMaxLen = 30;

// The working directory: a fresh temporary one removed at the end, or the
// user's --keep-dir, left in place.
class WorkDir {
 public:
  explicit WorkDir(const std::string& keep) {
    if (!keep.empty()) {
      path_ = keep;
      keep_ = true;
      std::error_code ec;
      fs::create_directories(path_, ec);
      if (ec) throw InputError("cannot create --keep-dir " + keep + ": " + ec.message());
      return;
    }
    std::string templ = (fs::temp_directory_path() / "nm-bench-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr)
      throw InputError("cannot create a temporary directory " + templ);
    path_ = templ;
  }
  ~WorkDir() {
    if (keep_) return;
    std::error_code ec;  // best effort: a leftover temp dir is not worth failing for
    fs::remove_all(path_, ec);
    if (ec)
      std::fprintf(stderr, "name_matcher bench: could not remove %s: %s\n", path_.c_str(),
                   ec.message().c_str());
  }
  WorkDir(const WorkDir&) = delete;
  WorkDir& operator=(const WorkDir&) = delete;
  std::string file(const char* name) const { return (fs::path(path_) / name).string(); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool keep_ = false;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double rate(double count, double seconds) { return seconds > 0 ? count / seconds : 0.0; }

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}


// ------------------------------------------------------ micro-benchmark ----

struct MicroResult {
  uint64_t records = 0, groups = 0, pairs = 0, matched = 0;
  double seconds = 0;
};

// Scores every ordered pair (l != r) of each group of 32 records exactly as
// the engine's inner loop does (with all_metrics: computing every metric of
// every pair), cycling over the groups until `target` pairs.
MicroResult micro_benchmark(const FuzzyTable& ft, uint64_t target, bool all_metrics) {
  MicroResult res;
  std::vector<uint32_t> pick;
  for (size_t r = 0; r < ft.records.size(); ++r) {
    const uint32_t len = ft.records[r].full_len;
    if (len >= kMicroMinLen && len <= kMicroMaxLen) pick.push_back(static_cast<uint32_t>(r));
  }
  res.records = pick.size();
  const size_t group = std::min(kMicroGroup, pick.size());
  if (group < 2 || target == 0) return res;
  res.groups = pick.size() / group;

  auto pattern = std::make_unique<kernels::Pattern64>();
  pattern->reset_all();
  std::vector<uint32_t> scratch(kernels::metric_scratch_words(ft.max_len) + 8);
  uint64_t done = 0, matched = 0;
  const Stopwatch t0;
  while (done < target) {
    for (uint64_t g = 0; g < res.groups && done < target; ++g) {
      const uint32_t* rows = pick.data() + g * group;
      for (size_t jr = 0; jr < group && done < target; ++jr) {
        const kernels::FuzzyView b = ft.view(rows[jr]);
        pattern->build(b.full, b.full_len);  // 10..30 code points: always a Pattern64
        for (size_t il = 0; il < group && done < target; ++il) {
          if (il == jr) continue;
          const kernels::PairScore s =
              kernels::score_fuzzy_pair(ft.view(rows[il]), b, pattern.get(),
                                        /*with_middle=*/false, scratch.data(), all_metrics);
          matched += s.label != kernels::kNoMatch ? 1 : 0;
          ++done;
        }
        pattern->clear(b.full, b.full_len);
      }
    }
  }
  res.seconds = t0.seconds();
  res.pairs = done;
  res.matched = matched;
  return res;
}

// -------------------------------------------------------------- compare ----

void flatten_numbers(const json& j, const std::string& prefix,
                     std::vector<std::pair<std::string, double>>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      flatten_numbers(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i)
      flatten_numbers(j[i], prefix + "[" + std::to_string(i) + "]", out);
  } else if (j.is_number()) {
    out.emplace_back(prefix, j.get<double>());
  }
}

json read_json_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot read " + path);
  try {
    return json::parse(in);
  } catch (const json::parse_error& e) {
    throw InputError(path + ": not JSON: " + e.what());
  }
}

std::string number_text(double v) {
  char buf[64];
  if (std::nearbyint(v) == v && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (std::fabs(v) >= 1000)  // rates: no exponent form
    std::snprintf(buf, sizeof buf, "%.1f", v);
  else
    std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

int compare_main(const std::string& a_path, const std::string& b_path) {
  std::vector<std::pair<std::string, double>> a, b;
  flatten_numbers(read_json_file(a_path), "", a);
  flatten_numbers(read_json_file(b_path), "", b);
  struct Line {
    std::string key, va, vb, ratio;
  };
  std::vector<Line> lines;
  for (const auto& entry : a) {
    // Named copies: clang 14 cannot capture structured bindings in a lambda.
    const std::string& key = entry.first;
    const double va = entry.second;
    const auto it = std::find_if(b.begin(), b.end(), [&](const auto& p) { return p.first == key; });
    if (it == b.end()) continue;
    char ratio[64] = "-";
    if (va != 0) std::snprintf(ratio, sizeof ratio, "%.3f", it->second / va);
    lines.push_back({key, number_text(va), number_text(it->second), ratio});
  }
  if (lines.empty())
    throw InputError("no numeric field is present in both " + a_path + " and " + b_path);
  Line head{"field", "A", "B", "B/A"};
  size_t w[4] = {head.key.size(), head.va.size(), head.vb.size(), head.ratio.size()};
  for (const auto& l : lines) {
    w[0] = std::max(w[0], l.key.size());
    w[1] = std::max(w[1], l.va.size());
    w[2] = std::max(w[2], l.vb.size());
    w[3] = std::max(w[3], l.ratio.size());
  }
  std::printf("A = %s\nB = %s\n\n", a_path.c_str(), b_path.c_str());
  auto print = [&](const Line& l) {
    std::printf("%-*s  %*s  %*s  %*s\n", static_cast<int>(w[0]), l.key.c_str(),
                static_cast<int>(w[1]), l.va.c_str(), static_cast<int>(w[2]), l.vb.c_str(),
                static_cast<int>(w[3]), l.ratio.c_str());
  };
  print(head);
  for (const auto& l : lines) print(l);
  return 0;
}

// ----------------------------------------------------------------- bench ----

struct BenchOptions {
  uint64_t rows = 100000, seed = 1, micro_pairs = 20000000;
  unsigned repeat = 1;
  bool evaluate = true;
  std::string keep_dir, output;
  RunConfig run;
};

// Stages in pipeline order: generate, load, partition, shuffle, normalize, score, write, total.
constexpr int kStages = 8;
json stage_json(const double* v) {
  return {{"generate", v[0]},  {"load", v[1]},  {"partition", v[2]}, {"shuffle", v[3]},
          {"normalize", v[4]}, {"score", v[5]}, {"write", v[6]},     {"total", v[7]}};
}

json run_bench(BenchOptions& o) {
  const bool generated = o.run.left.empty();
  WorkDir dir(o.keep_dir);
  double generate_s = 0;
  if (generated) {
    GenerateOptions g;
    g.rows = o.rows;
    g.seed = o.seed;
    g.out_dir = dir.path();
    g.threads = o.run.match.threads;
    const Stopwatch t0;
    generate_dataset(g);
    generate_s = t0.seconds();
    o.run.left = dir.file("left.csv");
    o.run.right = dir.file("right.csv");
  }
  o.run.out = dir.file("matches.csv");
  o.run.show_progress = false;

  std::vector<RunResult> runs;
  for (unsigned k = 0; k < o.repeat; ++k) runs.push_back(run_pipeline(o.run));
  const uint64_t rss = peak_rss_bytes();  // before the micro-benchmark loads its table
  const RunResult& r0 = runs.front();

  json quality = nullptr;
  // The truth is person pairs: A5/A6 outputs are households.
  if (generated && o.evaluate && !algorithm_traits(o.run.match.algorithm).households) {
    quality = json(evaluate_files(dir.file("truth.csv"), o.run.out));
  }

  // Micro-benchmark input: the left table, normalised as algorithm 4 does.
  io::LoadOptions lo;
  lo.column_map = o.run.column_map;
  lo.date_format = DateFormat(o.run.date_format);
  lo.trim_fields = o.run.trim_fields;
  lo.skip_bad_rows = o.run.skip_bad_rows;
  io::RejectsFile rejects(dir.file("micro.rejects.csv"));
  lo.rejects = &rejects;
  MicroResult micro, micro_full;
  json micro_prob;
  {
    const RawTable left = io::load_csv_table(o.run.left, lo, nullptr);
    // The probabilistic mode's comparison vector, on the same records.
    micro_prob = prob_compare_micro(left, io::load_csv_table(o.run.right, lo, nullptr),
                                    o.micro_pairs / 4);
    const FuzzyTable ft = prepare_fuzzy(left, /*with_middle=*/false, o.run.match.threads);
    micro = micro_benchmark(ft, o.micro_pairs, /*all_metrics=*/false);
    // The same pairs with every metric computed (no early rejection): the
    // cost of Levenshtein + Jaro–Winkler + classification for every pair.
    micro_full = micro_benchmark(ft, o.micro_pairs / 4, /*all_metrics=*/true);
  }

  std::vector<double> st[kStages];
  json run_list = json::array();
  for (const RunResult& r : runs) {
    const double v[kStages] = {generate_s,
                               r.load_s,
                               r.engine.partition_s,
                               r.shuffle_s,
                               r.engine.normalize_s,
                               r.engine.score_s,
                               r.write_s,
                               r.total_s};
    for (int i = 0; i < kStages; ++i) st[i].push_back(v[i]);
    json one;
    one["stage_s"] = stage_json(v);
    one["stage_s"].erase("generate");  // done once, before the runs
    one["pairs_per_s"] = rate(static_cast<double>(r.engine.pairs_scored), r.engine.score_s);
    one["records_per_s"] = rate(static_cast<double>(r.left_rows + r.right_rows), r.total_s);
    run_list.push_back(one);
  }
  double med[kStages];
  for (int i = 0; i < kStages; ++i) med[i] = median(st[i]);

  json j;
  j["version"] = NM_VERSION;
  j["build_flags"] = NM_BUILD_FLAGS;
  j["hostname"] = host_name();
  j["timestamp"] = utc_timestamp();
  j["algorithm"] = o.run.match.algorithm;
  j["threads"] = o.run.match.threads;
  j["device"] = {{"requested", o.run.device}, {"used", r0.backend}};
  j["exhaustive"] = o.run.match.exhaustive;
  j["shortcut"] = r0.engine.shortcut;
  std::string threshold_text;  // the float as the CSV would print it, not its double expansion
  io::append_confidence(threshold_text, o.run.match.threshold);
  j["threshold"] = std::stod(threshold_text);
  if (generated) {
    j["generated"] = true;
    j["rows"] = o.rows;
    j["seed"] = o.seed;
  } else {
    j["generated"] = false;
    j["left"] = o.run.left;
    j["right"] = o.run.right;
  }
  j["left_rows"] = r0.left_rows;
  j["right_rows"] = r0.right_rows;
  j["pairs_scored"] = r0.engine.pairs_scored;
  j["pairs_kept"] = r0.engine.pairs_kept;
  j["output_rows"] = r0.output_rows;
  j["blocks"] = r0.engine.blocks;
  j["tiles"] = r0.engine.tiles;
  j["repeat"] = o.repeat;
  j["stage_s"] = stage_json(med);
  j["pairs_per_s"] = rate(static_cast<double>(r0.engine.pairs_scored), med[5]);
  j["records_per_s"] = rate(static_cast<double>(r0.left_rows + r0.right_rows), med[7]);
  j["peak_rss_bytes"] = rss;
  j["quality"] = quality;
  j["runs"] = run_list;
  j["micro"] = {{"pairs", micro.pairs},
                {"records", micro.records},
                {"groups", micro.groups},
                {"group_size", kMicroGroup},
                {"seconds", micro.seconds},
                {"pairs_per_s", rate(static_cast<double>(micro.pairs), micro.seconds)},
                {"matched_pairs", micro.matched}};
  j["micro_full_metrics"] = {
      {"pairs", micro_full.pairs},
      {"seconds", micro_full.seconds},
      {"pairs_per_s", rate(static_cast<double>(micro_full.pairs), micro_full.seconds)},
      {"matched_pairs", micro_full.matched}};
  j["micro_prob_compare"] = micro_prob;
  if (!o.keep_dir.empty()) j["kept_dir"] = dir.path();
  return j;
}

}  // namespace

int bench_main(const std::vector<std::string>& args) {
  BenchOptions o;
  RunConfig& cfg = o.run;
  cfg.match.algorithm = 3;
  cfg.match.threads = default_threads();
  std::vector<std::string> compare, maps;
  std::string threshold;
  bool no_evaluate = false;
  po::options_description desc(
      "name_matcher bench: run the pipeline on generated (or given) data and report speed as JSON\n"
      "  bench [options]\n"
      "  bench --compare A.json B.json   (every numeric field of both, with B/A)\n"
      "options");
  desc.add_options()("help,h", "show this help")(
      "rows", number_option("bench", "rows", &o.rows, uint64_t{0}, kMaxRows),
      "rows per generated table")(
      "seed", number_option("bench", "seed", &o.seed, uint64_t{0}, ~uint64_t{0}), "generator seed")(
      "algorithm,a", po::value(&cfg.match.algorithm)->default_value(3), "1..6")(
      "threads,t", number_option("bench", "threads", &cfg.match.threads, 0u, kMaxThreads),
      "worker threads, 0..1024 (default: all cores; 0 = all cores)")(
      "exhaustive", po::bool_switch(&cfg.match.exhaustive),
      "A3-A6: score every pair of a birthdate block")(
      "threshold", po::value(&threshold),
      "fuzzy threshold (as for run; env NAME_MATCHER_FUZZY_THRESHOLD)")(
      "left", po::value(&cfg.left), "use this table 1 instead of generating")(
      "right", po::value(&cfg.right), "use this table 2 instead of generating")(
      "map", po::value(&maps)->composing(), "FIELD=COLUMN for --left/--right, as for run")(
      "date-format", po::value(&cfg.date_format)->default_value(cfg.date_format),
      "birthdate format for --left/--right")("trim-fields", po::bool_switch(&cfg.trim_fields),
                                             "strip spaces around fields of --left/--right")(
      "keep-dir", po::value(&o.keep_dir),
      "work in this directory and keep it (generated data, matches)")(
      "output,o", po::value(&o.output), "also write the JSON report here")(
      "repeat", number_option("bench", "repeat", &o.repeat, 1u, 1000u),
      "run the pipeline K times, 1..1000; stage times are medians")(
      "micro-pairs", number_option("bench", "micro-pairs", &o.micro_pairs, uint64_t{0}, kMaxPairs),
      "pairs for the single-thread kernel micro-benchmark (0..2^40)")(
      "device", po::value(&cfg.device)->default_value(cfg.device),
      "auto, cpu, gpu or emulate, as for run (the report's \"device\" says which ran)")(
      "gpu-batch-pairs",
      number_option("bench", "gpu-batch-pairs", &cfg.gpu_batch_pairs, uint64_t{1},
                    kMaxGpuBatchPairs),
      "candidate pairs per GPU kernel launch (1..2^32)")(
      "no-evaluate", po::bool_switch(&no_evaluate),
      "skip precision/recall against the generated truth")(
      "compare", po::value(&compare)->multitoken(), "A.json B.json: compare two reports");
  po::variables_map vm;
  if (!parse_command_line(args, desc, vm)) return 0;
  if (vm.count("compare")) {
    if (compare.size() != 2) throw InputError("--compare expects two JSON files");
    return compare_main(compare[0], compare[1]);
  }
  if (cfg.left.empty() != cfg.right.empty()) throw InputError("--left and --right go together");
  gpu::parse_device(cfg.device);
  if (cfg.left.empty() && o.rows == 0) throw InputError("--rows must be at least 1");
  cfg.column_map = parse_map_options(maps);
  if (vm.count("threshold"))
    cfg.match.threshold =
        threshold_option("bench", "--threshold", threshold, kFuzzyThresholdMin, kDefaultThreshold);
  apply_environment(cfg.match, vm.count("threshold") > 0, false, cfg.match.fuzzy_normalization);
  if (cfg.match.threads == 0) cfg.match.threads = default_threads();
  o.evaluate = !no_evaluate;

  if (!o.output.empty())
    io::check_output_paths({{cfg.left, "--left"}, {cfg.right, "--right"}}, {{o.output, "--output"}});
  const json report = run_bench(o);
  const std::string text = report.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  std::cout << text;
  if (!o.output.empty()) {
    io::OutputFile out(o.output);
    out.buffer() = text;
    out.close();
  }
  return 0;
}

}  // namespace nm::jobs
