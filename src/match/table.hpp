// The record model: a table of person records whose text lives in one arena.
#pragma once
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace nm {

// A slice of a StringArena. Offsets are 64-bit: a 100M-row table can hold more
// than 4 GiB of text.
struct StrRef {
  uint64_t offset = 0;
  uint32_t length = 0;
};

// Append-only text storage: one allocation for all fields of a table instead
// of one std::string per field per record.
class StringArena {
 public:
  StrRef append(std::string_view s) {
    StrRef r{data_.size(), static_cast<uint32_t>(s.size())};
    data_.append(s);
    return r;
  }
  std::string_view view(StrRef r) const { return {data_.data() + r.offset, r.length}; }
  void reserve(size_t n) { data_.reserve(n); }
  size_t bytes() const { return data_.size(); }

 private:
  std::string data_;
};

// The text fields of a record, as read (raw). Empty means missing.
enum class Field : uint8_t { kId = 0, kUuid, kFirst, kMiddle, kLast, kHhId };
inline constexpr size_t kTextFieldCount = 6;
inline constexpr std::array<std::string_view, kTextFieldCount> kFieldNames = {
    "id", "uuid", "first_name", "middle_name", "last_name", "hh_id"};

// Days since 1970-01-01; kNoDate when the birthdate is missing.
inline constexpr int32_t kNoDate = std::numeric_limits<int32_t>::min();

// A table of raw records in input order (row index = position among good rows).
struct RawTable {
  std::string source;  // file name or URL, for messages
  StringArena arena;
  std::vector<std::array<StrRef, kTextFieldCount>> fields;
  std::vector<int32_t> birthdate;  // kNoDate when missing
  std::vector<uint64_t> line;      // 1-based line of the record in its source
  // Columns read besides the contract's fields (the probabilistic mode's
  // --compare and --block columns), in the order asked for; their values are
  // row-major: extra[row * extra_names.size() + k]. Empty means missing.
  std::vector<std::string> extra_names;
  std::vector<StrRef> extra;

  size_t size() const { return fields.size(); }
  std::string_view get(size_t row, Field f) const {
    return arena.view(fields[row][static_cast<size_t>(f)]);
  }
  std::string_view get_extra(size_t row, size_t k) const {
    return arena.view(extra[row * extra_names.size() + k]);
  }
  void push(const std::array<std::string_view, kTextFieldCount>& values, int32_t bd,
            uint64_t src_line) {
    std::array<StrRef, kTextFieldCount> refs;
    for (size_t i = 0; i < kTextFieldCount; ++i) refs[i] = arena.append(values[i]);
    fields.push_back(refs);
    birthdate.push_back(bd);
    line.push_back(src_line);
  }
  // The next extra value of the row pushed last (extra_names.size() per row).
  void push_extra(std::string_view value) { extra.push_back(arena.append(value)); }
};

}  // namespace nm
