// The probabilistic mode's engine (src/match/prob/linker.hpp) on small random
// tables, against brute force: the candidate pairs are exactly the union of
// the rules' blocks, each scored once; the weights are the documented
// formula; pattern counts, scored pairs and the u sample do not depend on the
// thread count or the chunk size.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "kernels/metrics.hpp"
#include "kernels/prob_compare.hpp"
#include "partition/blocks.hpp"
#include "src/match/prob/linker.hpp"
#include "src/match/prob/values.hpp"
#include "src/text/dates.hpp"

namespace {

using nm::kNoDate;
using nm::kNoKey;
using nm::RawTable;
using nm::prob::LinkData;
using nm::prob::Model;
using nm::prob::Pattern;
using nm::prob::PatternCount;
using nm::prob::ScoredLink;
using nm::prob::Scoring;

constexpr uint8_t kElse = 5;  // the birthdate's "else" level (dates far apart)

// Small pools so blocks form; case and spaces that normalise away, names that
// are also surnames (the swap rule), typos, blanks (missing).
const std::vector<std::string> kFirst = {"anna", "Anna ", "ben", "carl", "dora", "lee", "anne", "",
                                         " "};
const std::vector<std::string> kMiddle = {"", "", "m", "maria", "jo"};
const std::vector<std::string> kLast = {"lee", "kim", "anna", "ben", "park", "Park", "parc", ""};
const std::vector<std::string> kZip = {"2000", "2001", "2100", "3000", ""};

RawTable random_table(std::mt19937_64& rng, size_t n) {
  RawTable t;
  t.extra_names = {"zip"};
  auto pick = [&](const std::vector<std::string>& v) -> const std::string& {
    return v[rng() % v.size()];
  };
  // A few days close together (one digit, a year apart, day/month swapped).
  const int32_t days[] = {3000, 3001, 3010, 3365, 3000 + 31, 9000};
  for (size_t row = 0; row < n; ++row) {
    const std::string id = std::to_string(row);
    const int32_t bd = rng() % 5 == 0 ? kNoDate : days[rng() % std::size(days)];
    t.push({id, "", pick(kFirst), pick(kMiddle), pick(kLast), ""}, bd, row + 2);
    t.push_extra(pick(kZip));
  }
  return t;
}

const std::vector<std::string> kRules = {"birthdate", "swap(first_name, last_name)",
                                         "prefix(last_name, 2) + year(birthdate)",
                                         "first_name + md(birthdate)", "zip"};

std::vector<nm::prob::BlockingRule> parse(const std::vector<std::string>& texts) {
  std::vector<nm::prob::BlockingRule> out;
  out.reserve(texts.size());
  for (const auto& t : texts) out.push_back(nm::prob::parse_rule(t));
  return out;
}

std::vector<nm::prob::Comparison> comparisons() {
  return nm::prob::default_comparisons({"zip=prefix"});
}

// As the run prepares it (jobs/prob/prob_run.cpp): right == nullptr is dedupe.
LinkData link_data(const RawTable& left, const RawTable* right, unsigned threads,
                   const std::vector<std::string>& rules = kRules) {
  LinkData d;
  d.dedupe = right == nullptr;
  d.plan = nm::prob::plan_comparisons(comparisons(), left, "--compare");
  const nm::DateFormat dates("%Y-%m-%d");
  d.left = nm::prob::prepare_side(d.plan, left, dates, threads);
  if (right) d.right = nm::prob::prepare_side(d.plan, *right, dates, threads);
  d.tf_totals = nm::prob::count_frequencies(d.plan, d.left, right ? &d.right : nullptr);
  d.blocking = nm::prob::make_rule_set(parse(rules), left, right ? *right : left, threads);
  d.training = nm::prob::make_rule_set(parse(rules), left, right ? *right : left, threads);
  return d;
}

// Any valid model: m and u positive, summing to 1.
Model random_model(std::mt19937_64& rng) {
  Model m;
  m.comparisons = comparisons();
  std::uniform_real_distribution<double> u01(0.05, 1.0);
  for (auto& c : m.comparisons) {
    for (auto* v : {&c.m, &c.u}) {
      v->resize(c.levels.size());
      double sum = 0;
      for (double& x : *v) sum += (x = u01(rng));
      for (double& x : *v) x /= sum;
    }
  }
  m.prior = 0.01;
  return m;
}

using PairSet = std::set<std::pair<uint32_t, uint32_t>>;

// Every pair (l, r) (with dedupe l < r) for which some rule gives both rows
// the same key; first_rule[pair] = the first such rule.
std::map<std::pair<uint32_t, uint32_t>, uint32_t> brute_force_union(const LinkData& d) {
  std::map<std::pair<uint32_t, uint32_t>, uint32_t> out;
  const auto& L = d.blocking.left;
  const auto& R = d.blocking.right;
  const uint32_t nr = static_cast<uint32_t>(d.right_side().rows);
  for (uint32_t l = 0; l < d.left.rows; ++l)
    for (uint32_t r = d.dedupe ? l + 1 : 0; r < nr; ++r)
      for (uint32_t k = 0; k < d.blocking.rules.size(); ++k)
        if (L.at(l, k) != kNoKey && L.at(l, k) == R.at(r, k)) {
          out.emplace(std::make_pair(l, r), k);
          break;
        }
  return out;
}

Pattern pattern_of(const LinkData& d, uint32_t l, uint32_t r) {
  std::vector<uint32_t> scratch(
      nm::kernels::device_metric_scratch_words(std::max(d.left.max_len, d.right_side().max_len) + 1));
  return nm::prob::compare_pair(d.plan, nm::prob::side_view(d.left), l,
                                nm::prob::side_view(d.right_side()), r, scratch.data());
}

Scoring keep_everything(const Model& model, const LinkData& d) {
  Scoring s = nm::prob::make_scoring(model, d, 0.5);
  s.keep_at = std::numeric_limits<int64_t>::min();
  return s;
}

}  // namespace

TEST_CASE("prob linker: every pair of the rules' blocks is scored exactly once, nothing else") {
  std::mt19937_64 rng(11);
  std::vector<uint64_t> exercised;
  for (int round = 0; round < 6; ++round) {
    const RawTable left = random_table(rng, 60 + round * 7);
    const RawTable right = random_table(rng, 50 + round * 5);
    const Model model = random_model(rng);
    for (const bool dedupe : {false, true}) {
      CAPTURE(round);
      CAPTURE(dedupe);
      const LinkData d = link_data(left, dedupe ? nullptr : &right, 2);
      const auto expected = brute_force_union(d);
      REQUIRE(expected.size() > 50);  // the tables do form blocks
      nm::prob::LinkFigures fig;
      const auto links = nm::prob::score_pairs(d, keep_everything(model, d), 5, 2, &fig);
      // Sorted by (left, right) with no pair twice, and the same set.
      PairSet got;
      for (size_t i = 0; i < links.size(); ++i) {
        if (i > 0)
          CHECK(std::tie(links[i - 1].left, links[i - 1].right) <
                std::tie(links[i].left, links[i].right));
        got.emplace(links[i].left, links[i].right);
      }
      CHECK(links.size() == expected.size());
      PairSet want;
      for (const auto& [p, rule] : expected) want.insert(p);
      CHECK(got == want);
      // Each pair is counted for the first rule that blocks it.
      std::vector<uint64_t> per_rule(d.blocking.rules.size(), 0);
      for (const auto& [p, rule] : expected) ++per_rule[rule];
      CHECK(fig.pairs_per_rule == per_rule);
      CHECK(fig.candidate_pairs == expected.size());
      // Each rule forms some of the union on its own, over the rounds (every
      // rule is exercised).
      exercised.resize(per_rule.size(), 0);
      for (size_t r = 0; r < per_rule.size(); ++r) exercised[r] += per_rule[r];
      for (const ScoredLink& s : links) CHECK(s.pattern == pattern_of(d, s.left, s.right));
    }
  }
  for (uint64_t n : exercised) CHECK(n > 0);
}

TEST_CASE("prob linker: count_patterns counts every pair of each rule's blocks") {
  std::mt19937_64 rng(12);
  for (int round = 0; round < 4; ++round) {
    const RawTable left = random_table(rng, 55);
    const RawTable right = random_table(rng, 45);
    for (const bool dedupe : {false, true}) {
      CAPTURE(round);
      CAPTURE(dedupe);
      const LinkData d = link_data(left, dedupe ? nullptr : &right, 1);
      nm::prob::LinkFigures fig;
      const auto counts = nm::prob::count_patterns(d, d.training, {}, 3, 2, &fig);
      REQUIRE(counts.size() == kRules.size());
      const auto& L = d.training.left;
      const auto& R = d.training.right;
      uint64_t all = 0;
      for (uint32_t k = 0; k < kRules.size(); ++k) {
        // Unlike scoring, a pair an earlier rule found counts for this rule too.
        std::map<Pattern, uint64_t> want;
        for (uint32_t l = 0; l < d.left.rows; ++l)
          for (uint32_t r = dedupe ? l + 1 : 0; r < d.right_side().rows; ++r)
            if (L.at(l, k) != kNoKey && L.at(l, k) == R.at(r, k)) ++want[pattern_of(d, l, r)];
        std::map<Pattern, uint64_t> got;
        for (size_t i = 0; i < counts[k].size(); ++i) {
          if (i > 0) CHECK(counts[k][i - 1].pattern < counts[k][i].pattern);
          got[counts[k][i].pattern] += counts[k][i].count;
        }
        CHECK(got == want);
        uint64_t n = 0;
        for (const auto& [p, c] : want) n += c;
        CHECK(fig.pairs_per_rule[k] == n);
        all += n;
      }
      CHECK(fig.candidate_pairs == all);
    }
  }
}

namespace {

// The reference weight, from the documentation (linker.hpp, comparisons.hpp,
// model.hpp), counting the values itself: the prior's log2 odds plus, per
// comparison, log2(m/u) of its level (null: nothing); at level 0 of a
// term-frequency comparison, u is the share of the column's non-missing
// values over both sides (dedupe: the one table) held by other people than
// the left record's own: the value's count less the records that bear it with
// the left record's birthdate (the record alone when it has none), at least
// 1, so the weight is log2(m0 / (others / total)); when first and last name are both equal,
// their two terms are replaced by one for the whole name: log2(m0_first *
// m0_last / u), u the larger of the names' shares multiplied and the share of
// records held by the other people bearing the whole name (whole_name_share).
struct Reference {
  const Model& model;
  const LinkData& d;
  std::vector<const RawTable*> tables;  // the sides counted

  std::string value(const RawTable& t, size_t row, size_t c) const {
    const std::string& col = model.comparisons[c].column;
    if (col == "zip") return nm::prob::normalized_value(t.get_extra(row, 0));
    const nm::Field f = col == "first_name"    ? nm::Field::kFirst
                        : col == "middle_name" ? nm::Field::kMiddle
                                               : nm::Field::kLast;
    return nm::prob::normalized_value(t.get(row, f));
  }
  // (count of v by other people than the record's of birthdate `day`,
  // non-missing total) over the counted sides.
  std::pair<double, double> share(size_t c, const std::string& v, int32_t day) const {
    double n = 0, own = 0, total = 0;
    for (const RawTable* t : tables)
      for (size_t row = 0; row < t->size(); ++row) {
        const std::string x = value(*t, row, c);
        if (x.empty()) continue;
        ++total;
        n += x == v ? 1 : 0;
        own += x == v && day != kNoDate && t->birthdate[row] == day ? 1 : 0;
      }
    own = std::max(own, 1.0);
    return {n > own ? n - own : 1.0, total};
  }
  // The share of records held by the other people bearing the whole name:
  // people are, in each table, the groups of known birthdates among its
  // records of the name (two dates the birthdate comparison rates above
  // "else" in one group), summed over the tables, less the pair's own
  // (linking: one in each table; dedupe: one group, or two when the pair's
  // birthdates are far apart).
  double whole_name_share(const std::string& first, const std::string& last,
                          bool dates_apart) const {
    double total = 0, people = 0;
    for (const RawTable* t : tables) {
      std::vector<std::set<int32_t>> groups;
      for (size_t row = 0; row < t->size(); ++row) {
        const std::string f = value(*t, row, 0), l = value(*t, row, 2);
        if (f.empty() || l.empty()) continue;
        ++total;
        if (f != first || l != last || t->birthdate[row] == nm::kNoDate) continue;
        // Into every group with a date close to it, those merged.
        std::set<int32_t> joined = {t->birthdate[row]};
        for (auto g = groups.begin(); g != groups.end();) {
          bool close = false;
          for (int32_t x : *g) close = close || nm::kernels::prob::date_level(x, t->birthdate[row]) != kElse;
          if (!close) {
            ++g;
            continue;
          }
          joined.insert(g->begin(), g->end());
          g = groups.erase(g);
        }
        groups.push_back(joined);
      }
      people += static_cast<double>(groups.size());
    }
    const double own = tables.size() == 2 || dates_apart ? 2 : 1;
    return people > own ? (people - own) / total : 0.0;
  }

  int64_t weight(const RawTable& left, uint32_t lrow, Pattern p) const {
    int64_t w = nm::prob::to_fixed(std::log2(model.prior / (1 - model.prior)));
    const auto& cs = model.comparisons;
    const bool whole = nm::prob::level_of(p, 0) == 0 && nm::prob::level_of(p, 2) == 0;
    if (whole) {
      const std::string f = value(left, lrow, 0), l = value(left, lrow, 2);
      const auto [nf, tf] = share(0, f, left.birthdate[lrow]);
      const auto [nl, tl] = share(2, l, left.birthdate[lrow]);
      const uint8_t date = nm::prob::level_of(p, 3);  // the birthdate comparison
      const double u = std::max(nf / tf * nl / tl, whole_name_share(f, l, date == kElse));
      w += nm::prob::to_fixed(std::log2(cs[0].m[0] * cs[2].m[0] / u));
    }
    for (uint32_t c = 0; c < cs.size(); ++c) {
      const uint8_t lev = nm::prob::level_of(p, c);
      if (lev == nm::prob::kNullLevel || (whole && (c == 0 || c == 2))) continue;
      if (lev == 0 && cs[c].term_frequency) {
        const auto [n, total] = share(c, value(left, lrow, c), left.birthdate[lrow]);
        w += nm::prob::to_fixed(std::log2(cs[c].m[0] / (n / total)));
      } else {
        w += nm::prob::to_fixed(std::log2(cs[c].m[lev] / cs[c].u[lev]));
      }
    }
    return w;
  }
};

}  // namespace

TEST_CASE("prob linker: weights are the prior, level weights, term frequencies, whole name") {
  std::mt19937_64 rng(13);
  for (int round = 0; round < 4; ++round) {
    const RawTable left = random_table(rng, 70);
    const RawTable right = random_table(rng, 60);
    const Model model = random_model(rng);
    REQUIRE(model.comparisons[0].column == "first_name");
    REQUIRE(model.comparisons[2].column == "last_name");
    REQUIRE(model.comparisons[4].column == "zip");
    for (const bool dedupe : {false, true}) {
      CAPTURE(round);
      CAPTURE(dedupe);
      const LinkData d = link_data(left, dedupe ? nullptr : &right, 2);
      const Reference ref{model, d,
                          dedupe ? std::vector<const RawTable*>{&left}
                                 : std::vector<const RawTable*>{&left, &right}};
      const auto links = nm::prob::score_pairs(d, keep_everything(model, d), 64, 2, nullptr);
      uint64_t whole = 0, tf_only = 0;
      for (const ScoredLink& s : links) {
        const int64_t want = ref.weight(left, s.left, s.pattern);
        // Rounding each term to fixed point may differ by a unit per term.
        CHECK(std::abs(s.weight - want) <= 6);
        CHECK(s.weight == nm::prob::pair_weight(keep_everything(model, d), s.pattern, s.left));
        const bool f0 = nm::prob::level_of(s.pattern, 0) == 0;
        const bool l0 = nm::prob::level_of(s.pattern, 2) == 0;
        whole += f0 && l0;
        tf_only += f0 != l0 || nm::prob::level_of(s.pattern, 4) == 0;
      }
      // Both branches of the formula are exercised.
      CHECK(whole > 5);
      CHECK(tf_only > 5);
      // With a real threshold, the pairs kept are those at or above it.
      const Scoring s80 = nm::prob::make_scoring(model, d, 0.8);
      const auto kept = nm::prob::score_pairs(d, s80, 64, 2, nullptr);
      size_t above = 0;
      for (const ScoredLink& s : links) above += s.weight >= s80.keep_at;
      CHECK(kept.size() == above);
      for (const ScoredLink& s : kept) CHECK(nm::prob::probability_of(s.weight) >= 0.8);
    }
  }
}

TEST_CASE("prob linker: weight_threshold is the smallest weight of at least the probability") {
  for (const double p : {0.01, 0.3, 0.5, 0.7, 0.9, 0.999, 0.999999}) {
    CAPTURE(p);
    const int64_t t = nm::prob::weight_threshold(p);
    CHECK(nm::prob::probability_of(t) >= p);
    CHECK(nm::prob::probability_of(t - 1) < p);
  }
}

TEST_CASE("prob linker: patterns and scores do not depend on threads or chunk size") {
  std::mt19937_64 rng(14);
  const RawTable left = random_table(rng, 120);
  const RawTable right = random_table(rng, 110);
  const Model model = random_model(rng);
  for (const bool dedupe : {false, true}) {
    CAPTURE(dedupe);
    const LinkData d = link_data(left, dedupe ? nullptr : &right, 1);
    const Scoring s = keep_everything(model, d);
    std::vector<std::vector<PatternCount>> counts0;
    std::vector<ScoredLink> links0;
    nm::prob::LinkFigures cfig0, sfig0;
    bool first = true;
    for (const unsigned threads : {1u, 2u, 3u})
      for (const uint64_t chunk : {uint64_t{1}, uint64_t{7}, uint64_t{1} << 20}) {
        CAPTURE(threads);
        CAPTURE(chunk);
        // The keys too are computed with this thread count.
        const LinkData dt = link_data(left, dedupe ? nullptr : &right, threads);
        nm::prob::LinkFigures cfig, sfig;
        const auto counts = nm::prob::count_patterns(dt, dt.training, {}, chunk, threads, &cfig);
        const auto links = nm::prob::score_pairs(dt, s, chunk, threads, &sfig);
        if (first) {
          counts0 = counts;
          links0 = links;
          cfig0 = cfig;
          sfig0 = sfig;
          first = false;
          REQUIRE(links0.size() > 100);
          continue;
        }
        REQUIRE(counts.size() == counts0.size());
        for (size_t r = 0; r < counts.size(); ++r) {
          REQUIRE(counts[r].size() == counts0[r].size());
          for (size_t i = 0; i < counts[r].size(); ++i) {
            CHECK(counts[r][i].pattern == counts0[r][i].pattern);
            CHECK(counts[r][i].count == counts0[r][i].count);
          }
        }
        REQUIRE(links.size() == links0.size());
        for (size_t i = 0; i < links.size(); ++i) {
          CHECK(links[i].left == links0[i].left);
          CHECK(links[i].right == links0[i].right);
          CHECK(links[i].weight == links0[i].weight);
          CHECK(links[i].pattern == links0[i].pattern);
        }
        CHECK(cfig.pairs_per_rule == cfig0.pairs_per_rule);
        CHECK(sfig.pairs_per_rule == sfig0.pairs_per_rule);
        CHECK(sfig.candidate_pairs == sfig0.candidate_pairs);
      }
  }
}

TEST_CASE("prob linker: the u sample is the same for 1 and 3 threads") {
  std::mt19937_64 rng(15);
  const RawTable left = random_table(rng, 300);
  const RawTable right = random_table(rng, 250);
  for (const bool dedupe : {false, true}) {
    CAPTURE(dedupe);
    const LinkData d = link_data(left, dedupe ? nullptr : &right, 1);
    const auto a = nm::prob::sample_levels(d, 20011, 7, 1);
    const auto b = nm::prob::sample_levels(d, 20011, 7, 3);
    CHECK(a.counts == b.counts);
    REQUIRE(a.counts.size() == d.plan.items.size());
    // Every comparison's levels are counted, as many as its level set has,
    // and every drawn pair is counted once (null levels aside).
    for (size_t c = 0; c < a.counts.size(); ++c) {
      CHECK(a.counts[c].size() == nm::kernels::prob::level_count(d.plan.items[c].set));
      uint64_t n = 0;
      for (uint64_t x : a.counts[c]) n += x;
      CHECK(n <= 20011);
      CHECK(n > 20011 / 10);
    }
    // Another seed draws other pairs.
    CHECK(nm::prob::sample_levels(d, 20011, 8, 3).counts != a.counts);
  }
}

TEST_CASE("prob linker: a value's term frequency counts the people, not one person's records") {
  // One person in the registry four times (surname "quill", one birthdate),
  // another "quill" with another birthdate, one "quill" without a birthdate,
  // and four other people: the surname is held by three people, not six
  // records, whichever of them is asked.
  RawTable t;
  t.extra_names = {"zip"};
  const std::vector<std::tuple<std::string, std::string, int32_t>> people = {
      {"ann", "quill", 3000}, {"anne", "quill", 3000}, {"ann", "quill", 3000},
      {"an", "quill", 3000},  {"bob", "quill", 4000},  {"cy", "quill", kNoDate},
      {"dan", "lee", 3000},   {"eve", "kim", 5000},    {"fay", "park", 6000},
      {"gus", "lee", 7000}};
  for (size_t row = 0; row < people.size(); ++row) {
    const auto& [first, last, day] = people[row];
    t.push({std::to_string(row), "", first, "", last, ""}, day, row + 2);
    t.push_extra("");
  }
  const LinkData d = link_data(t, nullptr, 1);
  std::mt19937_64 rng(3);
  const Model model = random_model(rng);
  const Scoring s = nm::prob::make_scoring(model, d, 0.5);
  const uint32_t slot = d.plan.items[2].slot;  // last_name
  const double total = static_cast<double>(d.tf_totals.values[2]);
  REQUIRE(total == 10);
  auto tf = [&](uint32_t row) { return s.left_tf[row * d.left.text_slots + slot]; };
  auto weight_of = [&](double others) {
    return nm::prob::to_fixed(std::log2(model.comparisons[2].m[0] * total / others));
  };
  // The four records of one person: the other quills are two records.
  for (uint32_t row = 0; row < 4; ++row) CHECK(tf(row) == weight_of(2));
  // bob: the four records of the first person and cy's.
  CHECK(tf(4) == weight_of(5));
  // cy has no birthdate: only the record itself is its own.
  CHECK(tf(5) == weight_of(5));
  // A value of one record alone, or of two people (lee): as many as the others, at least 1.
  CHECK(tf(7) == weight_of(1));
  CHECK(tf(6) == weight_of(1));
  CHECK(tf(9) == weight_of(1));
}

TEST_CASE("prob linker: a whole name's people are its groups of close birthdates") {
  // "ann quill" four times: one person whose date has a typo (days 3000 and
  // 3001, one digit or a day apart) and another far away (9000): two people,
  // not three dates. The whole-name weight of a pair with close dates leaves
  // one group out as its own (one other person), of a pair far apart two.
  RawTable t;
  t.extra_names = {"zip"};
  const std::vector<std::tuple<std::string, std::string, int32_t>> rows = {
      {"ann", "quill", 3000}, {"ann", "quill", 3001}, {"ann", "quill", 3000},
      {"ann", "quill", 9000}, {"bo", "lee", 3000},   {"cy", "kim", 5000},
      {"dee", "park", 6000},  {"eli", "moss", 7000}};
  for (size_t row = 0; row < rows.size(); ++row) {
    const auto& [first, last, day] = rows[row];
    t.push({std::to_string(row), "", first, "", last, ""}, day, row + 2);
    t.push_extra("");
  }
  const LinkData d = link_data(t, nullptr, 1, {"first_name"});
  for (uint32_t row = 0; row < 4; ++row) CHECK(d.left.name_people[row] == 2);
  std::mt19937_64 rng(5);
  const Model model = random_model(rng);
  const Scoring s = nm::prob::make_scoring(model, d, 0.5);
  const double names = static_cast<double>(d.tf_totals.names);
  const double m0 = model.comparisons[0].m[0] * model.comparisons[2].m[0];
  // Row 0 (3000): "ann" and "quill" are both held by rows 1 and 3 beside its own.
  const double independent = 2.0 / 8 * 2.0 / 8;
  CHECK(s.left_name_tf[0] == nm::prob::to_fixed(std::log2(m0 / std::max(independent, 1 / names))));
  CHECK(s.left_name_tf[1] == nm::prob::to_fixed(std::log2(m0 / independent)));
  // The pairs' own groups: close dates (rows 0 and 1) one, far apart (0 and 3) two.
  const auto links = nm::prob::score_pairs(d, keep_everything(model, d), 64, 1, nullptr);
  int seen = 0;
  for (const ScoredLink& l : links) {
    if (l.left != 0 || (l.right != 1 && l.right != 3)) continue;
    ++seen;
    nm::prob::pair_weight_terms(s, d, l.pattern, l.left, [&](const nm::prob::WeightTerm& term) {
      if (term.kind == nm::prob::WeightTerm::kWholeName)
        CHECK(term.weight == s.left_name_tf[l.right == 1 ? 0 : 1]);
    });
  }
  CHECK(seen == 2);
}
