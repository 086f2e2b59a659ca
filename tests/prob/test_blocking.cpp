// Tests of the probabilistic mode's blocking rules: the parser and its
// errors, the keys, the dedupe across rules and the predicted pair counts
// (the last two against brute force on small random tables).
#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "partition/blocks.hpp"
#include "src/errors.hpp"
#include "src/match/prob/blocking.hpp"
#include "src/match/prob/values.hpp"
#include "src/text/dates.hpp"

namespace {

using nm::kNoDate;
using nm::kNoKey;
using nm::RawTable;
using nm::UsageError;
using nm::prob::BlockingRule;
using nm::prob::compute_rule_keys;
using nm::prob::found_by_earlier_rule;
using nm::prob::parse_rule;
using nm::prob::predicted_pairs_per_rule;
using nm::prob::RuleKeys;
using nm::prob::TermKind;

struct Row {
  std::string first, last;
  int32_t birthdate = kNoDate;
  std::vector<std::string> extra = {};
  std::string middle = {};
};

int32_t day(const char* iso) {
  std::string why;
  return *nm::DateFormat("%Y-%m-%d").parse(iso, why);
}

RawTable table(const std::vector<Row>& rows, std::vector<std::string> extra_names = {}) {
  RawTable t;
  t.extra_names = std::move(extra_names);
  uint64_t line = 2;
  for (const Row& r : rows) {
    const std::string id = std::to_string(line);
    t.push({id, "", r.first, r.middle, r.last, ""}, r.birthdate, line++);
    for (size_t k = 0; k < t.extra_names.size(); ++k)
      t.extra.push_back(t.arena.append(k < r.extra.size() ? r.extra[k] : ""));
  }
  return t;
}

std::vector<BlockingRule> rules(const std::vector<std::string>& texts) {
  std::vector<BlockingRule> out;
  out.reserve(texts.size());
  for (const std::string& s : texts) out.push_back(parse_rule(s));
  return out;
}

// Keys of one rule for every row (left form).
std::vector<uint64_t> keys_of(const std::string& rule, const std::vector<Row>& rows,
                              bool right_form = false) {
  const RuleKeys k = compute_rule_keys(table(rows), rules({rule}), right_form, 1);
  return k.keys;
}

std::string parse_error(const std::string& text) {
  try {
    parse_rule(text);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("prob blocking: the documented examples parse") {
  BlockingRule r = parse_rule("birthdate");
  REQUIRE(r.terms.size() == 1);
  CHECK(r.terms[0].kind == TermKind::kValue);
  CHECK(r.terms[0].column == "birthdate");
  CHECK_FALSE(r.asymmetric());

  r = parse_rule("dm(last_name) + year(birthdate)");
  CHECK(r.text == "dm(last_name) + year(birthdate)");
  REQUIRE(r.terms.size() == 2);
  CHECK(r.terms[0].kind == TermKind::kMetaphone);
  CHECK(r.terms[0].column == "last_name");
  CHECK(r.terms[1].kind == TermKind::kYear);
  CHECK(r.terms[1].column == "birthdate");

  r = parse_rule("first_name + last_name");
  REQUIRE(r.terms.size() == 2);
  CHECK(r.terms[0].column == "first_name");
  CHECK(r.terms[1].column == "last_name");

  r = parse_rule("swap(first_name, last_name)");
  REQUIRE(r.terms.size() == 1);
  CHECK(r.terms[0].kind == TermKind::kSwap);
  CHECK(r.terms[0].column == "first_name");
  CHECK(r.terms[0].column_b == "last_name");
  CHECK(r.asymmetric());

  r = parse_rule("prefix(last_name,3)+md(birthdate)");
  REQUIRE(r.terms.size() == 2);
  CHECK(r.terms[0].kind == TermKind::kPrefix);
  CHECK(r.terms[0].prefix == 3);
  CHECK(r.terms[1].kind == TermKind::kMonthDay);

  // Spaces around names and delimiters are ignored; inside a name they stay.
  r = parse_rule("  dm ( street number )+ prefix ( x , 64 ) ");
  REQUIRE(r.terms.size() == 2);
  CHECK(r.terms[0].column == "street number");
  CHECK(r.terms[1].prefix == 64);

  for (const std::string& s : nm::prob::default_rule_texts()) CHECK_NOTHROW(parse_rule(s));
}

TEST_CASE("prob blocking: every syntax error names the rule and the problem") {
  CHECK(parse_error("dm(last_name") == "--block 'dm(last_name': missing ')' after 'last_name'");
  CHECK(parse_error("prefix(last_name, 3") ==
        "--block 'prefix(last_name, 3': missing ')' after '3'");
  CHECK(parse_error("") == "--block '': empty rule");
  CHECK(parse_error("   ") == "--block '   ': empty rule");
  CHECK(parse_error("first_name +") == "--block 'first_name +': missing term after the last '+'");
  CHECK(parse_error("+ first_name") ==
        "--block '+ first_name': expected a column or a function, found '+'");
  CHECK(parse_error("first_name ++ last_name") ==
        "--block 'first_name ++ last_name': expected a column or a function, found '+'");
  CHECK(parse_error("dm()") == "--block 'dm()': expected a column after 'dm(', found ')'");
  CHECK(parse_error("dm(") == "--block 'dm(': expected a column after 'dm(', found end of rule");
  CHECK(parse_error("dm(a b") == "--block 'dm(a b': missing ')' after 'a b'");
  CHECK(parse_error("dm(x)y") == "--block 'dm(x)y': expected '+' or the end after ')', found 'y'");
  CHECK(parse_error("first_name)") ==
        "--block 'first_name)': expected '+' or the end after 'first_name', found ')'");
  CHECK(parse_error("dm(prefix(x,2))") ==
        "--block 'dm(prefix(x,2))': expected ',' or ')' after 'prefix', found '('");
  CHECK(parse_error("soundex(last_name)") ==
        "--block 'soundex(last_name)': unknown function 'soundex' (functions: dm, prefix, "
        "year, md, swap)");
  CHECK(parse_error("dm(first_name, last_name)") ==
        "--block 'dm(first_name, last_name)': dm() takes one column, found 2 arguments");
  CHECK(parse_error("prefix(last_name)") ==
        "--block 'prefix(last_name)': prefix() takes a column and a length, found 1 argument");
  CHECK(parse_error("swap(first_name)") ==
        "--block 'swap(first_name)': swap() takes two columns, found 1 argument");
  CHECK(parse_error("swap(first_name, first_name)") ==
        "--block 'swap(first_name, first_name)': swap() needs two different columns");
  for (const char* n : {"0", "65", "x", "3x", "-1", "99999999999"})
    CHECK(parse_error(std::string("prefix(last_name, ") + n + ")") ==
          std::string("--block 'prefix(last_name, ") + n + ")': prefix() length '" + n +
              "' is not a whole number from 1 to 64");
  CHECK(parse_error("year(first_name)") ==
        "--block 'year(first_name)': year() needs birthdate, not 'first_name'");
  CHECK(parse_error("md(last_name)") ==
        "--block 'md(last_name)': md() needs birthdate, not 'last_name'");
  CHECK(parse_error("dm(birthdate)") ==
        "--block 'dm(birthdate)': dm() needs a text column; birthdate is a date (use "
        "birthdate, year(birthdate) or md(birthdate))");
  CHECK(parse_error("prefix(birthdate, 4)").find("prefix() needs a text column") !=
        std::string::npos);
  CHECK(parse_error("swap(first_name, birthdate)").find("swap() needs a text column") !=
        std::string::npos);
}

TEST_CASE("prob blocking: unknown columns are named with the columns there are") {
  const RawTable t = table({{"a", "b"}}, {"postcode", "town"});
  const BlockingRule bad = parse_rule("dm(postcod)");
  const std::string msg =
      "--block 'dm(postcod)': no column 'postcod' (columns: first_name, middle_name, "
      "last_name, uuid, hh_id, id, birthdate, postcode, town)";
  CHECK_THROWS_WITH_AS(nm::prob::check_rule_columns(bad, t), msg.c_str(), UsageError);
  CHECK_THROWS_WITH_AS(compute_rule_keys(t, {bad}, false, 1), msg.c_str(), UsageError);
  CHECK_THROWS_AS(nm::prob::check_rule_columns(parse_rule("swap(first_name, twon)"), t),
                  UsageError);
  for (const char* ok : {"postcode", "dm(town) + prefix(postcode, 2)", "swap(town, last_name)",
                         "id + uuid + hh_id + middle_name + birthdate"})
    CHECK_NOTHROW(nm::prob::check_rule_columns(parse_rule(ok), t));
}

TEST_CASE("prob blocking: records that should block together share a key") {
  const int32_t d = day("1980-03-04");
  // Normalized values: accents, case and surrounding spaces do not matter.
  auto k = keys_of("first_name + last_name",
                   {{"José", "García"}, {" JOSE ", "garcia "}, {"Jose", "Garcias"}});
  CHECK(k[0] == k[1]);
  CHECK(k[0] != k[2]);
  k = keys_of("dm(last_name)", {{"", "Smith"}, {"", "Smyth"}, {"", "Jones"}});
  CHECK(k[0] == k[1]);
  CHECK(k[0] != k[2]);
  k = keys_of(
      "year(birthdate)",
      {{"", "", day("1980-01-05")}, {"", "", day("1980-12-31")}, {"", "", day("1981-01-01")}});
  CHECK(k[0] == k[1]);
  CHECK(k[0] != k[2]);
  k = keys_of("md(birthdate)", {{"", "", d},
                                {"", "", day("1975-03-04")},
                                {"", "", day("1980-04-03")},
                                {"", "", day("1980-05-04")}});
  CHECK(k[0] == k[1]);
  CHECK(k[0] != k[2]);
  CHECK(k[0] != k[3]);
  k = keys_of("birthdate", {{"", "", d}, {"", "", d}, {"", "", d + 1}});
  CHECK(k[0] == k[1]);
  CHECK(k[0] != k[2]);
  // Code points, not bytes: "ø" is two bytes.
  k = keys_of("prefix(last_name, 2)", {{"", "Østby"}, {"", "østergaard"}, {"", "Øy"}, {"", "Ø"}});
  CHECK(k[0] == k[1]);
  CHECK(k[0] != k[2]);
  CHECK(k[0] != k[3]);
  k = keys_of("prefix(last_name, 5)", {{"", "Li"}, {"", "LI"}});
  CHECK(k[0] == k[1]);  // shorter than N: the whole value
  // Terms are written with their lengths: ("ab", "c") is not ("a", "bc").
  k = keys_of("first_name + last_name", {{"ab", "c"}, {"a", "bc"}});
  CHECK(k[0] != k[1]);
  // Two rules never share a key, even with the same terms.
  const RuleKeys two =
      compute_rule_keys(table({{"a", "b"}}), rules({"first_name", "first_name"}), false, 1);
  CHECK(two.at(0, 0) != two.at(0, 1));
  // Extra columns.
  const RawTable t =
      table({{"", "", kNoDate, {"SW1A 1AA"}}, {"", "", kNoDate, {"sw1a 2bb"}}}, {"postcode"});
  const RuleKeys p = compute_rule_keys(t, rules({"prefix(postcode, 4)", "postcode"}), false, 1);
  CHECK(p.at(0, 0) == p.at(1, 0));
  CHECK(p.at(0, 1) != p.at(1, 1));
}

TEST_CASE("prob blocking: a missing value gives no key") {
  const std::vector<Row> rows = {{"", "Smith", kNoDate},
                                 {"  ", "Smith", day("1990-01-01")},
                                 {"Ann", "", kNoDate},
                                 {"Ann", "123", day("1990-01-01")}};
  for (const char* rule : {"first_name", "year(birthdate)", "md(birthdate)", "birthdate",
                           "first_name + year(birthdate)", "prefix(first_name, 1)"}) {
    const auto k = keys_of(rule, {rows[0]});
    CHECK_MESSAGE(k[0] == kNoKey, rule);
  }
  CHECK(keys_of("first_name", {rows[1]})[0] == kNoKey);  // blank
  CHECK(keys_of("swap(first_name, last_name)", {rows[2]})[0] == kNoKey);
  CHECK(keys_of("swap(first_name, last_name)", {rows[2]}, true)[0] == kNoKey);
  // No letters: no metaphone code.
  CHECK(keys_of("dm(last_name)", {rows[3]})[0] == kNoKey);
  CHECK(keys_of("last_name", {rows[3]})[0] != kNoKey);
  CHECK(keys_of("dm(middle_name)", {rows[3]})[0] == kNoKey);
}

TEST_CASE("prob blocking: swap terms read (A, B) on the left and (B, A) on the right") {
  const std::vector<Row> rows = {{"Anna", "Berg", day("1970-05-05")},
                                 {"Berg", "Anna", day("1970-05-05")},
                                 {"Berg", "Anna", day("1971-05-05")},
                                 {"Anna", "Berg", day("1970-05-05")}};
  const RawTable t = table(rows);
  const auto rs = rules({"swap(first_name, last_name) + birthdate", "first_name + birthdate"});
  const RuleKeys left = compute_rule_keys(t, rs, false, 1);
  const RuleKeys right = compute_rule_keys(t, rs, true, 1);
  CHECK(left.at(0, 0) == right.at(1, 0));
  CHECK(left.at(1, 0) == right.at(0, 0));
  CHECK(left.at(0, 0) != right.at(2, 0));  // another day
  CHECK(left.at(0, 0) != right.at(3, 0));  // not swapped
  CHECK(left.at(0, 0) != left.at(1, 0));
  // Without swap both forms are the same.
  for (size_t row = 0; row < rows.size(); ++row) CHECK(left.at(row, 1) == right.at(row, 1));
}

namespace {

// Random rows over a small alphabet, so blocks are large and varied.
std::vector<Row> random_rows(std::mt19937& rng, size_t n) {
  const std::vector<std::string> names = {"", "ann", "bob", "cy", "dee"};
  std::vector<Row> rows;
  for (size_t i = 0; i < n; ++i) {
    Row r{names[rng() % names.size()], names[rng() % names.size()], kNoDate};
    if (rng() % 5 != 0) r.birthdate = day("1990-01-01") + static_cast<int32_t>(rng() % 3) * 200;
    rows.push_back(r);
  }
  return rows;
}

RawTable random_table(std::mt19937& rng, size_t n) { return table(random_rows(rng, n)); }

const std::vector<std::string> kRandomRules = {"first_name", "swap(first_name, last_name)",
                                               "last_name + year(birthdate)", "birthdate"};

// What the rules mean, written out directly.
bool rule_agrees(const RawTable& a, size_t l, const RawTable& b, size_t r, size_t rule) {
  const auto F = nm::Field::kFirst, L = nm::Field::kLast;
  const auto same = [](std::string_view x, std::string_view y) { return !x.empty() && x == y; };
  const bool dates = a.birthdate[l] != kNoDate && b.birthdate[r] != kNoDate;
  switch (rule) {
    case 0:
      return same(a.get(l, F), b.get(r, F));
    case 1:
      return same(a.get(l, F), b.get(r, L)) && same(a.get(l, L), b.get(r, F));
    case 2:  // the random dates are 1990-01-01, +200 days (1990), +400 days (1991)
      return same(a.get(l, L), b.get(r, L)) && dates &&
             (a.birthdate[l] - day("1990-01-01") < 365) ==
                 (b.birthdate[r] - day("1990-01-01") < 365);
    default:
      return dates && a.birthdate[l] == b.birthdate[r];
  }
}

}  // namespace

TEST_CASE("prob blocking: every candidate pair is kept by exactly one rule") {
  std::mt19937 rng(7);
  const auto rs = rules(kRandomRules);
  for (int round = 0; round < 5; ++round) {
    const RawTable a = random_table(rng, 20 + round * 7), b = random_table(rng, 31 - round * 3);
    const RuleKeys ka = compute_rule_keys(a, rs, false, 1), kb = compute_rule_keys(b, rs, true, 1);
    std::map<std::pair<size_t, size_t>, int> kept;
    for (uint32_t r = 0; r < rs.size(); ++r)
      for (size_t l = 0; l < a.size(); ++l)
        for (size_t x = 0; x < b.size(); ++x)
          if (ka.at(l, r) != kNoKey && ka.at(l, r) == kb.at(x, r) &&
              !found_by_earlier_rule(ka, kb, l, x, r))
            ++kept[{l, x}];
    size_t in_union = 0;
    for (size_t l = 0; l < a.size(); ++l)
      for (size_t x = 0; x < b.size(); ++x) {
        bool any = false;
        for (size_t r = 0; r < rs.size(); ++r) any = any || rule_agrees(a, l, b, x, r);
        in_union += any;
        const auto it = kept.find({l, x});
        CHECK((it == kept.end() ? 0 : it->second) == (any ? 1 : 0));
      }
    CHECK(in_union > 0);
    CHECK(kept.size() == in_union);
  }
}

TEST_CASE("prob blocking: dedupe keeps every unordered pair once") {
  std::mt19937 rng(11);
  const auto rs = rules(kRandomRules);
  const RawTable t = random_table(rng, 40);
  const RuleKeys left = compute_rule_keys(t, rs, false, 1),
                 right = compute_rule_keys(t, rs, true, 1);
  // The engine's dedupe: (l, r) with l < r from each rule's blocks.
  std::map<std::pair<size_t, size_t>, int> kept;
  for (uint32_t r = 0; r < rs.size(); ++r)
    for (size_t i = 0; i < t.size(); ++i)
      for (size_t j = i + 1; j < t.size(); ++j)
        if (left.at(i, r) != kNoKey && left.at(i, r) == right.at(j, r) &&
            !found_by_earlier_rule(left, right, i, j, r))
          ++kept[{i, j}];
  for (size_t i = 0; i < t.size(); ++i)
    for (size_t j = i + 1; j < t.size(); ++j) {
      bool any = false;
      for (size_t r = 0; r < rs.size(); ++r) any = any || rule_agrees(t, i, t, j, r);
      const auto it = kept.find({i, j});
      CHECK((it == kept.end() ? 0 : it->second) == (any ? 1 : 0));
    }
}

TEST_CASE("prob blocking: predicted pairs per rule match brute force") {
  std::mt19937 rng(3);
  const auto rs = rules(kRandomRules);
  for (int round = 0; round < 4; ++round) {
    const RawTable a = random_table(rng, 10 + round * 9), b = random_table(rng, 25);
    const RuleKeys ka = compute_rule_keys(a, rs, false, 1), kb = compute_rule_keys(b, rs, true, 1);
    const std::vector<uint64_t> linked = predicted_pairs_per_rule(ka, kb, false);
    const RuleKeys ra = compute_rule_keys(a, rs, true, 1);
    const std::vector<uint64_t> deduped = predicted_pairs_per_rule(ka, ra, true);
    // The rules counted on several threads give the same counts.
    CHECK(predicted_pairs_per_rule(ka, kb, false, 3) == linked);
    CHECK(predicted_pairs_per_rule(ka, ra, true, 3) == deduped);
    REQUIRE(linked.size() == rs.size());
    REQUIRE(deduped.size() == rs.size());
    for (size_t r = 0; r < rs.size(); ++r) {
      uint64_t link = 0, dedupe = 0;
      for (size_t l = 0; l < a.size(); ++l)
        for (size_t x = 0; x < b.size(); ++x) link += rule_agrees(a, l, b, x, r);
      for (size_t i = 0; i < a.size(); ++i)
        for (size_t j = i + 1; j < a.size(); ++j) dedupe += rule_agrees(a, i, a, j, r);
      CHECK(linked[r] == link);
      CHECK(deduped[r] == dedupe);
    }
  }
  // Empty tables and no rules.
  const RuleKeys none = compute_rule_keys(table({}), rs, false, 1);
  CHECK(predicted_pairs_per_rule(none, none, false) == std::vector<uint64_t>(rs.size(), 0));
  CHECK(predicted_pairs_per_rule(none, none, true) == std::vector<uint64_t>(rs.size(), 0));
  CHECK(compute_rule_keys(table({{"a", "b"}}), {}, false, 1).keys.empty());
}

TEST_CASE("prob blocking: keys do not depend on the number of threads") {
  std::mt19937 rng(5);
  const std::vector<Row> rows = random_rows(rng, 10000);  // more rows than one task takes
  const RawTable t = table(rows);
  const auto rs = rules(kRandomRules);
  for (bool right_form : {false, true}) {
    const RuleKeys one = compute_rule_keys(t, rs, right_form, 1);
    const RuleKeys three = compute_rule_keys(t, rs, right_form, 3);
    CHECK(one.keys == three.keys);
    CHECK(one.rows() == t.size());
    // Every row's keys are those of the row alone (no row skipped at a task's edge).
    std::vector<uint64_t> alone;
    for (const Row& r : rows) {
      const RuleKeys k = compute_rule_keys(table({r}), rs, right_form, 1);
      alone.insert(alone.end(), k.keys.begin(), k.keys.end());
    }
    CHECK(one.keys == alone);
  }
}

TEST_CASE("prob blocking: a run's rule sets take their columns of one key computation") {
  std::mt19937 rng(8);
  const auto rs = rules(kRandomRules);
  const RawTable a = random_table(rng, 300), b = random_table(rng, 280);
  const RuleKeys ka = compute_rule_keys(a, rs, false, 2), kb = compute_rule_keys(b, rs, true, 2);
  const std::vector<uint32_t> pick = {2, 0};
  const RuleKeys sa = nm::prob::select_rule_keys(ka, pick), sb = nm::prob::select_rule_keys(kb, pick);
  REQUIRE(sa.rules == 2);
  REQUIRE(sa.rows() == a.size());
  for (size_t row = 0; row < a.size(); ++row) {
    CHECK(sa.at(row, 0) == ka.at(row, 2));
    CHECK(sa.at(row, 1) == ka.at(row, 0));
  }
  // The selected rules block exactly as when computed on their own.
  const std::vector<BlockingRule> alone = {rs[2], rs[0]};
  const RuleKeys oa = compute_rule_keys(a, alone, false, 1), ob = compute_rule_keys(b, alone, true, 1);
  CHECK(predicted_pairs_per_rule(sa, sb, false) == predicted_pairs_per_rule(oa, ob, false));
  for (size_t l = 0; l < a.size(); ++l)
    for (size_t r = 0; r < b.size(); ++r)
      CHECK(found_by_earlier_rule(sa, sb, l, r, 1) == found_by_earlier_rule(oa, ob, l, r, 1));
  CHECK(nm::prob::select_rule_keys(ka, {}).keys.empty());
}

TEST_CASE("prob blocking: the budget keeps the rules in order while their sum fits") {
  const auto c = nm::prob::choose_within_budget({40, 70, 30, 31, 0}, 100);
  CHECK(c.kept == std::vector<bool>{true, false, true, false, true});
  CHECK(c.budget == 100);
  CHECK(c.predicted == std::vector<uint64_t>{40, 70, 30, 31, 0});
}

// Many records on few names and dates over several years: the birthdate
// blocks, the name + month/day and the name + year blocks are each over the
// pair budget, as on the generator's data from 2M rows up. A pair with equal
// birthdates and last names but unlike first names must still be in some
// kept rule's block.
TEST_CASE("prob blocking: over the budget, the defaults keep equal birthdate + one name") {
  std::mt19937 rng(21);
  const char* letters = "bcdfghjklmnpqrstvwxz";
  std::vector<std::string> firsts, lasts;
  for (int k = 0; k < 30; ++k) {
    firsts.push_back(std::string("A") + letters[k % 20] + letters[(k / 20) + 3] + "on");
    lasts.push_back(std::string("U") + letters[(k + 7) % 20] + letters[(k / 20) + 9] + "er");
  }
  std::vector<int32_t> dates;
  for (int y = 0; y < 10; ++y)
    for (int d = 1; d <= 10; ++d)
      dates.push_back(day(("195" + std::to_string(y) + "-03-" + (d < 10 ? "0" : "") +
                           std::to_string(d)).c_str()));
  auto rows = [&](size_t n) {
    std::vector<Row> out;
    for (size_t i = 0; i < n; ++i)
      out.push_back({firsts[rng() % firsts.size()], lasts[rng() % lasts.size()],
                     dates[rng() % dates.size()]});
    return out;
  };
  std::vector<Row> a = rows(20000), b = rows(20000);
  a.push_back({"Quentin", lasts[3], dates[42]});
  b.push_back({"Olga", lasts[3], dates[42]});
  const RawTable ta = table(a), tb = table(b);
  std::vector<std::string> texts = nm::prob::default_rule_texts();
  const auto rs = rules(texts);
  const auto c = nm::prob::choose_default_rules(rs, ta, tb, false, 2);
  REQUIRE(texts[0] == "birthdate");
  CHECK_FALSE(c.kept[0]);
  const RuleKeys ka = compute_rule_keys(ta, rs, false, 1), kb = compute_rule_keys(tb, rs, true, 1);
  bool found = false;
  for (size_t r = 0; r < rs.size(); ++r)
    found = found || (c.kept[r] && ka.at(a.size() - 1, static_cast<uint32_t>(r)) != kNoKey &&
                      ka.at(a.size() - 1, static_cast<uint32_t>(r)) ==
                          kb.at(b.size() - 1, static_cast<uint32_t>(r)));
  CHECK(found);
}
