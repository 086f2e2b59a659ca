#include "io/db/db_reader.hpp"

#include <algorithm>
#include <charconv>

#include "io/csv_reader.hpp"
#include "io/csv_writer.hpp"
#include "io/header.hpp"
#include "src/log.hpp"
#include "src/stopwatch.hpp"
#include "src/text/dates.hpp"

namespace nm::db {

namespace {

using Int = __int128;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

Int parse_int(std::string_view s, const std::string& what) {
  bool neg = !s.empty() && s.front() == '-';
  if (neg) s.remove_prefix(1);
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty())
    throw InputError(what + ": not an integer key value '" + std::string(s) + "'");
  return neg ? -static_cast<Int>(v) : static_cast<Int>(v);
}

std::string int_text(Int v) {
  if (v == 0) return "0";
  const bool neg = v < 0;
  unsigned __int128 u = neg ? static_cast<unsigned __int128>(-v) : static_cast<unsigned __int128>(v);
  std::string s;
  while (u > 0) {
    s += static_cast<char>('0' + static_cast<int>(u % 10));
    u /= 10;
  }
  if (neg) s += '-';
  std::reverse(s.begin(), s.end());
  return s;
}

Value key_value(const TableInfo& t, Int v) {
  return t.key_unsigned ? Value::uint64(static_cast<uint64_t>(v)) : Value::int64(static_cast<int64_t>(v));
}

bool is_date_type(std::string_view t) {
  return t == "date" || t == "datetime" || t == "timestamp";
}

}  // namespace

const TableInfo::Column* TableInfo::find(std::string_view name) const {
  for (const auto& c : columns)
    if (iequals(c.name, name)) return &c;
  return nullptr;
}

TableInfo describe_table(Connection& c, const DbUrl& url, const std::string& key_column) {
  const auto cols = query_all(
      c,
      "SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE FROM INFORMATION_SCHEMA.COLUMNS "
      "WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
      {Value::str(url.database), Value::str(url.table)}, "read columns");
  if (cols.empty())
    throw InputError(url.text() + ": table '" + url.table + "' not found in database '" +
                     url.database + "' (or user '" + url.user + "' may not read it)");
  TableInfo t;
  for (const auto& r : cols) t.columns.push_back({r[0].value_or(""), r[1].value_or(""), r[2].value_or("")});
  std::string key = key_column;
  if (key.empty()) {
    const auto pk = query_all(
        c,
        "SELECT COLUMN_NAME FROM INFORMATION_SCHEMA.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND "
        "TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION",
        {Value::str(url.database), Value::str(url.table)}, "read primary key");
    if (pk.size() == 1) key = pk[0][0].value_or("");
  } else {
    check_identifier(key_column, "--db-key");
    // The read resumes after the last key it had: the key must be unique,
    // or rows sharing the last key would be lost.
    const auto unique = query_all(
        c,
        "SELECT INDEX_NAME FROM INFORMATION_SCHEMA.STATISTICS WHERE TABLE_SCHEMA = ? AND "
        "TABLE_NAME = ? AND NON_UNIQUE = 0 GROUP BY INDEX_NAME HAVING COUNT(*) = 1 AND "
        "MAX(COLUMN_NAME) = ?",
        {Value::str(url.database), Value::str(url.table), Value::str(key_column)},
        "read unique keys");
    if (unique.empty())
      throw InputError(url.text() + ": --db-key " + key_column +
                       ": the column needs a unique index of its own (PRIMARY KEY or UNIQUE), "
                       "so the rows' order is fixed and a resumed read loses none");
  }
  if (!key.empty()) {
    const TableInfo::Column* k = t.find(key);
    if (k == nullptr) throw InputError(url.text() + ": --db-key column '" + key + "' not found");
    t.key = static_cast<int>(k - t.columns.data());
    static const char* kInts[] = {"tinyint", "smallint", "mediumint", "int", "bigint"};
    for (const char* i : kInts) t.key_integer = t.key_integer || k->data_type == i;
    t.key_unsigned = t.key_integer && k->column_type.find("unsigned") != std::string::npos;
  }
  return t;
}

namespace {

// The columns read, in SELECT order: the key (if any), then each contract
// field's column (col[f]; -1: the field has no column, optional fields only),
// then the extra columns (extra_col, in LoadOptions::extra_columns order).
struct ReadColumns {
  std::vector<std::string> select;
  std::array<int, kTextFieldCount + 1> col;
  std::vector<size_t> extra_col;
  bool date_typed = false;
  std::string cols_sql, from, key_q;  // SQL text: the column list, " FROM db.table", the key
};

ReadColumns select_columns(const DbUrl& url, const TableInfo& info, const io::LoadOptions& options) {
  ReadColumns rc;
  std::vector<std::string>& select = rc.select;
  std::array<int, kTextFieldCount + 1>& col = rc.col;
  bool& date_typed = rc.date_typed;
  col.fill(-1);
  if (info.key >= 0) select.push_back(info.columns[static_cast<size_t>(info.key)].name);
  for (size_t f = 0; f <= kTextFieldCount; ++f) {
    const std::string field = f < kTextFieldCount ? std::string(kFieldNames[f]) : "birthdate";
    const std::string name = io::column_name(options, field);
    const TableInfo::Column* c = info.find(name);
    if (c == nullptr) {
      if (!io::field_required(f)) continue;
      std::string have;
      for (const auto& h : info.columns) have += (have.empty() ? "" : ", ") + h.name;
      throw InputError(url.text() + ": required column '" + name + "'" +
                       (name != field ? " (for " + field + ")" : "") +
                       " not found; the table has: " + have);
    }
    if (f == kTextFieldCount) date_typed = is_date_type(c->data_type);
    col[f] = static_cast<int>(select.size());
    select.push_back(c->name);
  }
  for (const std::string& name : options.extra_columns) {
    const TableInfo::Column* c = info.find(name);
    if (c == nullptr) {
      std::vector<std::string_view> have;
      for (const auto& h : info.columns) have.push_back(h.name);
      throw InputError(io::no_extra_column(url.text(), "table", name, have));
    }
    // The table's spelling: quoted below like every other column.
    rc.extra_col.push_back(select.size());
    select.push_back(c->name);
  }
  std::string& cols_sql = rc.cols_sql;
  for (const auto& s : select) cols_sql += (cols_sql.empty() ? "" : ", ") + quote_identifier(s);
  rc.from = " FROM " + quote_identifier(url.database) + "." + quote_identifier(url.table);
  rc.key_q = info.key >= 0 ? quote_identifier(info.columns[static_cast<size_t>(info.key)].name) : "";
  return rc;
}

// This rank's part of the table: a range of an integer key, or everything on rank 0.
struct KeyRange {
  bool read_any = false;
  bool ranged = false;
  Int lo = 0, hi = 0;  // [lo, hi) for ranks before the last, [lo, hi] for the last
};

KeyRange rank_range(Connection& conn, const DbUrl& url, const TableInfo& info,
                    const DbReadOptions& ro, const std::string& key_q, const std::string& from) {
  KeyRange r;
  bool& read_any = r.read_any;
  bool& ranged = r.ranged;
  Int& lo = r.lo;
  Int& hi = r.hi;
  read_any = ro.rank == 0;
  if (ro.nranks > 1 && info.key_integer) {
    const auto mm = query_all(conn,
                              "SELECT MIN(" + key_q + "), MAX(" + key_q + "), SUM(" + key_q +
                                  " IS NULL)" + from,
                              {}, "read key range");
    // Ranges of keys cannot hold a NULL key (a UNIQUE column may have some).
    if (mm[0][2] && *mm[0][2] != "0")
      throw InputError(url.text() + ": " + *mm[0][2] + " rows have a NULL key (" + key_q +
                       "): they cannot be read by key ranges; give them keys or use another --db-key");
    read_any = mm[0][0].has_value();
    if (read_any) {
      const Int kmin = parse_int(*mm[0][0], url.text()), kmax = parse_int(*mm[0][1], url.text());
      const Int span = kmax - kmin + 1;
      lo = kmin + span * ro.rank / ro.nranks;
      hi = ro.rank + 1 == ro.nranks ? kmax : kmin + span * (ro.rank + 1) / ro.nranks;
      ranged = true;
      read_any = ro.rank + 1 == ro.nranks || lo < hi;
    }
  } else if (ro.nranks > 1 && ro.rank == 0) {
    nm::log(LogLevel::kWarn,
              url.text() + ": no integer key (" +
                  (info.key < 0 ? std::string("no single-column primary key; use --db-key")
                                : "key '" + info.columns[static_cast<size_t>(info.key)].name + "' is not an integer") +
                  "): rank 0 reads the whole table");
  }
  return r;
}

// Checks one fetched row (UTF-8, then io::check_row) and appends it to the
// table, or hands it to reject(column, reason).
template <class Reject>
void take_row(const std::vector<std::optional<std::string_view>>& row, const ReadColumns& rc,
              const io::LoadOptions& options, const DateFormat& iso, uint64_t line,
              RawTable& table, io::LoadStats* stats, Reject&& reject) {
  const auto& col = rc.col;
  const bool date_typed = rc.date_typed;
  std::array<std::string_view, kTextFieldCount> values;
  std::string why, bad_column;
  // Cell i as text (NULL or no column: empty), trimmed with --trim-fields.
  auto cell = [&](int i) {
    std::string_view v = i >= 0 && row[static_cast<size_t>(i)] ? *row[static_cast<size_t>(i)] : std::string_view{};
    if (options.trim_fields) {
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    }
    return v;
  };
  auto bad_utf8 = [](std::string_view v) {
    const size_t badpos = io::find_invalid_utf8(v);
    return badpos == std::string_view::npos ? std::string()
                                            : "invalid UTF-8 at byte " + std::to_string(badpos + 1);
  };
  for (size_t f = 0; f < kTextFieldCount; ++f) {
    values[f] = cell(col[f]);
    if (why = bad_utf8(values[f]); !why.empty()) {
      reject(io::column_name(options, kFieldNames[f]), why);
      return;
    }
  }
  std::vector<std::string_view> extras(rc.extra_col.size());
  for (size_t k = 0; k < extras.size(); ++k) {
    extras[k] = cell(static_cast<int>(rc.extra_col[k]));
    if (why = bad_utf8(extras[k]); !why.empty()) {
      reject(options.extra_columns[k], why);
      return;
    }
  }
  const auto& dcell = row[static_cast<size_t>(col[kTextFieldCount])];
  std::string_view date = dcell ? *dcell : std::string_view{};
  int32_t bd = kNoDate;
  bool ok;
  if (date_typed && !date.empty()) {
    // DATE/DATETIME/TIMESTAMP arrive as YYYY-MM-DD[ hh:mm:ss]; MariaDB
    // keeps "zero" dates (0000-00-00, 2020-00-10) that are no dates.
    date = date.substr(0, 10);
    ok = io::check_row(values, {}, options, bd, bad_column, why);
    if (ok) {
      auto d = iso.parse(date, why);
      if (!d) {
        ok = io::accept_bad_date(options, bad_column, stats);
        if (date.starts_with("0000-") || date.substr(4).find("-00") != std::string_view::npos)
          why = "zero date " + std::string(date) + " is not a date";
      } else {
        bd = *d;
      }
    }
  } else {
    ok = io::check_row(values, date, options, bd, bad_column, why, stats);
  }
  if (!ok) {
    reject(bad_column, why);
    return;
  }
  table.push(values, bd, line);
  for (const std::string_view v : extras) table.push_extra(v);
}

}  // namespace

RawTable load_db_table(Connection& conn, const DbUrl& url, const TableInfo& info,
                       const io::LoadOptions& options, const DbReadOptions& ro,
                       io::LoadStats* stats, DbReadStats* dstats) {
  const Stopwatch t_start;
  io::check_column_map(options);

  const ReadColumns rc = select_columns(url, info, options);
  const std::string& key_q = rc.key_q;

  const KeyRange range = rank_range(conn, url, info, ro, key_q, rc.from);
  const bool read_any = range.read_any, ranged = range.ranged;
  const Int lo = range.lo, hi = range.hi;
  const bool last_rank = ro.rank + 1 == ro.nranks;
  if (dstats != nullptr) {
    dstats->key = info.key >= 0 ? info.columns[static_cast<size_t>(info.key)].name : "";
    if (!read_any) {
      dstats->range = "none";
    } else if (!ranged) {
      dstats->range = "all";
    } else {
      std::string r = "[";  // (built step by step: GCC 12 warns on "[" + string)
      r.append(int_text(lo)).append(", ").append(int_text(hi)).append(last_rank ? "]" : ")");
      dstats->range = r;
    }
  }

  RawTable table;
  table.source = url.text();
  table.extra_names = options.extra_columns;
  io::LoadStats local;
  if (!read_any) {
    if (stats != nullptr) *stats = local;
    return table;
  }

  std::string raw;
  std::optional<std::string> last_key;  // the last key read (resume point)
  uint64_t reconnects = 0;
  const DateFormat iso("%Y-%m-%d");
  std::vector<std::optional<std::string_view>> row;
  for (;;) {
    // The query: this rank's range, after the last key already read.
    std::string where;
    std::vector<Value> params;
    if (ranged) {
      where = " WHERE " + key_q + (last_key ? " > ?" : " >= ?") + " AND " + key_q + (last_rank ? " <= ?" : " < ?");
      params.push_back(last_key ? key_value(info, parse_int(*last_key, url.text())) : key_value(info, lo));
      params.push_back(key_value(info, hi));
    } else if (last_key) {
      where = " WHERE " + key_q + " > ?";
      params.push_back(info.key_integer ? key_value(info, parse_int(*last_key, url.text()))
                                        : Value::str(*last_key));
    }
    std::string order = key_q;
    if (info.key < 0)
      for (const auto& s : rc.select) order += (order.empty() ? "" : ", ") + quote_identifier(s);
    try {
      Statement st(conn, "SELECT " + rc.cols_sql + rc.from + where + " ORDER BY " + order, "read rows");
      st.execute(params);
      RowStream rs(st);
      while (rs.next(row)) {
        ++local.rows_read;
        if (options.progress && (local.rows_read & 0xFFFF) == 0) options.progress(local.rows_read);
        if (info.key >= 0) {
          if (!row[0]) throw InputError(url.text() + ": NULL in the key column");
          last_key = std::string(*row[0]);
        }
        // The row as CSV, for the rejects file.
        auto raw_row = [&] {
          raw.clear();
          for (size_t i = 0; i < row.size(); ++i) {
            if (i > 0) raw += ',';
            if (row[i]) io::append_csv_field(raw, *row[i]);
          }
          return std::string_view(raw);
        };
        // A row is named by its integer key (any sign), else by its
        // position in this read.
        const std::string where_text =
            info.key_integer && last_key ? *last_key : std::to_string(local.rows_read);
        uint64_t line = local.rows_read;
        if (info.key_integer && last_key && !last_key->starts_with("-"))
          line = static_cast<uint64_t>(parse_int(*last_key, url.text()));
        auto reject = [&](const std::string& field, const std::string& reason) {
          if (!options.skip_bad_rows) throw BadRowError(url.text(), where_text, field, reason);
          options.rejects->add(url.text(), std::string_view(where_text), field, reason, raw_row());
          ++local.rows_rejected;
        };
        take_row(row, rc, options, iso, line, table, &local, reject);
      }
      break;
    } catch (const DbError& e) {
      if (!e.transient()) throw;
      if (info.key < 0)
        throw DbError(std::string(e.what()) + " — the table has no key to resume the read from "
                      "(give it a primary key or use --db-key)", e.code());
      if (reconnects >= conn.settings().retries)
        throw DbError(std::string(e.what()) + " — gave up after " + std::to_string(reconnects) +
                      " reconnects", e.code());
      ++reconnects;
      nm::log(LogLevel::kWarn, std::string(e.what()) + "; reconnecting and reading on after key " +
                                     last_key.value_or("(start)"));
      try {
        conn = Connection::open(conn.settings(), conn.log());
      } catch (const DbError& e2) {
        throw DbError(url.text() + ": the connection was lost after " + std::to_string(local.rows_read) +
                      " rows (" + e.what() + ") and could not be reopened: " + e2.what(), e2.code());
      }
    }
  }
  if (options.progress) options.progress(local.rows_read);
  local.duplicate_ids = io::count_duplicate_ids(table);
  if (stats != nullptr) *stats = local;
  if (dstats != nullptr) {
    dstats->reconnects = reconnects;
    dstats->seconds = t_start.seconds();
  }
  return table;
}

}  // namespace nm::db
