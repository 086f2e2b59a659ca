// The rules of Double Metaphone (Apache Commons Codec 1.15), letter by letter:
// Encoder's members declared in double_metaphone_encoder.hpp.
#include "src/text/double_metaphone_encoder.hpp"

namespace nm::metaphone {

template <bool kAlternate>
void Encoder<kAlternate>::run() {
  Pos i = (w_.starts_with("GN") || w_.starts_with("KN") || w_.starts_with("PN") ||
           w_.starts_with("WR") || w_.starts_with("PS"))
              ? 1
              : 0;
  while (!complete() && i < w_.size()) i = step(i);
}

template <bool kAlternate>
Pos Encoder<kAlternate>::step(Pos i) {
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
template <bool kAlternate>
bool Encoder<kAlternate>::c_is_k_ach(Pos i) const {
  if (w_.has(i, "CHIA")) return true;
  if (i <= 1) return false;
  if (w_.vowel_at(i - 2)) return false;
  if (!w_.has(i - 1, "ACH")) return false;
  const char c = w_.at(i + 2);
  return (c != 'I' && c != 'E') || w_.has(i - 2, "BACHER", "MACHER");
}

template <bool kAlternate>
Pos Encoder<kAlternate>::letter_c(Pos i) {
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

template <bool kAlternate>
Pos Encoder<kAlternate>::letter_cc(Pos i) {
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
template <bool kAlternate>
bool Encoder<kAlternate>::ch_is_greek_start(Pos i) const {
  if (i != 0) return false;
  if (!w_.has(i + 1, "HARAC", "HARIS") && !w_.has(i + 1, "HOR", "HYM", "HIA", "HEM")) return false;
  return !w_.has(0, "CHORE");
}

// Germanic, Greek or otherwise a 'kh' sound.
template <bool kAlternate>
bool Encoder<kAlternate>::ch_is_k(Pos i) const {
  return germanic_start() || w_.has(i - 2, "ORCHES", "ARCHIT", "ORCHID") ||
         w_.has(i + 2, "T", "S") ||
         ((w_.has(i - 1, "A", "O", "U", "E") || i == 0) &&
          (w_.has(i + 2, "L", "R", "N", "M", "B", "H", "F", "V", "W", " ") || i + 1 == w_.last()));
}

template <bool kAlternate>
Pos Encoder<kAlternate>::letter_ch(Pos i) {
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
template <bool kAlternate>
Pos Encoder<kAlternate>::letter_d(Pos i) {
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
template <bool kAlternate>
Pos Encoder<kAlternate>::letter_g(Pos i) {
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
  if (i == 0 && (next == 'Y' ||
                 w_.has(i + 1, "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER"))) {
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

template <bool kAlternate>
Pos Encoder<kAlternate>::letter_gh(Pos i) {
  // The cases are tried in order; the first and the last both give K.
  // NOLINTNEXTLINE(bugprone-branch-clone)
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
template <bool kAlternate>
Pos Encoder<kAlternate>::letter_h(Pos i) {
  // Kept only when first or after a vowel, and before a vowel.
  if ((i == 0 || w_.vowel_at(i - 1)) && w_.vowel_at(i + 1)) {
    add('H');
    return i + 2;
  }
  return i + 1;
}

// --- J ---------------------------------------------------------------
template <bool kAlternate>
Pos Encoder<kAlternate>::letter_j(Pos i) {
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
template <bool kAlternate>
bool Encoder<kAlternate>::ll_is_spanish(Pos i) const {
  if (i == w_.size() - 3 && w_.has(i - 1, "ILLO", "ILLA", "ALLE")) return true;
  return (w_.has(w_.size() - 2, "AS", "OS") || w_.has(w_.size() - 1, "A", "O")) &&
         w_.has(i - 1, "ALLE");
}

template <bool kAlternate>
Pos Encoder<kAlternate>::letter_l(Pos i) {
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
template <bool kAlternate>
bool Encoder<kAlternate>::m_skips_next(Pos i) const {
  if (w_.at(i + 1) == 'M') return true;
  return w_.has(i - 1, "UMB") && (i + 1 == w_.last() || w_.has(i + 2, "ER"));
}

// --- P ---------------------------------------------------------------
template <bool kAlternate>
Pos Encoder<kAlternate>::letter_p(Pos i) {
  if (w_.at(i + 1) == 'H') {
    add('F');
    return i + 2;
  }
  add('P');
  return w_.has(i + 1, "P", "B") ? i + 2 : i + 1;
}

// --- R ---------------------------------------------------------------
template <bool kAlternate>
Pos Encoder<kAlternate>::letter_r(Pos i) {
  // French "-IER" at the end ("Rogier"): silent in the primary code.
  if (i == w_.last() && !slavo_germanic_ && w_.has(i - 2, "IE") && !w_.has(i - 4, "ME", "MA")) {
    add_alternate('R');
  } else {
    add('R');
  }
  return w_.at(i + 1) == 'R' ? i + 2 : i + 1;
}

// --- S ---------------------------------------------------------------
template <bool kAlternate>
Pos Encoder<kAlternate>::letter_s(Pos i) {
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

template <bool kAlternate>
Pos Encoder<kAlternate>::letter_sc(Pos i) {
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
template <bool kAlternate>
Pos Encoder<kAlternate>::letter_t(Pos i) {
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
template <bool kAlternate>
Pos Encoder<kAlternate>::letter_w(Pos i) {
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
  if ((i == w_.last() && w_.vowel_at(i - 1)) || w_.has(i - 1, "EWSKI", "EWSKY", "OWSKI", "OWSKY") ||
      w_.has(0, "SCH")) {
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
template <bool kAlternate>
Pos Encoder<kAlternate>::letter_x(Pos i) {
  if (i == 0) {
    add('S');
    return i + 1;
  }
  // French "-AUX", "-EAUX", "-OUX" at the end ("breaux"): silent.
  if (!(i == w_.last() && (w_.has(i - 3, "IAU", "EAU") || w_.has(i - 2, "AU", "OU")))) add("KS");
  return w_.has(i + 1, "C", "X") ? i + 2 : i + 1;
}

// --- Z ---------------------------------------------------------------
template <bool kAlternate>
Pos Encoder<kAlternate>::letter_z(Pos i) {
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

template class Encoder<true>;
template class Encoder<false>;

}  // namespace nm::metaphone
