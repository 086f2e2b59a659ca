// Double Metaphone compatible with Apache Commons Codec 1.15; see the header.
//
// The codec works on a Java String: the rules compare UTF-16 code units at
// positions relative to the current one. We first turn the input into one
// byte per UTF-16 code unit of the upper-cased Java string ("units"): ASCII
// stays as is, Ç and Ñ get their own marker bytes, and every other code unit
// becomes a marker that no rule matches. The encoder then runs on those units.
#include "src/text/double_metaphone.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

#include "src/text/double_metaphone_encoder.hpp"
#include "src/text/utf8.hpp"

namespace nm {
namespace {

using metaphone::Encoder;
using metaphone::kCCedilla;
using metaphone::kNTilde;
using metaphone::kOther;

// ---------------------------------------------------------------------------
// Input: trim, decode UTF-8, upper-case to units.

constexpr bool is_java_trimmed(unsigned char c) { return c <= 0x20; }

std::string_view java_trim(std::string_view s) {
  std::size_t b = 0;
  std::size_t e = s.size();
  while (b < e && is_java_trimmed(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && is_java_trimmed(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

// Worst case units per input byte: a 2-byte character whose upper case is
// 3 UTF-16 units (U+0390 -> U+0399 U+0308 U+0301).
constexpr std::size_t max_units(std::size_t bytes) { return bytes + bytes / 2 + 1; }

// Writes the units of Java's toUpperCase(Locale.ENGLISH) of the non-ASCII
// code point cp; returns how many were written (at most 3).
std::size_t upper_units(std::uint32_t cp, char* out) {
  auto put = [out](std::string_view units) {
    for (std::size_t i = 0; i < units.size(); ++i) out[i] = units[i];
    return units.size();
  };
  switch (cp) {
    case 0x00C7:
    case 0x00E7:
      return put({&kCCedilla, 1});  // Ç ç
    case 0x00D1:
    case 0x00F1:
      return put({&kNTilde, 1});  // Ñ ñ
    case 0x00DF:
      return put("SS");  // ß
    case 0x0131:
      return put("I");  // dotless i
    case 0x017F:
      return put("S");  // long s
    case 0x0149:
      return put("\x80N");  // ŉ -> ʼN
    case 0x01F0:
      return put("J\x80");  // ǰ -> J + caron
    case 0x1E96:
      return put("H\x80");  // ẖ
    case 0x1E97:
      return put("T\x80");  // ẗ
    case 0x1E98:
      return put("W\x80");  // ẘ
    case 0x1E99:
      return put("Y\x80");  // ẙ
    case 0x1E9A:
      return put("A\x80");  // ẚ
    case 0xFB00:
      return put("FF");
    case 0xFB01:
      return put("FI");
    case 0xFB02:
      return put("FL");
    case 0xFB03:
      return put("FFI");
    case 0xFB04:
      return put("FFL");
    case 0xFB05:
    case 0xFB06:
      return put("ST");
    // Greek with dialytika/tonos or perispomeni plus ypogegrammeni: 3 units.
    case 0x0390:
    case 0x03B0:
    case 0x1F52:
    case 0x1F54:
    case 0x1F56:
    case 0x1FB7:
    case 0x1FC7:
    case 0x1FD2:
    case 0x1FD3:
    case 0x1FD7:
    case 0x1FE2:
    case 0x1FE3:
    case 0x1FE7:
    case 0x1FF7:
      return put("\x80\x80\x80");
    // Armenian ech-yiwn, Greek with psili or ypogegrammeni, Armenian
    // ligatures: 2 units.
    case 0x0587:
    case 0x1F50:
    case 0x1FB2:
    case 0x1FB3:
    case 0x1FB4:
    case 0x1FB6:
    case 0x1FBC:
    case 0x1FC2:
    case 0x1FC3:
    case 0x1FC4:
    case 0x1FC6:
    case 0x1FCC:
    case 0x1FD6:
    case 0x1FE4:
    case 0x1FE6:
    case 0x1FF2:
    case 0x1FF3:
    case 0x1FF4:
    case 0x1FF6:
    case 0x1FFC:
      return put("\x80\x80");
    default:
      break;
  }
  if ((cp >= 0x1F80 && cp <= 0x1FAF) || (cp >= 0xFB13 && cp <= 0xFB17)) return put("\x80\x80");
  // A supplementary character is a surrogate pair in Java.
  return cp >= 0x10000 ? put("\x80\x80") : put({&kOther, 1});
}

// Fills out (capacity max_units(s.size())) with the units of the upper-cased
// s; returns the number of units. Ill-formed UTF-8 becomes U+FFFD as in Java
// (Utf8Policy::kJava), a unit that matches no rule.
std::size_t to_units(std::string_view s, char* out) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (static_cast<unsigned char>(c) < 0x80) {
      out[n++] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
      ++i;
      continue;
    }
    const Utf8Char u = decode_utf8_at(s, i, Utf8Policy::kJava);
    n += upper_units(u.cp, out + n);
    i += u.length;
  }
  return n;
}

// Units of short inputs live on the stack; longer ones on the heap.
class UnitBuffer {
 public:
  explicit UnitBuffer(std::string_view trimmed) {
    const std::size_t cap = max_units(trimmed.size());
    char* dst = inline_;
    if (cap > sizeof inline_) {
      heap_ = std::make_unique<char[]>(cap);
      dst = heap_.get();
    }
    view_ = std::string_view(dst, to_units(trimmed, dst));
  }
  UnitBuffer(const UnitBuffer&) = delete;
  UnitBuffer& operator=(const UnitBuffer&) = delete;

  std::string_view view() const { return view_; }

 private:
  char inline_[192];
  std::unique_ptr<char[]> heap_;
  std::string_view view_;
};

}  // namespace

DoubleMetaphoneCodes double_metaphone(std::string_view value, int max_len) {
  DoubleMetaphoneCodes codes;
  const std::string_view trimmed = java_trim(value);
  if (trimmed.empty() || max_len <= 0) return codes;
  const auto max = static_cast<std::size_t>(max_len);
  codes.primary.reserve(max);
  codes.alternate.reserve(max);
  const UnitBuffer units(trimmed);
  Encoder<true>(units.view(), max, codes.primary, &codes.alternate).run();
  return codes;
}

std::string double_metaphone_primary(std::string_view value, int max_len) {
  std::string primary;
  const std::string_view trimmed = java_trim(value);
  if (trimmed.empty() || max_len <= 0) return primary;
  const auto max = static_cast<std::size_t>(max_len);
  primary.reserve(max);
  const UnitBuffer units(trimmed);
  Encoder<false>(units.view(), max, primary, nullptr).run();
  return primary;
}

}  // namespace nm
