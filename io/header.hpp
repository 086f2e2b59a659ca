// Finding the contract's fields in a CSV header row: the one rule every reader
// of a person table follows (run's table loader, plan).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace nm::io {

// Whether `field` is a contract field a column can be mapped to (--map FIELD=COLUMN).
bool is_field_name(std::string_view field);

// The index of the column called `name` in `header`, or -1 when there is none.
// A column read by name must be named once: with two, which one is meant is
// not guessed, and InputError names both ("<source>: header: columns 3 and 4
// are both called 'first_name'"). `field` is the contract field read from it
// (it differs from `name` with --map).
int find_column(const std::string& source, const std::vector<std::string_view>& header,
                std::string_view name, std::string_view field);

// find_column for a field the reader cannot do without: InputError naming the
// header when there is no such column.
size_t required_column(const std::string& source, const std::vector<std::string_view>& header,
                       std::string_view name, std::string_view field);

// The column of an extra column asked for by name (LoadOptions::extra_columns):
// InputError naming the source and listing its columns when there is none
// ("<source>: header: no column 'postcod' (columns: rec_id, given_name, ...)"),
// or when two columns have that name. It may be a contract field's column too.
size_t extra_column(const std::string& source, const std::vector<std::string_view>& header,
                    std::string_view name);

// The message for a missing extra column, shared with the database reader
// (`where`: "header" or "table").
std::string no_extra_column(const std::string& source, std::string_view where,
                            std::string_view name, const std::vector<std::string_view>& columns);

}  // namespace nm::io
