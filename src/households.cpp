#include "src/households.hpp"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <cfloat>
#include <map>
#include <optional>

namespace nm {
namespace {

std::string_view t2_household(const RawTable& t2, uint32_t row) {
  std::string_view hh = t2.get(row, Field::kHhId);
  return hh.empty() ? t2.get(row, Field::kId) : hh;
}

// For one person, the household of their best pair, or nothing on a tie
// (a pair to a different household within FLT_EPSILON of the best).
template <class It, class KeyOf>
std::optional<std::string_view> best_household(It begin, It end, KeyOf key_of) {
  float best = -1.0f;
  for (It p = begin; p != end; ++p) best = std::max(best, p->confidence);
  std::optional<std::string_view> chosen;
  for (It p = begin; p != end; ++p) {
    if (!(best - p->confidence < FLT_EPSILON)) continue;
    const std::string_view k = key_of(*p);
    if (chosen && *chosen != k) return std::nullopt;
    chosen = k;
  }
  return chosen;
}

}  // namespace

std::vector<HouseholdRow> aggregate_households(const RawTable& t1, const RawTable& t2,
                                               const std::vector<MatchPair>& all_pairs,
                                               bool table2_view) {
  // Table-1 rows without a uuid take no part, in either view.
  std::vector<MatchPair> pairs;
  pairs.reserve(all_pairs.size());
  for (const MatchPair& p : all_pairs)
    if (!t1.get(p.left, Field::kUuid).empty()) pairs.push_back(p);

  // (uuid, hh) -> persons assigned
  std::map<std::pair<std::string_view, std::string_view>, uint64_t> assigned;
  auto uuid_of = [&](const MatchPair& p) { return t1.get(p.left, Field::kUuid); };
  auto hh_of = [&](const MatchPair& p) { return t2_household(t2, p.right); };

  if (!table2_view) {
    for (size_t i = 0; i < pairs.size();) {
      size_t e = i;
      while (e < pairs.size() && pairs[e].left == pairs[i].left) ++e;
      if (auto hh = best_household(pairs.begin() + i, pairs.begin() + e, hh_of))
        ++assigned[{uuid_of(pairs[i]), *hh}];
      i = e;
    }
  } else {
    std::sort(pairs.begin(), pairs.end(), [](const MatchPair& a, const MatchPair& b) {
      return a.right != b.right ? a.right < b.right : a.left < b.left;
    });
    for (size_t i = 0; i < pairs.size();) {
      size_t e = i;
      while (e < pairs.size() && pairs[e].right == pairs[i].right) ++e;
      if (auto uuid = best_household(pairs.begin() + i, pairs.begin() + e, uuid_of))
        ++assigned[{*uuid, hh_of(pairs[i])}];
      i = e;
    }
  }

  // Denominator: the size of the person's own household.
  absl::flat_hash_map<std::string_view, uint64_t> size;
  if (!table2_view) {
    for (size_t r = 0; r < t1.size(); ++r) {
      std::string_view u = t1.get(r, Field::kUuid);
      if (!u.empty()) ++size[u];
    }
  } else {
    for (size_t r = 0; r < t2.size(); ++r) ++size[t2_household(t2, static_cast<uint32_t>(r))];
  }

  std::vector<HouseholdRow> rows;
  for (const auto& [key, count] : assigned) {  // std::map: sorted by (uuid, hh) bytes
    const uint64_t denom = size[table2_view ? key.second : key.first];
    const float pct = static_cast<float>(count) / static_cast<float>(denom) * 100.0f;
    if (pct > 50.0f)
      rows.push_back(HouseholdRow{std::string(key.first), std::string(key.second), pct});
  }
  return rows;
}

}  // namespace nm
