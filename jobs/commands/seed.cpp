#include "jobs/commands/seed.hpp"

#include <boost/program_options.hpp>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>

#include <fmt/format.h>

#include "io/db/db_writer.hpp"
#include "jobs/cli.hpp"
#include "jobs/generate/generate.hpp"
#include "jobs/progress.hpp"
#include "src/stopwatch.hpp"

namespace nm::jobs {

namespace {

// The generator's files live in a temporary folder for the load only.
class TempFolder {
 public:
  TempFolder() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/nm-seed-XXXXXX";
    if (mkdtemp(templ.data()) == nullptr)
      throw InputError("seed: cannot make a temporary folder in " + templ);
    path_ = templ;
  }
  ~TempFolder() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const std::vector<std::pair<std::string, std::string>> kPersonColumns = {
    {"id", "VARCHAR(64) NOT NULL"},           {"uuid", "VARCHAR(64) NOT NULL"},
    {"first_name", "VARCHAR(255) NOT NULL"},  {"middle_name", "VARCHAR(255) NOT NULL"},
    {"last_name", "VARCHAR(255) NOT NULL"},   {"birthdate", "DATE NULL"},
    {"hh_id", "VARCHAR(64) NOT NULL"}};
const std::vector<std::pair<std::string, std::string>> kTruthColumns = {
    {"left_id", "VARCHAR(64) NOT NULL"}, {"right_id", "VARCHAR(64) NOT NULL"}};

}  // namespace

int seed_main(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  GenerateOptions g;
  std::string url_text, left_table = "nm_left", right_table = "nm_right", truth_table = "nm_truth";
  std::string if_exists = "fail", password_file, option_file;
  bool quiet = false;
  po::options_description desc(
      "Usage: name_matcher seed [options] mysql://USER@HOST:PORT/DATABASE\n"
      "Creates and fills three tables with the rows `generate` writes for the same options:\n"
      "LEFT and RIGHT (pk = row number in file order, then id, uuid, first_name, middle_name,\n"
      "last_name, birthdate DATE, hh_id) and TRUTH (left_id, right_id). The password comes from\n"
      "--password-file, NAME_MATCHER_DB_PASSWORD, DB_PASSWORD or the MySQL option file.\n"
      "Options");
  desc.add_options()("help,h", "show this help")(
      "rows", number_option("seed", "rows", &g.rows, uint64_t{0}, kMaxRows), "rows per table")(
      "seed", number_option("seed", "seed", &g.seed, uint64_t{0}, ~uint64_t{0}), "random seed")(
      "overlap", number_option("seed", "overlap", &g.overlap, 0.0, 1.0),
      "fraction of right rows that are copies of left persons, 0..1")(
      "skew", number_option("seed", "skew", &g.skew, 0.0, 1.0),
      "fraction of persons born 1970-01-01, 0..1")(
      "left-table", po::value(&left_table)->default_value(left_table), "table 1's name")(
      "right-table", po::value(&right_table)->default_value(right_table), "table 2's name")(
      "truth-table", po::value(&truth_table)->default_value(truth_table), "the true pairs' table")(
      "if-exists", po::value(&if_exists)->default_value(if_exists),
      "when a table exists: fail or replace")("password-file", po::value(&password_file),
                                              "read the password from this file")(
      "db-option-file", po::value(&option_file), "a MySQL option file to read")(
      "threads", number_option("seed", "threads", &g.threads, 0u, kMaxThreads),
      "generator threads, 0..1024 (0: all cores)")("quiet,q", po::bool_switch(&quiet),
                                                   "no summary line");
  return run_guarded("seed", [&]() -> int {
    po::options_description hidden;
    hidden.add_options()("url", po::value(&url_text));
    po::variables_map vm;
    if (!parse_command_line(args, desc, hidden, "url", 1, vm)) return 0;
    if (url_text.empty()) throw InputError("seed: the database URL is required (see seed --help)");
    db::DbUrl url = db::parse_db_url(url_text, false);
    for (const auto* t : {&left_table, &right_table, &truth_table}) db::check_identifier(*t, "table");
    if (left_table == right_table || left_table == truth_table || right_table == truth_table)
      throw InputError("seed: the left, right and truth tables need three different names");
    const db::IfExists mode = db::parse_if_exists(if_exists);
    if (mode == db::IfExists::kAppend) throw InputError("seed: --if-exists must be fail or replace");

    const Stopwatch t0;
    db::QueryLog qlog;
    const db::ConnectSettings cs = db::connect_settings(url, {password_file, ""}, option_file);
    // Three connections, checked before the work: one load each, at once.
    db::Connection conns[3] = {db::Connection::open(cs, &qlog), db::Connection::open(cs, &qlog),
                               db::Connection::open(cs, &qlog)};
    const std::string* names[3] = {&left_table, &right_table, &truth_table};
    for (int i = 0; i < 3; ++i) {
      db::DbUrl u = url;
      u.table = *names[i];
      const bool exists = !db::query_all(conns[0],
                                         "SELECT 1 FROM INFORMATION_SCHEMA.TABLES WHERE "
                                         "TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                                         {db::Value::str(u.database), db::Value::str(u.table)},
                                         "check table")
                                .empty();
      if (exists && mode == db::IfExists::kFail)
        throw InputError(u.text() + ": the table already exists (use --if-exists replace)");
    }

    TempFolder tmp;
    g.out_dir = tmp.path();
    const GenerateStats gs = generate_dataset(g);
    const double gen_s = t0.seconds();
    const char* files[3] = {"left.csv", "right.csv", "truth.csv"};
    std::future<uint64_t> loads[3];
    for (int i = 0; i < 3; ++i) {
      loads[i] = std::async(std::launch::async, [&, i] {
        db::DbUrl u = url;
        u.table = *names[i];
        const uint64_t expected = i == 0 ? gs.left_rows : i == 1 ? gs.right_rows : gs.true_pairs;
        return db::load_csv_as_table(conns[i], tmp.path() + "/" + files[i], u,
                                     i < 2 ? kPersonColumns : kTruthColumns, i < 2 ? "pk" : "",
                                     mode, expected);
      });
    }
    uint64_t rows[3];
    std::exception_ptr err;
    for (int i = 0; i < 3; ++i) {
      try {
        rows[i] = loads[i].get();
      } catch (...) {
        if (!err) err = std::current_exception();
      }
    }
    if (err) std::rethrow_exception(err);
    const double total = t0.seconds();
    if (rows[0] != gs.left_rows || rows[1] != gs.right_rows || rows[2] != gs.true_pairs)
      throw InputError(fmt::format("seed: {} / {} / {} rows loaded, {} / {} / {} generated", rows[0],
                                   rows[1], rows[2], gs.left_rows, gs.right_rows, gs.true_pairs));
    if (!quiet)
      std::cerr << fmt::format(
          "seed: {} + {} rows and {} true pairs into {} ({}, {}, {}) in {:.2f} s (generate {:.2f} "
          "s, load {:.2f} s, {:.0f} rows/s)\n",
          rows[0], rows[1], rows[2], url.text(), left_table, right_table, truth_table, total, gen_s,
          total - gen_s, static_cast<double>(rows[0] + rows[1]) / std::max(1e-9, total - gen_s));
    return 0;
  });
}

}  // namespace nm::jobs
