// UTF-8 decoding: one decoder for the whole tool, with the policy for bytes
// that are not well-formed UTF-8 as a parameter, because its callers differ on
// purpose:
//   kTrusted  the text is known to be valid (checked when it was loaded, or
//             made by the tool itself): the lead byte alone gives the length
//             (< 0x80: 1, < 0xE0: 2, < 0xF0: 3, else 4; a stray continuation
//             byte counts as a 2-byte lead), continuation bytes are not checked
//             (their low 6 bits are taken), and a sequence cut by the end of
//             the text takes the bytes that are there. Never reports an error.
//             Used where the text is the normalised names (match/prepare) and
//             the generator's own names.
//   kStrict   Unicode's well-formed UTF-8 (Unicode Table 3-7): no overlongs,
//             no surrogates (ED A0..BF), nothing above U+10FFFF. An ill-formed
//             sequence is one U+FFFD over its maximal well-formed prefix (at
//             least 1 byte). find_invalid_utf8 checks input files with it.
//   kJava     what Java's `new String(bytes, UTF_8)` does (JDK 17): as kStrict,
//             except an encoded surrogate (ED A0..BF 80..BF) is one malformed
//             unit of 3 bytes (a cut one: of the bytes up to the bad one), not
//             three. Double Metaphone uses it to code bad input as Apache's
//             codec would.
// tests/test_utf8.cpp pins each policy on invalid, truncated and overlong
// sequences and surrogates.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace nm {

enum class Utf8Policy : std::uint8_t { kTrusted, kStrict, kJava };

inline constexpr std::uint32_t kReplacementCharacter = 0xFFFD;

struct Utf8Char {
  std::uint32_t cp = 0;     // the code point; U+FFFD when ill_formed
  std::size_t length = 0;   // bytes taken from the text, >= 1
  bool ill_formed = false;  // s[i, i + length) is not UTF-8 (never with kTrusted)
};

// Decodes the character starting at s[i] (i < s.size()); never reads past the
// end of s. Inline: callers pass a constant policy, and the compiler keeps
// only that policy's branch in their loops.
inline Utf8Char decode_utf8_at(std::string_view s, std::size_t i, Utf8Policy policy) {
  const auto byte = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[k]));
  };
  const std::uint32_t b0 = byte(i);
  if (b0 < 0x80) return {b0, 1, false};
  if (policy == Utf8Policy::kTrusted) {
    const std::size_t want = b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
    std::uint32_t cp = b0 & (want == 2 ? 0x1Fu : want == 3 ? 0x0Fu : 0x07u);
    std::size_t length = 1;
    for (; length < want && i + length < s.size(); ++length) {
      cp = (cp << 6) | (byte(i + length) & 0x3Fu);
    }
    return {cp, length, false};
  }
  // The allowed range of the second byte excludes overlongs (E0, F0), code
  // points above U+10FFFF (F4) and, for kStrict, surrogates (ED).
  std::size_t want = 0;
  std::uint32_t cp = 0, lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    want = 2, cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    want = 3, cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED && policy == Utf8Policy::kStrict) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    want = 4, cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {kReplacementCharacter, 1, true};  // continuation byte, C0, C1 or F5..FF
  }
  for (std::size_t k = 1; k < want; ++k) {
    if (i + k >= s.size()) return {kReplacementCharacter, k, true};  // cut by the end
    const std::uint32_t b = byte(i + k);
    if (b < (k == 1 ? lo : 0x80u) || b > (k == 1 ? hi : 0xBFu)) {
      return {kReplacementCharacter, k, true};
    }
    cp = (cp << 6) | (b & 0x3Fu);
  }
  // Only kJava gets here with a surrogate (ED A0..BF): one bad unit of 3 bytes.
  if (policy == Utf8Policy::kJava && cp >= 0xD800 && cp <= 0xDFFF) {
    return {kReplacementCharacter, want, true};
  }
  return {cp, want, false};
}

// Appends the code points of s to out, decoded with kTrusted.
void decode_utf8(std::string_view s, std::vector<std::uint32_t>& out);

// Byte offset of the first sequence of s that kStrict finds ill-formed, or
// npos when s is valid UTF-8. Skips ASCII 16 bytes at a time.
std::size_t find_invalid_utf8(std::string_view s);

}  // namespace nm
