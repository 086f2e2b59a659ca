// The one UTF-8 decoder (src/text/utf8.hpp) and its three policies, pinned on
// the inputs where they differ: invalid lead bytes, truncated and overlong
// sequences, surrogates, code points above U+10FFFF.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "src/text/double_metaphone.hpp"
#include "src/text/utf8.hpp"

namespace {

using nm::Utf8Policy;

struct Step {
  std::uint32_t cp;
  std::size_t length;
  bool ill_formed;
};

// Every character of s decoded with policy, in order.
std::vector<Step> steps(std::string_view s, Utf8Policy policy) {
  std::vector<Step> out;
  for (std::size_t i = 0; i < s.size();) {
    const nm::Utf8Char c = nm::decode_utf8_at(s, i, policy);
    REQUIRE(c.length >= 1);
    REQUIRE(i + c.length <= s.size());
    out.push_back({c.cp, c.length, c.ill_formed});
    i += c.length;
  }
  return out;
}

void check_steps(std::string_view s, Utf8Policy policy, const std::vector<Step>& expected) {
  CAPTURE(s);
  CAPTURE(static_cast<int>(policy));
  const std::vector<Step> got = steps(s, policy);
  REQUIRE(got.size() == expected.size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    CAPTURE(k);
    CHECK(got[k].cp == expected[k].cp);
    CHECK(got[k].length == expected[k].length);
    CHECK(got[k].ill_formed == expected[k].ill_formed);
  }
}

constexpr std::uint32_t kRepl = nm::kReplacementCharacter;
constexpr Step kBad1{kRepl, 1, true};

}  // namespace

TEST_CASE("utf8: well-formed text decodes the same under every policy") {
  const std::string_view text =
      "a\xC2\x80"          // U+0080
      "\xC3\xA9"           // é
      "\xE0\xA0\x80"       // U+0800, the first 3-byte one
      "\xED\x9F\xBF"       // U+D7FF, just below the surrogates
      "\xEE\x80\x80"       // U+E000, just above
      "\xEF\xBF\xBD"       // U+FFFD itself is well-formed
      "\xF0\x90\x80\x80"   // U+10000
      "\xF4\x8F\xBF\xBF";  // U+10FFFF
  const std::vector<Step> expected = {
      {'a', 1, false},    {0x80, 2, false},    {0xE9, 2, false},
      {0x800, 3, false},  {0xD7FF, 3, false},  {0xE000, 3, false},
      {0xFFFD, 3, false}, {0x10000, 4, false}, {0x10FFFF, 4, false}};
  for (Utf8Policy p : {Utf8Policy::kTrusted, Utf8Policy::kStrict, Utf8Policy::kJava}) {
    check_steps(text, p, expected);
  }
  CHECK(nm::find_invalid_utf8(text) == std::string_view::npos);
  std::vector<std::uint32_t> cps;
  nm::decode_utf8(text, cps);
  CHECK(cps == std::vector<std::uint32_t>{'a', 0x80, 0xE9, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0x10000,
                                          0x10FFFF});
}

TEST_CASE("utf8: kTrusted takes the length from the lead byte and checks nothing") {
  // A stray continuation byte is a 2-byte lead; its follower is taken whatever it is.
  check_steps(
      "\x80"
      "A",
      Utf8Policy::kTrusted, {{0x01, 2, false}});
  // Overlongs decode to their value.
  check_steps("\xC0\xAF", Utf8Policy::kTrusted, {{0x2F, 2, false}});
  check_steps("\xE0\x80\x80", Utf8Policy::kTrusted, {{0x0, 3, false}});
  // Surrogates and code points above U+10FFFF come out as they are.
  check_steps("\xED\xA0\x80", Utf8Policy::kTrusted, {{0xD800, 3, false}});
  check_steps("\xF4\x90\x80\x80", Utf8Policy::kTrusted, {{0x110000, 4, false}});
  // F8..FF are 4-byte leads (low 3 bits).
  check_steps("\xFF\x80\x80\x80", Utf8Policy::kTrusted, {{0x1C0000, 4, false}});
  // A continuation byte is not checked: the ASCII after a lead is swallowed.
  check_steps(
      "\xC3"
      "ab",
      Utf8Policy::kTrusted, {{0xE1, 2, false}, {'b', 1, false}});
  // Cut by the end: the bytes that are there.
  check_steps("a\xE2\x82", Utf8Policy::kTrusted, {{'a', 1, false}, {0x82, 2, false}});
  check_steps("\xF0", Utf8Policy::kTrusted, {{0x0, 1, false}});
  std::vector<std::uint32_t> cps = {7};
  nm::decode_utf8("a\xC3\xA9\xE2\x82", cps);  // appends
  CHECK(cps == std::vector<std::uint32_t>{7, 'a', 0xE9, 0x82});
}

TEST_CASE("utf8: kStrict replaces the maximal well-formed prefix of a bad sequence") {
  check_steps("\x80", Utf8Policy::kStrict, {kBad1});
  check_steps("\xC0\xAF", Utf8Policy::kStrict, {kBad1, kBad1});             // overlong '/'
  check_steps("\xC1\xBF", Utf8Policy::kStrict, {kBad1, kBad1});             // overlong U+007F
  check_steps("\xE0\x80\x80", Utf8Policy::kStrict, {kBad1, kBad1, kBad1});  // overlong
  check_steps("\xF0\x8F\xBF\xBF", Utf8Policy::kStrict, {kBad1, kBad1, kBad1, kBad1});
  check_steps("\xF4\x90\x80\x80", Utf8Policy::kStrict, {kBad1, kBad1, kBad1, kBad1});
  check_steps("\xF5\x80", Utf8Policy::kStrict, {kBad1, kBad1});
  check_steps("\xFF", Utf8Policy::kStrict, {kBad1});
  // A surrogate is ill-formed from its second byte on: ED alone, then A0, 80.
  check_steps("\xED\xA0\x80", Utf8Policy::kStrict, {kBad1, kBad1, kBad1});
  // Truncated: one replacement for the prefix, cut by the end or by a bad byte.
  check_steps("a\xE2\x82", Utf8Policy::kStrict, {{'a', 1, false}, {kRepl, 2, true}});
  check_steps("\xE2\x82x", Utf8Policy::kStrict, {{kRepl, 2, true}, {'x', 1, false}});
  check_steps("\xF0\x9F\x98", Utf8Policy::kStrict, {{kRepl, 3, true}});
  check_steps("\xF0\x9F\x98\xC3\xA9", Utf8Policy::kStrict, {{kRepl, 3, true}, {0xE9, 2, false}});
  check_steps("\xC3", Utf8Policy::kStrict, {kBad1});
}

TEST_CASE("utf8: kJava is kStrict except that a surrogate is one bad unit of 3 bytes") {
  check_steps("\xED\xA0\x80", Utf8Policy::kJava, {{kRepl, 3, true}});
  check_steps(
      "\xED\xBF\xBF"
      "a",
      Utf8Policy::kJava, {{kRepl, 3, true}, {'a', 1, false}});
  check_steps("\xED\xA0", Utf8Policy::kJava, {{kRepl, 2, true}});
  check_steps("\xED\xA0x", Utf8Policy::kJava, {{kRepl, 2, true}, {'x', 1, false}});
  check_steps("\xED\x9F\xBF", Utf8Policy::kJava, {{0xD7FF, 3, false}});
  // Everything else as kStrict.
  check_steps("\xC0\xAF", Utf8Policy::kJava, {kBad1, kBad1});
  check_steps("\xE0\x80\x80", Utf8Policy::kJava, {kBad1, kBad1, kBad1});
  check_steps("\xF4\x90\x80\x80", Utf8Policy::kJava, {kBad1, kBad1, kBad1, kBad1});
  check_steps("a\xE2\x82", Utf8Policy::kJava, {{'a', 1, false}, {kRepl, 2, true}});

  // On random bytes the two differ only where ED is followed by A0..BF.
  std::mt19937 gen(12);
  for (int round = 0; round < 2000; ++round) {
    std::string s(1 + gen() % 12, '\0');
    for (char& c : s) c = static_cast<char>(0x7E + gen() % 0x82);  // mostly non-ASCII
    bool surrogate_lead = false;
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
      const auto a = static_cast<unsigned char>(s[i]), b = static_cast<unsigned char>(s[i + 1]);
      surrogate_lead |= a == 0xED && b >= 0xA0 && b <= 0xBF;
    }
    if (surrogate_lead) continue;
    const std::vector<Step> strict = steps(s, Utf8Policy::kStrict),
                            java = steps(s, Utf8Policy::kJava);
    REQUIRE(strict.size() == java.size());
    for (std::size_t k = 0; k < strict.size(); ++k) {
      CHECK(strict[k].cp == java[k].cp);
      CHECK(strict[k].length == java[k].length);
    }
  }
}

TEST_CASE("utf8: find_invalid_utf8 is the first kStrict error") {
  constexpr auto npos = std::string_view::npos;
  CHECK(nm::find_invalid_utf8("") == npos);
  CHECK(nm::find_invalid_utf8("0123456789abcdef0123456789abcdef\xC3\xA9") == npos);
  CHECK(nm::find_invalid_utf8("0123456789abcdef0123\xED\xA0\x80") == 20);  // surrogate
  CHECK(nm::find_invalid_utf8("\xC3\xA9\xE0\x80\x80") == 2);               // overlong
  CHECK(nm::find_invalid_utf8("\xF4\x8F\xBF\xBF\xF4\x90\x80\x80") == 4);   // > U+10FFFF
  CHECK(nm::find_invalid_utf8("ab\xF0\x9F\x98") == 2);                     // truncated
  std::mt19937 gen(7);
  for (int round = 0; round < 2000; ++round) {
    std::string s(gen() % 40, '\0');
    for (char& c : s)
      c = static_cast<char>(gen() % 3 == 0 ? 0x80 + gen() % 0x80 : 'a' + gen() % 26);
    std::size_t first = npos;
    for (std::size_t i = 0; i < s.size() && first == npos;) {
      const nm::Utf8Char c = nm::decode_utf8_at(s, i, Utf8Policy::kStrict);
      if (c.ill_formed) first = i;
      i += c.length;
    }
    CHECK(nm::find_invalid_utf8(s) == first);
  }
}

// Double Metaphone decodes with kJava: a bad sequence is one unit of the
// Java string, a unit that matches no rule (like ÿ, whose upper case Ÿ is one
// UTF-16 unit). The GH rules look up to four units back, so the number of
// units a bad sequence makes shows in the code.
TEST_CASE("utf8: Double Metaphone codes ill-formed input as Java decodes it") {
  CHECK(nm::double_metaphone("H\xC3\xBFUGHB").primary == "P");
  CHECK(nm::double_metaphone("H\xC3\xBF\xC3\xBF\xC3\xBFUGHB").primary == "KP");
  CHECK(nm::double_metaphone("H\xED\xA0\x80UGHB").primary == "P");  // a surrogate: one unit
  const std::string one_unit = "\xC3\xBF";                          // ÿ
  for (const std::string& bad : {std::string("\xED\xA0\x80"), std::string("\x80"),
                                 std::string("\xE2\x82"), std::string("\xF0\x9F\x98")}) {
    CAPTURE(bad);
    for (const std::string& word :
         {std::string("HxUGHB"), std::string("DxOGHL"), std::string("BxSUGH"), std::string("xAB"),
          std::string("SxCH")}) {
      std::string with_bad = word, with_one = word;
      with_bad.replace(with_bad.find('x'), 1, bad);
      with_one.replace(with_one.find('x'), 1, one_unit);
      CAPTURE(word);
      const nm::DoubleMetaphoneCodes a = nm::double_metaphone(with_bad);
      const nm::DoubleMetaphoneCodes b = nm::double_metaphone(with_one);
      CHECK(a.primary == b.primary);
      CHECK(a.alternate == b.alternate);
    }
  }
}
