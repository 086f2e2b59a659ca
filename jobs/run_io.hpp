// The inputs and outputs `run` (algorithms 1-6) and the probabilistic mode
// (`run --algorithm prob`, `train`) share: the database options and the
// connection settings made from them, the sorting of repeatable --out values
// into a CSV, a .xlsx workbook and a mysql:// table, and the writing of the
// workbook and the table from the finished CSV (docs/DATABASE.md).
#pragma once
#include <boost/program_options.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "io/db/connection.hpp"
#include "io/db/db_writer.hpp"
#include "io/db/url.hpp"
#include "io/safe_output.hpp"
#include "io/table_loader.hpp"
#include "io/xlsx_writer.hpp"

namespace nm::jobs {

// Database access for mysql:// inputs and outputs (docs/DATABASE.md).
struct DbRunOptions {
  std::string password_file;   // --password-file (the first line)
  std::string option_file;     // --db-option-file (a MySQL option file)
  std::string left_password_env, right_password_env, out_password_env;  // variable names
  std::string key_column;      // --db-key: the column giving row order and rank ranges
  std::string if_exists = "fail";          // fail | replace | append
  std::string write_method = "load-data";  // load-data | insert
  uint64_t batch_rows = 1000;              // rows per INSERT (insert)
  unsigned retries = 4;                    // reconnects with backoff on a dropped connection
};

// The options filling `db` (--if-exists, --password-file, --db-key, ...), as
// a group for `command`'s --help.
boost::program_options::options_description database_options(DbRunOptions& db,
                                                             const char* command);
// Only those for reading mysql:// inputs (--password-file, --db-option-file,
// --left/right-password-env, --db-key, --db-retries): for plan and explain.
boost::program_options::options_description database_input_options(DbRunOptions& db,
                                                                   const char* command);

// The reading options a config gives (RunConfig, ProbConfig): its column
// map, date format, trimming and bad-row handling.
template <class Config>
io::LoadOptions load_options(const Config& cfg) {
  io::LoadOptions lo;
  lo.column_map = cfg.column_map;
  lo.date_format = DateFormat(cfg.date_format);
  lo.trim_fields = cfg.trim_fields;
  lo.skip_bad_rows = cfg.skip_bad_rows;
  return lo;
}

// The output table's write options, and --db-key, checked (InputError for a
// bad --if-exists, --db-write-method or --db-key).
db::TableWriteOptions checked_db_options(const DbRunOptions& o);

// How to reach url's server: its password from --password-file, else the
// variable `password_env` names (else the defaults), --db-option-file and
// --db-retries.
db::ConnectSettings db_connect_settings(const DbRunOptions& o, const db::DbUrl& url,
                                        const std::string& password_env);

// The files the database options read, as inputs no output may be.
void add_db_option_inputs(const DbRunOptions& o, std::vector<io::NamedPath>& inputs);

// The --out values sorted: at most one CSV (a path, or - for standard
// output), one .xlsx workbook and one mysql:// table.
struct OutputTargets {
  std::string csv, xlsx, db;
  // BASE of BASE.summary.json and BASE.rejects.csv when it is not the CSV
  // (the CSV on standard output or not asked for); empty: the CSV.
  std::string side_base;
  // No CSV was asked for: csv is a staging file named after side_base, made
  // for the workbook and the table and removed at the end.
  bool csv_is_temporary = false;
  // --out - beside a workbook or a table: csv (temporary) is copied to
  // standard output once written (copy_to_stdout).
  bool csv_to_stdout = false;
};
// Paths are resolved (io::resolve_output_path); a bad URL is an InputError
// now, as is a second output of one kind.
OutputTargets sort_outputs(const std::vector<std::string>& outs);

// Sorts the --out values into a config's out, out_xlsx, out_db, side_base
// out_is_temporary and out_to_stdout (RunConfig, ProbConfig).
template <class Config>
void assign_outputs(Config& cfg, const std::vector<std::string>& outs) {
  OutputTargets t = sort_outputs(outs);
  cfg.out = std::move(t.csv);
  cfg.out_xlsx = std::move(t.xlsx);
  cfg.out_db = std::move(t.db);
  cfg.side_base = std::move(t.side_base);
  cfg.out_is_temporary = t.csv_is_temporary;
  cfg.out_to_stdout = t.csv_to_stdout;
}

// The finished CSV at `path` copied to standard output (--out - beside a
// workbook or a table, which are made from the file).
void copy_to_stdout(const std::string& path);

// The outputs a config's run writes, for its closing line: "a.csv, a.xlsx,
// mysql://..." (a temporary CSV left out).
template <class Config>
std::string output_names(const Config& cfg) {
  std::string names = cfg.out_to_stdout      ? std::string("-")
                      : cfg.out_is_temporary ? std::string()
                                             : cfg.out;
  for (const std::string* o : {&cfg.out_xlsx, &cfg.out_db})
    if (!o->empty()) names += (names.empty() ? "" : ", ") + *o;
  return names;
}

// An output table must not be one of the input tables (with --if-exists
// replace it would be replaced): InputError naming both.
void check_db_output_not_input(const std::optional<db::DbUrl>& out,
                               const std::optional<db::DbUrl>& left,
                               const std::optional<db::DbUrl>& right);

// Writes the finished result CSV `csv` (`rows` rows with these columns) into
// url's table over `c`, all or nothing (io/db/db_writer.hpp), saying so in
// the log. Returns the summary's outputs.table entry.
nlohmann::json write_table_output(db::Connection& c, const std::string& csv,
                                  const db::ResultColumns& columns, const db::DbUrl& url,
                                  const DbRunOptions& o, uint64_t rows);

// Makes the workbook `xlsx` from the finished result CSV `csv` (`rows` rows),
// handed to `group` to be renamed at its commit. Returns the summary's
// outputs.xlsx entry.
nlohmann::json write_workbook_output(const std::string& csv, const std::string& xlsx,
                                     const io::WorkbookSummary& summary,
                                     const io::ResultSheetLayout& layout, uint64_t rows,
                                     io::CommitGroup& group);

}  // namespace nm::jobs
