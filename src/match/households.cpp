#include "src/match/households.hpp"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cfloat>
#include <map>
#include <optional>

namespace nm {

void count_household_sizes(const RawTable& t, bool table2, HouseholdSizes& sizes) {
  for (size_t r = 0; r < t.size(); ++r) {
    const std::string_view key = table2 ? table2_household(t, r) : table1_household(t, r);
    if (!key.empty()) ++sizes[std::string(key)];
  }
}

// A person goes to the household of their best pair, or nowhere on a tie: a
// pair to a different household within FLT_EPSILON of the best. Which pairs
// are within FLT_EPSILON of the final best does not depend on the order they
// came in, so keeping each household's best confidence — and of those only
// the best two — decides the same as keeping every pair.
void HouseholdAggregator::offer(Person& p, std::string_view key, float c) {
  if (!p.has_first) {
    p.first = key;
    p.best = c;
    p.has_first = true;
    return;
  }
  if (key == p.first) {
    p.best = std::max(p.best, c);
    return;
  }
  if (p.has_second && key == p.second) {
    p.second_best = std::max(p.second_best, c);
  } else if (!p.has_second || c > p.second_best) {
    p.second = key;  // the household it replaces has no pair above c
    p.second_best = c;
    p.has_second = true;
  }
  if (p.second_best > p.best) {
    std::swap(p.first, p.second);
    std::swap(p.best, p.second_best);
  }
}

void HouseholdAggregator::settle(const Person& p, bool own_is_uuid) {
  if (!p.has_first) return;
  if (p.has_second && p.best - p.second_best < FLT_EPSILON) return;  // tie between households
  if (own_is_uuid)
    ++assigned_[{p.own, p.first}];
  else
    ++assigned_[{p.first, p.own}];
}

void HouseholdAggregator::add(uint64_t left, uint64_t right, float confidence, std::string_view hh1,
                              std::string_view hh2) {
  if (hh1.empty()) return;  // table-1 rows without a uuid take no part
  if (!table2_view_) {
    if (!have_left_ || left != cur_left_) {
      if (have_left_) settle(cur_, true);
      cur_ = Person{};
      cur_.own = std::string(hh1);
      cur_left_ = left;
      have_left_ = true;
    }
    offer(cur_, hh2, confidence);
  } else {
    Person& p = right_[right];
    if (!p.has_first) p.own = std::string(hh2);
    offer(p, hh1, confidence);
  }
}

std::vector<HouseholdRow> HouseholdAggregator::finish(const HouseholdSizes& sizes) {
  if (!table2_view_) {
    if (have_left_) settle(cur_, true);
    have_left_ = false;
  } else {
    for (const auto& [row, p] : right_) settle(p, false);
    right_.clear();
  }
  std::vector<HouseholdRow> rows;
  for (const auto& [key, count] : assigned_) {  // sorted by (uuid, hh) bytes
    const auto it = sizes.find(table2_view_ ? key.second : key.first);
    const uint64_t denom = it == sizes.end() ? 0 : it->second;
    if (denom == 0) continue;
    const float pct = static_cast<float>(count) / static_cast<float>(denom) * 100.0f;
    if (pct > 50.0f) rows.push_back(HouseholdRow{key.first, key.second, pct});
  }
  assigned_.clear();
  return rows;
}

}  // namespace nm
