// MariaDB/MySQL client pieces owned by RAII objects: connections (with
// reconnect and backoff), prepared statements with bound parameters, a
// streaming row reader, a small pool, and the per-query timing log.
// Values only ever reach the server as bound parameters; SQL text holds only
// quoted identifiers and fixed keywords.
#pragma once
#include <mysql.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/db/url.hpp"
#include "src/errors.hpp"
#include "src/stopwatch.hpp"

namespace nm::db {

// A database problem, reported as `URL: what: server message (error N)`.
class DbError : public InputError {
 public:
  DbError(const std::string& what, unsigned code) : InputError(what), code_(code) {}
  unsigned code() const { return code_; }
  // The connection went away (server gone, lost, cannot connect): worth a retry.
  bool transient() const;

 private:
  unsigned code_;
};

// Where a password comes from, first found wins: --password-file, the named
// environment variable (default NAME_MATCHER_DB_PASSWORD, then DB_PASSWORD),
// else none is passed and the MySQL option file's [client] password (if any)
// is used. The password is never logged.
struct PasswordSource {
  std::string file;     // --password-file: the first line
  std::string env_var;  // --left/right/out-password-env; empty: the defaults
};
std::optional<std::string> resolve_password(const PasswordSource& src);

struct ConnectSettings {
  DbUrl url;
  std::optional<std::string> password;
  std::string option_file;           // --db-option-file; the default option files are read anyway
  unsigned connect_timeout_s = 10;
  unsigned read_timeout_s = 3600;    // a long scan may pause while the pipeline works
  unsigned retries = 4;              // attempts after the first on a transient error
  std::chrono::milliseconds backoff{200};  // doubled after each failed attempt
};
ConnectSettings connect_settings(const DbUrl& url, const PasswordSource& pw,
                                 const std::string& option_file);

// Time spent per kind of query (summary.json "database.queries").
class QueryLog {
 public:
  void add(const std::string& label, double seconds, uint64_t rows);
  nlohmann::json to_json() const;

 private:
  struct Entry {
    uint64_t count = 0, rows = 0;
    double seconds = 0, max_seconds = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

class Connection {
 public:
  // Connects, retrying transient failures with backoff. Throws DbError.
  static Connection open(const ConnectSettings& s, QueryLog* log);
  Connection() = default;
  Connection(Connection&&) noexcept = default;
  Connection& operator=(Connection&&) noexcept = default;

  MYSQL* get() const { return m_.get(); }
  const ConnectSettings& settings() const { return s_; }
  QueryLog* log() const { return log_; }
  bool valid() const { return m_ != nullptr; }
  // A statement without values (DDL, transaction control). Throws DbError.
  void exec(const std::string& sql, const std::string& label);
  // Round trip to check the connection works (SELECT 1).
  void ping();
  // Throws DbError for the last error on this connection.
  [[noreturn]] void fail(const std::string& what) const;

 private:
  struct Closer {
    void operator()(MYSQL* m) const { mysql_close(m); }
  };
  std::unique_ptr<MYSQL, Closer> m_;
  ConnectSettings s_;
  QueryLog* log_ = nullptr;
};

// One bound value: a string, an integer, or NULL.
struct Value {
  enum Kind { kNull, kString, kInt, kUInt } kind = kNull;
  std::string_view s;
  int64_t i = 0;
  uint64_t u = 0;
  static Value null() { return {}; }
  static Value str(std::string_view v) { return {kString, v, 0, 0}; }
  static Value int64(int64_t v) { return {kInt, {}, v, 0}; }
  static Value uint64(uint64_t v) { return {kUInt, {}, 0, v}; }
};

// A prepared statement, reused across executions.
class Statement {
 public:
  Statement(Connection& c, const std::string& sql, std::string label);
  Statement(Statement&&) noexcept = default;
  // Binds `values` (one per placeholder) and executes. Returns affected rows.
  uint64_t execute(const std::vector<Value>& values);
  MYSQL_STMT* get() const { return st_.get(); }
  Connection& connection() const { return *c_; }
  const std::string& label() const { return label_; }
  [[noreturn]] void fail(const std::string& what) const;

 private:
  struct Closer {
    void operator()(MYSQL_STMT* s) const { mysql_stmt_close(s); }
  };
  Connection* c_;
  std::string label_;
  std::unique_ptr<MYSQL_STMT, Closer> st_;
  std::vector<MYSQL_BIND> params_;
  std::vector<unsigned long> lengths_;
  std::vector<my_bool> nulls_;
};

// The rows of an executed SELECT, streamed from the server (unbuffered: the
// client holds one row at a time). Every column is read as text.
class RowStream {
 public:
  explicit RowStream(Statement& st);
  ~RowStream();
  RowStream(const RowStream&) = delete;
  RowStream& operator=(const RowStream&) = delete;
  // Next row; nullopt entries are NULLs. Views are valid until the next call.
  // Throws DbError (transient() when the connection was lost).
  bool next(std::vector<std::optional<std::string_view>>& row);

 private:
  struct Col {
    std::vector<char> buf;
    unsigned long length = 0;
    my_bool is_null = 0, error = 0;
  };
  Statement& st_;
  std::vector<Col> cols_;
  std::vector<MYSQL_BIND> binds_;
  uint64_t rows_ = 0;
  bool done_ = false;
  Stopwatch t0_;  // started when the stream opens
};

// Runs a SELECT with `values` and returns every row (for small catalogue queries).
std::vector<std::vector<std::optional<std::string>>> query_all(Connection& c,
                                                               const std::string& sql,
                                                               const std::vector<Value>& values,
                                                               const std::string& label);

// A few connections per server, opened and checked before the timed work so
// the first batch pays no connect cost.
class Pool {
 public:
  explicit Pool(QueryLog* log) : log_(log) {}
  // Opens `n` connections to s.url's server (or tops up to n) and pings them.
  void warm(const ConnectSettings& s, size_t n);
  // An open connection to the URL's server (a new one if none is idle).
  Connection take(const ConnectSettings& s);
  void give_back(Connection c);

 private:
  QueryLog* log_;
  std::map<std::string, std::vector<Connection>> idle_;
};

}  // namespace nm::db
