#include "src/text/normalize.hpp"

#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include <stdexcept>

namespace nm {
namespace {

bool is_ascii(std::string_view s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

// ASCII code points with the White_Space property: U+0009..U+000D and U+0020.
bool ascii_white_space(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); }

std::string_view trim_ascii(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && ascii_white_space(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && ascii_white_space(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// Decodes one code point of valid UTF-8 starting at i (advances i).
UChar32 next_cp(std::string_view s, size_t& i) {
  UChar32 c;
  int32_t pos = static_cast<int32_t>(i);
  U8_NEXT(reinterpret_cast<const uint8_t*>(s.data()), pos, static_cast<int32_t>(s.size()), c);
  i = static_cast<size_t>(pos);
  return c;
}

// Trims Unicode White_Space from both ends of valid UTF-8.
std::string_view trim_unicode(std::string_view s) {
  size_t b = 0;
  while (b < s.size()) {
    size_t i = b;
    UChar32 c = next_cp(s, i);
    if (!u_isUWhiteSpace(c)) break;
    b = i;
  }
  size_t e = s.size();
  while (e > b) {
    int32_t pos = static_cast<int32_t>(e);
    UChar32 c;
    U8_PREV(reinterpret_cast<const uint8_t*>(s.data()), 0, pos, c);
    if (!u_isUWhiteSpace(c)) break;
    e = static_cast<size_t>(pos);
  }
  return s.substr(b, e - b);
}

const icu::Normalizer2& nfd() {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* n = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status) || n == nullptr)
    throw std::runtime_error(std::string("ICU NFD unavailable: ") + u_errorName(status));
  return *n;
}

icu::UnicodeString nfd_of(std::string_view s) {
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString u =
      icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  icu::UnicodeString out = nfd().normalize(u, status);
  if (U_FAILURE(status))
    throw std::runtime_error(std::string("ICU NFD failed: ") + u_errorName(status));
  return out;
}

bool is_mark(UChar32 c) {
  const int8_t t = u_charType(c);
  return t == U_NON_SPACING_MARK || t == U_ENCLOSING_MARK || t == U_COMBINING_SPACING_MARK;
}

// Full lowercase of a single code point without context (Rust's char::to_lowercase).
icu::UnicodeString lower_one(UChar32 c) {
  icu::UnicodeString u(c);
  u.toLower(icu::Locale::getRoot());
  return u;
}

std::string to_utf8(const icu::UnicodeString& u) {
  std::string out;
  u.toUTF8String(out);
  return out;
}

}  // namespace

std::string normalize_text(std::string_view s) {
  if (is_ascii(s)) {
    std::string_view t = trim_ascii(s);
    std::string out(t);
    for (char& c : out) c = ascii_lower(c);
    return out;
  }
  icu::UnicodeString d = nfd_of(s);
  icu::UnicodeString kept;
  for (int32_t i = 0; i < d.length();) {
    UChar32 c = d.char32At(i);
    i += U16_LENGTH(c);
    if (!is_mark(c)) kept.append(c);
  }
  kept.toLower(icu::Locale::getRoot());  // full mapping, with final-sigma context
  return std::string(trim_unicode(to_utf8(kept)));
}

std::string normalize_simple(std::string_view s) {
  std::string out;
  if (is_ascii(s)) {
    std::string_view t = trim_ascii(s);
    out.reserve(t.size());
    for (char c : t) {
      if (c == '.') continue;
      out.push_back(c == '-' ? ' ' : ascii_lower(c));
    }
    return out;
  }
  std::string_view t = trim_unicode(s);
  out.reserve(t.size());
  for (size_t i = 0; i < t.size();) {
    UChar32 c = next_cp(t, i);
    if (c == '.') continue;
    if (c == '-') {
      out.push_back(' ');
    } else if (c < 0x80) {
      out.push_back(ascii_lower(static_cast<char>(c)));
    } else {
      lower_one(c).toUTF8String(out);
    }
  }
  return out;
}

namespace {

void phonetic_push(std::string& out, UChar32 c) {
  if (c >= 'a' && c <= 'z') {
    out.push_back(static_cast<char>(c));
  } else if (c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r') {
    if (out.empty() || out.back() != ' ') out.push_back(' ');
  } else if (c == 0x00DF) {  // ß
    out += "ss";
  } else if (c == 0x00E6 || c == 0x01FD) {  // æ ǽ
    out += "ae";
  } else if (c == 0x00F8) {  // ø
    out.push_back('o');
  } else if (c == 0x0111) {  // đ
    out.push_back('d');
  }
  // everything else (digits, punctuation, marks, other letters and scripts) is dropped
}

}  // namespace

std::string normalize_for_phonetic(std::string_view s) {
  std::string out;
  if (is_ascii(s)) {
    std::string_view t = trim_ascii(s);
    out.reserve(t.size());
    for (char c : t) phonetic_push(out, static_cast<unsigned char>(ascii_lower(c)));
  } else {
    icu::UnicodeString d = nfd_of(trim_unicode(s));
    for (int32_t i = 0; i < d.length();) {
      UChar32 c = d.char32At(i);
      i += U16_LENGTH(c);
      if (c < 0x80) {
        phonetic_push(out, static_cast<unsigned char>(ascii_lower(static_cast<char>(c))));
        continue;
      }
      icu::UnicodeString l = lower_one(c);
      for (int32_t k = 0; k < l.length();) {
        UChar32 lc = l.char32At(k);
        k += U16_LENGTH(lc);
        phonetic_push(out, lc);
      }
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool is_blank(std::string_view s) {
  if (is_ascii(s)) return trim_ascii(s).empty();
  return trim_unicode(s).empty();
}

}  // namespace nm
