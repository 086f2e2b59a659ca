#include "jobs/generate/accents.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "src/text/utf8.hpp"

namespace nm::jobs::generator {
namespace {

// The accented letters used in the pools: lower, upper, ASCII folding, and the
// German/Scandinavian folding (ü -> ue, ø -> oe, å -> aa) where one exists.
struct AccentSpec {
  const char* lower;
  const char* upper;
  const char* ascii;
  const char* alt;
};
constexpr AccentSpec kAccentSpecs[] = {
    {"á", "Á", "a", ""},   {"à", "À", "a", ""},   {"â", "Â", "a", ""},   {"ä", "Ä", "a", "ae"},
    {"ã", "Ã", "a", ""},   {"å", "Å", "a", "aa"}, {"ā", "Ā", "a", ""},   {"ą", "Ą", "a", ""},
    {"ă", "Ă", "a", ""},   {"ạ", "Ạ", "a", ""},   {"ả", "Ả", "a", ""},   {"ấ", "Ấ", "a", ""},
    {"ầ", "Ầ", "a", ""},   {"ắ", "Ắ", "a", ""},   {"ằ", "Ằ", "a", ""},   {"ặ", "Ặ", "a", ""},
    {"æ", "Æ", "ae", ""},  {"ç", "Ç", "c", ""},   {"č", "Č", "c", ""},   {"ć", "Ć", "c", ""},
    {"đ", "Đ", "d", ""},   {"ð", "Ð", "d", ""},   {"é", "É", "e", ""},   {"è", "È", "e", ""},
    {"ê", "Ê", "e", ""},   {"ë", "Ë", "e", ""},   {"ě", "Ě", "e", ""},   {"ę", "Ę", "e", ""},
    {"ễ", "Ễ", "e", ""},   {"ế", "Ế", "e", ""},   {"ệ", "Ệ", "e", ""},   {"ğ", "Ğ", "g", ""},
    {"í", "Í", "i", ""},   {"ì", "Ì", "i", ""},   {"î", "Î", "i", ""},   {"ï", "Ï", "i", ""},
    {"ị", "Ị", "i", ""},   {"ı", "I", "i", ""},   {"i", "İ", "i", ""},   {"ł", "Ł", "l", ""},
    {"ñ", "Ñ", "n", ""},   {"ń", "Ń", "n", ""},   {"ň", "Ň", "n", ""},   {"ó", "Ó", "o", ""},
    {"ò", "Ò", "o", ""},   {"ô", "Ô", "o", ""},   {"ö", "Ö", "o", "oe"}, {"õ", "Õ", "o", ""},
    {"ø", "Ø", "o", "oe"}, {"ő", "Ő", "o", ""},   {"ō", "Ō", "o", ""},   {"ơ", "Ơ", "o", ""},
    {"ọ", "Ọ", "o", ""},   {"ố", "Ố", "o", ""},   {"ồ", "Ồ", "o", ""},   {"ỗ", "Ỗ", "o", ""},
    {"ờ", "Ờ", "o", ""},   {"ř", "Ř", "r", ""},   {"ś", "Ś", "s", ""},   {"š", "Š", "s", ""},
    {"ş", "Ş", "s", ""},   {"ß", "SS", "ss", ""}, {"ú", "Ú", "u", ""},   {"ù", "Ù", "u", ""},
    {"û", "Û", "u", ""},   {"ü", "Ü", "u", "ue"}, {"ů", "Ů", "u", ""},   {"ű", "Ű", "u", ""},
    {"ũ", "Ũ", "u", ""},   {"ū", "Ū", "u", ""},   {"ư", "Ư", "u", ""},   {"ứ", "Ứ", "u", ""},
    {"ữ", "Ữ", "u", ""},   {"ủ", "Ủ", "u", ""},   {"ý", "Ý", "y", ""},   {"ỳ", "Ỳ", "y", ""},
    {"ỹ", "Ỹ", "y", ""},   {"ž", "Ž", "z", ""},   {"ź", "Ź", "z", ""},   {"ż", "Ż", "z", ""},
    {"þ", "Þ", "th", ""},
};

struct AccentEntry {
  uint32_t cp;
  bool is_upper;
  std::string_view lower, upper;
  std::string ascii, alt;  // in the case of `cp` (Title-style for multi-letter: "Ae", "Th")
};

class Accents {
 public:
  Accents() {
    auto add = [&](std::string_view form, bool upper, const AccentSpec& s) {
      if (static_cast<unsigned char>(form[0]) < 0x80) return;  // ASCII side: nothing to map
      AccentEntry e;
      e.cp = decode_utf8_at(form, 0, Utf8Policy::kTrusted).cp;
      e.is_upper = upper;
      e.lower = s.lower;
      e.upper = s.upper;
      e.ascii = s.ascii;
      e.alt = *s.alt ? s.alt : s.ascii;
      if (upper) {
        e.ascii[0] = static_cast<char>(e.ascii[0] - 'a' + 'A');
        e.alt[0] = static_cast<char>(e.alt[0] - 'a' + 'A');
      }
      entries_.push_back(std::move(e));
    };
    for (const auto& s : kAccentSpecs) {
      add(s.lower, false, s);
      add(s.upper, true, s);
    }
    std::sort(entries_.begin(), entries_.end(),
              [](const AccentEntry& a, const AccentEntry& b) { return a.cp < b.cp; });
  }
  const AccentEntry* find(uint32_t cp) const {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), cp,
                               [](const AccentEntry& e, uint32_t c) { return e.cp < c; });
    return it != entries_.end() && it->cp == cp ? &*it : nullptr;
  }

 private:
  std::vector<AccentEntry> entries_;
};

const Accents& accents() {
  static const Accents a;
  return a;
}

inline bool has_non_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

}  // namespace

void transform(std::string& s, Fold fold, Case cas) {
  if (s.empty() || (fold == Fold::kNone && cas == Case::kAsIs)) return;
  const Accents& acc = accents();
  if (!has_non_ascii(s)) {
    if (cas == Case::kUpper)
      for (char& c : s) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    else if (cas == Case::kLower)
      for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    return;
  }
  std::string out;
  out.reserve(s.size() + 4);
  for (size_t i = 0; i < s.size();) {
    const Utf8Char u = decode_utf8_at(s, i, Utf8Policy::kTrusted);
    const size_t len = u.length;
    const AccentEntry* e = len > 1 ? acc.find(u.cp) : nullptr;
    if (e == nullptr) {
      char c = s[i];
      if (len == 1 && cas == Case::kUpper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      if (len == 1 && cas == Case::kLower && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      if (len == 1)
        out.push_back(c);
      else
        out.append(s, i, len);
    } else if (fold != Fold::kNone) {
      std::string_view a = fold == Fold::kAlt ? e->alt : e->ascii;
      for (char c : a) {
        if (cas == Case::kUpper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        if (cas == Case::kLower && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        out.push_back(c);
      }
    } else if (cas == Case::kUpper) {
      out.append(e->upper);
    } else if (cas == Case::kLower) {
      out.append(e->lower);
    } else {
      out.append(s, i, len);
    }
    i += len;
  }
  s.swap(out);
}

bool in_accent_table(uint32_t cp) { return accents().find(cp) != nullptr; }

}  // namespace nm::jobs::generator
