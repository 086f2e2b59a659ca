// Converts a finished result CSV (matching.md section 5) into an xlsx workbook
// for people who open results in a spreadsheet: the result rows on one or more
// sheets, then a "Summary" sheet with the run's figures.
//
// Example:
//   nm::io::WorkbookSummary s{.algorithm = 3, .left_source = "A.csv", .right_source = "B.csv"};
//   ... fill in rows, units and times ...
//   auto r = nm::io::write_xlsx_workbook("matches.csv", "matches.xlsx", s);
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/safe_output.hpp"

namespace nm::io {

// What the Summary sheet shows besides what is counted from the CSV.
struct WorkbookSummary {
  int algorithm = 0;                      // 1..6
  std::string mode;                       // shown as the Algorithm instead (e.g. "prob"); empty: algorithm
  std::string left_source, right_source;  // file paths or mysql:// URLs (right empty for --dedupe)
  uint64_t left_rows = 0, right_rows = 0, rejected_rows = 0;
  // The units the unmatched counts are about: "records" for algorithms 1-4,
  // "households" for 5-6 (then left_units/right_units are household counts).
  std::string unit_name = "records";
  uint64_t left_units = 0, right_units = 0;
  double load_s = 0, score_s = 0, write_s = 0, total_s = 0;
  std::string finished_at;  // e.g. 2026-11-24T10:00:00Z
};

struct WorkbookResult {
  uint64_t rows = 0;  // data rows written (all result sheets)
  uint32_t result_sheets = 0;
  uint64_t matched_left = 0, matched_right = 0;  // distinct table-1 / table-2 keys in the output
  uint64_t bytes = 0;                            // size of the xlsx file
};

// What the result sheets hold: the CSV's exact first line, and which of its
// columns are written as numbers and counted as the matched keys.
struct ResultSheetLayout {
  std::string header;                       // the CSV's first line, exactly
  std::string described;                    // for messages: "the algorithm 3 header"
  std::string sheet;                        // "Matches", "Households", "Pairs"
  std::vector<std::string> number_columns;  // written as numbers in number_format
  std::string number_format = "General";
  std::string left_key, right_key;          // their distinct non-empty values are the matched units
};
// The contract's result layout of algorithm 1..6 (see write_xlsx_workbook).
ResultSheetLayout result_sheet_layout(int algorithm);

// Excel's last row is 1,048,576: a sheet holds the header and this many data rows.
inline constexpr uint64_t kXlsxMaxDataRows = 1048575;

// Reads a finished result CSV of `summary.algorithm` (the contract's header and
// format) and writes the workbook:
// - result sheets "Matches" (A1-A4) or "Households" (A5/A6), continued in
//   "Matches (2)", "Matches (3)", ... after `max_rows_per_sheet` data rows
//   (1..kXlsxMaxDataRows; lower only in tests). Each has a bold, frozen header
//   row with an autofilter, every second data row filled light blue, and
//   column widths by column. Confidence / match_percentage are numbers, every
//   other field the CSV's text unchanged (ids keep leading zeros; an empty
//   field is an empty cell).
// - a "Summary" sheet: algorithm, sources, row counts, rejected rows, result
//   rows and sheets, per side the units, matched (distinct non-empty
//   Table1_ID / Table2_ID for A1-A4, uuid / hh_id for A5/A6), unmatched
//   (units - matched, at least 0) and unmatched rate (unmatched / units, 0 when
//   units is 0), the times and finished_at.
// Memory does not grow with the rows (libxlsxwriter's constant_memory mode;
// its temporary files go to a private folder beside the xlsx file), except
// for the sets of distinct keys. Writes the workbook in that private folder
// (io/safe_output.hpp) and renames it to xlsx_path once complete — or, with a
// group, hands it to the group, which renames it at its commit; on any
// failure the partial file is removed, an existing xlsx_path is left as it
// was, and nm::InputError is thrown naming the file (and CSV line)
// concerned. A bad max_rows_per_sheet throws std::invalid_argument.
// A text field as a cell holds it, for Excel to show the same text: a NUL, U+FFFE and U+FFFF
// (which no xlsx file can hold: they cut the C string or make the sheet invalid XML) become
// U+FFFD; a literal _xHHHH_ (which Excel would read as an escaped character) gets its '_'
// escaped as _x005F_. Other control characters are escaped by libxlsxwriter (_x0001_) and shown
// by Excel as the character. Valid UTF-8 in (the CSV reader checked it).
std::string xlsx_cell_text(std::string_view field);

WorkbookResult write_xlsx_workbook(const std::string& csv_path, const std::string& xlsx_path,
                                   const WorkbookSummary& summary,
                                   uint64_t max_rows_per_sheet = kXlsxMaxDataRows,
                                   CommitGroup* group = nullptr);

// The same for a result CSV of another layout (the probabilistic mode's
// pairs): its header must be layout.header; summary.mode names the mode.
WorkbookResult write_xlsx_workbook(const std::string& csv_path, const std::string& xlsx_path,
                                   const WorkbookSummary& summary, const ResultSheetLayout& layout,
                                   uint64_t max_rows_per_sheet = kXlsxMaxDataRows,
                                   CommitGroup* group = nullptr);

}  // namespace nm::io
