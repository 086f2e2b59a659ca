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

#include "src/text/utf8.hpp"

namespace nm {
namespace {

using Pos = std::ptrdiff_t;

// Unit values for the non-ASCII code units. They are never equal to an ASCII
// letter, a space or '\0' (what the codec's charAt returns out of range).
constexpr char kCCedilla = '\xC7';  // Ç
constexpr char kNTilde = '\xD1';    // Ñ
constexpr char kOther = '\x80';     // any other non-ASCII code unit

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

// ---------------------------------------------------------------------------
// The word being encoded, with the codec's two accessors: charAt (returns
// '\0' out of range) and contains (false when the range does not fit).

class Word {
 public:
  explicit Word(std::string_view units) : s_(units), n_(static_cast<Pos>(units.size())) {}

  Pos size() const { return n_; }
  Pos last() const { return n_ - 1; }

  char at(Pos i) const { return (i < 0 || i >= n_) ? '\0' : s_[static_cast<std::size_t>(i)]; }

  static bool vowel(char c) {
    switch (c) {
      case 'A':
      case 'E':
      case 'I':
      case 'O':
      case 'U':
      case 'Y':
        return true;
      default:
        return false;
    }
  }
  bool vowel_at(Pos i) const { return vowel(at(i)); }

  // True when the substring at start equals one of the candidates, all of
  // which have the same length (as in every call the codec makes).
  template <std::size_t N, std::size_t... Ns>
  bool has(Pos start, const char (&first)[N], const char (&... rest)[Ns]) const {
    static_assert(((Ns == N) && ...), "candidates must have the same length");
    constexpr Pos len = static_cast<Pos>(N - 1);
    if (start < 0 || start + len > n_) return false;
    const char* sub = s_.data() + start;
    return equal<N - 1>(sub, first) || (equal<N - 1>(sub, rest) || ...);
  }

  bool starts_with(std::string_view p) const { return s_.starts_with(p); }

  // The codec's "Slavo-Germanic" test: contains W, K, CZ or WITZ.
  bool slavo_germanic() const {
    char prev = '\0';
    for (const char c : s_) {
      if (c == 'W' || c == 'K' || (c == 'Z' && prev == 'C')) return true;
      prev = c;
    }
    return false;
  }

 private:
  // Candidates are short literals: a plain loop beats a memcmp call.
  template <std::size_t L>
  static bool equal(const char* a, const char* b) {
    for (std::size_t k = 0; k < L; ++k) {
      if (a[k] != b[k]) return false;
    }
    return true;
  }

  std::string_view s_;
  Pos n_;
};

// ---------------------------------------------------------------------------
// The encoder. kAlternate = false skips all work on the alternate code.

template <bool kAlternate>
class Encoder {
 public:
  Encoder(std::string_view units, std::size_t max_len, std::string& primary, std::string* alternate)
      : w_(units),
        max_(max_len),
        primary_(primary),
        alternate_(alternate),
        slavo_germanic_(w_.slavo_germanic()) {}

  void run() {
    Pos i = (w_.starts_with("GN") || w_.starts_with("KN") || w_.starts_with("PN") ||
             w_.starts_with("WR") || w_.starts_with("PS"))
                ? 1
                : 0;
    while (!complete() && i < w_.size()) i = step(i);
  }

 private:
  // --- code building: appends are cut at the maximum length, like the codec.
  void add_primary(char c) {
    if (primary_.size() < max_) primary_.push_back(c);
  }
  void add_alternate(char c) {
    if constexpr (kAlternate) {
      if (alternate_->size() < max_) alternate_->push_back(c);
    } else {
      (void)c;
    }
  }
  void add_primary(std::string_view s) { primary_.append(s.substr(0, max_ - primary_.size())); }
  void add_alternate(std::string_view s) {
    if constexpr (kAlternate) {
      alternate_->append(s.substr(0, max_ - alternate_->size()));
    } else {
      (void)s;
    }
  }
  void add(char c) { add_primary(c), add_alternate(c); }
  void add(char p, char a) { add_primary(p), add_alternate(a); }
  void add(std::string_view s) { add_primary(s), add_alternate(s); }
  void add(std::string_view p, std::string_view a) { add_primary(p), add_alternate(a); }

  bool complete() const {
    if constexpr (kAlternate) {
      return primary_.size() >= max_ && alternate_->size() >= max_;
    } else {
      return primary_.size() >= max_;  // later steps cannot change it
    }
  }

  // A letter coded as c, skipping a doubled letter.
  Pos simple(Pos i, char c, char code) {
    add(code);
    return w_.at(i + 1) == c ? i + 2 : i + 1;
  }

  Pos step(Pos i) {
    switch (w_.at(i)) {
      case 'A':
      case 'E':
      case 'I':
      case 'O':
      case 'U':
      case 'Y':
        if (i == 0) add('A');
        return i + 1;
      case 'B':
        return simple(i, 'B', 'P');
      case kCCedilla:
        add('S');
        return i + 1;
      case 'C':
        return letter_c(i);
      case 'D':
        return letter_d(i);
      case 'F':
        return simple(i, 'F', 'F');
      case 'G':
        return letter_g(i);
      case 'H':
        return letter_h(i);
      case 'J':
        return letter_j(i);
      case 'K':
        return simple(i, 'K', 'K');
      case 'L':
        return letter_l(i);
      case 'M':
        add('M');
        return m_skips_next(i) ? i + 2 : i + 1;
      case 'N':
        return simple(i, 'N', 'N');
      case kNTilde:
        add('N');
        return i + 1;
      case 'P':
        return letter_p(i);
      case 'Q':
        return simple(i, 'Q', 'K');
      case 'R':
        return letter_r(i);
      case 'S':
        return letter_s(i);
      case 'T':
        return letter_t(i);
      case 'V':
        return simple(i, 'V', 'F');
      case 'W':
        return letter_w(i);
      case 'X':
        return letter_x(i);
      case 'Z':
        return letter_z(i);
      default:
        return i + 1;
    }
  }

  // --- C ---------------------------------------------------------------
  // "-ACH-" as in "Bacher"/"Macher" but not "-ACHI-"/"-ACHE-", or "CHIA".
  bool c_is_k_ach(Pos i) const {
    if (w_.has(i, "CHIA")) return true;
    if (i <= 1) return false;
    if (w_.vowel_at(i - 2)) return false;
    if (!w_.has(i - 1, "ACH")) return false;
    const char c = w_.at(i + 2);
    return (c != 'I' && c != 'E') || w_.has(i - 2, "BACHER", "MACHER");
  }

  Pos letter_c(Pos i) {
    if (c_is_k_ach(i)) {
      add('K');
      return i + 2;
    }
    if (i == 0 && w_.has(i, "CAESAR")) {
      add('S');
      return i + 2;
    }
    if (w_.has(i, "CH")) return letter_ch(i);
    if (w_.has(i, "CZ") && !w_.has(i - 2, "WICZ")) {  // "Czerny"
      add('S', 'X');
      return i + 2;
    }
    if (w_.has(i + 1, "CIA")) {  // "focaccia"
      add('X');
      return i + 3;
    }
    if (w_.has(i, "CC") && !(i == 1 && w_.at(0) == 'M')) return letter_cc(i);  // not "McClelland"
    if (w_.has(i, "CK", "CG", "CQ")) {
      add('K');
      return i + 2;
    }
    if (w_.has(i, "CI", "CE", "CY")) {
      if (w_.has(i, "CIO", "CIE", "CIA")) {  // Italian vs. English
        add('S', 'X');
      } else {
        add('S');
      }
      return i + 2;
    }
    add('K');
    if (w_.has(i + 1, " C", " Q", " G")) return i + 3;  // "Mac Caffrey", "Mac Gregor"
    if (w_.has(i + 1, "C", "K", "Q") && !w_.has(i + 1, "CE", "CI")) return i + 2;
    return i + 1;
  }

  Pos letter_cc(Pos i) {
    if (w_.has(i + 2, "I", "E", "H") && !w_.has(i + 2, "HU")) {  // "bellocchio", not "bacchus"
      if ((i == 1 && w_.at(i - 1) == 'A') || w_.has(i - 1, "UCCEE", "UCCES")) {
        add("KS");  // "accident", "accede", "succeed"
      } else {
        add('X');  // "bacci", "bertucci"
      }
      return i + 3;
    }
    add('K');  // Pierce's rule
    return i + 2;
  }

  // Greek roots at the start: "chemistry", "chorus", "character", not "chore".
  bool ch_is_greek_start(Pos i) const {
    if (i != 0) return false;
    if (!w_.has(i + 1, "HARAC", "HARIS") && !w_.has(i + 1, "HOR", "HYM", "HIA", "HEM"))
      return false;
    return !w_.has(0, "CHORE");
  }

  bool germanic_start() const { return w_.has(0, "VAN ", "VON ") || w_.has(0, "SCH"); }

  // Germanic, Greek or otherwise a 'kh' sound.
  bool ch_is_k(Pos i) const {
    return germanic_start() || w_.has(i - 2, "ORCHES", "ARCHIT", "ORCHID") ||
           w_.has(i + 2, "T", "S") ||
           ((w_.has(i - 1, "A", "O", "U", "E") || i == 0) &&
            (w_.has(i + 2, "L", "R", "N", "M", "B", "H", "F", "V", "W", " ") ||
             i + 1 == w_.last()));
  }

  Pos letter_ch(Pos i) {
    if (i > 0 && w_.has(i, "CHAE")) {  // "Michael"
      add('K', 'X');
    } else if (ch_is_greek_start(i) || ch_is_k(i)) {
      add('K');
    } else if (i > 0) {
      if (w_.has(0, "MC")) {
        add('K');
      } else {
        add('X', 'K');
      }
    } else {
      add('X');
    }
    return i + 2;
  }

  // --- D ---------------------------------------------------------------
  Pos letter_d(Pos i) {
    if (w_.has(i, "DG")) {
      if (w_.has(i + 2, "I", "E", "Y")) {  // "edge"
        add('J');
        return i + 3;
      }
      add("TK");  // "Edgar"
      return i + 2;
    }
    add('T');
    return w_.has(i, "DT", "DD") ? i + 2 : i + 1;
  }

  // --- G ---------------------------------------------------------------
  Pos letter_g(Pos i) {
    const char next = w_.at(i + 1);
    if (next == 'H') return letter_gh(i);
    if (next == 'N') {
      if (i == 1 && w_.vowel_at(0) && !slavo_germanic_) {
        add("KN", "N");
      } else if (!w_.has(i + 2, "EY") && !slavo_germanic_) {
        // The codec also tests charAt(i + 1) != 'Y' here, which always holds.
        add("N", "KN");
      } else {
        add("KN");
      }
      return i + 2;
    }
    if (w_.has(i + 1, "LI") && !slavo_germanic_) {
      add("KL", "L");
      return i + 2;
    }
    if (i == 0 && (next == 'Y' || w_.has(i + 1, "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN",
                                         "IE", "EI", "ER"))) {
      add('K', 'J');  // -ges-, -gep-, -gel-, -gie- at the start
      return i + 2;
    }
    if ((w_.has(i + 1, "ER") || next == 'Y') && !w_.has(0, "DANGER", "RANGER", "MANGER") &&
        !w_.has(i - 1, "E", "I") && !w_.has(i - 1, "RGY", "OGY")) {
      add('K', 'J');  // -ger-, -gy-
      return i + 2;
    }
    if (w_.has(i + 1, "E", "I", "Y") || w_.has(i - 1, "AGGI", "OGGI")) {  // Italian "biaggi"
      if (germanic_start() || w_.has(i + 1, "ET")) {
        add('K');
      } else if (w_.has(i + 1, "IER")) {
        add('J');
      } else {
        add('J', 'K');
      }
      return i + 2;
    }
    add('K');
    return next == 'G' ? i + 2 : i + 1;
  }

  Pos letter_gh(Pos i) {
    if (i > 0 && !w_.vowel_at(i - 1)) {
      add('K');
    } else if (i == 0) {
      add(w_.at(i + 2) == 'I' ? 'J' : 'K');
    } else if ((i > 1 && w_.has(i - 2, "B", "H", "D")) || (i > 2 && w_.has(i - 3, "B", "H", "D")) ||
               (i > 3 && w_.has(i - 4, "B", "H"))) {
      // Parker's rule: silent, "hugh"
    } else if (i > 2 && w_.at(i - 1) == 'U' && w_.has(i - 3, "C", "G", "L", "R", "T")) {
      add('F');  // "laugh", "McLaughlin", "cough", "gough", "rough", "tough"
    } else if (i > 0 && w_.at(i - 1) != 'I') {
      add('K');
    }
    return i + 2;
  }

  // --- H ---------------------------------------------------------------
  Pos letter_h(Pos i) {
    // Kept only when first or after a vowel, and before a vowel.
    if ((i == 0 || w_.vowel_at(i - 1)) && w_.vowel_at(i + 1)) {
      add('H');
      return i + 2;
    }
    return i + 1;
  }

  // --- J ---------------------------------------------------------------
  Pos letter_j(Pos i) {
    const bool jose = w_.has(i, "JOSE");
    const bool san = w_.has(0, "SAN ");
    if (jose || san) {  // Spanish: "Jose", "San Jacinto"
      if ((i == 0 && w_.at(i + 4) == ' ') || w_.size() == 4 || san) {
        add('H');
      } else {
        add('J', 'H');
      }
      return i + 1;
    }
    if (i == 0) {
      add('J', 'A');
    } else if (w_.vowel_at(i - 1) && !slavo_germanic_ &&
               (w_.at(i + 1) == 'A' || w_.at(i + 1) == 'O')) {
      add('J', 'H');
    } else if (i == w_.last()) {
      add('J', ' ');  // sic: the codec puts a space in the alternate code
    } else if (!w_.has(i + 1, "L", "T", "K", "S", "N", "M", "B", "Z") &&
               !w_.has(i - 1, "S", "K", "L")) {
      add('J');
    }
    return w_.at(i + 1) == 'J' ? i + 2 : i + 1;
  }

  // --- L ---------------------------------------------------------------
  // Spanish "-LL-" ("cabrillo", "gallegos"): silent in the alternate code.
  bool ll_is_spanish(Pos i) const {
    if (i == w_.size() - 3 && w_.has(i - 1, "ILLO", "ILLA", "ALLE")) return true;
    return (w_.has(w_.size() - 2, "AS", "OS") || w_.has(w_.size() - 1, "A", "O")) &&
           w_.has(i - 1, "ALLE");
  }

  Pos letter_l(Pos i) {
    if (w_.at(i + 1) == 'L') {
      if (ll_is_spanish(i)) {
        add_primary('L');
      } else {
        add('L');
      }
      return i + 2;
    }
    add('L');
    return i + 1;
  }

  // --- M ---------------------------------------------------------------
  // "MM", or "-UMB" at the end / "-UMBER" ("dumb", "thumb"): skip the next.
  bool m_skips_next(Pos i) const {
    if (w_.at(i + 1) == 'M') return true;
    return w_.has(i - 1, "UMB") && (i + 1 == w_.last() || w_.has(i + 2, "ER"));
  }

  // --- P ---------------------------------------------------------------
  Pos letter_p(Pos i) {
    if (w_.at(i + 1) == 'H') {
      add('F');
      return i + 2;
    }
    add('P');
    return w_.has(i + 1, "P", "B") ? i + 2 : i + 1;
  }

  // --- R ---------------------------------------------------------------
  Pos letter_r(Pos i) {
    // French "-IER" at the end ("Rogier"): silent in the primary code.
    if (i == w_.last() && !slavo_germanic_ && w_.has(i - 2, "IE") && !w_.has(i - 4, "ME", "MA")) {
      add_alternate('R');
    } else {
      add('R');
    }
    return w_.at(i + 1) == 'R' ? i + 2 : i + 1;
  }

  // --- S ---------------------------------------------------------------
  Pos letter_s(Pos i) {
    if (w_.has(i - 1, "ISL", "YSL")) return i + 1;  // "island", "isle", "carlisle", "carlysle"
    if (i == 0 && w_.has(i, "SUGAR")) {
      add('X', 'S');
      return i + 1;
    }
    if (w_.has(i, "SH")) {
      if (w_.has(i + 1, "HEIM", "HOEK", "HOLM", "HOLZ")) {  // Germanic
        add('S');
      } else {
        add('X');
      }
      return i + 2;
    }
    if (w_.has(i, "SIO", "SIA") || w_.has(i, "SIAN")) {  // Italian, Armenian
      if (slavo_germanic_) {
        add('S');
      } else {
        add('S', 'X');
      }
      return i + 3;
    }
    if ((i == 0 && w_.has(i + 1, "M", "N", "L", "W")) || w_.has(i + 1, "Z")) {
      // "smith" ~ "schmidt", "snider" ~ "schneider"; Slavic -sz-.
      add('S', 'X');
      return w_.has(i + 1, "Z") ? i + 2 : i + 1;
    }
    if (w_.has(i, "SC")) return letter_sc(i);
    if (i == w_.last() && w_.has(i - 2, "AI", "OI")) {  // French "resnais", "artois"
      add_alternate('S');
    } else {
      add('S');
    }
    return w_.has(i + 1, "S", "Z") ? i + 2 : i + 1;
  }

  Pos letter_sc(Pos i) {
    if (w_.at(i + 2) == 'H') {                                  // Schlesinger's rule
      if (w_.has(i + 3, "OO", "ER", "EN", "UY", "ED", "EM")) {  // Dutch "school", "schooner"
        if (w_.has(i + 3, "ER", "EN")) {                        // "schermerhorn", "schenker"
          add("X", "SK");
        } else {
          add("SK");
        }
      } else if (i == 0 && !w_.vowel_at(3) && w_.at(3) != 'W') {
        add('X', 'S');
      } else {
        add('X');
      }
    } else if (w_.has(i + 2, "I", "E", "Y")) {
      add('S');
    } else {
      add("SK");
    }
    return i + 3;
  }

  // --- T ---------------------------------------------------------------
  Pos letter_t(Pos i) {
    if (w_.has(i, "TION") || w_.has(i, "TIA", "TCH")) {
      add('X');
      return i + 3;
    }
    if (w_.has(i, "TH") || w_.has(i, "TTH")) {
      if (w_.has(i + 2, "OM", "AM") || germanic_start()) {  // "thomas", "thames"
        add('T');
      } else {
        add('0', 'T');
      }
      return i + 2;
    }
    add('T');
    return w_.has(i + 1, "T", "D") ? i + 2 : i + 1;
  }

  // --- W ---------------------------------------------------------------
  Pos letter_w(Pos i) {
    if (w_.has(i, "WR")) {
      add('R');
      return i + 2;
    }
    if (i == 0 && (w_.vowel_at(i + 1) || w_.has(i, "WH"))) {
      if (w_.vowel_at(i + 1)) {
        add('A', 'F');  // "Wasserman" ~ "Vasserman"
      } else {
        add('A');  // "Uomo" ~ "Womo"
      }
      return i + 1;
    }
    if ((i == w_.last() && w_.vowel_at(i - 1)) ||
        w_.has(i - 1, "EWSKI", "EWSKY", "OWSKI", "OWSKY") || w_.has(0, "SCH")) {
      add_alternate('F');  // "Arnow" ~ "Arnoff"
      return i + 1;
    }
    if (w_.has(i, "WICZ", "WITZ")) {  // Polish "filipowicz"
      add("TS", "FX");
      return i + 4;
    }
    return i + 1;
  }

  // --- X ---------------------------------------------------------------
  Pos letter_x(Pos i) {
    if (i == 0) {
      add('S');
      return i + 1;
    }
    // French "-AUX", "-EAUX", "-OUX" at the end ("breaux"): silent.
    if (!(i == w_.last() && (w_.has(i - 3, "IAU", "EAU") || w_.has(i - 2, "AU", "OU")))) add("KS");
    return w_.has(i + 1, "C", "X") ? i + 2 : i + 1;
  }

  // --- Z ---------------------------------------------------------------
  Pos letter_z(Pos i) {
    if (w_.at(i + 1) == 'H') {  // Chinese pinyin "zhao", "Zhang"
      add('J');
      return i + 2;
    }
    if (w_.has(i + 1, "ZO", "ZI", "ZA") || (slavo_germanic_ && i > 0 && w_.at(i - 1) != 'T')) {
      add("S", "TS");
    } else {
      add('S');
    }
    return w_.at(i + 1) == 'Z' ? i + 2 : i + 1;
  }

  Word w_;
  std::size_t max_;
  std::string& primary_;
  std::string* alternate_;
  bool slavo_germanic_;
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
