#include "jobs/generate/chunk.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <utility>
#include <vector>

#include "jobs/generate/csv_rows.hpp"
#include "jobs/generate/people.hpp"
#include "jobs/generate/records.hpp"
#include "jobs/generate/rng.hpp"

namespace nm::jobs::generator {
namespace {

constexpr uint64_t kHouseholdBase = 4000000000ULL;

// --skew: marks the persons whose date is unknown (see write_unknown_date),
// drawing from the skew stream only.
void apply_skew(std::vector<Person>& people, double skew, Rng& rng) {
  for (Person& p : people) p.unknown_date = rng.chance(skew);
}

struct RMember {
  uint32_t index;  // into left persons (copy) or right persons (other)
  bool copy;
};

}  // namespace

void generate_chunk(const GenerateOptions& o, uint64_t chunk, ChunkOut& out) {
  const uint64_t base = chunk * kChunkRows;
  const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunkRows, o.rows - base));
  Rng rng(o.seed, chunk);
  PeopleMaker pm(rng);
  // Its own stream (chunk streams count up from 0), so the main one is untouched.
  Rng skew_rng(o.seed, ~chunk);

  // Table 1: households until n rows (the last one cut to fit).
  std::vector<Person> left;
  left.reserve(n + 8);
  std::vector<std::pair<uint32_t, uint32_t>> households;  // [begin, end) in `left`
  while (left.size() < n) {
    const size_t begin = left.size();
    pm.household(std::min(pm.household_size(), n - begin), left);
    if (left.size() > n) left.resize(n);
    households.emplace_back(static_cast<uint32_t>(begin), static_cast<uint32_t>(left.size()));
  }
  if (o.skew > 0) apply_skew(left, o.skew, skew_rng);
  std::vector<LeftMeta> meta(n);
  out.left.reserve(n * 96);
  Fields f;
  std::string id;
  for (const auto& [b, e] : households) {
    std::string uuid;
    if (!rng.chance(0.003)) append_uuid(uuid, rng);  // a few rows without a household key
    for (uint32_t i = b; i < e; ++i) {
      render_left(left[i], meta[i], pm, rng, f);
      id.clear();
      append_left_id(id, base + i);
      append_record(out.left, id, uuid, f, {});
    }
  }

  // Table 2: copies of left households (mostly kept together), then other people.
  const size_t target = static_cast<size_t>(std::llround(o.overlap * static_cast<double>(n)));
  size_t copies = 0, others = n - target;
  std::vector<Person> right;  // people not in table 1
  right.reserve(others + 8);
  std::vector<std::vector<RMember>> groups;
  std::vector<uint8_t> copied(n, 0);
  std::vector<uint32_t> order(households.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  std::vector<uint32_t> chosen;
  for (uint32_t h : order) {
    if (copies >= target) break;
    const auto [b, e] = households[h];
    chosen.clear();
    for (uint32_t i = b; i < e; ++i)
      if (rng.chance(0.92)) chosen.push_back(i);
    if (chosen.empty()) chosen.push_back(b + static_cast<uint32_t>(rng.below(e - b)));
    if (chosen.size() > target - copies) chosen.resize(target - copies);
    std::vector<RMember> g;
    for (uint32_t i : chosen) {
      if (copies >= target) break;
      g.push_back({i, true});
      copied[i] = 1;
      ++copies;
      if (copies < target && rng.chance(0.004)) {  // listed twice in table 2
        g.push_back({i, true});
        ++copies;
      }
    }
    if (g.size() >= 2 && rng.chance(0.06)) {  // someone moved out
      groups.push_back({g.back()});
      g.pop_back();
    }
    if (others > 0 && rng.chance(0.05)) {
      right.push_back(pm.newcomer(left[g.front().index]));
      g.push_back({static_cast<uint32_t>(right.size() - 1), false});
      --others;
    }
    groups.push_back(std::move(g));
  }
  for (uint32_t i = 0; i < n && copies < target; ++i)  // overlap close to 1: everyone left
    if (!copied[i]) {
      groups.push_back({{i, true}});
      ++copies;
    }
  while (others > 0) {
    const size_t begin = right.size();
    pm.household(std::min(pm.household_size(), others), right);
    std::vector<RMember> g;
    for (size_t i = begin; i < right.size(); ++i) g.push_back({static_cast<uint32_t>(i), false});
    others -= right.size() - begin;
    groups.push_back(std::move(g));
  }
  if (o.skew > 0) apply_skew(right, o.skew, skew_rng);
  for (size_t i = groups.size(); i > 1; --i) std::swap(groups[i - 1], groups[rng.below(i)]);

  out.right.reserve(n * 64);
  std::vector<std::pair<uint32_t, uint32_t>> pairs;  // (left index, right index) in the chunk
  pairs.reserve(copies);
  std::string hh;
  uint64_t row = base;
  for (const auto& g : groups) {
    hh.clear();
    const bool group_hh = g.size() > 1 || !rng.chance(0.3);
    if (group_hh) append_uint(hh, kHouseholdBase + row + 1);
    for (const RMember& m : g) {
      if (m.copy) {
        render_copy(left[m.index], meta[m.index], pm, rng, f);
        pairs.emplace_back(m.index, static_cast<uint32_t>(row - base));
      } else {
        render_other(right[m.index], rng, f);
      }
      id.clear();
      append_uint(id, row + 1);
      const bool missing_hh = g.size() > 1 && rng.chance(0.015);
      append_record(out.right, id, {}, f, missing_hh ? std::string_view() : std::string_view(hh));
      ++row;
    }
  }

  std::sort(pairs.begin(), pairs.end());
  out.truth.reserve(pairs.size() * 20);
  for (const auto& [l, r] : pairs) {
    append_left_id(out.truth, base + l);
    out.truth.push_back(',');
    append_uint(out.truth, base + r + 1);
    out.truth.push_back('\n');
  }
  out.pairs = pairs.size();
}

}  // namespace nm::jobs::generator
