#include "io/header.hpp"

#include <algorithm>

#include "src/errors.hpp"
#include "src/match/table.hpp"

namespace nm::io {

bool is_field_name(std::string_view field) {
  return field == "birthdate" ||
         std::find(kFieldNames.begin(), kFieldNames.end(), field) != kFieldNames.end();
}

int find_column(const std::string& source, const std::vector<std::string_view>& header,
                std::string_view name, std::string_view field) {
  int found = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] != name) continue;
    if (found >= 0) {
      const std::string n(name), f(field);
      throw InputError(source + ": header: columns " + std::to_string(found + 1) + " and " +
                       std::to_string(i + 1) + " are both called '" + n + "'" +
                       (n == f ? "" : " (--map " + f + "=" + n + ")") +
                       ": rename one, or read " + f + " from another column with --map " + f +
                       "=COLUMN");
    }
    found = static_cast<int>(i);
  }
  return found;
}

size_t required_column(const std::string& source, const std::vector<std::string_view>& header,
                       std::string_view name, std::string_view field) {
  const int col = find_column(source, header, name, field);
  if (col >= 0) return static_cast<size_t>(col);
  std::string have;
  for (const std::string_view h : header) {
    if (!have.empty()) have += ", ";
    have += h;
  }
  const std::string n(name), f(field);
  throw InputError(source + ": required column '" + n + "'" + (n != f ? " (for " + f + ")" : "") +
                   " not found; the header has: " + have);
}

std::string no_extra_column(const std::string& source, std::string_view where,
                            std::string_view name, const std::vector<std::string_view>& columns) {
  std::string have;
  for (const std::string_view c : columns) {
    if (!have.empty()) have += ", ";
    have += c;
  }
  return source + ": " + std::string(where) + ": no column '" + std::string(name) +
         "' (columns: " + have + ")";
}

size_t extra_column(const std::string& source, const std::vector<std::string_view>& header,
                    std::string_view name) {
  int found = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] != name) continue;
    // Which of two is meant is not guessed (and --map, which find_column
    // suggests, does not apply to an extra column).
    if (found >= 0)
      throw InputError(source + ": header: columns " + std::to_string(found + 1) + " and " +
                       std::to_string(i + 1) + " are both called '" + std::string(name) +
                       "': rename one");
    found = static_cast<int>(i);
  }
  if (found < 0) throw InputError(no_extra_column(source, "header", name, header));
  return static_cast<size_t>(found);
}

}  // namespace nm::io
