// The summary stage: every rank's figures gathered on rank 0, the summary
// (BASE.summary.json, docs/DISTRIBUTED.md), then every output of rank 0
// renamed into place (the CSV last).
#include <algorithm>

#include "io/match_writer.hpp"
#include "jobs/pipeline/agreement.hpp"
#include "jobs/pipeline/stages.hpp"
#include "src/mpi/mpi_env.hpp"
#include "src/peak_rss.hpp"

namespace nm::jobs {
namespace {

nlohmann::json per_rank_json(const std::vector<io::RankStats>& per_rank_stats) {
  nlohmann::json per_rank = nlohmann::json::array();
  for (const auto& s : per_rank_stats)
    per_rank.push_back(
        {{"rank", s.rank},
         {"records_loaded", {{"left", s.left_loaded}, {"right", s.right_loaded}}},
         {"records_received", {{"left", s.left_received}, {"right", s.right_received}}},
         {"tiles", s.tiles},
         {"pairs_scored", s.pairs_scored},
         {"pairs_kept", s.pairs_kept},
         {"bytes_shuffled", s.bytes_shuffled},
         {"peak_rss_bytes", s.peak_rss_bytes},
         {"seconds",
          {{"load", s.load_s},
           {"partition", s.partition_s},
           {"shuffle", s.shuffle_s},
           {"normalize", s.normalize_s},
           {"score", s.score_s},
           {"write", s.write_s}}}});
  return per_rank;
}

// Rank 0's database connections: time and rows per kind of query.
nlohmann::json database_json(const RunContext& run, const LoadedTables& loaded) {
auto read_json = [](const db::DbReadStats& d) {
    return nlohmann::json{{"key", d.key}, {"rank0_range", d.range},
                          {"reconnects", d.reconnects}, {"seconds", d.seconds}};
  };
  nlohmann::json dbj;
  if (run.left_url) dbj["left"] = read_json(loaded.left_db);
  if (run.right_url) dbj["right"] = read_json(loaded.right_db);
  dbj["queries"] = run.query_log.to_json();
  dbj["what"] = "rank 0's connections: time and rows per kind of query";
  return dbj;
}

// The thresholds applied (after --threshold, the environment and the
// contract's fallback for unparsable text), as the CSV writes a confidence.
double as_written(float f) {
  std::string s;
  io::append_confidence(s, f);
  return std::stod(s);
}

nlohmann::json summary_json(RunContext& run, const LoadedTables& loaded, const Plan& plan,
                            const ScoreOutcome& scored, const JobFigures& figures,
                            const nlohmann::json& sinks) {
  const RunConfig& cfg = run.cfg;
  RunResult& res = run.result;
  const auto nranks = static_cast<double>(run.ranks);
  uint64_t max_scored = 0;
  double max_score_s = 0, sum_score_s = 0;
  for (const auto& s : figures.per_rank) {
    max_scored = std::max(max_scored, s.pairs_scored);
    max_score_s = std::max(max_score_s, s.score_s);
    sum_score_s += s.score_s;
  }
  res.measured_imbalance =
      figures.pairs_scored == 0
          ? 1.0
          : static_cast<double>(max_scored) / (static_cast<double>(figures.pairs_scored) / nranks);
  nlohmann::json j;
  j["program"] = {{"name", "name_matcher"}, {"version", NM_VERSION}, {"build", NM_BUILD_FLAGS}};
  j["algorithm"] = run.algorithm;
  j["thresholds"] = {{"fuzzy", as_written(cfg.match.threshold)},
                     {"household", as_written(cfg.match.household_threshold)}};
  j["ranks"] = run.ranks;
  j["threads_per_rank"] = std::max(1u, cfg.match.threads);
  const io::RankSplit& right_split = run.dedupe ? loaded.left_split : loaded.right_split;
  j["inputs"] = {
      {"left", {{"path", cfg.left}, {"rows", res.left_rows}, {"bytes", loaded.left_split.size}}},
      {"right",
       {{"path", run.dedupe ? cfg.left : cfg.right},
        {"rows", res.right_rows},
        {"bytes", right_split.size}}},
      {"rejected", res.rejected}};
  if (cfg.dates_optional) {
    // Only the probabilistic mode reads unreadable dates as missing; the
    // other algorithms' summaries stay as they were.
    j["inputs"]["left"]["dates_missing"] = res.left_dates_missing;
    j["inputs"]["left"]["dates_invalid"] = res.left_dates_invalid;
    j["inputs"]["right"]["dates_missing"] = res.right_dates_missing;
    j["inputs"]["right"]["dates_invalid"] = res.right_dates_invalid;
  }
  j["plan"] = {{"blocks", plan.blocks.size()},           {"tiles", plan.tiles.size()},
               {"candidate_pairs", plan.total_cost},     {"tile_cap", plan.tile_cap},
               {"largest_tile", plan.largest_tile},      {"largest_block", plan.largest_block},
               {"predicted_rank_pairs", plan.rank_cost}, {"predicted_imbalance", plan.imbalance}};
  j["measured"] = {{"pairs_scored", figures.pairs_scored},
                   {"imbalance_pairs", res.measured_imbalance},
                   {"imbalance_score_time",
                    sum_score_s > 0 ? max_score_s / (sum_score_s / nranks) : 1.0}};
  j["per_rank"] = per_rank_json(figures.per_rank);
  j["resume"] = {{"resumed", cfg.resume}, {"tiles_already_done", res.tiles_skipped}};
  j["device"] = run.backend->to_json();
  j["collectives"] = scored.collectives;
  j["score_histogram"] = {
      {"what", "matching pairs (any label but NO MATCH) by floor(score), before the output "
               "threshold; index = score 0..100"},
      {"counts", scored.totals.hist}};
  if (run.left_url || run.right_url || run.out_url) j["database"] = database_json(run, loaded);
  j["outputs"] = sinks;
  j["output"] = {
      {"path", cfg.out_to_stdout      ? nlohmann::json("-")
               : cfg.out_is_temporary ? nlohmann::json()
                                      : nlohmann::json(cfg.out)},
      {"rows", res.output_rows},
      {"bytes", res.output_bytes},
      {"pairs_file", cfg.pairs.empty() ? nlohmann::json() : nlohmann::json(cfg.pairs)}};
  j["total_seconds"] = res.total_s;
  return j;
}

}  // namespace

JobFigures gather_figures(RunContext& run, const Plan& plan) {
  io::RankStats& st = run.stats;
  RunResult& res = run.result;
  st.peak_rss_bytes = peak_rss_bytes();
  JobFigures figures;
  figures.per_rank.resize(run.root ? static_cast<size_t>(run.ranks) : 0);
  mpi::check(MPI_Gather(&st, sizeof st, MPI_BYTE, figures.per_rank.data(), sizeof st, MPI_BYTE, 0,
                        run.comm),
             "MPI_Gather (stats)");
  figures.pairs_scored = mpi::allreduce_sum(run.comm, st.pairs_scored);
  res.tiles_skipped = mpi::allreduce_sum(run.comm, res.tiles_skipped);
  res.engine.pairs_scored = figures.pairs_scored;
  res.engine.tiles = plan.tiles.size();
  res.engine.blocks = plan.blocks.size();
  res.engine.pairs_kept = mpi::allreduce_sum(run.comm, st.pairs_kept);
  res.engine.partition_s = st.partition_s;
  return figures;
}

void write_summary(RunContext& run, LoadedTables& loaded, const Plan& plan,
                   const ScoreOutcome& scored, const JobFigures& figures,
                   const nlohmann::json& sinks) {
  run.result.total_s = run.since_start.seconds();
  stage(run.comm, [&] {
    if (!run.root) return;
    const nlohmann::json j = summary_json(run, loaded, plan, scored, figures, sinks);
    if (run.side_files) {
      run.result.summary_path = run.side_base + ".summary.json";
      io::OutputFile f(run.result.summary_path, &run.outputs, io::CommitKind::kSide);
      // Paths are bytes on Linux: one that is not UTF-8 is shown with U+FFFD
      // in the JSON rather than failing the run.
      f.buffer() = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      f.close();
      loaded.rejects->commit_to(run.outputs);
    }
    run.outputs.commit();
  });
}

}  // namespace nm::jobs
