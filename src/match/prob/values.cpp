#include "src/match/prob/values.hpp"

#include "src/text/normalize.hpp"

namespace nm::prob {

std::string normalized_value(std::string_view raw) {
  if (is_blank(raw)) return {};
  std::string s = normalize_simple(normalize_text(raw));
  const size_t b = s.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  const size_t e = s.find_last_not_of(' ');
  return s.substr(b, e - b + 1);
}

}  // namespace nm::prob
