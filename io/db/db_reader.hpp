// Reads a person table from MariaDB/MySQL into a RawTable, like a CSV file:
// columns found through INFORMATION_SCHEMA and mapped by name (--map), rows
// streamed (the client holds one row at a time), bad rows rejected with the
// same rules as CSV rows.
//
// Row order (it decides the output's order) is the table's key order: its
// single-column primary key, or --db-key. Under MPI each rank reads its own
// range of an integer key ([min, max] cut into equal parts); a table without
// an integer key is read by rank 0 alone. A dropped connection is reopened
// with backoff and the read continues after the last key seen.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/db/connection.hpp"
#include "io/table_loader.hpp"

namespace nm::db {

struct TableInfo {
  struct Column {
    std::string name, data_type, column_type;  // e.g. "bigint", "bigint(20) unsigned"
  };
  std::vector<Column> columns;  // in table order
  int key = -1;                 // index of the ordering key column; -1: none
  bool key_integer = false;
  bool key_unsigned = false;
  const Column* find(std::string_view name) const;  // case-insensitive
};

// Columns and key of url's table. `key_column`: --db-key (else the primary
// key if it has one column). Throws DbError/InputError for a missing table
// or key column.
TableInfo describe_table(Connection& c, const DbUrl& url, const std::string& key_column);

struct DbReadOptions {
  int rank = 0, nranks = 1;
  std::string key_column;  // --db-key
};

struct DbReadStats {
  uint64_t reconnects = 0;
  double seconds = 0;
  std::string key;         // the key column used ("" when none)
  std::string range;       // this rank's key range, for the summary
};

// Reads this rank's rows of the table `info` describes (describe_table with
// ro.key_column). `conn` may be replaced by a new connection after a drop.
// Rejected rows go to options.rejects with the source URL as file and the
// row's integer key (or its position in this rank's read) as line.
RawTable load_db_table(Connection& conn, const DbUrl& url, const TableInfo& info,
                       const io::LoadOptions& options, const DbReadOptions& ro,
                       io::LoadStats* stats, DbReadStats* dstats);

}  // namespace nm::db
