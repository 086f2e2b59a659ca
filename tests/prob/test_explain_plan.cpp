// What `explain --model` and `plan --algorithm prob` build on: the terms of
// a pair's weight (pair_weight_terms) add up to pair_weight and are the
// model's table or the term-frequency weights; count_candidates counts what
// score_pairs scores; choose_default_rules keeps what fits the budget.
// tests/cli/prob_explain.sh checks the commands against a run on FEBRL4.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "src/match/prob/blocking.hpp"
#include "src/match/prob/comparisons.hpp"
#include "src/match/prob/linker.hpp"

namespace {

using nm::prob::WeightTerm;

// Names drawn from short lists so values repeat (term frequencies), with a
// few swapped, missing and misspelt ones.
nm::RawTable people(size_t n, uint32_t salt) {
  const char* first[] = {"anna", "john", "maria", "li", "jon", "peter", "ann"};
  const char* last[] = {"smith", "meyer", "nguyen", "li", "smyth", "jones"};
  nm::RawTable t;
  t.source = "test";
  for (size_t i = 0; i < n; ++i) {
    const size_t k = i + salt;
    std::string f = first[k % 7], l = last[(k * 5 / 3) % 6], m = k % 5 == 0 ? "q" : "";
    if (k % 11 == 0) std::swap(f, l);
    if (k % 13 == 0) f.clear();
    const int32_t day = k % 17 == 0 ? nm::kNoDate : static_cast<int32_t>(k % 9) * 40;
    const std::string id = std::to_string(i);
    t.push({id, "", f, m, l, ""}, day, i + 2);
  }
  return t;
}

// The default comparisons with m and u that sum to 1 and differ by level.
nm::prob::Model model_of(const std::vector<nm::prob::Comparison>& comparisons) {
  nm::prob::Model model;
  model.prior = 0.01;
  model.comparisons = comparisons;
  for (auto& c : model.comparisons) {
    const size_t n = c.levels.size();
    double sm = 0, su = 0;
    for (size_t l = 0; l < n; ++l) {
      c.m.push_back(double(n - l));
      c.u.push_back(double(l + 1) * double(l + 1));
      sm += c.m.back();
      su += c.u.back();
    }
    for (size_t l = 0; l < n; ++l) c.m[l] /= sm, c.u[l] /= su;
  }
  return model;
}

struct Fixture {
  nm::RawTable left = people(60, 0), right = people(50, 3);
  nm::prob::Model model = model_of(nm::prob::default_comparisons({}));
  nm::prob::LinkData d;
  Fixture() {
    d.plan = nm::prob::plan_comparisons(model.comparisons, left, "--compare");
    d.left = nm::prob::prepare_side(d.plan, left, nm::DateFormat(), 1);
    d.right = nm::prob::prepare_side(d.plan, right, nm::DateFormat(), 1);
    d.tf_totals = nm::prob::count_frequencies(d.plan, d.left, &d.right);
    std::vector<nm::prob::BlockingRule> rules;
    for (const char* r : {"birthdate", "last_name", "swap(first_name, last_name)", "first_name"})
      rules.push_back(nm::prob::parse_rule(r));
    d.blocking = nm::prob::make_rule_set(rules, left, right, 2);
  }
};

}  // namespace

TEST_CASE("prob explain: pair_weight_terms adds up to pair_weight, term by term") {
  const Fixture f;
  const nm::prob::Scoring s = nm::prob::make_scoring(f.model, f.d, 0.5);
  REQUIRE(s.first_c >= 0);  // the whole-name weight is in play
  const auto lv = nm::prob::side_view(f.d.left), rv = nm::prob::side_view(f.d.right);
  std::vector<uint32_t> scratch(256);
  std::vector<int> kinds(6, 0);
  for (uint32_t l = 0; l < f.d.left.rows; ++l) {
    for (uint32_t r = 0; r < f.d.right.rows; ++r) {
      const nm::prob::Pattern p = nm::prob::compare_pair(f.d.plan, lv, l, rv, r, scratch.data());
      int64_t sum = 0;
      int next = -1;  // terms come in order: the prior, then comparison 0, 1, ...
      const int64_t w = nm::prob::pair_weight_terms(s, f.d, p, l, [&](const WeightTerm& t) {
        CHECK(t.comparison == next++);
        ++kinds[t.kind];
        sum += t.weight;
        const uint8_t lev = t.comparison < 0 ? 0 : nm::prob::level_of(p, uint32_t(t.comparison));
        switch (t.kind) {
          case WeightTerm::kPrior:
            CHECK(t.weight == s.weights.prior);
            break;
          case WeightTerm::kLevel:
            CHECK(t.weight == s.weights.level[size_t(t.comparison)][lev]);
            break;
          case WeightTerm::kMissing:
            CHECK(lev == nm::prob::kNullLevel);
            CHECK(t.weight == 0);
            break;
          case WeightTerm::kTermFrequency:
            CHECK(lev == 0);
            CHECK(t.weight ==
                  s.left_tf[l * f.d.left.text_slots + f.d.plan.items[size_t(t.comparison)].slot]);
            break;
          case WeightTerm::kWholeName:
            CHECK(t.comparison == s.first_c);
            {
              // The whole-name weight for a pair whose birthdates agree, are
              // close or one is missing, or for one whose are far apart.
              const uint8_t date = s.date_c < 0 ? nm::prob::kNullLevel
                                                : nm::prob::level_of(p, uint32_t(s.date_c));
              const bool differ = date == s.date_else;
              CHECK(t.weight == s.left_name_tf[2 * size_t{l} + (differ ? 1 : 0)]);
            }
            break;
          case WeightTerm::kInWholeName:
            CHECK(t.comparison == s.last_c);
            CHECK(t.weight == 0);
            break;
        }
      });
      CHECK(w == sum);
      CHECK(w == nm::prob::pair_weight(s, p, l));
      CHECK(next == int(f.d.plan.items.size()));
    }
  }
  for (int k = 0; k < 6; ++k) CHECK_MESSAGE(kinds[k] > 0, "no term of kind " << k);
}

TEST_CASE("prob plan: count_candidates counts what score_pairs scores, per rule") {
  Fixture f;
  const nm::prob::Scoring s = nm::prob::make_scoring(f.model, f.d, 0.5);
  for (uint64_t chunk : {uint64_t{7}, uint64_t{1} << 20}) {
    nm::prob::LinkFigures scored;
    nm::prob::score_pairs(f.d, s, chunk, 2, &scored);
    // count_candidates reads no prepared values: only the rows and the rules.
    nm::prob::LinkData bare;
    bare.left.rows = f.d.left.rows;
    bare.right.rows = f.d.right.rows;
    bare.blocking = f.d.blocking;
    const nm::prob::LinkFigures counted = nm::prob::count_candidates(bare, chunk, 2);
    CHECK(counted.pairs_per_rule == scored.pairs_per_rule);
    CHECK(counted.candidate_pairs == scored.candidate_pairs);
    // Each rule finds at most what it predicts; the first rule exactly that.
    const auto predicted =
        nm::prob::predicted_pairs_per_rule(f.d.blocking.left, f.d.blocking.right, false);
    CHECK(counted.pairs_per_rule[0] == predicted[0]);
    uint64_t sum = 0;
    for (size_t r = 0; r < predicted.size(); ++r) {
      CHECK(counted.pairs_per_rule[r] <= predicted[r]);
      sum += predicted[r];
    }
    CHECK(counted.candidate_pairs <= sum);
    CHECK(counted.candidate_pairs > predicted[0]);  // the later rules add pairs
  }
}

TEST_CASE("prob plan: choose_default_rules keeps the rules within the budget") {
  const Fixture f;
  std::vector<nm::prob::BlockingRule> rules;
  for (const auto& t : nm::prob::default_rule_texts()) rules.push_back(nm::prob::parse_rule(t));
  const nm::prob::DefaultRuleChoice c =
      nm::prob::choose_default_rules(rules, f.left, f.right, false, 2);
  CHECK(c.budget == nm::prob::default_rule_budget(60, 50));
  const nm::prob::RuleSet set = nm::prob::make_rule_set(rules, f.left, f.right, 1);
  CHECK(c.predicted == nm::prob::predicted_pairs_per_rule(set.left, set.right, false));
  REQUIRE(c.kept.size() == rules.size());
  for (size_t r = 0; r < rules.size(); ++r) CHECK(c.kept[r] == (c.predicted[r] <= c.budget));
  // Dedupe: the budget counts one table.
  const auto dd = nm::prob::choose_default_rules(rules, f.left, f.left, true, 1);
  CHECK(dd.budget == nm::prob::default_rule_budget(60, 0));

  // One surname for everybody: 1100 x 1000 pairs, over the budget (2^20).
  nm::RawTable a, b;
  for (int i = 0; i < 1100; ++i)
    (i < 1000 ? b : a)
        .push({std::to_string(i), "", "p" + std::to_string(i), "", "smith", ""}, i, 2);
  for (int i = 1000; i < 1100; ++i)
    b.push({std::to_string(i), "", "q" + std::to_string(i), "", "smith", ""}, i, 2);
  for (int i = 0; i < 1000; ++i)
    a.push({std::to_string(i), "", "r" + std::to_string(i), "", "smith", ""}, i + 5000, 2);
  REQUIRE(a.size() == 1100);
  REQUIRE(b.size() == 1100);
  const auto big = nm::prob::choose_default_rules(rules, a, b, false, 2);
  CHECK(big.budget == uint64_t{1} << 20);
  for (size_t r = 0; r < rules.size(); ++r) {
    CAPTURE(rules[r].text);
    CHECK(big.kept[r] == (rules[r].text != "last_name"));
    if (rules[r].text == "last_name") CHECK(big.predicted[r] == 1100u * 1100u);
  }
}
