#include "src/match/prob/comparisons.hpp"

#include <algorithm>

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
          s.text_slots, s.date_slots, s.profile.data(), s.ymd.data(), s.hash.data()};
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

// need[t][la][lb] (LeftRecord::Key): the fewest matches m with
// jw_may_reach(m, la, lb, 4, t50) (t = 0: 0.88, 1: 0.92); 255: none. As
// jw_may_reach grows with m, m >= need is the same test.
struct NeedTable {
  static constexpr uint32_t kMax = kernels::kWordBits;  // names the screen takes
  uint8_t need[2][kMax + 1][kMax + 1];
  NeedTable() {
    for (uint32_t t = 0; t < 2; ++t)
      for (uint32_t la = 0; la <= kMax; ++la)
        for (uint32_t lb = 0; lb <= kMax; ++lb) {
          uint32_t m = 0;
          while (m <= 2 * kMax && !kernels::prob::jw_may_reach(m, la, lb, 4, t == 0 ? 44 : 46)) ++m;
          need[t][la][lb] = static_cast<uint8_t>(m <= 2 * kMax ? m : 255);
        }
  }
};
const NeedTable& need_table() {
  static const NeedTable t;
  return t;
}

}  // namespace

// The screen: the person comparisons of one pair from the left keys and the
// right side's lengths, hashes, profiles and metaphone codes.
struct ScreenBody {
  static constexpr uint8_t kUndecided = 0xFF;
  using Key = LeftRecord::Key;

  // name_similarity(a, b) (kNull: either missing) when the hashes differ
  // (so the texts do) and the bound keeps the Jaro–Winkler below 0.88, as
  // jw_level_bound's first test; else kUndecided.
  NM_INLINE static uint8_t similarity(const Key& a, const kernels::prob::SideView& r, uint64_t i) {
    const uint32_t lb = r.length[i];
    if (a.text.len == 0 || lb == 0) return kernels::prob::kNull;
    if (lb > NeedTable::kMax || r.hash[i] == a.text.hash) return kUndecided;
    if (kernels::prob::max_matches(a.text.profile, a.text.len, r.profile[i], lb) >= a.need44[lb])
      return kUndecided;
    return a.text.dm != 0 && a.text.dm == r.dm[i] ? 2 : 3;
  }
  // 0 when a and b (right value i) do not cross in names_crossed(): either
  // missing, or the hashes differ and the bound with the longest prefix
  // keeps the Jaro–Winkler below 0.92 (which names_close needs); else
  // kUndecided.
  NM_INLINE static uint8_t crossing(const Key& a, const kernels::prob::SideView& r, uint64_t i) {
    const uint32_t lb = r.length[i];
    if (a.text.len == 0 || lb == 0) return 0;
    if (lb > NeedTable::kMax || r.hash[i] == a.text.hash) return kUndecided;
    return kernels::prob::max_matches(a.text.profile, a.text.len, r.profile[i], lb) >= a.need46[lb]
               ? kUndecided
               : 0;
  }

  NM_INLINE static bool run(const LeftRecord& s, const kernels::prob::SideView& right, uint64_t rr,
                            Pattern& out) {
    namespace kp = kernels::prob;
    const kp::SideView r = right;  // a copy: its pointers stay in registers
    if (r.profile == nullptr || r.hash == nullptr) return false;
    const uint64_t base = rr * r.text_slots;
    const uint8_t sf = similarity(s.first_, r, base + s.f_);
    const uint8_t sl = similarity(s.last_, r, base + s.g_);
    if (sf == kUndecided || sl == kUndecided) return false;
    bool undecided = false;
    const kp::NameLevels names = kp::combine_name_levels(sf, sl, [&] {
      undecided = crossing(s.first_, r, base + s.g_) != 0 || crossing(s.last_, r, base + s.f_) != 0;
      return uint8_t{0};  // decided: neither crosses
    });
    if (undecided) return false;
    const uint8_t sm = similarity(s.middle_, r, base + s.m_);
    if (sm == kUndecided) return false;
    const uint8_t middle =
        sm == kp::kNull ? sm : kp::name_set_level(kp::LevelSet::kNameInitial, sm, [&] {
          // An initial is one code point.
          return (s.middle_.text.len == 1 || r.length[base + s.m_] == 1) &&
                 kp::initial_of(s.middle_.text, r.text(rr, s.m_));
        });
    const uint8_t date = kp::date_level(s.day_, r.day(rr, s.d_), s.packed_, r.packed_day(rr, s.d_));
    out = Pattern{names.first} << s.at_f_ | Pattern{names.last} << s.at_g_ |
          Pattern{middle} << s.at_m_ | Pattern{date} << s.at_d_;
    return true;
  }
};

namespace {
bool screen_generic(const LeftRecord& s, const kernels::prob::SideView& r, uint64_t rr,
                    Pattern& out) {
  return ScreenBody::run(s, r, rr, out);
}
#if defined(__x86_64__)
// The same code where the CPU has POPCNT (the compiler turns popcount64's
// bit arithmetic into the one instruction).
__attribute__((target("popcnt"))) bool screen_popcnt(const LeftRecord& s,
                                                     const kernels::prob::SideView& r,
                                                     uint64_t rr, Pattern& out) {
  return ScreenBody::run(s, r, rr, out);
}
#endif
LeftRecord::Screen pick_screen() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("popcnt")) return screen_popcnt;
#endif
  return screen_generic;
}
}  // namespace

LeftRecord::LeftRecord(const ComparisonPlan& plan) : patterns_(plan) {
  // The screen takes the person comparisons alone, in any order.
  using kernels::prob::LevelSet;
  if (plan.items.size() != 4 || plan.swap_first < 0 || plan.swap_last < 0) return;
  uint32_t seen = 0;
  for (uint32_t c = 0; c < 4; ++c) {
    const auto& it = plan.items[c];
    switch (it.set) {
      case LevelSet::kNameSwap: f_ = it.slot, at_f_ = 4 * c, seen |= 1; break;
      case LevelSet::kNameInitial: m_ = it.slot, at_m_ = 4 * c, seen |= 2; break;
      case LevelSet::kNameSwapPartner: g_ = it.slot, at_g_ = 4 * c, seen |= 4; break;
      case LevelSet::kDate: d_ = it.slot, at_d_ = 4 * c, seen |= 8; break;
      default: break;
    }
  }
  if (seen != 15 || static_cast<int>(f_) != plan.swap_first ||
      static_cast<int>(g_) != plan.swap_last)
    return;
  screen_ = pick_screen();
}

void LeftRecord::load_keys(const kernels::prob::SideView& v, uint64_t row) {
  keyed_ = v.profile != nullptr && v.hash != nullptr;
  if (!keyed_) return;
  const NeedTable& t = need_table();
  auto key = [&](uint32_t slot, Key& k) {
    k.text = v.text(row, slot);
    if (k.text.len > NeedTable::kMax) {
      keyed_ = false;
      return;
    }
    k.need44 = t.need[0][k.text.len];
    k.need46 = t.need[1][k.text.len];
  };
  key(f_, first_);
  key(m_, middle_);
  key(g_, last_);
  day_ = v.day(row, d_);
  packed_ = v.packed_day(row, d_);
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
  s.hash.assign(n * s.text_slots, kernels::prob::kAnyHash);
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
        s.hash[i] = kernels::prob::value_hash(cps[p].data() + s.offset[i], s.length[i]);
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

}  // namespace nm::prob
