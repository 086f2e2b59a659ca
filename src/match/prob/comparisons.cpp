#include "src/match/prob/comparisons.hpp"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <optional>

#include "src/errors.hpp"
#include "src/match/prepare.hpp"
#include "src/match/prob/values.hpp"
#include "src/parallel.hpp"
#include "src/text/double_metaphone.hpp"
#include "src/text/normalize.hpp"
#include "src/text/utf8.hpp"

namespace nm::prob {
namespace {

constexpr std::string_view kNameLevels[] = {"equal", "jw>=0.92", "jw>=0.88 or metaphone"};

std::vector<std::string> level_names(LevelSet s) {
  std::vector<std::string> out;
  switch (s) {
    case LevelSet::kNameSwap:
      out.assign(std::begin(kNameLevels), std::end(kNameLevels));
      out.insert(out.end(), {"first/last swapped", "a name in the other's place", "else"});
      break;
    case LevelSet::kNameInitial:
      out.assign(std::begin(kNameLevels), std::end(kNameLevels));
      out.insert(out.end(), {"initial", "else"});
      break;
    case LevelSet::kName:
    case LevelSet::kNameSwapPartner:
      out.assign(std::begin(kNameLevels), std::end(kNameLevels));
      out.emplace_back("else");
      break;
    case LevelSet::kDate:
      out = {"equal", "day/month swapped", "one digit", "a year apart", "within 31 days", "else"};
      break;
    case LevelSet::kExact: out = {"equal", "else"}; break;
    case LevelSet::kPrefix: out = {"equal", "one edit", "same first 3", "else"}; break;
    case LevelSet::kNumeric: out = {"equal", "one edit", "else"}; break;
  }
  return out;
}

Comparison make(std::string column, CompareKind kind, bool tf) {
  Comparison c;
  c.column = std::move(column);
  c.kind = kind;
  c.term_frequency = tf;
  c.levels = level_names(level_set_of(c));
  return c;
}

bool is_person_field(std::string_view c) {
  return c == "first_name" || c == "middle_name" || c == "last_name" || c == "birthdate";
}

}  // namespace

ColumnRef resolve_column(const RawTable& t, std::string_view name, std::string_view option) {
  if (name == "birthdate") return {ColumnRef::kBirthdate, 0};
  for (size_t k = 0; k < t.extra_names.size(); ++k)
    if (t.extra_names[k] == name) return {ColumnRef::kExtra, static_cast<uint32_t>(k)};
  for (size_t f = 0; f < kTextFieldCount; ++f)
    if (kFieldNames[f] == name) return {ColumnRef::kField, static_cast<uint32_t>(f)};
  std::string have;
  for (auto f : kFieldNames) have += std::string(have.empty() ? "" : ", ") + std::string(f);
  have += ", birthdate";
  for (const auto& e : t.extra_names) have += ", " + e;
  throw UsageError(std::string(option) + ": no column '" + std::string(name) + "' (columns: " +
                   have + ")");
}

std::string_view column_text(const RawTable& t, ColumnRef c, size_t row) {
  switch (c.kind) {
    case ColumnRef::kField: return t.get(row, static_cast<Field>(c.index));
    case ColumnRef::kExtra: return t.get_extra(row, c.index);
    case ColumnRef::kBirthdate: break;
  }
  return {};
}

CompareKind parse_kind(std::string_view kind, std::string_view option) {
  if (auto k = compare_kind_from_name(kind)) return *k;
  throw UsageError(std::string(option) + ": unknown comparison '" + std::string(kind) +
                   "' (exact, name, date, prefix or numeric)");
}

LevelSet level_set_of(const Comparison& c) {
  switch (c.kind) {
    case CompareKind::kName:
      if (c.column == "first_name") return LevelSet::kNameSwap;
      if (c.column == "last_name") return LevelSet::kNameSwapPartner;
      if (c.column == "middle_name") return LevelSet::kNameInitial;
      return LevelSet::kName;
    case CompareKind::kDate: return LevelSet::kDate;
    case CompareKind::kExact: return LevelSet::kExact;
    case CompareKind::kPrefix: return LevelSet::kPrefix;
    case CompareKind::kNumeric: return LevelSet::kNumeric;
  }
  return LevelSet::kExact;
}

std::vector<Comparison> default_comparisons(const std::vector<std::string>& compare_options) {
  std::vector<Comparison> out;
  out.push_back(make("first_name", CompareKind::kName, true));
  out.push_back(make("middle_name", CompareKind::kName, true));
  out.push_back(make("last_name", CompareKind::kName, true));
  out.push_back(make("birthdate", CompareKind::kDate, false));
  for (const auto& opt : compare_options) {
    const std::string option = "--compare '" + opt + "'";
    const size_t eq = opt.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == opt.size())
      throw UsageError(option + ": expected COLUMN=KIND (exact, name, date, prefix, numeric)");
    const std::string column = opt.substr(0, eq);
    if (is_person_field(column))
      throw UsageError(option + ": " + column + " is always compared (drop this option)");
    for (const auto& c : out)
      if (c.column == column) throw UsageError(option + ": " + column + " is compared twice");
    const CompareKind kind = parse_kind(std::string_view(opt).substr(eq + 1), option);
    out.push_back(make(column, kind, kind != CompareKind::kDate));
    if (out.size() > kMaxComparisons)
      throw UsageError(option + ": at most " + std::to_string(kMaxComparisons) + " comparisons");
  }
  return out;
}

std::vector<std::string> extra_columns_of(const std::vector<Comparison>& comparisons) {
  std::vector<std::string> out;
  for (const auto& c : comparisons) {
    if (is_person_field(c.column)) continue;
    bool field = false;
    for (auto f : kFieldNames) field = field || f == c.column;
    if (!field) out.push_back(c.column);
  }
  return out;
}

ComparisonPlan plan_comparisons(const std::vector<Comparison>& comparisons, const RawTable& t,
                                std::string_view option) {
  ComparisonPlan plan;
  for (const auto& c : comparisons) {
    const LevelSet set = level_set_of(c);
    const ColumnRef col = resolve_column(t, c.column, option);
    if (set == LevelSet::kDate) {
      plan.items.push_back({set, plan.date_slots++});
    } else {
      if (col.kind == ColumnRef::kBirthdate)
        throw UsageError(std::string(option) + ": birthdate is compared as a date");
      if (c.column == "first_name") plan.swap_first = static_cast<int>(plan.text_slots);
      if (c.column == "last_name") plan.swap_last = static_cast<int>(plan.text_slots);
      plan.items.push_back({set, plan.text_slots++});
    }
    plan.columns.push_back(col);
    plan.term_frequency.push_back(c.term_frequency && set != LevelSet::kDate);
  }
  return plan;
}

kernels::prob::SideView side_view(const PreparedSide& s) {
  return {s.cp.data(), s.offset.data(), s.length.data(), s.dm.data(), s.days.data(),
          s.text_slots, s.date_slots, s.profile.data(), s.ymd.data()};
}

LeftPatterns::LeftPatterns(const ComparisonPlan& plan) : slots_(plan.text_slots) {
  for (const auto& it : plan.items)
    if (kernels::prob::is_name_set(it.set) && !slots_[it.slot].pattern) {
      slots_[it.slot].pattern = std::make_unique<kernels::Pattern64>();
      slots_[it.slot].pattern->reset_all();
    }
}

void LeftPatterns::rebuild(Slot& s, const kernels::prob::Text& value) {
  // The same text at another address (the next row of a block on this
  // name) keeps the pattern.
  if (s.fits && kernels::prob::same_text({s.cp, s.len, 0}, value)) {
    s.cp = value.cp;
    return;
  }
  if (s.fits) s.pattern->clear(s.cp, s.len);
  s.cp = value.cp;
  s.len = value.len;
  s.fits = value.len != 0 && value.len <= kernels::kWordBits && s.pattern;
  if (s.fits) s.pattern->build(value.cp, value.len);
}

namespace {

// The compared text of one value: names and exact/prefix values normalised,
// numeric values their digits only.
std::string compared_text(LevelSet set, std::string_view raw) {
  if (set != LevelSet::kNumeric) return normalized_value(raw);
  std::string digits;
  for (char ch : raw)
    if (ch >= '0' && ch <= '9') digits.push_back(ch);
  return digits;
}

bool uses_metaphone(LevelSet set) {
  return set == LevelSet::kNameSwap || set == LevelSet::kNameSwapPartner ||
         set == LevelSet::kNameInitial || set == LevelSet::kName;
}

}  // namespace

PreparedSide prepare_side(const ComparisonPlan& plan, const RawTable& t,
                          const DateFormat& extra_dates, unsigned threads) {
  PreparedSide s;
  s.rows = t.size();
  s.text_slots = plan.text_slots;
  s.date_slots = plan.date_slots;
  const size_t n = t.size();
  s.offset.assign(n * s.text_slots, 0);
  s.length.assign(n * s.text_slots, 0);
  s.dm.assign(n * s.text_slots, 0);
  s.profile.assign(n * s.text_slots, kernels::prob::kAnyProfile);
  s.days.assign(n * s.date_slots, kernels::prob::kNoDay);
  s.ymd.assign(n * s.date_slots, 0);
  // Rows in parts: each part decodes into its own code-point buffer, then
  // the buffers are joined in part order (offsets shifted), so the result
  // does not depend on the thread count.
  const size_t parts = std::max<size_t>(1, std::min<size_t>(n / 4096 + 1, 256));
  std::vector<std::vector<uint32_t>> cps(parts);
  std::vector<uint32_t> part_max(parts, 0);
  parallel_for(parts, threads, [&](size_t p, unsigned) {
    const size_t b = n * p / parts, e = n * (p + 1) / parts;
    std::string why;
    for (size_t row = b; row < e; ++row) {
      for (size_t c = 0; c < plan.items.size(); ++c) {
        const auto& it = plan.items[c];
        const ColumnRef col = plan.columns[c];
        if (it.set == LevelSet::kDate) {
          int32_t day = kernels::prob::kNoDay;
          if (col.kind == ColumnRef::kBirthdate) {
            if (t.birthdate[row] != kNoDate) day = t.birthdate[row];
          } else {
            const std::string_view raw = trim_date_blanks(column_text(t, col, row));
            if (!raw.empty())
              if (auto d = extra_dates.parse(raw, why)) day = *d;
          }
          s.days[row * s.date_slots + it.slot] = day;
          s.ymd[row * s.date_slots + it.slot] = kernels::prob::pack_ymd(day);
          continue;
        }
        const std::string_view raw = column_text(t, col, row);
        const std::string v = compared_text(it.set, raw);
        const size_t i = row * s.text_slots + it.slot;
        s.offset[i] = cps[p].size();
        decode_utf8(v, cps[p]);
        s.length[i] = static_cast<uint32_t>(cps[p].size() - s.offset[i]);
        part_max[p] = std::max(part_max[p], s.length[i]);
        if (uses_metaphone(it.set) && s.length[i] != 0) {
          s.profile[i] = kernels::prob::letter_profile(cps[p].data() + s.offset[i], s.length[i]);
          const std::string phon = normalize_for_phonetic(raw);
          if (!phon.empty()) s.dm[i] = pack_metaphone(double_metaphone_primary(phon));
        }
      }
    }
  });
  uint64_t base = 0;
  for (size_t p = 0; p < parts; ++p) {
    const size_t b = n * p / parts, e = n * (p + 1) / parts;
    for (size_t i = b * s.text_slots; i < e * s.text_slots; ++i) s.offset[i] += base;
    base += cps[p].size();
    s.max_len = std::max(s.max_len, part_max[p]);
  }
  s.cp.reserve(base);
  for (auto& v : cps) s.cp.insert(s.cp.end(), v.begin(), v.end());
  return s;
}

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

// Per whole name id: its records (count) and its people, counted in each
// table and summed (a table's records of the name with distinct birthdates;
// missing dates count none), from the sorted (name, table, day) triples. A
// person linked across the tables is a record of each, as the other table's
// records of the name are what a record's name meets; within one table a
// person entered twice counts once.
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
  for (const uint64_t x : dated) ++people[x >> 33];
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
    s->name_frequency.assign(s->rows, 0);
    s->name_people.assign(s->rows, 0);
  }
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
    if (static_cast<int>(slot) == plan.swap_first) first = std::move(v);
    else if (static_cast<int>(slot) == plan.swap_last) last = std::move(v);
  }
  if (!first || !last) return totals;
  const InternedNames names = intern_names(*first, *last);
  first.reset();
  last.reset();
  int date_slot = -1;
  for (size_t c = 0; c < plan.items.size(); ++c)
    if (plan.items[c].set == LevelSet::kDate && plan.columns[c].kind == ColumnRef::kBirthdate)
      date_slot = static_cast<int>(plan.items[c].slot);
  // The people bearing each whole name: its records' distinct birthdates
  // (a registry may hold one person several times).
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

}  // namespace nm::prob
