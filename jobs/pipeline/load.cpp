// The load stage: each rank reads its own byte range of each file (or key
// range of each table), numbers its rows globally and hands its rejected rows
// to rank 0's one rejects file.
#include <future>
#include <numeric>

#include "io/db/db_reader.hpp"
#include "jobs/pipeline/agreement.hpp"
#include "jobs/pipeline/stages.hpp"
#include "jobs/run_io.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::jobs {
namespace {

// Both tables read at once (the right one on a second thread when there are
// threads to spare), each rank its own slice.
void read_slices(RunContext& run, LoadedTables& loaded, io::RejectsFile& left_rejects,
                 io::RejectsFile& right_rejects, io::LoadStats& left_stats,
                 io::LoadStats& right_stats) {
  const RunConfig& cfg = run.cfg;
  const db::DbReadOptions dro{run.rank, run.ranks, cfg.db.key_column};
  io::LoadOptions lo = load_options(cfg);
  lo.rejects = &left_rejects;
  lo.range = &loaded.left_split.mine;
  lo.extra_columns = cfg.extra_columns;
  lo.dates_optional = cfg.dates_optional;
  io::LoadOptions ro = lo;
  ro.rejects = &right_rejects;
  ro.range = &loaded.right_split.mine;
  lo.progress = [&](uint64_t n) { run.progress->update("load", n, 0, "records (left, rank 0)"); };
  std::future<RawTable> right_future;
  if (!run.dedupe)
    right_future = std::async(
        cfg.match.threads > 1 ? std::launch::async : std::launch::deferred, [&] {
          return run.right_url ? db::load_db_table(run.right_connection, *run.right_url,
                                                   run.right_info, ro, dro, &right_stats,
                                                   &loaded.right_db)
                               : io::load_csv_table(cfg.right, ro, &right_stats);
        });
  std::exception_ptr left_error;
  try {
    loaded.left.table = run.left_url ? db::load_db_table(run.left_connection, *run.left_url,
                                                         run.left_info, lo, dro, &left_stats,
                                                         &loaded.left_db)
                                     : io::load_csv_table(cfg.left, lo, &left_stats);
  } catch (...) {
    left_error = std::current_exception();
  }
  std::exception_ptr right_error;
  if (right_future.valid()) {
    try {
      loaded.right.table = right_future.get();
    } catch (...) {
      right_error = std::current_exception();
    }
  }
  // One process reports a bad left file before a bad right one; so do many
  // ranks: a right-side error counts only when no rank failed on the left.
  const bool any_left_error = mpi::allreduce_max(run.comm, uint64_t{left_error ? 1u : 0u}) != 0;
  if (left_error) std::rethrow_exception(left_error);
  if (right_error && !any_left_error) std::rethrow_exception(right_error);
}

// Global row numbers: rows of lower ranks come first. Returns the side's rows in all ranks.
uint64_t number_rows(MPI_Comm comm, SideRecords& s) {
  const uint64_t base = mpi::exscan_sum(comm, s.table.size());
  s.global.resize(s.table.size());
  std::iota(s.global.begin(), s.global.end(), base);
  return mpi::allreduce_sum(comm, s.table.size());
}

// Rejected rows: one file, left rows then right rows, each in file order.
std::unique_ptr<io::RejectsFile> join_rejects(RunContext& run, const io::RejectsFile& left_rejects,
                                              const io::RejectsFile& right_rejects) {
  const std::vector<uint64_t> left_counts = mpi::allgather_u64(run.comm, left_rejects.count());
  const std::vector<uint64_t> right_counts = mpi::allgather_u64(run.comm, right_rejects.count());
  const std::vector<std::string> parts = mpi::gather_bytes(
      run.comm, left_rejects.data_path() + '\0' + right_rejects.data_path(), 0);
  auto rejects = std::make_unique<io::RejectsFile>(run.rejects_path);
  stage(run.comm, [&] {
    if (!run.root) return;
    for (int side = 0; side < 2; ++side)
      for (int r = 0; r < run.ranks; ++r) {
        const std::string& both = parts[static_cast<size_t>(r)];
        const size_t cut = both.find('\0');
        const std::string path = side == 0 ? both.substr(0, cut) : both.substr(cut + 1);
        rejects->absorb_file(path, (side == 0 ? left_counts : right_counts)[static_cast<size_t>(r)]);
      }
    rejects->close();
    run.result.rejected = rejects->count();
    if (run.result.rejected > 0) run.result.rejects_path = rejects->path();
  });
  return rejects;
}

}  // namespace

LoadedTables load_tables(RunContext& run) {
  const Stopwatch load_time;
  const RunConfig& cfg = run.cfg;
  LoadedTables loaded;
  loaded.dedupe = run.dedupe;
  if (!run.left_url)
    stage(run.comm, [&] { loaded.left_split = io::split_file_mpi(run.comm, cfg.left); });
  if (!run.dedupe && !run.right_url)
    stage(run.comm, [&] { loaded.right_split = io::split_file_mpi(run.comm, cfg.right); });
  // Each rank's rejected rows go to temporary files of its own beside the
  // rejects file; rank 0 joins them into the one rejects file.
  io::RejectsFile left_rejects(run.rejects_path), right_rejects(run.rejects_path);
  io::LoadStats left_stats, right_stats;
  stage(run.comm, [&] {
    read_slices(run, loaded, left_rejects, right_rejects, left_stats, right_stats);
  });
  left_rejects.close();
  right_rejects.close();
  // The reads are done: give the server its connections back.
  run.left_connection = db::Connection{};
  run.right_connection = db::Connection{};
  run.result.left_rows = number_rows(run.comm, loaded.left);
  run.result.right_rows =
      run.dedupe ? run.result.left_rows : number_rows(run.comm, loaded.right);
  run.stats.left_loaded = loaded.left.table.size();
  run.stats.right_loaded = loaded.right_side().table.size();
  loaded.rejects = join_rejects(run, left_rejects, right_rejects);
  // Duplicate ids: exact within one process; across ranks, ids are compared
  // within each rank's slice only (a warning, it changes no output).
  run.result.duplicate_ids =
      mpi::allreduce_sum(run.comm, left_stats.duplicate_ids + right_stats.duplicate_ids);
  run.result.left_dates_missing = mpi::allreduce_sum(run.comm, left_stats.dates_missing);
  run.result.left_dates_invalid = mpi::allreduce_sum(run.comm, left_stats.dates_invalid);
  run.result.right_dates_missing =
      run.dedupe ? run.result.left_dates_missing
                 : mpi::allreduce_sum(run.comm, right_stats.dates_missing);
  run.result.right_dates_invalid =
      run.dedupe ? run.result.left_dates_invalid
                 : mpi::allreduce_sum(run.comm, right_stats.dates_invalid);
  if (run.root && run.result.duplicate_ids > 0)
    log(LogLevel::kWarn, std::to_string(run.result.duplicate_ids) +
                             " duplicate ids (rows are still matched by position)");
  run.stats.load_s = load_time.seconds();
  run.result.load_s = run.stats.load_s;
  return loaded;
}

}  // namespace nm::jobs
