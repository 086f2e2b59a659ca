// Database table addresses: mysql://USER@HOST:PORT/DB/TABLE, and the rules for
// the identifiers in them. A URL never carries a password (ps would show it).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace nm::db {

struct DbUrl {
  std::string user;      // empty: from the MySQL option file
  std::string host;      // name, IPv4, or IPv6 without brackets
  uint16_t port = 3306;
  std::string database;
  std::string table;     // empty when the URL names a database only (seed)

  // For messages, logs and the summary: mysql://user@host:port/db/table.
  std::string text() const;
  // The server part only (user@host:port), the key of a connection.
  std::string server() const;
};

// True for "mysql://..." and "mariadb://...".
bool is_db_url(std::string_view s);

// Parses a URL. `want_table`: the path must be /DB/TABLE (else /DB). Names
// are percent-decoded and then checked with check_identifier. Throws
// InputError naming the URL and what is wrong (a password in it, a bad port,
// a bad name...).
DbUrl parse_db_url(std::string_view s, bool want_table);

// A database, table or column name given by the user: 1..64 characters of
// [A-Za-z0-9_$], not only digits. Anything else (quotes, spaces, `;`, `--`)
// is refused: such names are not needed and are how injection starts.
// Throws InputError("<what> 'name': ...").
void check_identifier(std::string_view name, std::string_view what);

// `name` quoted for SQL: backticks, any backtick doubled (names read from the
// server's own catalogue may hold any character).
std::string quote_identifier(std::string_view name);

}  // namespace nm::db
