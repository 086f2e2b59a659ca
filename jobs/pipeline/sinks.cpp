// The other outputs of a run, made on rank 0 from the finished (staged) CSV:
// the database table first (it is all or nothing), then the workbook.
#include <algorithm>

#include "io/xlsx_writer.hpp"
#include "jobs/pipeline/agreement.hpp"
#include "jobs/pipeline/stages.hpp"
#include "src/match/algorithm.hpp"

namespace nm::jobs {
namespace {

nlohmann::json write_table(RunContext& run, const std::string& csv) {
  db::Connection c = run.pool.take(run.out_settings);
  nlohmann::json j = write_table_output(c, csv, db::result_columns(run.algorithm), *run.out_url,
                                        run.cfg.db, run.result.output_rows);
  run.pool.give_back(std::move(c));
  return j;
}

nlohmann::json write_workbook(RunContext& run, const std::string& csv, const JobFigures& figures,
                              const HouseholdCounts& households) {
  const RunConfig& cfg = run.cfg;
  const RunResult& res = run.result;
  const bool in_households = algorithm_traits(run.algorithm).households;
  io::WorkbookSummary ws;
  ws.algorithm = run.algorithm;
  ws.left_source = cfg.left;
  ws.right_source = run.dedupe ? std::string() : cfg.right;
  ws.left_rows = res.left_rows;
  ws.right_rows = run.dedupe ? 0 : res.right_rows;
  ws.rejected_rows = res.rejected;
  ws.unit_name = in_households ? "households" : "records";
  ws.left_units = in_households ? households.table1.size() : res.left_rows;
  ws.right_units = in_households ? households.table2.size() : ws.right_rows;
  double score_s = 0;
  for (const auto& s : figures.per_rank) score_s = std::max(score_s, s.score_s);
  ws.load_s = res.load_s;
  ws.score_s = score_s;
  ws.write_s = res.write_s;
  ws.total_s = run.since_start.seconds();
  ws.finished_at = utc_timestamp();
  return write_workbook_output(csv, cfg.out_xlsx, ws, io::result_sheet_layout(run.algorithm),
                               res.output_rows, run.outputs);
}

}  // namespace

nlohmann::json write_sinks(RunContext& run, const JobFigures& figures,
                           const HouseholdCounts& households) {
  nlohmann::json sinks = nlohmann::json::object();
  const std::string csv_now = run.outputs.current_path(run.cfg.out);  // the staged CSV
  stage(run.comm, [&] {
    if (!run.root) return;
    if (run.out_url) sinks["table"] = write_table(run, csv_now);
    if (!run.cfg.out_xlsx.empty())
      sinks["xlsx"] = write_workbook(run, csv_now, figures, households);
  });
  return sinks;
}

}  // namespace nm::jobs
