// The probabilistic mode's load: --left and --right, each a CSV file or a
// mysql:// table (read by the same readers as `run`: io/table_loader.hpp,
// io/db/db_reader.hpp), with the columns the comparisons and rules name and
// a bad birthdate read as a missing one.
#include "io/db/db_reader.hpp"
#include "io/db/url.hpp"
#include "jobs/prob/prob_prepare.hpp"
#include "jobs/run_io.hpp"

namespace nm::jobs {
namespace {

// One side: a CSV file, or a database table read on a connection of its own
// (closed once the rows are in).
RawTable load_side(const ProbConfig& cfg, const std::string& source,
                   const std::string& password_env, const io::LoadOptions& lo,
                   io::LoadStats* stats, db::DbReadStats* db_stats) {
  if (!db::is_db_url(source)) return io::load_csv_table(source, lo, stats);
  const db::DbUrl url = db::parse_db_url(source, true);
  db::Connection c =
      db::Connection::open(db_connect_settings(cfg.db, url, password_env), nullptr);
  const db::TableInfo info = db::describe_table(c, url, cfg.db.key_column);
  const db::DbReadOptions ro{0, 1, cfg.db.key_column};
  return db::load_db_table(c, url, info, lo, ro, stats, db_stats);
}

}  // namespace

ProbTables load_prob_tables(const ProbConfig& cfg, const std::vector<std::string>& extras,
                            io::RejectsFile& rejects, Progress& progress) {
  io::LoadOptions lo = load_options(cfg);
  lo.rejects = &rejects;
  lo.extra_columns = extras;
  lo.dates_optional = true;
  io::check_column_map(lo);
  ProbTables t;
  lo.progress = [&](uint64_t n) { progress.update("load left", n, 0, "rows"); };
  t.left = load_side(cfg, cfg.left, cfg.db.left_password_env, lo, &t.left_stats, &t.left_db);
  if (!cfg.dedupe) {
    lo.progress = [&](uint64_t n) { progress.update("load right", n, 0, "rows"); };
    t.right =
        load_side(cfg, cfg.right, cfg.db.right_password_env, lo, &t.right_stats, &t.right_db);
  }
  return t;
}

}  // namespace nm::jobs
