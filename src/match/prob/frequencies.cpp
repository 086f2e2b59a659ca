// The term-frequency counts of the probabilistic mode's prepared sides
// (count_frequencies, others_frequency; declared in comparisons.hpp): each
// value's records over both sides, the records of its own person, and each
// whole name's records and people, through dense ids of the values.
#include "src/match/prob/comparisons.hpp"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <vector>

namespace nm::prob {

namespace {

std::u32string_view value_of(const PreparedSide& s, size_t row, uint32_t slot) {
  const size_t i = row * s.text_slots + slot;
  return {reinterpret_cast<const char32_t*>(s.cp.data() + s.offset[i]), s.length[i]};
}

// One term-frequency slot's values over both sides as dense ids: each
// distinct value is looked up once per record (no per-record string is
// built), and the counts are an array indexed by id.
struct InternedSlot {
  std::vector<uint32_t> ids[2];  // per side (left, right), per row; 0 = missing
  std::vector<uint32_t> count;   // per id; count[0] unused
  uint64_t total = 0;            // non-missing values
};

InternedSlot intern_slot(const PreparedSide* const sides[2], uint32_t slot) {
  InternedSlot out;
  out.count.push_back(0);
  absl::flat_hash_map<std::u32string_view, uint32_t> ids;
  for (int k = 0; k < 2; ++k) {
    if (sides[k] == nullptr) continue;
    const PreparedSide& s = *sides[k];
    out.ids[k].assign(s.rows, 0);
    for (size_t row = 0; row < s.rows; ++row) {
      const std::u32string_view v = value_of(s, row, slot);
      if (v.empty()) continue;
      const auto [it, added] = ids.try_emplace(v, static_cast<uint32_t>(out.count.size()));
      if (added) out.count.push_back(0);
      ++out.count[it->second];
      ++out.total;
      out.ids[k][row] = it->second;
    }
  }
  return out;
}

// The whole (first, last) names of both sides as dense ids (0: either name
// missing), from the two slots' ids.
struct InternedNames {
  std::vector<uint32_t> ids[2];
  uint32_t distinct = 0;
};

InternedNames intern_names(const InternedSlot& first, const InternedSlot& last) {
  InternedNames out;
  absl::flat_hash_map<uint64_t, uint32_t> ids;
  for (int k = 0; k < 2; ++k) {
    const std::vector<uint32_t>& f = first.ids[k];
    const std::vector<uint32_t>& l = last.ids[k];
    out.ids[k].assign(f.size(), 0);
    for (size_t row = 0; row < f.size(); ++row) {
      if (f[row] == 0 || l[row] == 0) continue;
      const uint64_t key = (uint64_t{f[row]} << 32) | l[row];
      out.ids[k][row] = ids.try_emplace(key, static_cast<uint32_t>(ids.size() + 1)).first->second;
    }
  }
  out.distinct = static_cast<uint32_t>(ids.size());
  return out;
}

// Distinct dates at most this many are grouped (date_groups); a name with
// more is common enough that a typo's date more or less changes nothing.
constexpr size_t kMaxGroupedDates = 64;

// How many people the distinct days `days` of one whole name stand for: the
// groups of days joined when the birthdate comparison rates two of them at a
// level other than "else" (day and month swapped, one digit, a year apart,
// within 31 days: a typo of one person's date, as a true pair's differing
// date mostly is), or every day its own beyond kMaxGroupedDates.
uint32_t date_groups(std::span<const int32_t> days) {
  const size_t n = days.size();
  if (n > kMaxGroupedDates) return static_cast<uint32_t>(n);
  const uint8_t far = kernels::prob::level_count(LevelSet::kDate) - 1;
  std::array<size_t, kMaxGroupedDates> parent{};
  for (size_t i = 0; i < n; ++i) parent[i] = i;
  auto root = [&parent](size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  };
  uint32_t groups = static_cast<uint32_t>(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = i + 1; j < n; ++j) {
      if (kernels::prob::date_level(days[i], days[j]) == far) continue;
      const size_t a = root(i), b = root(j);
      if (a != b) {
        parent[a] = b;
        --groups;
      }
    }
  return groups;
}

// Per whole name id: its records (count) and its people, counted in each
// table and summed (a table's records of the name: their distinct
// birthdates, grouped by date_groups; missing dates count none), from the
// sorted (name, table, day) triples. A person linked across the tables is a
// record of each, as the other table's records of the name are what a
// record's name meets; within one table a person entered twice, or once with
// a typo in the date, counts once.
void count_names(const PreparedSide* const sides[2], const InternedNames& names, int date_slot,
                 std::vector<uint32_t>& records, std::vector<uint32_t>& people) {
  records.assign(size_t{names.distinct} + 1, 0);
  people.assign(size_t{names.distinct} + 1, 0);
  std::vector<uint64_t> dated;
  for (int k = 0; k < 2; ++k) {
    if (sides[k] == nullptr) continue;
    const PreparedSide& s = *sides[k];
    for (size_t row = 0; row < s.rows; ++row) {
      const uint32_t id = names.ids[k][row];
      if (id == 0) continue;
      ++records[id];
      const int32_t day = date_slot < 0 ? kernels::prob::kNoDay
                                        : s.days[row * s.date_slots + static_cast<uint32_t>(date_slot)];
      if (day != kernels::prob::kNoDay)
        // id < 2^31: one per distinct name of fewer than 2^32 rows.
        dated.push_back((uint64_t{id} << 33) | (uint64_t(k) << 32) | static_cast<uint32_t>(day));
    }
  }
  std::sort(dated.begin(), dated.end());
  dated.erase(std::unique(dated.begin(), dated.end()), dated.end());
  std::vector<int32_t> days;
  for (size_t i = 0; i < dated.size();) {
    const uint64_t name_table = dated[i] >> 32;
    days.clear();
    for (; i < dated.size() && dated[i] >> 32 == name_table; ++i)
      days.push_back(static_cast<int32_t>(static_cast<uint32_t>(dated[i])));
    people[name_table >> 1] += date_groups(days);
  }
}

// Each row's own_frequency in `slot`: the records (both sides) with its
// value id and its birthdate (0 when the row has no date or no value).
void count_value_days(PreparedSide* const sides[2], const InternedSlot& v, uint32_t slot,
                      int date_slot) {
  if (date_slot < 0) return;
  auto day_of = [date_slot](const PreparedSide& s, size_t row) {
    return s.days[row * s.date_slots + static_cast<uint32_t>(date_slot)];
  };
  absl::flat_hash_map<uint64_t, uint32_t> counts;
  auto key = [&](int k, size_t row) -> uint64_t {
    const uint32_t id = v.ids[k][row];
    const int32_t day = day_of(*sides[k], row);
    if (id == 0 || day == kernels::prob::kNoDay) return 0;
    return (uint64_t{id} << 32) | static_cast<uint32_t>(day);
  };
  for (int k = 0; k < 2; ++k)
    if (sides[k] != nullptr)
      for (size_t row = 0; row < sides[k]->rows; ++row)
        if (const uint64_t x = key(k, row)) ++counts[x];
  for (int k = 0; k < 2; ++k) {
    if (sides[k] == nullptr) continue;
    PreparedSide& s = *sides[k];
    for (size_t row = 0; row < s.rows; ++row)
      if (const uint64_t x = key(k, row)) s.own_frequency[row * s.text_slots + slot] = counts[x];
  }
}

}  // namespace

FrequencyTotals count_frequencies(const ComparisonPlan& plan, PreparedSide& left,
                                  PreparedSide* right) {
  FrequencyTotals totals;
  totals.values.assign(plan.items.size(), 0);
  PreparedSide* const sides[2] = {&left, right};
  const PreparedSide* const csides[2] = {&left, right};
  for (PreparedSide* s : sides) {
    if (s == nullptr) continue;
    s->frequency.assign(s->rows * s->text_slots, 0);
    s->own_frequency.assign(s->rows * s->text_slots, 0);
    s->name_frequency.assign(s->rows, 0);
    s->name_people.assign(s->rows, 0);
  }
  int date_slot = -1;
  for (size_t c = 0; c < plan.items.size(); ++c)
    if (plan.items[c].set == LevelSet::kDate && plan.columns[c].kind == ColumnRef::kBirthdate)
      date_slot = static_cast<int>(plan.items[c].slot);
  std::optional<InternedSlot> first, last;
  for (size_t c = 0; c < plan.items.size(); ++c) {
    if (!plan.term_frequency[c]) continue;
    const uint32_t slot = plan.items[c].slot;
    InternedSlot v = intern_slot(csides, slot);
    totals.values[c] = v.total;
    for (int k = 0; k < 2; ++k) {
      if (sides[k] == nullptr) continue;
      PreparedSide& s = *sides[k];
      for (size_t row = 0; row < s.rows; ++row)
        s.frequency[row * s.text_slots + slot] = v.count[v.ids[k][row]];
    }
    // The value with the birthdate: one person's records, mostly.
    count_value_days(sides, v, slot, date_slot);
    if (static_cast<int>(slot) == plan.swap_first) first = std::move(v);
    else if (static_cast<int>(slot) == plan.swap_last) last = std::move(v);
  }
  if (!first || !last) return totals;
  const InternedNames names = intern_names(*first, *last);
  first.reset();
  last.reset();
  // The people bearing each whole name: in each table its records' groups of
  // close birthdates (a registry may hold one person several times).
  std::vector<uint32_t> records, people;
  count_names(csides, names, date_slot, records, people);
  for (int k = 0; k < 2; ++k) {
    if (sides[k] == nullptr) continue;
    PreparedSide& s = *sides[k];
    for (size_t row = 0; row < s.rows; ++row) {
      const uint32_t id = names.ids[k][row];
      if (id == 0) continue;
      s.name_frequency[row] = records[id];
      s.name_people[row] = people[id];
      ++totals.names;
    }
  }
  return totals;
}

uint32_t others_frequency(const PreparedSide& s, size_t row, uint32_t slot) {
  const size_t i = row * s.text_slots + slot;
  const uint32_t own = std::max<uint32_t>(s.own_frequency[i], 1);
  return s.frequency[i] > own ? s.frequency[i] - own : 1;
}

}  // namespace nm::prob
