#include "src/text/dates.hpp"

#include <chrono>

#include "src/errors.hpp"

namespace nm {

DateFormat::DateFormat(std::string_view spec) : spec_(spec) {
  int y = 0, m = 0, d = 0;
  for (size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] != '%') continue;
    if (i + 1 >= spec.size()) throw InputError("date format '" + spec_ + "': dangling %");
    switch (spec[++i]) {
      case 'Y':
        ++y;
        break;
      case 'm':
        ++m;
        break;
      case 'd':
        ++d;
        break;
      default:
        throw InputError("date format '" + spec_ + "': only %Y, %m and %d are supported");
    }
  }
  if (y != 1 || m != 1 || d != 1)
    throw InputError("date format '" + spec_ + "' must contain %Y, %m and %d exactly once");
}

namespace {
bool read_digits(std::string_view s, size_t& pos, int count, int& value) {
  value = 0;
  for (int k = 0; k < count; ++k) {
    if (pos >= s.size() || s[pos] < '0' || s[pos] > '9') return false;
    value = value * 10 + (s[pos++] - '0');
  }
  return true;
}
}  // namespace

std::optional<int32_t> DateFormat::parse(std::string_view s, std::string& why) const {
  // Built with append: GCC 12 warns (-Wrestrict, falsely) on "'" + std::string(...) chains.
  auto fail = [&](const char* tail) {
    why.assign(1, '\'');
    why.append(s);
    why.append(tail);
    return std::nullopt;
  };
  const std::string mismatch = "' does not match date format " + spec_;
  int y = 0, m = 0, d = 0;
  size_t pos = 0;
  for (size_t i = 0; i < spec_.size(); ++i) {
    if (spec_[i] == '%') {
      const char f = spec_[++i];
      const bool ok = f == 'Y'   ? read_digits(s, pos, 4, y)
                      : f == 'm' ? read_digits(s, pos, 2, m)
                                 : read_digits(s, pos, 2, d);
      if (!ok) return fail(mismatch.c_str());
    } else if (pos >= s.size() || s[pos++] != spec_[i]) {
      return fail(mismatch.c_str());
    }
  }
  if (pos != s.size()) return fail(mismatch.c_str());
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || y == 0) return fail("' is not a real date");
  return static_cast<int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count());
}

char* format_iso_date(int32_t days, char* out) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month());
  const unsigned d = static_cast<unsigned>(ymd.day());
  for (int k = 3; k >= 0; --k) {
    out[k] = static_cast<char>('0' + y % 10);
    y /= 10;
  }
  out[4] = '-';
  out[5] = static_cast<char>('0' + m / 10);
  out[6] = static_cast<char>('0' + m % 10);
  out[7] = '-';
  out[8] = static_cast<char>('0' + d / 10);
  out[9] = static_cast<char>('0' + d % 10);
  return out + 10;
}

std::string iso_date(int32_t days) {
  char buf[10];
  format_iso_date(days, buf);
  return std::string(buf, 10);
}

}  // namespace nm
