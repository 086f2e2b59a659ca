// Training (src/match/prob/training.hpp, fit_model) on synthetic pattern
// counts drawn from a planted model: a birthdate session (the names free, the
// birthdate blocked) and a first+last name session (the middle name and the
// birthdate free). fit_model must recover the planted m of every comparison,
// each from the session where it is free, the random-sample u, and the prior
// (the matches of a session over the share of all matches its rule finds);
// the same counts in any order give the same model, bit for bit.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "src/match/prob/blocking.hpp"
#include "src/match/prob/comparisons.hpp"
#include "src/match/prob/training.hpp"

namespace {

using nm::prob::kNullLevel;
using nm::prob::LevelCounts;
using nm::prob::Model;
using nm::prob::Pattern;
using nm::prob::PatternCount;

// Comparisons: 0 first_name (6 levels), 1 middle_name (5), 2 last_name (4),
// 3 birthdate (6), as default_comparisons gives them.
struct Planted {
  std::vector<std::vector<double>> m = {{0.80, 0.08, 0.04, 0.02, 0.01, 0.05},
                                        {0.60, 0.05, 0.05, 0.20, 0.10},
                                        {0.85, 0.07, 0.03, 0.05},
                                        {0.90, 0.01, 0.03, 0.01, 0.02, 0.03}};
  std::vector<std::vector<double>> u = {{0.004, 0.003, 0.01, 0.0003, 0.0002, 0.9825},
                                        {0.02, 0.01, 0.02, 0.05, 0.90},
                                        {0.003, 0.002, 0.01, 0.985},
                                        {0.0003, 0.0001, 0.002, 0.0001, 0.0475, 0.95}};
  // The middle name is missing in this share of pairs, matches or not.
  double middle_null = 0.4;
  double matches = 100000;                 // true matches among all pairs
  uint64_t total_pairs = 100000ull * 100000ull;
  // Non-matches sharing a birthdate: u at "equal" of every non-match pair.
  double birthdate_block_non_matches = 0.0003 * (1e10 - 1e5);
  // With `matches` set otherwise, birthdate_block_non_matches follows.
  void set_matches(double n) {
    matches = n;
    birthdate_block_non_matches = u[3][0] * (double(total_pairs) - n);
  }
  double name_block_non_matches = 20000;       // homonyms: first and last name equal
};

// The expected counts of a session's pairs: `fixed` comparisons at level 0
// (the rule's block forces their agreement), the others drawn from m (the
// session's matches) or u (its non-matches), every count rounded.
std::vector<PatternCount> session(const Planted& p, const std::vector<int>& fixed,
                                  double matches, double non_matches) {
  std::vector<PatternCount> out;
  const size_t k = p.m.size();
  auto rec = [&](auto&& self, size_t c, Pattern pat, double pm, double pu) -> void {
    if (c == k) {
      const auto n = std::llround(matches * pm + non_matches * pu);
      if (n > 0) out.push_back({pat, static_cast<uint64_t>(n)});
      return;
    }
    if (std::find(fixed.begin(), fixed.end(), static_cast<int>(c)) != fixed.end()) {
      self(self, c + 1, nm::prob::with_level(pat, c, 0), pm, pu);
      return;
    }
    const double q = c == 1 ? p.middle_null : 0.0;
    if (q > 0) self(self, c + 1, nm::prob::with_level(pat, c, kNullLevel), pm * q, pu * q);
    for (size_t l = 0; l < p.m[c].size(); ++l)
      self(self, c + 1, nm::prob::with_level(pat, c, static_cast<uint8_t>(l)),
           pm * (1 - q) * p.m[c][l], pu * (1 - q) * p.u[c][l]);
  };
  rec(rec, 0, 0, 1.0, 1.0);
  return out;
}

// The random sample: a level's count is its share of 10^7 random pairs,
// matches (the prior's share, with m's levels) and non-matches (u's).
LevelCounts u_sample(const Planted& p) {
  LevelCounts s;
  s.pairs = 10'000'000;
  const double prior = p.matches / double(p.total_pairs);
  for (size_t c = 0; c < p.u.size(); ++c) {
    const double present = c == 1 ? 1 - p.middle_null : 1.0;
    std::vector<uint64_t> counts;
    for (size_t l = 0; l < p.u[c].size(); ++l) {
      const double share = prior * p.m[c][l] + (1 - prior) * p.u[c][l];
      counts.push_back(static_cast<uint64_t>(std::llround(double(s.pairs) * present * share)));
    }
    s.counts.push_back(counts);
  }
  return s;
}

struct Training {
  std::vector<nm::prob::BlockingRule> rules;
  std::vector<std::vector<PatternCount>> patterns;
};

Training planted_training(const Planted& p) {
  Training t;
  t.rules = {nm::prob::parse_rule("birthdate"), nm::prob::parse_rule("first_name + last_name")};
  // Matches in a rule's blocks: those whose keys agree (m at "equal").
  t.patterns.push_back(session(p, {3}, p.matches * p.m[3][0], p.birthdate_block_non_matches));
  t.patterns.push_back(
      session(p, {0, 2}, p.matches * p.m[0][0] * p.m[2][0], p.name_block_non_matches));
  return t;
}

Model fit(const Planted& p, const Training& t) {
  return nm::prob::fit_model(nm::prob::default_comparisons({}), t.rules, u_sample(p), t.patterns,
                             p.total_pairs, false, nm::prob::EmOptions{});
}

}  // namespace

TEST_CASE("prob training: fit_model recovers planted m, u and the prior") {
  const Planted p;
  const Model model = fit(p, planted_training(p));
  REQUIRE(model.comparisons.size() == 4);
  for (size_t c = 0; c < 4; ++c) {
    CAPTURE(model.comparisons[c].column);
    REQUIRE(model.comparisons[c].m.size() == p.m[c].size());
    for (size_t l = 0; l < p.m[c].size(); ++l) {
      CAPTURE(l);
      // m within 0.002: the counts are rounded and m is smoothed; a session
      // with the comparison blocked (all at "equal") would be off by ~0.1.
      CHECK(std::abs(model.comparisons[c].m[l] - p.m[c][l]) < 0.002);
      // u: the random sample's without its matches, smoothed by half a
      // pair a level.
      CHECK(std::abs(model.comparisons[c].u[l] - p.u[c][l]) < 1e-6);
    }
  }
  // The prior: every match among all pairs, within 1 %.
  const double prior = p.matches / double(p.total_pairs);
  CHECK(std::abs(model.prior / prior - 1) < 0.01);
  CHECK(std::abs(model.matches_estimated / p.matches - 1) < 0.01);
  CHECK(model.em_converged);
  CHECK_FALSE(model.dedupe);
  // Every pair of both sessions is a candidate.
  uint64_t pairs = 0;
  for (const auto& s : planted_training(p).patterns)
    for (const auto& pc : s) pairs += pc.count;
  CHECK(model.candidate_pairs == pairs);
}

TEST_CASE("prob training: the same counts in any order and split give the same model") {
  const Planted p;
  const Training t = planted_training(p);
  const std::string want = nm::prob::model_to_json(fit(p, t));
  std::mt19937_64 rng(3);
  for (int round = 0; round < 5; ++round) {
    Training s = t;
    for (auto& v : s.patterns) {
      // Split some counts in two entries, then shuffle.
      const size_t n = v.size();
      for (size_t i = 0; i < n; ++i)
        if (v[i].count > 1 && rng() % 3 == 0) {
          const uint64_t a = 1 + rng() % (v[i].count - 1);
          v.push_back({v[i].pattern, v[i].count - a});
          v[i].count = a;
        }
      std::shuffle(v.begin(), v.end(), rng);
    }
    CHECK(nm::prob::model_to_json(fit(p, s)) == want);
  }
}

TEST_CASE("prob training: a session counted on capped blocks does not set the prior") {
  // The first+last name session counted on blocks of at most 2 records a
  // side finds a third of its rule's pairs: it still trains m, but the prior
  // must come from the birthdate session (which sees every block), or it
  // would be a third of the truth.
  const Planted p;
  Training t = planted_training(p);
  for (auto& pc : t.patterns[1]) pc.count /= 3;
  const Model capped = nm::prob::fit_model(
      nm::prob::default_comparisons({}), t.rules, u_sample(p), t.patterns, p.total_pairs, false,
      nm::prob::EmOptions{}, {nm::prob::RuleSample{}, nm::prob::RuleSample{1.0, 2}});
  for (size_t l = 0; l < p.m[3].size(); ++l)
    CHECK(std::abs(capped.comparisons[3].m[l] - p.m[3][l]) < 0.002);
  const double prior = p.matches / double(p.total_pairs);
  CHECK(std::abs(capped.prior / prior - 1) < 0.01);
  // Counted for a third of the left records (left_share), the session's
  // matches are scaled back up: the prior is right again.
  const Model shared = nm::prob::fit_model(
      nm::prob::default_comparisons({}), t.rules, u_sample(p), t.patterns, p.total_pairs, false,
      nm::prob::EmOptions{}, {nm::prob::RuleSample{}, nm::prob::RuleSample{1.0 / 3, 0}});
  CHECK(std::abs(shared.prior / prior - 1) < 0.01);
}

TEST_CASE("prob training: m is not taken from a session with one free comparison") {
  // A third session, first + last name + birthdate, leaves only the middle
  // name free; half its pairs are non-matches (u fixed, one comparison: the
  // share of matches and m cannot be told apart). The middle name's m must
  // still come from the birthdate session, where the other names are free too.
  const Planted p;
  Training t = planted_training(p);
  t.rules.push_back(nm::prob::parse_rule("first_name + last_name + birthdate"));
  const double both = p.matches * p.m[0][0] * p.m[2][0] * p.m[3][0];
  t.patterns.push_back(session(p, {0, 2, 3}, both, both));
  const Model model = fit(p, t);
  for (size_t c = 0; c < 4; ++c)
    for (size_t l = 0; l < p.m[c].size(); ++l)
      CHECK(std::abs(model.comparisons[c].m[l] - p.m[c][l]) < 0.002);
  CHECK(std::abs(model.prior / (p.matches / double(p.total_pairs)) - 1) < 0.01);
}

TEST_CASE("prob training: m is not taken from a session with a handful of matches") {
  // A third session, on the last name alone in blocks of at most two records
  // a side, leaves three comparisons free (more than the first+last name
  // session's two) but holds 60 pairs, look-alikes whose birthdates differ
  // half the time: at 1M generated rows such a session set m of an equal
  // birthdate to 0.81. Every m must still come from the large sessions.
  const Planted p;
  Training t = planted_training(p);
  t.rules.push_back(nm::prob::parse_rule("last_name"));
  Pattern alike = 0;
  for (uint32_t c = 0; c < 4; ++c) alike = nm::prob::with_level(alike, c, 0);
  t.patterns.push_back({{alike, 30}, {nm::prob::with_level(alike, 3, 5), 30}});
  const Model model = nm::prob::fit_model(
      nm::prob::default_comparisons({}), t.rules, u_sample(p), t.patterns, p.total_pairs, false,
      nm::prob::EmOptions{},
      {nm::prob::RuleSample{}, nm::prob::RuleSample{1.0, 2}, nm::prob::RuleSample{1.0, 2}});
  for (size_t c = 0; c < 4; ++c)
    for (size_t l = 0; l < p.m[c].size(); ++l) {
      CAPTURE(c);
      CAPTURE(l);
      CHECK(std::abs(model.comparisons[c].m[l] - p.m[c][l]) < 0.002);
    }
  CHECK(std::abs(model.prior / (p.matches / double(p.total_pairs)) - 1) < 0.01);
}

TEST_CASE("prob training: u is the non-matches' where matches are dense") {
  // One random pair in a hundred a match (a deduplication of a registry
  // holding each person several times): the random sample's pairs with
  // equal birthdates are mostly matches (0.0093 of them, u 0.0003). u must
  // be the non-matches' and m and the prior still the planted ones.
  Planted p;
  p.set_matches(1e8);
  const Model model = fit(p, planted_training(p));
  for (size_t c = 0; c < 4; ++c)
    for (size_t l = 0; l < p.m[c].size(); ++l) {
      CAPTURE(c);
      CAPTURE(l);
      CHECK(std::abs(model.comparisons[c].m[l] - p.m[c][l]) < 0.002);
      CHECK(std::abs(model.comparisons[c].u[l] / p.u[c][l] - 1) < 0.02);
    }
  CHECK(std::abs(model.prior / (p.matches / double(p.total_pairs)) - 1) < 0.01);
}

TEST_CASE("prob training: u at an equal birthdate is counted in the birthdate blocks") {
  // 10^7 random pairs hold ~3,000 with equal birthdates, give or take a few
  // dozen; the birthdate blocks hold every such pair. A sample that saw 30 %
  // too many must not move u at "equal".
  const Planted p;
  LevelCounts sample = u_sample(p);
  sample.counts[3][0] = sample.counts[3][0] * 13 / 10;
  const Training t = planted_training(p);
  const Model model = nm::prob::fit_model(nm::prob::default_comparisons({}), t.rules, sample,
                                          t.patterns, p.total_pairs, false, nm::prob::EmOptions{});
  CHECK(std::abs(model.comparisons[3].u[0] / p.u[3][0] - 1) < 0.01);
  double sum = 0;
  for (double x : model.comparisons[3].u) sum += x;
  CHECK(std::abs(sum - 1) < 1e-12);
}

TEST_CASE("prob training: the prior counts the matches a blank birthdate keeps out of its blocks") {
  // A fifth of the pairs lack a birthdate on a side (the random sample's
  // share): they are in no birthdate block, so the birthdate session sees
  // 80 % of the matches it would. The prior must still be every match's.
  const Planted p;
  Training t = planted_training(p);
  for (auto& pc : t.patterns[0]) pc.count = pc.count * 4 / 5;
  LevelCounts sample = u_sample(p);
  for (auto& k : sample.counts[3]) k = k * 4 / 5;
  // The name session counted on capped blocks, as in training: the prior
  // comes from the birthdate session.
  const Model model = nm::prob::fit_model(
      nm::prob::default_comparisons({}), t.rules, sample, t.patterns, p.total_pairs, false,
      nm::prob::EmOptions{}, {nm::prob::RuleSample{}, nm::prob::RuleSample{1.0, 2}});
  CHECK(std::abs(model.prior / (p.matches / double(p.total_pairs)) - 1) < 0.01);
}
