#include "tests/support/prob_link.hpp"

#include <string>
#include <vector>

#include "src/gpu/selftest.hpp"
#include "src/match/prob/comparisons.hpp"
#include "src/text/dates.hpp"

namespace nm::test {
namespace {

// Random person tables with dense birthdate blocks; some birthdates missing
// or moved (a day, a year) so every date level occurs.
RawTable table(uint64_t seed, size_t rows, const RawTable* base) {
  gpu::RandomTableOptions o;
  o.rows = rows;
  o.dates = 4;
  o.long_names = 0.03;
  o.empty_names = 0.05;
  RawTable t = gpu::random_table(seed, o, base);
  for (size_t r = 0; r < t.size(); ++r) {
    if (r % 13 == 5) t.birthdate[r] += 1;
    if (r % 29 == 7) t.birthdate[r] += 365;
    if (r % 17 == 3) t.birthdate[r] = kNoDate;
  }
  return t;
}

}  // namespace

std::unique_ptr<Link> make_link(uint64_t seed, size_t left_rows, size_t right_rows, bool dedupe) {
  auto k = std::make_unique<Link>();
  k->left = table(seed, left_rows, nullptr);
  if (!dedupe) k->right = table(seed + 1, right_rows, &k->left);
  const RawTable& right = dedupe ? k->left : k->right;
  prob::LinkData& d = k->d;
  d.dedupe = dedupe;
  k->model.comparisons = prob::default_comparisons({});
  d.plan = prob::plan_comparisons(k->model.comparisons, k->left, "--compare");
  const DateFormat dates("%Y-%m-%d");
  d.left = prob::prepare_side(d.plan, k->left, dates, 1);
  if (!dedupe) d.right = prob::prepare_side(d.plan, k->right, dates, 1);
  d.tf_totals = prob::count_frequencies(d.plan, d.left, dedupe ? nullptr : &d.right);
  std::vector<prob::BlockingRule> rules;
  for (const char* r : {"birthdate", "dm(first_name) + dm(last_name)", "swap(first_name, last_name)",
                        "last_name + year(birthdate)"})
    rules.push_back(prob::parse_rule(r));
  d.blocking = prob::make_rule_set(rules, k->left, right, 1);
  d.training = prob::make_rule_set(rules, k->left, right, 1);
  // m falls and u rises with the level: better levels are evidence of a match.
  for (auto& c : k->model.comparisons) {
    const size_t n = c.levels.size();
    double sm = 0, su = 0;
    for (size_t l = 0; l < n; ++l) {
      c.m.push_back(double((n - l) * (n - l)));
      c.u.push_back(double((l + 1) * (l + 1)));
      sm += c.m.back();
      su += c.u.back();
    }
    for (size_t l = 0; l < n; ++l) {
      c.m[l] /= sm;
      c.u[l] /= su;
    }
  }
  k->model.prior = 0.01;
  return k;
}

bool same_links(const std::vector<prob::ScoredLink>& a, const std::vector<prob::ScoredLink>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].left != b[i].left || a[i].right != b[i].right || a[i].weight != b[i].weight ||
        a[i].pattern != b[i].pattern)
      return false;
  return true;
}

bool same_counts(const std::vector<prob::PatternCount>& a,
                 const std::vector<prob::PatternCount>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].pattern != b[i].pattern || a[i].count != b[i].count) return false;
  return true;
}

}  // namespace nm::test
