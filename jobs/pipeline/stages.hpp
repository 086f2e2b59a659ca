// The stages of a run (/work/shared/spec/design.md; docs/DISTRIBUTED.md), as
// run_pipeline calls them on every rank:
//
//   RunContext run(cfg);  open_run(run);       options, paths, device, database
//   load_tables         -> LoadedTables        each rank's slice of each input
//   partition_blocks    -> Plan                blocks, positions, rank 0's plan
//   open_pair_file      -> PairFileOutput      --pairs: created or reopened
//   count_households    -> HouseholdCounts     A4-A6 household sizes
//   shuffle_records     -> ScoringRecords      records to the ranks of their tiles
//   score_tiles         -> ScoreOutcome        normalise, score piece by piece
//   finish_pair_file                           statistics, sizes, completion mark
//   reduce_outputs                             rank 0: the CSV in canonical order
//   gather_figures      -> JobFigures          every rank's statistics
//   write_sinks         -> json                the database table, the workbook
//   write_summary                              OUT.summary.json, then every output renamed
//
// The state is explicit: RunContext is what every stage reads (the checked
// options, this rank's place in the job, the device and connections) and the
// figures they report (stats, result); each stage's own result is a struct
// the later stages take by reference. A new matching mode adds its block keys
// in partition_blocks, its scorer in score_tiles and its outputs in
// reduce_outputs. Every stage ends at a collective point where errors are
// agreed on (agreement.hpp).
#pragma once
#include <mpi.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "io/csv_ranges.hpp"
#include "io/db/connection.hpp"
#include "io/db/db_reader.hpp"
#include "io/db/db_writer.hpp"
#include "io/pair_file.hpp"
#include "io/safe_output.hpp"
#include "io/table_loader.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/pipeline/records.hpp"
#include "jobs/pipeline/reduce.hpp"
#include "jobs/progress.hpp"
#include "partition/plan.hpp"
#include "src/gpu/backend.hpp"
#include "src/gpu/collectives.hpp"
#include "src/stopwatch.hpp"

namespace nm::jobs {

// What every stage reads and adds to. Not movable: the stages hold references
// into it (the connection pool holds the query log).
struct RunContext {
  // Checks the options: every rank runs the checks on the same options, so
  // every rank throws the same error (main prints it once, on rank 0).
  // Then joins MPI_COMM_WORLD (one rank without mpirun).
  explicit RunContext(const RunConfig& config);
  RunContext(const RunContext&) = delete;
  RunContext& operator=(const RunContext&) = delete;

  const RunConfig& cfg;
  const Stopwatch since_start;
  const int algorithm;
  const bool dedupe;
  // BASE.summary.json and BASE.rejects.csv beside the outputs; none when the
  // only output is standard output.
  std::string side_base, rejects_path;
  bool side_files = false;
  std::optional<db::DbUrl> left_url, right_url, out_url;  // mysql:// inputs and output
  db::TableWriteOptions write_options;

  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, ranks = 1;
  bool root = true;  // rank 0: writes the outputs

  // Opened by open_run, before any work.
  std::unique_ptr<gpu::Backend> backend;
  db::QueryLog query_log;
  db::Pool pool{&query_log};
  db::ConnectSettings out_settings;
  db::Connection left_connection, right_connection;  // closed after the load
  db::TableInfo left_info, right_info;
  std::optional<Progress> progress;

  // Rank 0's output files, staged until write_summary renames them into place.
  io::CommitGroup outputs;

  io::RankStats stats{};  // this rank's figures (gathered into the summary)
  RunResult result;       // the job's figures (rank 0's view), returned
};

// What the load leaves: each rank's slice of each input, numbered, and the
// facts about the inputs the later stages and the summary report.
struct LoadedTables {
  bool dedupe = false;
  SideRecords left, right;  // right: empty with --dedupe, the left table is both
  const SideRecords& right_side() const { return dedupe ? left : right; }
  io::RankSplit left_split, right_split;  // CSV byte ranges, sizes and checksums
  db::DbReadStats left_db, right_db;      // database inputs
  // Rank 0's rejects file: every rank's rejected rows, committed with the outputs.
  std::unique_ptr<io::RejectsFile> rejects;
};

// The pair file of --pairs (no writer without it, or when a --resume finds
// the file complete) and which tiles are done (1: before this attempt).
struct PairFileOutput {
  std::optional<io::PairFileWriter> writer;
  std::vector<uint32_t> done;
};

// Household sizes of the whole job (rank 0's copy; empty below A4 or with
// --dedupe): table 1 by uuid, table 2 by household key.
struct HouseholdCounts {
  HouseholdSizes table1, table2;
};

// The records this rank scores: those its tiles need, in global row order.
struct ScoringRecords {
  SideRecords left, right;
  bool right_is_left = false;  // --dedupe on one rank: the left records are both sides
  const SideRecords& right_side() const { return right_is_left ? left : right; }
};

// What scoring leaves for the reduce: this rank's kept pairs (without a pair
// file), and the counters summed over the ranks.
struct ScoreOutcome {
  SpillOptions spill_options;
  std::unique_ptr<PairSpill> spill;
  gpu::ScoreCounters totals;
  std::string collectives;  // what summed them: NCCL or MPI
};

// Every rank's statistics, gathered on rank 0, and the job's sums.
struct JobFigures {
  std::vector<io::RankStats> per_rank;  // rank 0 only
  uint64_t pairs_scored = 0;
};

void open_run(RunContext& run);
LoadedTables load_tables(RunContext& run);
Plan partition_blocks(RunContext& run, LoadedTables& loaded);
PairFileOutput open_pair_file(RunContext& run, const LoadedTables& loaded, const Plan& plan);
HouseholdCounts count_households(RunContext& run, const LoadedTables& loaded);
// Leaves `loaded` without records (they were sent on).
ScoringRecords shuffle_records(RunContext& run, LoadedTables& loaded, const Plan& plan);
ScoreOutcome score_tiles(RunContext& run, const ScoringRecords& records, const Plan& plan,
                         PairFileOutput& pairs);
void finish_pair_file(RunContext& run, PairFileOutput& pairs, const HouseholdCounts& households);
void reduce_outputs(RunContext& run, ScoreOutcome& scored, const HouseholdCounts& households);
JobFigures gather_figures(RunContext& run, const Plan& plan);
nlohmann::json write_sinks(RunContext& run, const JobFigures& figures,
                           const HouseholdCounts& households);
void write_summary(RunContext& run, LoadedTables& loaded, const Plan& plan,
                   const ScoreOutcome& scored, const JobFigures& figures,
                   const nlohmann::json& sinks);

}  // namespace nm::jobs
