// Double Metaphone, bit-for-bit compatible with Apache Commons Codec 1.15
// `org.apache.commons.codec.language.DoubleMetaphone` (primary and alternate
// codes, configurable maximum code length).
//
// Input handling follows the codec: the UTF-8 input is trimmed of leading and
// trailing characters <= U+0020 (Java's String.trim), then upper-cased as
// Java's toUpperCase(Locale.ENGLISH) would. Only what can influence a code is
// modelled: ASCII letters, Ç/ç and Ñ/ñ (the two non-ASCII letters the codec
// has rules for), the non-ASCII characters whose upper case contains ASCII
// letters (ß -> SS, ı -> I, ſ -> S, the ﬀ..ﬆ ligatures, ...), and the number
// of UTF-16 code units each character occupies after upper-casing (the rules
// look at neighbouring positions and at the word length). Every other
// character matches no rule and just advances the scan by one position.
// Ill-formed UTF-8 is replaced by U+FFFD as Java's new String(bytes, UTF_8)
// does (JDK 17 checked), so even such input codes as the codec would.
//
// The whole trimmed string is one word: a space is not a word break, it is a
// character that matches no rule (a few rules look for one, e.g. "VAN ").
//
// A blank input (empty after trimming) or max_len <= 0 gives empty codes.
// Note: like the codec, a word ending in J gets a ' ' in its alternate code
// (e.g. "HADJ" -> primary "HTJ", alternate "HT ").
#pragma once
#include <string>
#include <string_view>

namespace nm {

struct DoubleMetaphoneCodes {
  std::string primary;
  std::string alternate;
};

// Same as DoubleMetaphone.doubleMetaphone(value, false) and (value, true) with
// setMaxCodeLen(max_len); a null result of the codec is an empty string here.
DoubleMetaphoneCodes double_metaphone(std::string_view value, int max_len = 4);

// Primary code only; cheaper than double_metaphone(value, max_len).primary.
std::string double_metaphone_primary(std::string_view value, int max_len = 4);

}  // namespace nm
