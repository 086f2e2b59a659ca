#include "src/text/utf8.hpp"

#include <cstring>

namespace nm {

void decode_utf8(std::string_view s, std::vector<std::uint32_t>& out) {
  for (std::size_t i = 0; i < s.size();) {
    const Utf8Char c = decode_utf8_at(s, i, Utf8Policy::kTrusted);
    out.push_back(c.cp);
    i += c.length;
  }
}

std::size_t find_invalid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    if (p[i] < 0x80) {  // ASCII fast path: 16 bytes at a time
      while (i + 16 <= n) {
        std::uint64_t a, b;
        std::memcpy(&a, p + i, 8);
        std::memcpy(&b, p + i + 8, 8);
        if ((a | b) & 0x8080808080808080ULL) break;
        i += 16;
      }
      while (i < n && p[i] < 0x80) ++i;
      continue;
    }
    const Utf8Char c = decode_utf8_at(s, i, Utf8Policy::kStrict);
    if (c.ill_formed) return i;
    i += c.length;
  }
  return std::string_view::npos;
}

}  // namespace nm
