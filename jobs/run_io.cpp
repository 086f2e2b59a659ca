#include "jobs/run_io.hpp"

#include <cctype>
#include <fstream>
#include <iostream>
#include <string_view>

#include "jobs/cli.hpp"
#include "src/errors.hpp"
#include "src/log.hpp"
#include "src/stopwatch.hpp"

namespace nm::jobs {
namespace po = boost::program_options;

po::options_description database_input_options(DbRunOptions& db, const char* command) {
  po::options_description dbo("database (--left/--right mysql://USER@HOST:PORT/DB/TABLE; "
                              "docs/DATABASE.md)");
  dbo.add_options()(
      "password-file", po::value(&db.password_file),
      "read the database password from the first line of this file (else "
      "NAME_MATCHER_DB_PASSWORD, DB_PASSWORD, or the MySQL option file; never on the command "
      "line)")(
      "db-option-file", po::value(&db.option_file),
      "a MySQL option file to read ([client] and [name_matcher] groups) besides the default ones")(
      "left-password-env", po::value(&db.left_password_env),
      "the environment variable holding --left's password")(
      "right-password-env", po::value(&db.right_password_env),
      "the environment variable holding --right's password")(
      "db-key", po::value(&db.key_column),
      "the column giving the rows' order and each rank's key range (default: the primary key)")(
      "db-retries", number_option(command, "db-retries", &db.retries, 0u, 100u),
      "reconnect attempts (with doubling backoff from 0.2 s) when a connection drops (0..100)");
  return dbo;
}

po::options_description database_options(DbRunOptions& db, const char* command) {
  po::options_description dbo("database (--left/--right/--out mysql://USER@HOST:PORT/DB/TABLE; "
                              "docs/DATABASE.md)");
  const po::options_description inputs = database_input_options(db, command);
  for (const auto& o : inputs.options()) dbo.add(o);
  dbo.add_options()("if-exists", po::value(&db.if_exists)->default_value(db.if_exists),
                    "when the output table exists: fail, replace, append")(
      "out-password-env", po::value(&db.out_password_env),
      "the environment variable holding the output table's password")(
      "db-write-method", po::value(&db.write_method)->default_value(db.write_method),
      "how results go into the table: load-data (LOAD DATA LOCAL INFILE) or insert (multi-row "
      "prepared INSERTs)")(
      "db-batch-rows",
      number_option(command, "db-batch-rows", &db.batch_rows, uint64_t{1}, uint64_t{65535}),
      "rows per INSERT with --db-write-method insert (1..65535)");
  return dbo;
}

db::TableWriteOptions checked_db_options(const DbRunOptions& o) {
  db::TableWriteOptions w;
  w.if_exists = db::parse_if_exists(o.if_exists);
  w.method = db::parse_write_method(o.write_method);
  w.batch_rows = o.batch_rows;
  if (!o.key_column.empty()) db::check_identifier(o.key_column, "--db-key");
  return w;
}

db::ConnectSettings db_connect_settings(const DbRunOptions& o, const db::DbUrl& url,
                                        const std::string& password_env) {
  db::ConnectSettings s = db::connect_settings(url, {o.password_file, password_env}, o.option_file);
  s.retries = o.retries;
  return s;
}

void add_db_option_inputs(const DbRunOptions& o, std::vector<io::NamedPath>& inputs) {
  inputs.push_back({o.password_file, "--password-file"});
  inputs.push_back({o.option_file, "--db-option-file"});
}

OutputTargets sort_outputs(const std::vector<std::string>& outs) {
  auto lower_ends = [](std::string s, std::string_view suffix) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s.ends_with(suffix);
  };
  OutputTargets t;
  for (const auto& given : outs) {
    const std::string o = db::is_db_url(given) ? given : io::resolve_output_path(given);
    std::string& slot = db::is_db_url(o)         ? t.db
                        : lower_ends(o, ".xlsx") ? t.xlsx
                                                 : t.csv;
    if (!slot.empty())
      throw InputError("--out " + o + ": only one CSV, one .xlsx and one mysql:// output (already " +
                       slot + ")");
    slot = o;
  }
  if (!t.db.empty()) db::parse_db_url(t.db, true);  // a bad URL fails now
  if (t.xlsx.empty() && t.db.empty()) return t;  // a CSV alone, or nothing (--out is required)
  if (!t.csv.empty() && !io::is_stdout_path(t.csv)) return t;
  // No CSV file asked for (none, or standard output): one is still made,
  // since the workbook and the table are made from it, under a name of its
  // own, copied to standard output when asked and removed at the end. The
  // summary and rejects are named after the workbook, else the table.
  t.csv_to_stdout = !t.csv.empty();
  t.side_base = !t.xlsx.empty() ? t.xlsx.substr(0, t.xlsx.size() - 5)
                                : db::parse_db_url(t.db, true).table;
  t.csv = t.side_base + ".results.tmp.csv";
  t.csv_is_temporary = true;
  return t;
}

void copy_to_stdout(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot be read back");
  std::cout << in.rdbuf();
  std::cout.flush();
  if (!std::cout) throw InputError("--out -: cannot write to standard output");
}

void check_db_output_not_input(const std::optional<db::DbUrl>& out,
                               const std::optional<db::DbUrl>& left,
                               const std::optional<db::DbUrl>& right) {
  if (!out) return;
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  // Host names are not compared (localhost and 127.0.0.1 are one server):
  // the same port, database and table is taken for the same table.
  for (const auto& [in, role] : {std::pair{&left, "--left"}, std::pair{&right, "--right"}}) {
    if (*in && (*in)->port == out->port && lower((*in)->database) == lower(out->database) &&
        lower((*in)->table) == lower(out->table))
      throw InputError("--out " + out->text() + ": the output table is the " + role +
                       " table (" + (*in)->text() + "); an output never replaces an input");
  }
}

nlohmann::json write_table_output(db::Connection& c, const std::string& csv,
                                  const db::ResultColumns& columns, const db::DbUrl& url,
                                  const DbRunOptions& o, uint64_t rows) {
  const db::TableWriteOptions wopts = checked_db_options(o);
  log(LogLevel::kInfo, "writing " + std::to_string(rows) + " rows into " + url.text() + " (" +
                           db::method_name(wopts.method) + ", if-exists " + o.if_exists + ")");
  const db::TableWriteResult tr = db::write_results_table(c, csv, columns, url, wopts, rows);
  return {{"url", url.text()},
          {"rows", tr.rows},
          {"if_exists", o.if_exists},
          {"method", db::method_name(wopts.method)},
          {"seconds", tr.seconds},
          {"rows_per_second", tr.seconds > 0 ? static_cast<double>(tr.rows) / tr.seconds : 0.0}};
}

nlohmann::json write_workbook_output(const std::string& csv, const std::string& xlsx,
                                     const io::WorkbookSummary& summary,
                                     const io::ResultSheetLayout& layout, uint64_t rows,
                                     io::CommitGroup& group) {
  const Stopwatch workbook_time;
  log(LogLevel::kInfo, "writing " + xlsx + " (" + std::to_string(rows) + " rows)");
  const io::WorkbookResult wr =
      io::write_xlsx_workbook(csv, xlsx, summary, layout, io::kXlsxMaxDataRows, &group);
  return {{"path", xlsx},       {"rows", wr.rows},
          {"sheets", wr.result_sheets}, {"bytes", wr.bytes},
          {"seconds", workbook_time.seconds()}};
}

}  // namespace nm::jobs
