// Household aggregation, algorithms 5 and 6 (matching.md section 4), through
// the real path: RawTable -> find_pairs -> aggregate_households.
#include <doctest/doctest.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "src/text/dates.hpp"
#include "src/match/engine.hpp"
#include "src/match/households.hpp"
#include "src/match/options.hpp"
#include "src/match/table.hpp"
#include "tests/support/match_driver.hpp"

namespace {

int32_t day(std::string_view iso) {
  std::string why;
  const auto d = nm::DateFormat("%Y-%m-%d").parse(iso, why);
  REQUIRE_MESSAGE(d.has_value(), why);
  return *d;
}

struct Person {
  std::string_view id, uuid, first, last, hh_id, birthdate;
};

nm::RawTable table(const std::vector<Person>& people) {
  nm::RawTable t;
  t.source = "test";
  uint64_t line = 2;
  for (const Person& p : people)
    t.push({p.id, p.uuid, p.first, "", p.last, p.hh_id},
           p.birthdate.empty() ? nm::kNoDate : day(p.birthdate), line++);
  return t;
}

// "(uuid,hh,pct)" rows, pct as the CSV writes it (printf "%.2f" of the double).
std::string render(const std::vector<nm::HouseholdRow>& rows) {
  std::string out;
  for (const nm::HouseholdRow& r : rows) {
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.2f", static_cast<double>(r.pct));
    if (!out.empty()) out += ' ';
    out += "(" + r.uuid + "," + r.hh_id + "," + pct + ")";
  }
  return out;
}

std::string households(const nm::RawTable& t1, const nm::RawTable& t2, int algorithm,
                       float threshold, unsigned threads = 1) {
  nm::MatchOptions opt;
  opt.algorithm = algorithm;
  opt.household_threshold = threshold;
  opt.threads = threads;
  const std::vector<nm::test::MatchPair> pairs = nm::test::find_pairs(t1, t2, opt, nullptr);
  return render(nm::test::aggregate_households(t1, t2, pairs, algorithm == 6));
}

constexpr std::string_view kBd = "1990-01-01";

}  // namespace

TEST_CASE("households A5: the contract's example") {
  const nm::RawTable t1 = table({
      {"1", "AA", "John", "Doe", "", kBd},
      {"2", "AA", "Jane", "Doe", "", kBd},
      {"3", "AA", "Jimmy", "Doe", "", kBd},
      {"4", "BB", "Alice", "Smith", "", kBd},
      {"5", "BB", "Bob", "Smith", "", kBd},
      {"6", "CC", "Carl", "Ng", "", kBd},
      {"7", "CC", "Cathy", "Ng", "", kBd},
      {"8", "CC", "Chris", "Ng", "", kBd},
      {"9", "CC", "Cindy", "Ng", "", kBd},
      {"10", "DD", "Dan", "Solo", "", kBd},
  });
  const nm::RawTable t2 = table({
      {"101", "", "John", "Doe", "210", kBd},
      {"102", "", "Jane", "Doe", "210", kBd},
      {"103", "", "Alice", "Smith", "211", kBd},
      {"104", "", "Bob", "Smith", "211", kBd},
      {"105", "", "Carl", "Ng", "212", kBd},
      {"106", "", "Cathy", "Ng", "212", kBd},
      {"107", "", "Chris", "Ng", "212", kBd},
      {"108", "", "Jimmy", "Doe", "214", kBd},
  });
  CHECK(households(t1, t2, 5, 0.95f) == "(AA,210,66.67) (BB,211,100.00) (CC,212,75.00)");
  CHECK(households(t1, t2, 5, 0.95f, 4) == "(AA,210,66.67) (BB,211,100.00) (CC,212,75.00)");
  // The fuzzy output threshold plays no part in A5.
  nm::MatchOptions opt;
  opt.algorithm = 5;
  opt.threshold = 1.0f;
  opt.household_threshold = 0.95f;
  CHECK(render(nm::test::aggregate_households(t1, t2, nm::test::find_pairs(t1, t2, opt, nullptr), false)) ==
        "(AA,210,66.67) (BB,211,100.00) (CC,212,75.00)");
}

TEST_CASE("households A6: the contract's example") {
  const nm::RawTable t1 = table({{"1", "u1", "Ann", "Lee", "", "1990-01-01"}});
  const nm::RawTable t2 = table({
      {"11", "", "Ann", "Lee", "100", "1990-01-01"},
      {"12", "", "Ann", "Lee", "100", "1990-01-01"},
      {"13", "", "Ann", "Lee", "100", "1990-01-01"},
      {"14", "", "Ann", "Lee", "100", "1991-01-01"},
  });
  CHECK(households(t1, t2, 6, 0.5f) == "(u1,100,75.00)");
  // In the table-1 view the same data is one person of one: 100 %.
  CHECK(households(t1, t2, 5, 0.5f) == "(u1,100,100.00)");
}

TEST_CASE("households: A5/A6 use the A4 pairs at the household threshold, any label") {
  // "Jon Smith" / "John Smith" is a CASE 1 pair of confidence 0.9577778 (A4).
  const nm::RawTable t1 = table({{"1", "u1", "Jon", "Smith", "", kBd}});
  const nm::RawTable t2 = table({{"2", "", "John", "Smith", "h1", kBd}});
  CHECK(households(t1, t2, 5, 0.95f) == "(u1,h1,100.00)");
  CHECK(households(t1, t2, 5, 0.96f) == "");
  // Below 2/3: CASE 2 pairs without a phonetic match count ("lim ng" / "lin ng"
  // is NO MATCH in A4, but "xavier cruz" / "javier cruz" is CASE 2 at 0.61616164).
  const nm::RawTable t3 = table({{"1", "u1", "Xavier", "Cruz", "", kBd}});
  const nm::RawTable t4 = table({{"2", "", "Javier", "Cruz", "h1", kBd}});
  CHECK(households(t3, t4, 5, 0.6f) == "(u1,h1,100.00)");
  CHECK(households(t3, t4, 6, 0.6f) == "(u1,h1,100.00)");
  CHECK(households(t3, t4, 5, 0.62f) == "");
}

TEST_CASE("households: a person whose best pairs go to different households is a tie and dropped") {
  const nm::RawTable t1 = table({
      {"1", "U1", "Ann", "Lee", "", kBd},
      {"2", "U2", "Bob", "Ray", "", kBd},
  });
  const nm::RawTable t2 = table({
      {"11", "", "Ann", "Lee", "H1", kBd},
      {"12", "", "Ann", "Lee", "H2", kBd},
      {"13", "", "Bob", "Ray", "H3", kBd},
  });
  // Ann has two pairs of confidence 1 to H1 and H2: dropped. Bob is not.
  CHECK(households(t1, t2, 5, 0.95f) == "(U2,H3,100.00)");
  // A6, the mirror: table-2 person Ann Lee pairs with two uuids.
  const nm::RawTable t3 = table({
      {"1", "U1", "Ann", "Lee", "", kBd},
      {"2", "U2", "Ann", "Lee", "", kBd},
      {"3", "U3", "Bob", "Ray", "", kBd},
  });
  const nm::RawTable t4 = table({
      {"11", "", "Ann", "Lee", "H1", kBd},
      {"13", "", "Bob", "Ray", "H3", kBd},
  });
  CHECK(households(t3, t4, 6, 0.95f) == "(U3,H3,100.00)");
}

TEST_CASE("households: two people of the same household are never a tie") {
  const nm::RawTable t1 = table({{"1", "U1", "Ann", "Lee", "", kBd}});
  const nm::RawTable t2 = table({
      {"11", "", "Ann", "Lee", "H1", kBd},
      {"12", "", "Ann", "Lee", "H1", kBd},
  });
  CHECK(households(t1, t2, 5, 0.95f) == "(U1,H1,100.00)");
  // A6 mirror: a table-2 person with two equal pairs in one uuid.
  const nm::RawTable t3 = table({
      {"1", "U1", "Ann", "Lee", "", kBd},
      {"2", "U1", "Ann", "Lee", "", kBd},
  });
  const nm::RawTable t4 = table({{"11", "", "Ann", "Lee", "H1", kBd}});
  CHECK(households(t3, t4, 6, 0.95f) == "(U1,H1,100.00)");
}

TEST_CASE("households: the tie window is M - c < FLT_EPSILON, strictly") {
  const nm::RawTable t1 = table({{"1", "U1", "Ann", "Lee", "", kBd}});
  const nm::RawTable t2 = table({
      {"11", "", "Ann", "Lee", "H1", kBd},
      {"12", "", "Ann", "Lea", "H2", kBd},
  });
  auto run = [&](float c0, float c1, bool table2_view = false) {
    std::vector<nm::test::MatchPair> pairs = {{0, 0, c0, nm::kernels::kCase1},
                                              {0, 1, c1, nm::kernels::kCase1}};
    return render(nm::test::aggregate_households(t1, t2, pairs, table2_view));
  };
  // One float step below 1: within FLT_EPSILON, a tie.
  CHECK(run(1.0f, std::nextafter(1.0f, 0.0f)) == "");
  CHECK(run(std::nextafter(1.0f, 0.0f), 1.0f) == "");
  // Exactly FLT_EPSILON apart: not a tie, the best pair wins.
  CHECK(run(1.0f, 1.0f - FLT_EPSILON) == "(U1,H1,100.00)");
  CHECK(run(1.0f - FLT_EPSILON, 1.0f) == "(U1,H2,100.00)");
  // Clearly apart.
  CHECK(run(0.96f, 0.97f) == "(U1,H2,100.00)");
  // Equal confidences elsewhere than 1.
  CHECK(run(0.97f, 0.97f) == "");
}

TEST_CASE("households: exactly 50 % is dropped") {
  const nm::RawTable t1 = table({
      {"1", "U1", "Ann", "Lee", "", kBd},
      {"2", "U1", "Bob", "Lee", "", kBd},
      {"3", "U2", "Cy", "Young", "", kBd},
      {"4", "U2", "Di", "Young", "", kBd},
      {"5", "U2", "Ed", "Young", "", kBd},
  });
  const nm::RawTable t2 = table({
      {"11", "", "Ann", "Lee", "H1", kBd},
      {"12", "", "Cy", "Young", "H2", kBd},
      {"13", "", "Di", "Young", "H2", kBd},
  });
  // U1: 1 of 2 = 50 % (dropped); U2: 2 of 3 = 66.67 % (kept).
  CHECK(households(t1, t2, 5, 0.95f) == "(U2,H2,66.67)");
  // A6: H1 has one person who maps to U1 (100 %); H2 two of two to U2.
  CHECK(households(t1, t2, 6, 0.95f) == "(U1,H1,100.00) (U2,H2,100.00)");
  // A6 at exactly 50 %: H3 = {Ann Lee, Zed Zulu}, only Ann matches.
  const nm::RawTable t3 = table({
      {"11", "", "Ann", "Lee", "H3", kBd},
      {"12", "", "Zed", "Zulu", "H3", kBd},
  });
  CHECK(households(t1, t3, 6, 0.95f) == "");
}

TEST_CASE("households: table-1 rows without a uuid take no part") {
  // A5: the uuid-less twin of Ann neither forms a row nor counts.
  const nm::RawTable t1 = table({
      {"1", "U1", "Ann", "Lee", "", kBd},
      {"2", "", "Bob", "Ray", "", kBd},
  });
  const nm::RawTable t2 = table({
      {"11", "", "Ann", "Lee", "H1", kBd},
      {"12", "", "Bob", "Ray", "H1", kBd},
  });
  CHECK(households(t1, t2, 5, 0.95f) == "(U1,H1,100.00)");
  // A6: the table-2 person's best pair is the uuid-less row (confidence 1);
  // ignoring it, the best remaining pair is U1 (Ann Lea, CASE 1 < 1).
  const nm::RawTable t3 = table({
      {"1", "", "Ann", "Lee", "", kBd},
      {"2", "U1", "Anne", "Lee", "", kBd},
  });
  const nm::RawTable t4 = table({{"11", "", "Ann", "Lee", "H1", kBd}});
  CHECK(households(t3, t4, 6, 0.9f) == "(U1,H1,100.00)");
  // A5: nothing at all when no table-1 row has a uuid.
  const nm::RawTable t5 = table({{"1", "", "Ann", "Lee", "", kBd}});
  CHECK(households(t5, t4, 5, 0.9f) == "");
  CHECK(households(t5, t4, 6, 0.9f) == "");
}

TEST_CASE("households: a missing hh_id is replaced by the id text") {
  const nm::RawTable t1 = table({
      {"1", "U1", "Ann", "Lee", "", kBd},
      {"2", "U1", "Bob", "Lee", "", kBd},
      {"3", "U1", "Cal", "Lee", "", kBd},
  });
  const nm::RawTable t2 = table({
      {"rec-77", "", "Ann", "Lee", "", kBd},
      {"78", "", "Bob", "Lee", "rec-77", kBd},
      {"79", "", "Cal", "Lee", "", kBd},
  });
  // A5: Ann and Bob go to household "rec-77" (2/3), Cal to "79" (1/3, dropped).
  CHECK(households(t1, t2, 5, 0.95f) == "(U1,rec-77,66.67)");
  // A6: household "rec-77" has two rows (by id and by hh_id), both to U1.
  CHECK(households(t1, t2, 6, 0.95f) == "(U1,79,100.00) (U1,rec-77,100.00)");
}

TEST_CASE("households: rows sorted by uuid then hh in byte order") {
  const nm::RawTable t1 = table({
      {"1", "b", "Ann", "Lee", "", kBd},
      {"2", "B", "Bob", "Ray", "", kBd},
      {"3", "a", "Cy", "Young", "", kBd},
  });
  const nm::RawTable t2 = table({
      {"11", "", "Ann", "Lee", "h10", kBd},
      {"12", "", "Bob", "Ray", "h9", kBd},
      {"13", "", "Cy", "Young", "h2", kBd},
  });
  CHECK(households(t1, t2, 5, 0.95f) == "(B,h9,100.00) (a,h2,100.00) (b,h10,100.00)");
}
