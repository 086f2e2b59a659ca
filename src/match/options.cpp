#include "src/match/options.hpp"

#include <charconv>
#include <cmath>

namespace nm {

float parse_threshold(std::string_view t, double lo) {
  return try_parse_threshold(t, lo).value_or(kDefaultThreshold);
}

std::optional<float> try_parse_threshold(std::string_view t, double lo) {
  auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!t.empty() && is_space(t.front())) t.remove_prefix(1);
  while (!t.empty() && is_space(t.back())) t.remove_suffix(1);
  const bool percent = !t.empty() && t.back() == '%';
  if (percent) t.remove_suffix(1);
  const bool has_dot = t.find('.') != std::string_view::npos;
  std::string_view num = t;
  if (!num.empty() && num.front() == '+') num.remove_prefix(1);
  double v = 0;
  auto res = std::from_chars(num.data(), num.data() + num.size(), v);
  if (num.empty() || res.ec != std::errc() || res.ptr != num.data() + num.size() ||
      !std::isfinite(v))
    return std::nullopt;
  // "95%" and "95" are percentages; "0.95" is a fraction unless above 1 ("95.5").
  if (percent || !has_dot || v > 1.0) v /= 100.0;
  if (v < lo) v = lo;
  if (v > 1.0) v = 1.0;
  return static_cast<float>(v);
}

}  // namespace nm
