#include "io/xlsx_writer.hpp"

#include <absl/container/flat_hash_set.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

#include "io/csv_reader.hpp"
#include "io/match_writer.hpp"
#include "src/errors.hpp"
#include "src/match/algorithm.hpp"

namespace nm::io {
namespace {

namespace fs = std::filesystem;

// The workbook owns its worksheets and formats; freeing it frees them and
// closes its temporary files without writing anything. The success path
// releases it to workbook_close, which writes the file and frees it.
struct FreeWorkbook {
  void operator()(lxw_workbook* book) const { lxw_workbook_free(book); }
};
using WorkbookPtr = std::unique_ptr<lxw_workbook, FreeWorkbook>;

constexpr lxw_color_t kStripeColor = 0xDDEBF7;  // light blue
// ZIP64 lifts the zip format's 4 GiB limits (of the archive and of each member)
// but Excel is picky about it, so it is used only when a limit could be
// reached. A full sheet's XML is about 0.9 GiB plus 5-6 times the bytes of
// its CSV rows, and the xlsx about 0.7 times the CSV: below 512 MiB of CSV
// neither reaches 4 GiB.
constexpr uint64_t kZip64FromCsvBytes = uint64_t{512} << 20;

std::string line_of(const CsvReader& reader, const CsvRecord& rec) {
  return reader.path() + ":" + std::to_string(rec.line);
}

void check(lxw_error err, const std::string& where) {
  if (err != LXW_NO_ERROR) throw InputError(where + ": " + lxw_strerror(err));
}

double column_width(std::string_view name) {
  double content = 12;
  if (name.ends_with("UUID") || name == "uuid") content = 38;
  if (name.ends_with("Name")) content = 18;
  if (name == "MatchedFields") content = 40;
  return std::max(content, static_cast<double>(name.size()) + 3);  // + the filter button
}

size_t column_index(const std::vector<std::string>& names, std::string_view name) {
  return static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

// Adds a non-empty key to the set, copying it only when it is new.
void add_key(absl::flat_hash_set<std::string>& keys, std::string_view key) {
  const absl::string_view k(key.data(), key.size());  // absl's own type on Debian
  if (!k.empty() && !keys.contains(k)) keys.emplace(key);
}

class Workbook {
 public:
  Workbook(const std::string& partial_path, const std::string& xlsx_path, bool zip64)
      : xlsx_path_(xlsx_path) {
    // libxlsxwriter's own temporary files go beside the partial workbook
    // (a private folder: io/safe_output.hpp).
    tmpdir_ = fs::path(partial_path).parent_path().string();
    lxw_workbook_options options{};
    options.constant_memory = LXW_TRUE;
    options.tmpdir = tmpdir_.data();
    options.use_zip64 = zip64 ? LXW_TRUE : LXW_FALSE;
    book_.reset(workbook_new_opt(partial_path.c_str(), &options));
    if (!book_) throw InputError(xlsx_path + ": cannot create the workbook (out of memory)");
  }

  lxw_format* format() {
    lxw_format* f = workbook_add_format(book_.get());
    if (!f) throw InputError(xlsx_path_ + ": cannot add a cell format (out of memory)");
    return f;
  }

  lxw_worksheet* sheet(const std::string& name) {
    lxw_worksheet* ws = workbook_add_worksheet(book_.get(), name.c_str());
    if (!ws)
      throw InputError(xlsx_path_ + ": cannot add the sheet \"" + name +
                       "\" (its temporary file goes to " + tmpdir_ + ")");
    return ws;
  }

  // Writes the file: the workbook is gone afterwards, whatever the outcome.
  void close() {
    errno = 0;
    const lxw_error err = workbook_close(book_.release());
    const int e = errno;
    if (err != LXW_NO_ERROR)
      throw InputError(xlsx_path_ + ": " + lxw_strerror(err) +
                       (e != 0 ? std::string(": ") + std::strerror(e) : std::string()));
  }

 private:
  std::string xlsx_path_, tmpdir_;
  WorkbookPtr book_;
};

}  // namespace

std::string xlsx_cell_text(std::string_view field) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    if (c == '\0') {
      out += kReplacement;
    } else if (c == '\xEF' && i + 2 < field.size() && field[i + 1] == '\xBF' &&
               (field[i + 2] == '\xBE' || field[i + 2] == '\xBF')) {  // U+FFFE, U+FFFF
      out += kReplacement;
      i += 2;
    } else if (c == '_' && i + 6 < field.size() && field[i + 1] == 'x' && hex(field[i + 2]) &&
               hex(field[i + 3]) && hex(field[i + 4]) && hex(field[i + 5]) && field[i + 6] == '_') {
      out += "_x005F_";  // the '_' itself, escaped; "xHHHH_" follows as it is
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

// The Summary sheet: labels in column A (bold), values in column B.
void write_summary_sheet(Workbook& book, lxw_format* bold, const std::string& xlsx_path,
                         const WorkbookSummary& summary, const WorkbookResult& result) {
  const int algorithm = summary.algorithm;
  lxw_worksheet* sum = book.sheet("Summary");
  lxw_format* rate = book.format();
  format_set_num_format(rate, "0.00%");
  lxw_format* seconds = book.format();
  format_set_num_format(seconds, "0.000");
  check(worksheet_set_column(sum, 0, 0, 30, nullptr), xlsx_path + ": column width");
  check(worksheet_set_column(sum, 1, 1, 60, nullptr), xlsx_path + ": column width");
  lxw_row_t row = 0;
  auto label = [&](const std::string& name) {
    check(worksheet_write_string(sum, row, 0, name.c_str(), bold), xlsx_path + ": Summary");
  };
  auto put_text = [&](const std::string& name, const std::string& value) {
    label(name);
    check(worksheet_write_string(sum, row++, 1, value.c_str(), nullptr), xlsx_path + ": Summary");
  };
  auto put_number = [&](const std::string& name, double value, lxw_format* format = nullptr) {
    label(name);
    check(worksheet_write_number(sum, row++, 1, value, format), xlsx_path + ": Summary");
  };
  // `Side` starts a label, `side` is inside one.
  auto put_side = [&](const std::string& Side, const std::string& side, uint64_t units,
                      uint64_t matched) {
    const std::string& unit = summary.unit_name;
    const uint64_t unmatched = units > matched ? units - matched : 0;
    put_number(Side + " " + unit, static_cast<double>(units));
    put_number("Matched " + side + " " + unit, static_cast<double>(matched));
    put_number("Unmatched " + side + " " + unit, static_cast<double>(unmatched));
    put_number("Unmatched " + side + " rate",
               units == 0 ? 0.0 : static_cast<double>(unmatched) / static_cast<double>(units),
               rate);
  };
  if (summary.mode.empty())
    put_number("Algorithm", algorithm);
  else
    put_text("Algorithm", summary.mode);
  put_text("Left source", summary.left_source);
  put_text("Right source", summary.right_source);
  put_number("Left rows", static_cast<double>(summary.left_rows));
  put_number("Right rows", static_cast<double>(summary.right_rows));
  put_number("Rejected rows", static_cast<double>(summary.rejected_rows));
  put_number("Result rows", static_cast<double>(result.rows));
  put_number("Result sheets", result.result_sheets);
  put_side("Left", "left", summary.left_units, result.matched_left);
  put_side("Right", "right", summary.right_units, result.matched_right);
  put_number("Load time (s)", summary.load_s, seconds);
  put_number("Scoring time (s)", summary.score_s, seconds);
  put_number("Writing time (s)", summary.write_s, seconds);
  put_number("Total time (s)", summary.total_s, seconds);
  put_text("Finished at", summary.finished_at);
}

}  // namespace

ResultSheetLayout result_sheet_layout(int algorithm) {
  if (!is_algorithm(algorithm))
    throw InputError("xlsx: algorithm must be 1 to 6 (got " + std::to_string(algorithm) + ")");
  const bool households = algorithm_traits(algorithm).households;
  ResultSheetLayout l;
  l.header = match_header(algorithm);
  l.described = "the algorithm " + std::to_string(algorithm) + " header";
  l.sheet = households ? "Households" : "Matches";
  l.number_columns = {households ? "match_percentage" : "Confidence"};
  l.number_format = households ? "0.00" : "General";
  l.left_key = households ? "uuid" : "Table1_ID";
  l.right_key = households ? "hh_id" : "Table2_ID";
  return l;
}

WorkbookResult write_xlsx_workbook(const std::string& csv_path, const std::string& xlsx_path,
                                   const WorkbookSummary& summary, uint64_t max_rows_per_sheet,
                                   CommitGroup* group) {
  if (!is_algorithm(summary.algorithm))
    throw InputError(xlsx_path + ": algorithm must be 1 to 6 (got " +
                     std::to_string(summary.algorithm) + ")");
  return write_xlsx_workbook(csv_path, xlsx_path, summary, result_sheet_layout(summary.algorithm),
                             max_rows_per_sheet, group);
}

WorkbookResult write_xlsx_workbook(const std::string& csv_path, const std::string& xlsx_path,
                                   const WorkbookSummary& summary, const ResultSheetLayout& layout,
                                   uint64_t max_rows_per_sheet, CommitGroup* group) {
  if (max_rows_per_sheet == 0 || max_rows_per_sheet > kXlsxMaxDataRows)
    throw std::invalid_argument("write_xlsx_workbook: max_rows_per_sheet must be 1 to 1048575");

  CsvReader reader(csv_path);
  CsvRecord rec;
  const std::string& header = layout.header;
  if (!reader.next(rec) || !rec.error.empty() || rec.raw != header)
    throw InputError(csv_path + ": the first line is not " + layout.described + " " + header);
  const std::vector<std::string> names(rec.fields.begin(), rec.fields.end());
  const auto columns = static_cast<lxw_col_t>(names.size());
  std::vector<char> is_number(names.size(), 0);
  for (const auto& n : layout.number_columns) {
    const size_t c = column_index(names, n);
    if (c < names.size()) is_number[c] = 1;
  }
  const size_t left_col = column_index(names, layout.left_key);
  const size_t right_col = column_index(names, layout.right_key);
  if (left_col == names.size() || right_col == names.size())
    throw InputError(csv_path + ": no " + layout.left_key + " or " + layout.right_key + " column");

  std::error_code ec;
  const auto csv_bytes = fs::file_size(csv_path, ec);
  StagedFile partial = StagedFile::for_library(xlsx_path);
  Workbook book(partial.temp_path(), xlsx_path, !ec && csv_bytes >= kZip64FromCsvBytes);

  lxw_format* bold = book.format();
  format_set_bold(bold);
  lxw_format* stripe = book.format();
  format_set_bg_color(stripe, kStripeColor);
  lxw_format* number[2] = {book.format(), book.format()};  // plain, striped
  format_set_bg_color(number[1], kStripeColor);
  for (lxw_format* f : number) format_set_num_format(f, layout.number_format.c_str());

  const std::string& base_name = layout.sheet;
  WorkbookResult result;
  lxw_worksheet* ws = nullptr;
  uint64_t sheet_rows = 0;  // data rows on ws
  auto finish_sheet = [&] {
    check(worksheet_autofilter(ws, 0, 0, static_cast<lxw_row_t>(sheet_rows), columns - 1),
          xlsx_path + ": autofilter");
  };
  auto start_sheet = [&] {
    ++result.result_sheets;
    ws = book.sheet(result.result_sheets == 1
                        ? base_name
                        : base_name + " (" + std::to_string(result.result_sheets) + ")");
    sheet_rows = 0;
    worksheet_freeze_panes(ws, 1, 0);
    for (lxw_col_t c = 0; c < columns; ++c) {
      check(worksheet_set_column(ws, c, c, column_width(names[c]), nullptr),
            xlsx_path + ": column width");
      check(worksheet_write_string(ws, 0, c, names[c].c_str(), bold), xlsx_path + ": header");
    }
  };

  absl::flat_hash_set<std::string> left_keys, right_keys;
  std::string text;  // the current field, NUL-terminated for libxlsxwriter
  start_sheet();
  while (reader.next(rec)) {
    if (!rec.error.empty()) throw InputError(line_of(reader, rec) + ": " + rec.error);
    if (rec.fields.size() != names.size())
      throw InputError(line_of(reader, rec) + ": " + std::to_string(rec.fields.size()) +
                       " fields, the header has " + std::to_string(names.size()));
    if (sheet_rows == max_rows_per_sheet) {
      finish_sheet();
      start_sheet();
    }
    const auto row = static_cast<lxw_row_t>(sheet_rows + 1);
    const bool striped = sheet_rows % 2 == 1;
    for (lxw_col_t c = 0; c < columns; ++c) {
      const std::string_view field = rec.fields[c];
      lxw_error err;
      if (field.empty()) {
        err = worksheet_write_blank(ws, row, c, striped ? stripe : nullptr);
      } else if (is_number[c] != 0) {
        double value = 0;
        auto [end, parse_ec] = std::from_chars(field.data(), field.data() + field.size(), value);
        if (parse_ec != std::errc() || end != field.data() + field.size() || !std::isfinite(value))
          throw InputError(line_of(reader, rec) + ": " + names[c] + ": not a number: " +
                           std::string(field));
        err = worksheet_write_number(ws, row, c, value, number[striped]);
      } else {
        text = xlsx_cell_text(field);
        err = worksheet_write_string(ws, row, c, text.c_str(), striped ? stripe : nullptr);
      }
      if (err != LXW_NO_ERROR)
        throw InputError(line_of(reader, rec) + ": " + names[c] + ": cannot write it to " +
                         xlsx_path + ": " + lxw_strerror(err));
    }
    add_key(left_keys, rec.fields[left_col]);
    add_key(right_keys, rec.fields[right_col]);
    ++sheet_rows;
    ++result.rows;
  }
  finish_sheet();
  result.matched_left = left_keys.size();
  result.matched_right = right_keys.size();

  write_summary_sheet(book, bold, xlsx_path, summary, result);

  book.close();
  partial.finish();
  const auto bytes = fs::file_size(partial.temp_path(), ec);
  result.bytes = ec ? 0 : bytes;
  if (group != nullptr)
    group->add(std::move(partial), CommitKind::kOutput);
  else
    partial.commit();
  return result;
}

}  // namespace nm::io
