// run_pipeline: the stages in order (jobs/pipeline/stages.hpp says what each
// takes and leaves).
#include "jobs/pipeline.hpp"

#include "jobs/pipeline/stages.hpp"

namespace nm::jobs {

RunResult run_pipeline(const RunConfig& cfg) {
  RunContext run(cfg);
  open_run(run);
  LoadedTables loaded = load_tables(run);
  const Plan plan = partition_blocks(run, loaded);
  PairFileOutput pairs = open_pair_file(run, loaded, plan);
  const HouseholdCounts households = count_households(run, loaded);
  const ScoringRecords records = shuffle_records(run, loaded, plan);
  ScoreOutcome scored = score_tiles(run, records, plan, pairs);
  finish_pair_file(run, pairs, households);
  reduce_outputs(run, scored, households);
  const JobFigures figures = gather_figures(run, plan);
  const nlohmann::json sinks = write_sinks(run, figures, households);
  write_summary(run, loaded, plan, scored, figures, sinks);
  return run.result;
}

}  // namespace nm::jobs
