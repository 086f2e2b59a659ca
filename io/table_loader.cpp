#include "io/table_loader.hpp"

#include <absl/container/flat_hash_set.h>

#include <cerrno>
#include <cstring>

#include "io/csv_reader.hpp"
#include "io/csv_writer.hpp"
#include "io/header.hpp"
#include "src/errors.hpp"

namespace nm::io {

std::string rejects_text(std::string_view text) {
  size_t bad = find_invalid_utf8(text);
  if (bad == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  size_t i = 0;
  while (i < text.size()) {
    if (i == bad) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      const auto b = static_cast<unsigned char>(text[i]);
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
      ++i;
      const size_t next = find_invalid_utf8(text.substr(i));
      bad = next == std::string_view::npos ? next : i + next;
    } else {
      if (text[i] == '\\') out += '\\';  // so that \xHH in the data stays distinct
      out += text[i++];
    }
  }
  return out;
}

void RejectsFile::open_file() {
  file_ = StagedFile(path_, "rejects file " + path_);
  file_.write("file,line,field,reason,record\n");
}

void RejectsFile::close() {
  if (file_.active()) file_.finish();
}

void RejectsFile::absorb_file(const std::string& other_path, uint64_t other_count) {
  if (other_count == 0) return;
  std::FILE* in = std::fopen(other_path.c_str(), "rb");
  if (in == nullptr) throw InputError("cannot read " + other_path + ": " + std::strerror(errno));
  if (!file_.active()) open_file();
  if (file_.stream() == nullptr) {
    std::fclose(in);
    throw std::logic_error("RejectsFile::absorb_file after close: " + path_);
  }
  char buf[1 << 16];
  bool skipping_header = true;  // every part starts with the header line
  size_t n;
  try {
    while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) {
      size_t start = 0;
      if (skipping_header) {
        const void* nl = std::memchr(buf, '\n', n);
        if (nl == nullptr) continue;
        start = static_cast<size_t>(static_cast<const char*>(nl) - buf) + 1;
        skipping_header = false;
      }
      file_.write(std::string_view(buf + start, n - start));
    }
  } catch (...) {
    std::fclose(in);
    throw;
  }
  std::fclose(in);
  std::remove(other_path.c_str());
  count_ += other_count;
}

void RejectsFile::commit_to(CommitGroup& group) {
  if (file_.active()) {
    file_.finish();
    group.add(std::move(file_), CommitKind::kSide);
  } else {
    group.remove_at_commit(path_);
  }
}

void RejectsFile::add(const std::string& file, uint64_t line, const std::string& field,
                      const std::string& reason, std::string_view raw) {
  add(file, std::string_view(std::to_string(line)), field, reason, raw);
}

void RejectsFile::add(const std::string& file, std::string_view key, const std::string& field,
                      const std::string& reason, std::string_view raw) {
  if (!file_.active()) open_file();
  std::string row;
  for (std::string_view text :
       {std::string_view(file), key, std::string_view(field), std::string_view(reason), raw}) {
    if (!row.empty()) row += ',';
    append_csv_field(row, rejects_text(text));
  }
  row += '\n';
  file_.write(row);
  ++count_;
}

namespace {

constexpr std::array<bool, kTextFieldCount> kRequired = {true, false, true, false, true, false};
constexpr size_t kBirthdateSlot = kTextFieldCount;  // column slot after the text fields

}  // namespace

bool field_required(size_t field) { return field < kTextFieldCount ? kRequired[field] : true; }

std::string column_name(const LoadOptions& o, std::string_view field) {
  auto it = o.column_map.find(std::string(field));
  return it == o.column_map.end() ? std::string(field) : it->second;
}

void check_column_map(const LoadOptions& options) {
  for (const auto& [field, name] : options.column_map) {
    if (!is_field_name(field)) throw InputError("--map " + field + "=" + name + ": unknown field '" + field + "'");
  }
}

bool check_row(const std::array<std::string_view, kTextFieldCount>& values, std::string_view date,
               const LoadOptions& options, int32_t& birthdate, std::string& column,
               std::string& reason, LoadStats* stats) {
  if (values[0].empty()) {
    column = column_name(options, "id");
    reason = "missing id";
    return false;
  }
  birthdate = kNoDate;
  date = trim_date_blanks(date);
  if (date.empty()) {
    if (stats != nullptr) ++stats->dates_missing;
    return true;
  }
  auto d = options.date_format.parse(date, reason);
  if (!d) return accept_bad_date(options, column, stats);
  birthdate = *d;
  return true;
}

bool accept_bad_date(const LoadOptions& options, std::string& column, LoadStats* stats) {
  if (options.dates_optional) {
    if (stats != nullptr) ++stats->dates_invalid;
    return true;
  }
  column = column_name(options, "birthdate");
  return false;
}

uint64_t count_duplicate_ids(const RawTable& table) {
  absl::flat_hash_set<std::string_view> ids;
  ids.reserve(table.size());
  uint64_t dup = 0;
  for (size_t r = 0; r < table.size(); ++r)
    if (!ids.insert(table.get(r, Field::kId)).second) ++dup;
  return dup;
}

RawTable load_csv_table(const std::string& path, const LoadOptions& options, LoadStats* stats) {
  CsvOptions copt;
  copt.trim_fields = options.trim_fields;
  auto reader = std::make_unique<CsvReader>(path, copt);
  CsvRecord rec;
  if (!reader->next(rec)) throw InputError(path + ": empty file (a header row is required)");
  if (!rec.error.empty()) throw BadRowError(path, rec.line, "header", rec.error);

  // Column index of each contract field; -1 when absent.
  std::array<int, kTextFieldCount + 1> col;
  col.fill(-1);
  std::vector<std::string> header(rec.fields.begin(), rec.fields.end());
  const std::vector<std::string_view> names(header.begin(), header.end());
  check_column_map(options);
  for (size_t f = 0; f <= kTextFieldCount; ++f) {
    const std::string field = f < kTextFieldCount ? std::string(kFieldNames[f]) : "birthdate";
    const std::string name = column_name(options, field);
    col[f] = field_required(f) ? static_cast<int>(required_column(path, names, name, field))
                               : find_column(path, names, name, field);
  }
  std::vector<size_t> extra_col;
  for (const std::string& name : options.extra_columns)
    extra_col.push_back(extra_column(path, names, name));

  if (const ByteRange* range = options.range) {
    reader = std::make_unique<CsvReader>(path, range->begin, range->end, range->first_line, copt);
    if (range->begin == 0) reader->next(rec);  // the header again
  }

  RawTable table;
  table.source = path;
  table.extra_names = options.extra_columns;
  LoadStats local;
  std::string why, bad_column;
  auto reject = [&](const std::string& field, const std::string& reason) {
    if (!options.skip_bad_rows) throw BadRowError(path, rec.line, field, reason);
    options.rejects->add(path, rec.line, field, reason, rec.raw);
    ++local.rows_rejected;
  };
  std::array<std::string_view, kTextFieldCount> values;
  while (reader->next(rec)) {
    ++local.rows_read;
    if (options.progress && (local.rows_read & 0xFFFF) == 0) options.progress(local.rows_read);
    if (!rec.error.empty()) {
      std::string field = "record";
      if (!rec.error_field_hint.empty()) {
        const size_t idx = std::strtoul(rec.error_field_hint.c_str(), nullptr, 10);
        if (idx < header.size()) field = header[idx];
      }
      reject(field, rec.error);
      continue;
    }
    if (rec.fields.size() != header.size()) {
      reject("record", "expected " + std::to_string(header.size()) + " fields, found " +
                           std::to_string(rec.fields.size()));
      continue;
    }
    for (size_t f = 0; f < kTextFieldCount; ++f)
      values[f] = col[f] >= 0 ? rec.fields[static_cast<size_t>(col[f])] : std::string_view{};
    int32_t bd = kNoDate;
    if (!check_row(values, rec.fields[static_cast<size_t>(col[kBirthdateSlot])], options, bd,
                   bad_column, why, &local)) {
      reject(bad_column, why);
      continue;
    }
    table.push(values, bd, rec.line);
    for (const size_t c : extra_col) table.push_extra(rec.fields[c]);
  }
  if (options.progress) options.progress(local.rows_read);

  local.duplicate_ids = count_duplicate_ids(table);
  if (stats != nullptr) *stats = local;
  return table;
}

}  // namespace nm::io
