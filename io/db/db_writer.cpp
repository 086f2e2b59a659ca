#include "io/db/db_writer.hpp"

#include <errmsg.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "io/csv_reader.hpp"
#include "io/match_writer.hpp"
#include "src/log.hpp"
#include "src/stopwatch.hpp"

namespace nm::db {

namespace {

using Columns = std::vector<std::pair<std::string, std::string>>;

std::string qualified(const DbUrl& u, const std::string& table) {
  return quote_identifier(u.database) + "." + quote_identifier(table);
}

bool table_exists(Connection& c, const std::string& db, const std::string& table) {
  return !query_all(c,
                    "SELECT 1 FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = ? AND "
                    "TABLE_NAME = ?",
                    {Value::str(db), Value::str(table)}, "check table")
              .empty();
}

// A name of this run's own next to the target's: the connection id is unique
// on the server while the run lasts, the hash keeps targets with a long
// common prefix apart; at most 64 characters.
std::string side_table(Connection& c, const std::string& prefix, const std::string& table) {
  uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char ch : table) h = (h ^ ch) * 16777619u;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", h);
  return (prefix + std::to_string(mysql_thread_id(c.get())) + "_" + hex + "_" + table).substr(0, 64);
}

bool is_date(const std::string& type) { return type.starts_with("DATE"); }

// LOAD DATA LOCAL INFILE reads the file through these callbacks, so the SQL
// names no path of ours (a fixed placeholder name) and needs no escaping.
struct Infile {
  std::string path;
  std::FILE* f = nullptr;
  std::string error;
};
int infile_init(void** ptr, const char*, void* userdata) {
  auto* in = static_cast<Infile*>(userdata);
  *ptr = in;
  in->f = std::fopen(in->path.c_str(), "rb");
  if (in->f == nullptr) {
    in->error = in->path + ": " + std::strerror(errno);
    return 1;
  }
  return 0;
}
int infile_read(void* ptr, char* buf, unsigned int len) {
  auto* in = static_cast<Infile*>(ptr);
  const size_t n = std::fread(buf, 1, len, in->f);
  if (n == 0 && std::ferror(in->f)) {
    in->error = in->path + ": read error";
    return -1;
  }
  return static_cast<int>(n);
}
void infile_end(void* ptr) {
  auto* in = static_cast<Infile*>(ptr);
  if (in->f != nullptr) std::fclose(in->f);
  in->f = nullptr;
}
int infile_error(void* ptr, char* msg, unsigned int len) {
  auto* in = static_cast<Infile*>(ptr);
  std::snprintf(msg, len, "%s", in->error.c_str());
  return CR_UNKNOWN_ERROR;
}

// Rows numbered base+1, base+2... in file order into `column` (empty: none).
// Explicit numbers, not AUTO_INCREMENT, which leaves gaps after a bulk
// statement (an appended run would not follow on).
struct RowNumbers {
  std::string column;
  uint64_t base = 0;
};

uint64_t load_data(Connection& c, const std::string& csv_path, const std::string& target,
                   const Columns& cols, const RowNumbers& numbers = {}) {
  Infile in;
  in.path = csv_path;
  mysql_set_local_infile_handler(c.get(), infile_init, infile_read, infile_end, infile_error, &in);
  // Every column through a variable: an empty DATE becomes NULL, and an
  // unquoted field NULL (a surname can be "NULL") stays the text NULL — with
  // ENCLOSED BY, LOAD DATA reads it as SQL NULL, which our CSV never means.
  std::string vars, sets;
  for (size_t i = 0; i < cols.size(); ++i) {
    const std::string v = "@v" + std::to_string(i);
    vars += (i ? ", " : "") + v;
    sets += (i ? ", " : " SET ") + quote_identifier(cols[i].first) + " = " +
            (is_date(cols[i].second) ? "NULLIF(" + v + ", '')" : "IFNULL(" + v + ", 'NULL')");
  }
  if (!numbers.column.empty()) {
    c.exec("SET @nm_row = " + std::to_string(numbers.base), "number rows");
    sets += ", " + quote_identifier(numbers.column) + " = (@nm_row := @nm_row + 1)";
  }
  const Stopwatch t0;
  const std::string sql = "LOAD DATA LOCAL INFILE 'name_matcher.csv' INTO TABLE " + target +
                          " CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED "
                          "BY '\"' ESCAPED BY '' LINES TERMINATED BY '\n' IGNORE 1 LINES (" +
                          vars + ")" + sets;
  const int rc = mysql_real_query(c.get(), sql.data(), sql.size());
  mysql_set_local_infile_default(c.get());
  if (rc != 0) c.fail("LOAD DATA LOCAL INFILE from " + csv_path);
  const uint64_t rows = mysql_affected_rows(c.get());
  if (c.log() != nullptr)
    c.log()->add("load data", t0.seconds(), rows);
  // LOCAL makes data errors warnings (the server cannot stop the client's
  // stream): any warning is a value that did not go in as written.
  if (const unsigned warnings = mysql_warning_count(c.get()); warnings > 0) {
    std::string w;
    for (const auto& r : query_all(c, "SHOW WARNINGS LIMIT 3", {}, "show warnings"))
      w += "; " + r[2].value_or("");
    throw DbError(c.settings().url.text() + ": LOAD DATA of " + csv_path + " gave " +
                      std::to_string(warnings) + " warnings" + w,
                  0);
  }
  return rows;
}

uint64_t insert_rows(Connection& c, const std::string& csv_path, const std::string& target,
                     const Columns& cols, uint64_t batch_rows, const RowNumbers& numbers) {
  io::CsvReader reader(csv_path, io::CsvOptions{});
  io::CsvRecord rec;
  if (!reader.next(rec)) throw InputError(csv_path + ": empty file");
  const bool numbered = !numbers.column.empty();
  std::string names = numbered ? quote_identifier(numbers.column) : "";
  for (size_t i = 0; i < cols.size(); ++i)
    names += (names.empty() ? "" : ", ") + quote_identifier(cols[i].first);
  const size_t per_row = cols.size() + (numbered ? 1 : 0);
  std::string one = "(";
  for (size_t i = 0; i < per_row; ++i) one += i ? ",?" : "?";
  one += ")";
  auto make = [&](uint64_t n) {
    std::string sql = "INSERT INTO " + target + " (" + names + ") VALUES ";
    for (uint64_t r = 0; r < n; ++r) sql += (r ? "," : "") + one;
    return std::make_unique<Statement>(c, sql, "insert rows");
  };
  batch_rows = std::max<uint64_t>(1, std::min<uint64_t>(batch_rows, 65535 / per_row));
  std::unique_ptr<Statement> full;
  std::string text;                      // the batch's field bytes
  std::vector<std::pair<size_t, size_t>> spans;  // offset, length (npos: NULL)
  std::vector<Value> values;
  uint64_t in_batch = 0, rows = 0, next_number = numbers.base;
  auto flush = [&] {
    if (in_batch == 0) return;
    values.clear();
    for (const auto& [off, len] : spans)
      values.push_back(off == std::string::npos ? Value::null()
                                                : Value::str(std::string_view(text).substr(off, len)));
    if (in_batch == batch_rows) {
      if (!full) full = make(batch_rows);
      rows += full->execute(values);
    } else {
      rows += make(in_batch)->execute(values);
    }
    text.clear();
    spans.clear();
    in_batch = 0;
  };
  while (reader.next(rec)) {
    if (!rec.error.empty() || rec.fields.size() != cols.size())
      throw InputError(csv_path + ":" + std::to_string(rec.line) + ": not a result row (" +
                       (rec.error.empty() ? "wrong field count" : rec.error) + ")");
    if (numbered) {
      const std::string n = std::to_string(++next_number);
      spans.emplace_back(text.size(), n.size());
      text.append(n);
    }
    for (size_t i = 0; i < cols.size(); ++i) {
      if (rec.fields[i].empty() && is_date(cols[i].second)) {
        spans.emplace_back(std::string::npos, 0);
        continue;
      }
      spans.emplace_back(text.size(), rec.fields[i].size());
      text.append(rec.fields[i]);
    }
    if (++in_batch == batch_rows) flush();
  }
  flush();
  return rows;
}

// Runs `body` (which fills `into`) inside the all-or-nothing scheme above.
// `expected`: the rows the body must have written (checked before the
// commit), or kAnyRows.
constexpr uint64_t kAnyRows = ~uint64_t{0};
template <class Body>
uint64_t fill_table(Connection& c, const DbUrl& url, const Columns& cols, const std::string& key,
                    IfExists if_exists, uint64_t expected, Body&& body) {
  const std::string target = qualified(url, url.table);
  const bool append = if_exists == IfExists::kAppend && table_exists(c, url.database, url.table);
  const std::string stage = append ? url.table : side_table(c, "nm_partial_", url.table);
  const std::string into = qualified(url, stage);
  bool staged = false;
  try {
    if (!append) {
      std::string ddl = "CREATE TABLE " + into + " (";
      if (!key.empty())
        ddl += quote_identifier(key) + " BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, ";
      for (size_t i = 0; i < cols.size(); ++i)
        ddl += (i ? ", " : "") + quote_identifier(cols[i].first) + " " + cols[i].second;
      ddl += ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
      c.exec(ddl, "create table");
      staged = true;
    }
    c.exec("START TRANSACTION", "start transaction");
    const uint64_t rows = body(into);
    if (expected != kAnyRows && rows != expected)
      throw DbError(url.text() + ": " + std::to_string(rows) + " rows went in, " +
                        std::to_string(expected) + " expected; nothing was committed",
                    0);
    // Test hook: a run that fails after its rows went in, before the commit.
    if (std::getenv("NAME_MATCHER_FAULT_DB_WRITE") != nullptr)
      throw InputError(url.text() + ": failing before the commit (NAME_MATCHER_FAULT_DB_WRITE is set)");
    c.exec("COMMIT", "commit");
    if (!append) {
      if (if_exists == IfExists::kReplace && table_exists(c, url.database, url.table)) {
        const std::string old = qualified(url, side_table(c, "nm_old_", url.table));
        c.exec("RENAME TABLE " + target + " TO " + old + ", " + into + " TO " + target,
               "rename table");
        staged = false;
        // The new table is in place: a failed drop of the old one leaves
        // it behind, said as a warning, and is no failure of the run.
        try {
          c.exec("DROP TABLE " + old, "drop old table");
        } catch (const DbError& e) {
          nm::log(LogLevel::kWarn, std::string(e.what()) + " (the replaced table is left as " + old + ")");
        }
      } else {
        try {
          c.exec("RENAME TABLE " + into + " TO " + target, "rename table");
        } catch (const DbError& e) {
          if (e.code() == 1050)  // ER_TABLE_EXISTS_ERROR
            throw DbError(url.text() + ": the table appeared during the run; nothing was "
                          "written to it (use --if-exists replace or append)", e.code());
          throw;
        }
        staged = false;
      }
    }
    return rows;
  } catch (...) {
    // Best effort: the connection may be the reason we are here.
    if (mysql_real_query(c.get(), "ROLLBACK", 8) != 0) {
    }
    if (staged) {
      const std::string drop = "DROP TABLE IF EXISTS " + into;
      if (mysql_real_query(c.get(), drop.data(), drop.size()) != 0) {
      }
    }
    throw;
  }
}

}  // namespace

IfExists parse_if_exists(const std::string& s) {
  if (s == "fail") return IfExists::kFail;
  if (s == "replace") return IfExists::kReplace;
  if (s == "append") return IfExists::kAppend;
  throw InputError("--if-exists must be fail, replace or append (got '" + s + "')");
}

WriteMethod parse_write_method(const std::string& s) {
  if (s == "load-data") return WriteMethod::kLoadData;
  if (s == "insert") return WriteMethod::kInsert;
  throw InputError("--db-write-method must be load-data or insert (got '" + s + "')");
}

const char* method_name(WriteMethod m) { return m == WriteMethod::kLoadData ? "load-data" : "insert"; }

Columns result_columns(int algorithm) {
  Columns cols;
  const std::string header = io::match_header(algorithm);
  size_t b = 0;
  while (b <= header.size()) {
    size_t e = header.find(',', b);
    if (e == std::string::npos) e = header.size();
    const std::string name = header.substr(b, e - b);
    std::string type = "TEXT NOT NULL";
    if (name.ends_with("_Birthdate")) type = "DATE NULL";
    else if (name == "Confidence") type = "DOUBLE NOT NULL";
    else if (name == "match_percentage") type = "DECIMAL(5,2) NOT NULL";
    else if (name.starts_with("is_matched_")) type = "VARCHAR(5) NOT NULL";
    else if (name == "MatchedFields" || name == "region_code" || name.starts_with("poor_hat"))
      type = "VARCHAR(255) NOT NULL";
    cols.emplace_back(name, type);
    b = e + 1;
  }
  return cols;
}

void check_output_table(Connection& c, const DbUrl& url, int algorithm, IfExists if_exists,
                        WriteMethod method) {
  check_output_table(c, url, result_columns(algorithm),
                     "algorithm " + std::to_string(algorithm) + "'s results", if_exists, method);
}

void check_output_table(Connection& c, const DbUrl& url, const Columns& columns,
                        const std::string& what, IfExists if_exists, WriteMethod method) {
  if (method == WriteMethod::kLoadData) {
    const auto v = query_all(c, "SELECT @@GLOBAL.local_infile", {}, "check local_infile");
    if (v.empty() || v[0][0].value_or("0") == "0")
      throw InputError(url.text() + ": the server does not allow LOAD DATA LOCAL INFILE "
                       "(local_infile is OFF, MySQL 8's default): use --db-write-method insert, "
                       "or SET GLOBAL local_infile = 1");
  }
  if (!table_exists(c, url.database, url.table)) return;
  if (if_exists == IfExists::kFail)
    throw InputError(url.text() + ": the output table already exists (use --if-exists replace "
                     "to overwrite it or --if-exists append to add to it)");
  if (if_exists == IfExists::kAppend) {
    const auto have = query_all(c,
                                "SELECT COLUMN_NAME FROM INFORMATION_SCHEMA.COLUMNS WHERE "
                                "TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                                {Value::str(url.database), Value::str(url.table)}, "read columns");
    std::vector<std::string> want = {"row_no"};
    for (const auto& col : columns) want.push_back(col.first);
    bool same = have.size() == want.size();
    for (size_t i = 0; same && i < want.size(); ++i) same = have[i][0].value_or("") == want[i];
    if (!same)
      throw InputError(url.text() + ": --if-exists append: the table's columns are not those of " +
                       what);
    // All or nothing needs a transactional table: a failed MyISAM append
    // would keep the rows it had sent.
    const auto engine = query_all(c,
                                  "SELECT ENGINE FROM INFORMATION_SCHEMA.TABLES WHERE "
                                  "TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                                  {Value::str(url.database), Value::str(url.table)}, "check table");
    const std::string e = engine.empty() ? "" : engine[0][0].value_or("");
    if (e != "InnoDB")
      throw InputError(url.text() + ": --if-exists append needs an InnoDB table (a failed run "
                       "must leave it as it was); this one is " + (e.empty() ? "a view" : e));
  }
}

TableWriteResult write_results_table(Connection& c, const std::string& csv_path, int algorithm,
                                     const DbUrl& url, const TableWriteOptions& o,
                                     uint64_t expected_rows) {
  return write_results_table(c, csv_path, result_columns(algorithm), url, o, expected_rows);
}

TableWriteResult write_results_table(Connection& c, const std::string& csv_path,
                                     const Columns& columns, const DbUrl& url,
                                     const TableWriteOptions& o, uint64_t expected_rows) {
  const Stopwatch t0;
  const Columns& cols = columns;
  TableWriteResult r;
  r.rows = fill_table(c, url, cols, "row_no", o.if_exists, expected_rows, [&](const std::string& into) {
    // In the transaction, with the rows locked: an appended run numbers on
    // from the table's last row.
    const auto last = query_all(c, "SELECT COALESCE(MAX(`row_no`), 0) FROM " + into + " FOR UPDATE",
                                {}, "last row number");
    RowNumbers numbers{"row_no", std::stoull(last[0][0].value_or("0"))};
    return o.method == WriteMethod::kLoadData
               ? load_data(c, csv_path, into, cols, numbers)
               : insert_rows(c, csv_path, into, cols, o.batch_rows, numbers);
  });
  r.seconds = t0.seconds();
  return r;
}

uint64_t load_csv_as_table(Connection& c, const std::string& csv_path, const DbUrl& url,
                           const Columns& columns, const std::string& key, IfExists if_exists,
                           uint64_t expected_rows) {
  return fill_table(c, url, columns, key, if_exists, expected_rows,
                    [&](const std::string& into) { return load_data(c, csv_path, into, columns); });
}

}  // namespace nm::db
