// Birthdates: parsing in a chosen format, validation, day numbers.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nm {

// A date format made of %Y, %m, %d and literal characters, e.g. "%Y-%m-%d",
// "%Y%m%d", "%m/%d/%Y", "%d/%m/%Y", "%Y/%m/%d". Throws InputError when the
// format is not one of those shapes.
class DateFormat {
 public:
  explicit DateFormat(std::string_view spec = "%Y-%m-%d");
  // Days since 1970-01-01, or nullopt with `why` set when s is not a real
  // date in this format. s must not be empty (empty means "missing").
  std::optional<int32_t> parse(std::string_view s, std::string& why) const;
  const std::string& spec() const { return spec_; }

 private:
  std::string spec_;
};

// A birthdate field without the blanks (spaces, tabs) around it: what every
// reader parses (an empty result means "missing"). Inline: it runs once per
// row of every load.
inline std::string_view trim_date_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Writes YYYY-MM-DD into out (10 chars) and returns the pointer past it.
char* format_iso_date(int32_t days, char* out);
std::string iso_date(int32_t days);

}  // namespace nm
