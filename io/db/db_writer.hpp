// Writes a finished result CSV (the contract's columns for the algorithm)
// into a database table, all or nothing.
//
// fail/replace: the rows go into a new staging table in one transaction,
// which then takes the target's name in one atomic RENAME (replace: the old
// table is renamed away in the same statement and dropped after). append:
// one transaction on the existing table. A failed or killed run leaves the
// target as it was (a killed run may leave an `nm_partial_*` staging table,
// never a half-filled target).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/db/connection.hpp"

namespace nm::db {

enum class IfExists { kFail, kReplace, kAppend };
IfExists parse_if_exists(const std::string& s);  // throws InputError

enum class WriteMethod { kLoadData, kInsert };
WriteMethod parse_write_method(const std::string& s);  // throws InputError
const char* method_name(WriteMethod m);

struct TableWriteOptions {
  IfExists if_exists = IfExists::kFail;
  WriteMethod method = WriteMethod::kLoadData;
  uint64_t batch_rows = 1000;  // rows per INSERT statement (kInsert)
};

struct TableWriteResult {
  uint64_t rows = 0;
  double seconds = 0;
};

// The output table's columns for an algorithm: the CSV header's names, with
// SQL types (row_no first: the row's place in the canonical order).
std::vector<std::pair<std::string, std::string>> result_columns(int algorithm);

// Checked before the work starts, so a run cannot fail at its end for an
// option: the target must not exist under kFail; under kAppend an existing
// table must have the result's columns.
// With kLoadData the server must allow LOAD DATA LOCAL INFILE; under kAppend
// the table must be InnoDB (all or nothing needs transactions).
void check_output_table(Connection& c, const DbUrl& url, int algorithm, IfExists if_exists,
                        WriteMethod method);

// Loads csv_path (a result CSV of `algorithm`, `expected_rows` rows) into
// url's table; a different row count fails before the commit.
TableWriteResult write_results_table(Connection& c, const std::string& csv_path, int algorithm,
                                     const DbUrl& url, const TableWriteOptions& o,
                                     uint64_t expected_rows);

// The same two for a result CSV of another layout (the probabilistic mode's
// pairs): `columns` are its header's names with SQL types, in order; the
// table has row_no first, as above. `what` names the results in messages
// ("the probabilistic pairs").
using ResultColumns = std::vector<std::pair<std::string, std::string>>;
void check_output_table(Connection& c, const DbUrl& url, const ResultColumns& columns,
                        const std::string& what, IfExists if_exists, WriteMethod method);
TableWriteResult write_results_table(Connection& c, const std::string& csv_path,
                                     const ResultColumns& columns, const DbUrl& url,
                                     const TableWriteOptions& o, uint64_t expected_rows);

// Creates `table` (fail/replace as above) and fills it from a CSV file whose
// header names the columns, by LOAD DATA LOCAL INFILE in one transaction.
// `columns`: name and SQL type of each CSV column, in order; `key` (may be
// empty) is an extra AUTO_INCREMENT primary key numbering the rows from 1 in
// file order. Empty fields of DATE columns become NULL. Used by `seed`.
uint64_t load_csv_as_table(Connection& c, const std::string& csv_path, const DbUrl& url,
                           const std::vector<std::pair<std::string, std::string>>& columns,
                           const std::string& key, IfExists if_exists, uint64_t expected_rows);

}  // namespace nm::db
