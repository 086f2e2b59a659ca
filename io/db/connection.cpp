#include "io/db/connection.hpp"

#include <errmsg.h>
#include <mysqld_error.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <thread>

#include "src/log.hpp"
#include "src/stopwatch.hpp"

namespace nm::db {

namespace {

// What the user can do about the common failures.
std::string hint(unsigned code, const DbUrl& u) {
  switch (code) {
    case ER_ACCESS_DENIED_ERROR:
      return " — wrong user or password? (the password comes from --password-file, "
             "NAME_MATCHER_DB_PASSWORD, DB_PASSWORD or the MySQL option file)";
    case ER_BAD_DB_ERROR:
      return " — database '" + u.database + "' does not exist on " + u.server();
    case ER_DBACCESS_DENIED_ERROR:
      return " — database '" + u.database + "' does not exist, or this user may not use it";
    case CR_CONN_HOST_ERROR:
    case CR_CONNECTION_ERROR:
    case CR_UNKNOWN_HOST:
      return " — is the server running and reachable at " + u.host + ":" +
             std::to_string(u.port) + "?";
    default:
      return "";
  }
}

std::string describe(MYSQL* m, const DbUrl& u, const std::string& what) {
  const unsigned code = mysql_errno(m);
  return u.text() + ": " + what + ": " + mysql_error(m) + " (error " + std::to_string(code) + ")" +
         hint(code, u);
}

}  // namespace

bool DbError::transient() const {
  switch (code_) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_CONN_HOST_ERROR:
    case CR_CONNECTION_ERROR:
    case ER_CON_COUNT_ERROR:
    case ER_SERVER_SHUTDOWN:
    case 1927:  // ER_CONNECTION_KILLED
      return true;
    default:
      return false;
  }
}

std::optional<std::string> resolve_password(const PasswordSource& src) {
  if (!src.file.empty()) {
    std::ifstream in(src.file);
    if (!in) throw InputError("--password-file " + src.file + ": " + std::strerror(errno));
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  }
  if (!src.env_var.empty()) {
    const char* v = std::getenv(src.env_var.c_str());
    if (v == nullptr)
      throw InputError("the password variable " + src.env_var + " is not set");
    return std::string(v);
  }
  for (const char* name : {"NAME_MATCHER_DB_PASSWORD", "DB_PASSWORD"})
    if (const char* v = std::getenv(name)) return std::string(v);
  return std::nullopt;
}

ConnectSettings connect_settings(const DbUrl& url, const PasswordSource& pw,
                                 const std::string& option_file) {
  ConnectSettings s;
  s.url = url;
  s.password = resolve_password(pw);
  s.option_file = option_file;
  if (!option_file.empty() && !std::ifstream(option_file))
    throw InputError("--db-option-file " + option_file + ": " + std::strerror(errno));
  return s;
}

void QueryLog::add(const std::string& label, double seconds, uint64_t rows) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[label];
  ++e.count;
  e.rows += rows;
  e.seconds += seconds;
  e.max_seconds = std::max(e.max_seconds, seconds);
}

nlohmann::json QueryLog::to_json() const {
  std::lock_guard lock(mu_);
  nlohmann::json j = nlohmann::json::array();
  for (const auto& [label, e] : entries_)
    j.push_back({{"query", label},
                 {"count", e.count},
                 {"rows", e.rows},
                 {"seconds", e.seconds},
                 {"max_seconds", e.max_seconds}});
  return j;
}

Connection Connection::open(const ConnectSettings& s, QueryLog* qlog) {
  // The client library's global state, set up once before any thread connects.
  static const int library = mysql_library_init(0, nullptr, nullptr);
  if (library != 0) throw DbError("cannot initialise the MariaDB client library", 0);
  std::chrono::milliseconds wait = s.backoff;
  for (unsigned attempt = 0;; ++attempt) {
    const Stopwatch t0;
    std::unique_ptr<MYSQL, Closer> m(mysql_init(nullptr));
    if (!m) throw DbError(s.url.text() + ": cannot allocate a client connection", 0);
    const unsigned connect_timeout = s.connect_timeout_s, read_timeout = s.read_timeout_s;
    const unsigned protocol = MYSQL_PROTOCOL_TCP;
    const unsigned local_infile = 1;
    mysql_options(m.get(), MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
    mysql_options(m.get(), MYSQL_OPT_READ_TIMEOUT, &read_timeout);
    mysql_options(m.get(), MYSQL_OPT_WRITE_TIMEOUT, &read_timeout);
    mysql_options(m.get(), MYSQL_OPT_PROTOCOL, &protocol);
    mysql_options(m.get(), MYSQL_OPT_LOCAL_INFILE, &local_infile);
    // [client] and [name_matcher] of the default option files (~/.my.cnf...),
    // and of --db-option-file: a user or password not given otherwise.
    if (!s.option_file.empty()) mysql_options(m.get(), MYSQL_READ_DEFAULT_FILE, s.option_file.c_str());
    mysql_options(m.get(), MYSQL_READ_DEFAULT_GROUP, "name_matcher");
    mysql_options(m.get(), MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const char* user = s.url.user.empty() ? nullptr : s.url.user.c_str();
    const char* pw = s.password ? s.password->c_str() : nullptr;
    if (mysql_real_connect(m.get(), s.url.host.c_str(), user, pw, s.url.database.c_str(),
                           s.url.port, nullptr, 0) != nullptr) {
      Connection c;
      c.m_ = std::move(m);
      c.s_ = s;
      c.log_ = qlog;
      if (qlog != nullptr) qlog->add("connect", t0.seconds(), 0);
      // utf8mb4 whatever an option file says (they are read inside
      // mysql_real_connect, after mysql_options).
      if (mysql_set_character_set(c.m_.get(), "utf8mb4") != 0) c.fail("set character set utf8mb4");
      // Strict: a value that does not fit is an error, never a silent cut.
      // Row numbers count 1, 2, 3... whatever the server's default step.
      c.exec("SET SESSION sql_mode = CONCAT(@@sql_mode, ',STRICT_TRANS_TABLES'), "
             "auto_increment_increment = 1, auto_increment_offset = 1",
             "session setup");
      return c;
    }
    DbError e(describe(m.get(), s.url, "connect"), mysql_errno(m.get()));
    if (!e.transient() || attempt >= s.retries) throw e;
    nm::log(LogLevel::kWarn, std::string(e.what()) + "; retrying in " +
                             std::to_string(wait.count()) + " ms");
    std::this_thread::sleep_for(wait);
    wait *= 2;
  }
}

void Connection::fail(const std::string& what) const {
  throw DbError(describe(m_.get(), s_.url, what), mysql_errno(m_.get()));
}

void Connection::exec(const std::string& sql, const std::string& label) {
  const Stopwatch t0;
  if (mysql_real_query(m_.get(), sql.data(), sql.size()) != 0) fail(label);
  // Drain a result set if the statement made one (none of ours do).
  if (MYSQL_RES* r = mysql_store_result(m_.get())) mysql_free_result(r);
  if (log_ != nullptr) log_->add(label, t0.seconds(), 0);
}

void Connection::ping() { exec("SELECT 1 FROM DUAL WHERE 0", "check connection"); }

Statement::Statement(Connection& c, const std::string& sql, std::string label)
    : c_(&c), label_(std::move(label)), st_(mysql_stmt_init(c.get())) {
  if (!st_) c.fail(label_ + ": cannot allocate a statement");
  if (mysql_stmt_prepare(st_.get(), sql.data(), sql.size()) != 0) fail("prepare");
  const size_t n = mysql_stmt_param_count(st_.get());
  params_.assign(n, MYSQL_BIND{});
  lengths_.assign(n, 0);
  nulls_.assign(n, 0);
}

void Statement::fail(const std::string& what) const {
  // A network error while fetching an unbuffered result is recorded on the
  // connection, not on the statement.
  unsigned code = mysql_stmt_errno(st_.get());
  std::string message = mysql_stmt_error(st_.get());
  if (code == 0) {
    code = mysql_errno(c_->get());
    message = mysql_error(c_->get());
  }
  throw DbError(c_->settings().url.text() + ": " + label_ + ": " + what + ": " + message +
                    " (error " + std::to_string(code) + ")" + hint(code, c_->settings().url),
                code);
}

uint64_t Statement::execute(const std::vector<Value>& values) {
  if (values.size() != params_.size())
    throw std::logic_error(label_ + ": " + std::to_string(values.size()) + " values for " +
                           std::to_string(params_.size()) + " placeholders");
  const Stopwatch t0;
  for (size_t i = 0; i < values.size(); ++i) {
    MYSQL_BIND& b = params_[i];
    b = MYSQL_BIND{};
    const Value& v = values[i];
    nulls_[i] = v.kind == Value::kNull;
    b.is_null = &nulls_[i];
    switch (v.kind) {
      case Value::kNull:
        b.buffer_type = MYSQL_TYPE_NULL;
        break;
      case Value::kString:
        b.buffer_type = MYSQL_TYPE_STRING;
        b.buffer = const_cast<char*>(v.s.data());
        lengths_[i] = v.s.size();
        b.buffer_length = v.s.size();
        b.length = &lengths_[i];
        break;
      case Value::kInt:
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = const_cast<int64_t*>(&v.i);
        break;
      case Value::kUInt:
        b.buffer_type = MYSQL_TYPE_LONGLONG;
        b.buffer = const_cast<uint64_t*>(&v.u);
        b.is_unsigned = 1;
        break;
    }
  }
  if (!params_.empty() && mysql_stmt_bind_param(st_.get(), params_.data()) != 0) fail("bind");
  if (mysql_stmt_execute(st_.get()) != 0) fail("execute");
  const my_ulonglong affected = mysql_stmt_affected_rows(st_.get());
  const uint64_t n = affected == static_cast<my_ulonglong>(-1) ? 0 : affected;
  // A SELECT's time is added by its RowStream, which includes the fetching.
  if (c_->log() != nullptr && mysql_stmt_field_count(st_.get()) == 0)
    c_->log()->add(label_, t0.seconds(), n);
  return n;
}

RowStream::RowStream(Statement& st) : st_(st) {
  MYSQL_STMT* s = st.get();
  const unsigned n = mysql_stmt_field_count(s);
  cols_.resize(n);
  binds_.assign(n, MYSQL_BIND{});
  for (unsigned i = 0; i < n; ++i) {
    cols_[i].buf.resize(256);
    MYSQL_BIND& b = binds_[i];
    b.buffer_type = MYSQL_TYPE_STRING;
    b.buffer = cols_[i].buf.data();
    b.buffer_length = cols_[i].buf.size();
    b.length = &cols_[i].length;
    b.is_null = &cols_[i].is_null;
    b.error = &cols_[i].error;
  }
  if (n > 0 && mysql_stmt_bind_result(s, binds_.data()) != 0) st.fail("bind result");
}

RowStream::~RowStream() {
  if (!done_) {
    // Unread rows would have to be drained before the connection could be
    // used again: for an error (an exception on its way) that can mean
    // reading the rest of a huge table, so the connection is cut instead.
    if (std::uncaught_exceptions() > 0) mariadb_cancel(st_.connection().get());
    mysql_stmt_free_result(st_.get());
    mysql_stmt_reset(st_.get());
  }
  if (st_.connection().log() != nullptr)
    st_.connection().log()->add(st_.label(), t0_.seconds(), rows_);
}

bool RowStream::next(std::vector<std::optional<std::string_view>>& row) {
  if (done_) return false;
  MYSQL_STMT* s = st_.get();
  const int rc = mysql_stmt_fetch(s);
  if (rc == MYSQL_NO_DATA) {
    done_ = true;
    return false;
  }
  if (rc == 1) st_.fail("fetch (after " + std::to_string(rows_) + " rows)");
  row.resize(cols_.size());
  for (unsigned i = 0; i < cols_.size(); ++i) {
    Col& c = cols_[i];
    if (c.is_null) {
      row[i] = std::nullopt;
      continue;
    }
    if (c.length > c.buf.size()) {
      // Truncated: fetch the whole value into a bigger buffer, and keep the
      // bigger buffer for the rows after this one.
      c.buf.resize(std::max<size_t>(c.length, c.buf.size() * 2));
      binds_[i].buffer = c.buf.data();
      binds_[i].buffer_length = c.buf.size();
      if (mysql_stmt_fetch_column(s, &binds_[i], i, 0) != 0) st_.fail("fetch column");
      if (mysql_stmt_bind_result(s, binds_.data()) != 0) st_.fail("bind result");
    }
    row[i] = std::string_view(c.buf.data(), c.length);
  }
  ++rows_;
  return true;
}

std::vector<std::vector<std::optional<std::string>>> query_all(Connection& c,
                                                               const std::string& sql,
                                                               const std::vector<Value>& values,
                                                               const std::string& label) {
  Statement st(c, sql, label);
  st.execute(values);
  RowStream rows(st);
  std::vector<std::vector<std::optional<std::string>>> out;
  std::vector<std::optional<std::string_view>> row;
  while (rows.next(row)) {
    auto& r = out.emplace_back();
    for (const auto& v : row) r.push_back(v ? std::optional<std::string>(std::string(*v)) : std::nullopt);
  }
  return out;
}

namespace {
std::string pool_key(const ConnectSettings& s) { return s.url.server() + "/" + s.url.database; }
}  // namespace

void Pool::warm(const ConnectSettings& s, size_t n) {
  auto& idle = idle_[pool_key(s)];
  for (auto& c : idle) c.ping();
  while (idle.size() < n) {
    idle.push_back(Connection::open(s, log_));
    idle.back().ping();
  }
}

Connection Pool::take(const ConnectSettings& s) {
  auto& idle = idle_[pool_key(s)];
  if (idle.empty()) {
    return Connection::open(s, log_);
  }
  Connection c = std::move(idle.back());
  idle.pop_back();
  // An idle connection may have been closed by the server (wait_timeout)
  // while the run worked: check it, and open a new one if it is gone.
  try {
    c.ping();
  } catch (const DbError& e) {
    if (!e.transient()) throw;
    nm::log(LogLevel::kInfo, s.url.text() + ": reconnecting (the idle connection was closed)");
    c = Connection::open(s, log_);
  }
  return c;
}

void Pool::give_back(Connection c) {
  if (!c.valid()) return;
  idle_[pool_key(c.settings())].push_back(std::move(c));
}

}  // namespace nm::db
