// The blocking rules' predicted pairs and the choice of default rules that
// fit the pair budget (declared in blocking.hpp): each rule's keys sorted
// (a radix sort), the pairs of equal keys counted across the two sides.
#include "src/match/prob/blocking.hpp"

#include <algorithm>
#include <vector>

#include "src/parallel.hpp"

namespace nm::prob {

namespace {

// LSD radix sort, 16 bits a pass: the keys are hashes, so a comparison
// sort's log n is the cost that grows with the table (n log n at 10M rows).
void radix_sort(std::vector<uint64_t>& v) {
  std::vector<uint64_t> tmp(v.size());
  std::vector<size_t> start(size_t{1} << 16);
  for (int shift = 0; shift < 64; shift += 16) {
    std::fill(start.begin(), start.end(), 0);
    for (const uint64_t x : v) ++start[(x >> shift) & 0xFFFF];
    size_t sum = 0;
    for (size_t& c : start) sum += std::exchange(c, sum);
    for (const uint64_t x : v) tmp[start[(x >> shift) & 0xFFFF]++] = x;
    v.swap(tmp);
  }
}

std::vector<uint64_t> sorted_keys(const RuleKeys& keys, uint32_t r) {
  std::vector<uint64_t> out;
  out.reserve(keys.rows());
  for (size_t row = 0; row < keys.rows(); ++row)
    if (keys.at(row, r) != kNoKey) out.push_back(keys.at(row, r));
  radix_sort(out);
  return out;
}

// Sum over keys of (left rows with it) x (right rows with it).
uint64_t cross_count(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  uint64_t sum = 0;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] < b[j]) {
      ++i;
    } else if (b[j] < a[i]) {
      ++j;
    } else {
      const uint64_t key = a[i];
      uint64_t na = 0, nb = 0;
      for (; i < a.size() && a[i] == key; ++i) ++na;
      for (; j < b.size() && b[j] == key; ++j) ++nb;
      sum += na * nb;
    }
  }
  return sum;
}

}  // namespace

std::vector<uint64_t> predicted_pairs_per_rule(const RuleKeys& left, const RuleKeys& right,
                                               bool dedupe, unsigned threads) {
  std::vector<uint64_t> out(left.rules, 0);
  // Each task counts one rule into its own slot.
  parallel_for(left.rules, threads, [&](size_t task, unsigned) {
    const auto r = static_cast<uint32_t>(task);
    uint64_t pairs = cross_count(sorted_keys(left, r), sorted_keys(right, r));
    if (dedupe) {
      // Take away each row paired with itself, then count each pair once.
      for (size_t row = 0; row < left.rows(); ++row)
        if (left.at(row, r) != kNoKey && left.at(row, r) == right.at(row, r)) --pairs;
      pairs /= 2;
    }
    out[r] = pairs;
  });
  return out;
}

DefaultRuleChoice choose_within_budget(std::vector<uint64_t> predicted, uint64_t budget) {
  DefaultRuleChoice c;
  c.predicted = std::move(predicted);
  c.budget = budget;
  uint64_t total = 0;
  for (const uint64_t p : c.predicted) {
    const bool fits = total + p <= c.budget;
    if (fits) total += p;
    c.kept.push_back(fits);
  }
  return c;
}

DefaultRuleChoice choose_default_rules(const std::vector<BlockingRule>& rules,
                                       const RawTable& left, const RawTable& right, bool dedupe,
                                       unsigned threads) {
  const RuleKeys lk = compute_rule_keys(left, rules, false, threads);
  const RuleKeys rk = compute_rule_keys(right, rules, true, threads);
  return choose_within_budget(predicted_pairs_per_rule(lk, rk, dedupe, threads),
                              default_rule_budget(left.size(), dedupe ? 0 : right.size()));
}

RuleKeys select_rule_keys(const RuleKeys& k, const std::vector<uint32_t>& rules) {
  RuleKeys out;
  out.rules = static_cast<uint32_t>(rules.size());
  const size_t n = k.rows();
  out.keys.resize(n * rules.size());
  for (size_t row = 0; row < n; ++row)
    for (size_t j = 0; j < rules.size(); ++j) out.keys[row * rules.size() + j] = k.at(row, rules[j]);
  return out;
}

}  // namespace nm::prob
