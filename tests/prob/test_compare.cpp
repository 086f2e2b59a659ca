// The probabilistic mode's comparison levels (kernels/prob_compare.hpp) on
// hand-picked pairs, and the prepared records they read.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "kernels/prob_compare.hpp"
#include "src/match/prob/comparisons.hpp"
#include "src/text/dates.hpp"
#include "src/text/utf8.hpp"

namespace kp = nm::kernels::prob;

namespace {

struct Owned {
  std::vector<uint32_t> cp;
  uint32_t dm = 0;
  kp::Text text() const { return {cp.data(), static_cast<uint32_t>(cp.size()), dm}; }
};
Owned text(const std::string& s, uint32_t dm = 0) {
  Owned o;
  nm::decode_utf8(s, o.cp);
  o.dm = dm;
  return o;
}
int32_t day(const char* iso) {
  std::string why;
  return *nm::DateFormat("%Y-%m-%d").parse(iso, why);
}
uint8_t name_level(kp::LevelSet set, const std::string& a, const std::string& b) {
  std::vector<uint32_t> scratch(256);
  const Owned x = text(a), y = text(b);
  return kp::text_level(set, x.text(), y.text(), scratch.data());
}
kp::NameLevels names(const std::string& lf, const std::string& ll, const std::string& rf,
                     const std::string& rl) {
  std::vector<uint32_t> scratch(256);
  const Owned a = text(lf), b = text(ll), c = text(rf), d = text(rl);
  return kp::name_levels(a.text(), b.text(), c.text(), d.text(), scratch.data());
}

}  // namespace

TEST_CASE("prob compare: birthdate levels") {
  CHECK(kp::date_level(day("1980-03-04"), day("1980-03-04")) == 0);
  CHECK(kp::date_level(day("1980-03-04"), day("1980-04-03")) == 1);   // day/month swapped
  CHECK(kp::date_level(day("1980-03-04"), day("1980-03-07")) == 2);   // one digit
  CHECK(kp::date_level(day("1980-03-04"), day("1981-03-04")) == 2);   // one digit wins first
  CHECK(kp::date_level(day("1979-03-04"), day("1980-03-04")) == 3);   // a year apart, 4 digits
  CHECK(kp::date_level(day("1980-03-04"), day("1980-03-28")) == 4);   // within 31 days
  CHECK(kp::date_level(day("1980-12-20"), day("1981-01-15")) == 4);   // across a year end
  CHECK(kp::date_level(day("1980-03-04"), day("1990-07-23")) == 5);
  CHECK(kp::date_level(kp::kNoDay, day("1990-07-23")) == kp::kNull);
  CHECK(kp::date_level(day("1990-07-23"), kp::kNoDay) == kp::kNull);
}

TEST_CASE("prob compare: civil dates round trip over four centuries") {
  for (int32_t d = -200000; d < 200000; d += 7) {
    const kp::Ymd x = kp::civil_from_days(d);
    char buf[16];
    const std::string iso(buf, nm::format_iso_date(d, buf));
    char want[32];
    std::snprintf(want, sizeof want, "%04d-%02u-%02u", x.y, x.m, x.d);
    REQUIRE(iso == want);
  }
}

TEST_CASE("prob compare: name levels, missing, swap, initial") {
  using S = kp::LevelSet;
  CHECK(name_level(S::kNameSwap, "martha", "martha") == 0);
  CHECK(name_level(S::kNameSwap, "martha", "marhta") == 1);     // jw 0.961
  CHECK(name_level(S::kNameSwap, "dwayne", "duane") == 5);      // jw 0.84, no metaphone given
  CHECK(name_level(S::kNameSwap, "", "duane") == kp::kNull);
  CHECK(name_level(S::kNameSwap, "duane", "") == kp::kNull);
  CHECK(name_level(S::kNameInitial, "j", "john") == 3);
  CHECK(name_level(S::kNameInitial, "john", "j") == 3);
  CHECK(name_level(S::kNameInitial, "k", "john") == 4);
  CHECK(name_level(S::kName, "k", "john") == 3);
  // Equal metaphone codes lift a dissimilar pair to level 2.
  std::vector<uint32_t> scratch(256);
  const Owned a = text("catherine", 7), b = text("kathryn", 7), c = text("kathryn", 8);
  CHECK(kp::name_similarity(a.text(), b.text(), scratch.data()) == 2);
  CHECK(kp::name_similarity(a.text(), c.text(), scratch.data()) == 3);
}

TEST_CASE("prob compare: first and last names together (swapped, moved)") {
  auto is = [](kp::NameLevels n, uint8_t f, uint8_t l) { return n.first == f && n.last == l; };
  CHECK(is(names("john", "smith", "john", "smith"), 0, 0));
  CHECK(is(names("john", "smith", "smith", "john"), 3, kp::kNull));    // swapped
  CHECK(is(names("john", "smith", "smiht", "john"), 3, kp::kNull));    // swapped, one typo
  CHECK(is(names("quilliam", "ashleigh", "maddison", "quilliam"), 4, kp::kNull));  // moved
  CHECK(is(names("rily", "gloster", "gloster", "mia"), 4, kp::kNull));
  CHECK(is(names("john", "smith", "peter", "jones"), 5, 3));
  CHECK(is(names("john", "smith", "john", "jones"), 0, 3));            // first equal: no crossing
  CHECK(is(names("james", "james", "james", "smith"), 0, 3));
  CHECK(is(names("", "smith", "smith", "john"), kp::kNull, 3));        // missing first: no level
  CHECK(is(names("john", "", "peter", "john"), 4, kp::kNull));         // last missing, crossed
  CHECK(is(names("john", "", "peter", ""), 5, kp::kNull));
}

TEST_CASE("prob compare: exact, prefix and numeric levels") {
  using S = kp::LevelSet;
  CHECK(name_level(S::kExact, "2000", "2000") == 0);
  CHECK(name_level(S::kExact, "2000", "2001") == 1);
  CHECK(name_level(S::kPrefix, "2000", "2001") == 1);   // one substitution
  CHECK(name_level(S::kPrefix, "2000", "20001") == 1);  // one insertion
  CHECK(name_level(S::kPrefix, "20001", "20099") == 2);  // same first 3
  CHECK(name_level(S::kPrefix, "2000", "3011") == 3);
  CHECK(name_level(S::kNumeric, "4123", "4123") == 0);
  CHECK(name_level(S::kNumeric, "4123", "4124") == 1);
  CHECK(name_level(S::kNumeric, "4123", "4213") == 2);  // a transposition is two edits
  CHECK(name_level(S::kNumeric, "", "4213") == kp::kNull);
}

TEST_CASE("prob compare: one_edit against Levenshtein <= 1") {
  const char* words[] = {"", "a", "ab", "ba", "abc", "abd", "abcd", "xbcd", "acd", "bcd", "abdc"};
  std::vector<uint32_t> scratch(64);
  for (const char* x : words)
    for (const char* y : words) {
      const Owned a = text(x), b = text(y);
      const uint32_t lev = nm::kernels::levenshtein_dp(a.cp.data(), a.text().len, b.cp.data(),
                                                       b.text().len, scratch.data());
      CHECK_MESSAGE(kp::one_edit(a.text(), b.text()) == (lev <= 1), x, " vs ", y);
    }
}
