// The probabilistic mode's comparison of one record pair: each comparison's
// level (docs/PROBABILISTIC.md, "Comparisons"). Host and device code: the CPU
// scorer and the GPU kernel call these same functions, so their levels (and
// the fixed-point weights summed from them) are identical.
#pragma once
#include <cstdint>

#include "kernels/host_device.hpp"
#include "kernels/metrics.hpp"

namespace nm::kernels::prob {

inline constexpr uint8_t kNull = 15;  // either side missing: no evidence

// The level sets (one per kind of comparison). The names are in
// src/match/prob/comparisons.cpp; the numbers here are their indices.
enum class LevelSet : uint8_t {
  kNameSwap,     // first name: equal, jw>=0.92, jw>=0.88 or metaphone, first/last swapped,
                 // a name in the other's place (one of the two crossed), else
  kNameSwapPartner,  // last name: equal, jw>=0.92, jw>=0.88 or metaphone, else; no evidence
                     // (null) when the pair's names are crossed: the swap is one piece of
                     // evidence, weighed once, on the first name
  kNameInitial,  // middle name: equal, jw>=0.92, jw>=0.88 or metaphone, initial, else
  kName,         // --compare C=name: equal, jw>=0.92, jw>=0.88 or metaphone, else
  kDate,         // equal, day-month swapped, one digit, a year apart, within 31 days, else
  kExact,        // equal, else
  kPrefix,       // equal, one edit, same first 3, else
  kNumeric,      // equal, one edit, else (digits only)
};

NM_HD NM_INLINE uint8_t level_count(LevelSet s) {
  switch (s) {
    case LevelSet::kNameSwap: return 6;
    case LevelSet::kNameInitial: return 5;
    case LevelSet::kName:
    case LevelSet::kNameSwapPartner: return 4;
    case LevelSet::kDate: return 6;
    case LevelSet::kExact: return 2;
    case LevelSet::kPrefix: return 4;
    case LevelSet::kNumeric: return 3;
  }
  return 0;
}

// A value's letter profile, for an upper bound of Jaro's matches without
// reading the letters: in the low 62 bits, bits 2h and 2h + 1 say that
// letter class h (code point % 31) occurs at least once and at least twice;
// the top two bits count the occurrences beyond the second of each class,
// summed, up to 3 (3: three or more). kAnyProfile: not known (bounds
// nothing: against a known profile the bound is that value's length).
inline constexpr uint64_t kProfileClasses = 0x3FFFFFFFFFFFFFFFull;
inline constexpr uint64_t kAnyProfile = ~uint64_t{0};

NM_HD inline uint64_t letter_profile(const uint32_t* cp, uint32_t len) {
  uint64_t bits = 0;
  uint32_t extra = 0;
  for (uint32_t i = 0; i < len; ++i) {
    const uint32_t h = cp[i] % 31;
    const uint64_t once = uint64_t{1} << (2 * h), twice = once << 1;
    if ((bits & once) == 0)
      bits |= once;
    else if ((bits & twice) == 0)
      bits |= twice;
    else
      ++extra;
  }
  return bits | (static_cast<uint64_t>(extra < 3 ? extra : 3) << 62);
}

// A value's hash: equal texts have equal hashes, so texts whose hashes
// differ are different without reading a code point. Never 0: 0 is
// kAnyHash, "not known" (says nothing).
inline constexpr uint32_t kAnyHash = 0;
NM_HD inline uint32_t value_hash(const uint32_t* cp, uint32_t len) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
  for (uint32_t i = 0; i < len; ++i) h = (h ^ cp[i]) * 0xFF51AFD7ED558CCDull;
  const auto v = static_cast<uint32_t>((h ^ (h >> 32)) >> 1);
  return v == kAnyHash ? 1u : v;
}

// A compared text value: normalised code points (len 0 = missing), for
// names the packed primary Double Metaphone code (0 = none), its letter
// profile and its hash.
struct Text {
  const uint32_t* cp;
  uint32_t len;
  uint32_t dm;
  uint64_t profile = kAnyProfile;
  uint32_t hash = kAnyHash;
};

NM_HD NM_INLINE bool same_text(const Text& a, const Text& b) {
  if (a.len != b.len) return false;
  if (a.hash != b.hash && a.hash != kAnyHash && b.hash != kAnyHash) return false;
  for (uint32_t i = 0; i < a.len; ++i)
    if (a.cp[i] != b.cp[i]) return false;
  return true;
}

// Jaro–Winkler of two present values. Names longer than 64 code points use
// the exact (scratch-free for short strings) path; `scratch` holds
// device_metric_scratch_words(max_len) words.
NM_HD inline double jaro_winkler(const Text& a, const Text& b, uint32_t* scratch) {
  const double j = jaro<false>(a.cp, a.len, b.cp, b.len, nullptr, scratch);
  return jaro_winkler_from_jaro(j, a.cp, a.len, b.cp, b.len);
}

// The same value through the bit-parallel path, with `pa` the pattern of a
// (1..64 code points) and b of at most 64. jaro() takes the pattern of its
// second string, so a and b change places: the contract's greedy matching
// gives the same matches and transpositions either way round (the window
// depends on max(la, lb) only; tests/prob/test_compare_fast.cpp checks it),
// and jaro_value() and the Winkler prefix are symmetric.
NM_HD inline double jaro_winkler_patterned(const Text& a, const Pattern64& pa, const Text& b) {
  const double j = jaro<false>(b.cp, b.len, a.cp, a.len, &pa, nullptr);
  return jaro_winkler_from_jaro(j, a.cp, a.len, b.cp, b.len);
}

inline constexpr double kJwHigh = 0.92;
inline constexpr double kJwLow = 0.88;

// ---- an exact bound that skips Jaro–Winkler on unlike names ---------------
//
// Jaro's m matches pair equal code points, so m <= sum over code points of
// the smaller count, <= the same sum over letter classes (merging code
// points only adds), <= the profiles' common bits + the smaller count of
// occurrences beyond the second. With t >= 0 the Jaro is at most
// j = (m/la + m/lb + 1)/3, and Jaro–Winkler with a common prefix of l
// (<= 4) letters is j + l/10 (1 - j) (j > 0.7; else j itself), increasing
// in j: it reaches T only if j >= (10T - l)/(10 - l). The test is in
// integers, T = t50 / 50. It decides exactly what the computed double
// decides: for lengths up to kBoundMaxLen the Jaro–Winkler is a fraction
// with denominator at most 30 la lb m (< 2^35), so one below 0.88 or 0.92
// is below by more than 1e-12, far beyond the double's rounding.
inline constexpr uint32_t kBoundMaxLen = 1024;

NM_HD NM_INLINE uint32_t max_matches(uint64_t pa, uint32_t la, uint64_t pb, uint32_t lb) {
  const auto ea = static_cast<uint32_t>(pa >> 62), eb = static_cast<uint32_t>(pb >> 62);
  const uint32_t e = min_u32(ea, eb);
  if (e == 3) return min_u32(la, lb);  // both three or more: no bound from them
  return static_cast<uint32_t>(popcount64(pa & pb & kProfileClasses)) + e;
}
NM_HD NM_INLINE uint32_t max_matches(const Text& a, const Text& b) {
  return max_matches(a.profile, a.len, b.profile, b.len);
}

NM_HD NM_INLINE bool jw_may_reach(uint32_t m, uint32_t la, uint32_t lb, uint32_t l,
                                  uint32_t t50) {
  const uint64_t ab = uint64_t{la} * lb;
  return (uint64_t{m} * (la + lb) + ab) * (50 - 5 * l) >= 3 * ab * (t50 - 5 * l);
}

// The best level a's and b's (present, not equal) Jaro–Winkler can give:
// 1 (it may reach 0.92), 2 (0.88 at most), 3 (below 0.88). Most unlike
// pairs are decided from the profiles and lengths alone (the longest
// prefix, 4), without reading a letter.
NM_HD NM_INLINE uint8_t jw_level_bound(const Text& a, const Text& b) {
  if (a.len > kBoundMaxLen || b.len > kBoundMaxLen) return 1;
  const uint32_t m = max_matches(a, b);
  if (!jw_may_reach(m, a.len, b.len, 4, 44)) return 3;
  uint32_t l = 0;
  const uint32_t lim = min_u32(min_u32(a.len, b.len), 4);
  while (l < lim && a.cp[l] == b.cp[l]) ++l;
  if (jw_may_reach(m, a.len, b.len, l, 46)) return 1;
  return jw_may_reach(m, a.len, b.len, l, 44) ? 2 : 3;
}

NM_HD inline double name_jw(const Text& a, const Text& b, uint32_t* scratch,
                            const Pattern64* pa) {
  return pa != nullptr && b.len <= kWordBits ? jaro_winkler_patterned(a, *pa, b)
                                             : jaro_winkler(a, b, scratch);
}

// compare_pair()'s patterns when there are none (the plain path: the GPU's).
struct NoPatterns {
  NM_HD NM_INLINE const Pattern64* get(uint32_t, const Text&) const { return nullptr; }
};

// Levels 0..2 of the name sets: equal, jw >= 0.92, jw >= 0.88 or equal
// metaphone; 3 = none of them (the caller decides between its own levels).
// lp.get(slot, a): the pattern of a, or nullptr (the plain path; the
// GPU's), asked for only when the Jaro–Winkler is computed, which is only
// when jw_level_bound() lets it matter.
template <class Patterns = NoPatterns>
NM_HD NM_INLINE uint8_t name_similarity(const Text& a, const Text& b, uint32_t* scratch,
                                        Patterns&& lp = Patterns{}, uint32_t slot = 0) {
  if (same_text(a, b)) return 0;
  if (jw_level_bound(a, b) < 3) {
    const double jw = name_jw(a, b, scratch, lp.get(slot, a));
    if (jw >= kJwHigh) return 1;
    if (jw >= kJwLow) return 2;
  }
  return a.dm != 0 && a.dm == b.dm ? 2 : 3;
}

// name_similarity(a, b) <= 1 (equal or jw >= 0.92), cheaper.
template <class Patterns = NoPatterns>
NM_HD NM_INLINE bool names_close(const Text& a, const Text& b, uint32_t* scratch,
                                 Patterns&& lp = Patterns{}, uint32_t slot = 0) {
  if (same_text(a, b)) return true;
  return jw_level_bound(a, b) == 1 && name_jw(a, b, scratch, lp.get(slot, a)) >= kJwHigh;
}

// How the first and last names of a pair cross: 2 when left first ~ right
// last and left last ~ right first (equal or jw >= 0.92), 1 when one of the
// two holds (a surname given as the first name, or the other way round), 0
// when neither. Missing names cross nothing. lp, f, g: the left row's
// patterns and the text slots of lf and ll (compare_pair()).
template <class Patterns = NoPatterns>
NM_HD inline uint8_t names_crossed(const Text& lf, const Text& ll, const Text& rf, const Text& rl,
                                   uint32_t* scratch, Patterns&& lp = Patterns{}, uint32_t f = 0,
                                   uint32_t g = 0) {
  const bool a = lf.len != 0 && rl.len != 0 && names_close(lf, rl, scratch, lp, f);
  const bool b = ll.len != 0 && rf.len != 0 && names_close(ll, rf, scratch, lp, g);
  return static_cast<uint8_t>((a ? 1 : 0) + (b ? 1 : 0));
}

// The levels of the first and last name of a pair together: each name's own
// similarity (0..2) when it has one; when neither name is similar (or the
// last is missing) and the names cross, the first name takes level 3
// (swapped) or 4 (one name in the other's place) and the last name gives no
// evidence; else the first name is 5 and the last 3 ("else"). Each
// similarity is computed once; the crossing only when needed.
struct NameLevels {
  uint8_t first, last;
};
// name_levels() from the two similarities (sf, sl: 0..3 or kNull) and
// crossed(), the pair's names_crossed(), asked for only when it matters.
template <class Crossed>
NM_HD NM_INLINE NameLevels combine_name_levels(uint8_t sf, uint8_t sl, Crossed&& crossed) {
  NameLevels out{sf, sl};
  if (sf == 3) {
    out.first = 5;
    if (sl == 3 || sl == kNull) {
      const uint8_t c = crossed();
      if (c != 0) {
        out.first = c == 2 ? 3 : 4;
        out.last = kNull;
      }
    }
  }
  return out;
}
template <class Patterns = NoPatterns>
NM_HD inline NameLevels name_levels(const Text& lf, const Text& ll, const Text& rf,
                                    const Text& rl, uint32_t* scratch, Patterns&& lp = Patterns{},
                                    uint32_t f = 0, uint32_t g = 0) {
  const uint8_t sf = lf.len == 0 || rf.len == 0 ? kNull : name_similarity(lf, rf, scratch, lp, f);
  const uint8_t sl = ll.len == 0 || rl.len == 0 ? kNull : name_similarity(ll, rl, scratch, lp, g);
  return combine_name_levels(
      sf, sl, [&] { return names_crossed(lf, ll, rf, rl, scratch, lp, f, g); });
}

// An initial against a full name: one side is one code point, the other
// longer and starting with it.
NM_HD NM_INLINE bool initial_of(const Text& a, const Text& b) {
  if (a.len == 1 && b.len > 1) return b.cp[0] == a.cp[0];
  if (b.len == 1 && a.len > 1) return a.cp[0] == b.cp[0];
  return false;
}

// Levenshtein distance is at most one (same length: one substitution;
// lengths one apart: one insertion).
NM_HD inline bool one_edit(const Text& a, const Text& b) {
  const Text& s = a.len <= b.len ? a : b;  // shorter
  const Text& l = a.len <= b.len ? b : a;
  if (l.len - s.len > 1) return false;
  uint32_t i = 0;
  while (i < s.len && s.cp[i] == l.cp[i]) ++i;
  if (s.len == l.len) {  // skip one substitution
    for (uint32_t k = i + 1; k < s.len; ++k)
      if (s.cp[k] != l.cp[k]) return false;
    return true;
  }
  for (uint32_t k = i; k < s.len; ++k)  // skip one insertion in l
    if (s.cp[k] != l.cp[k + 1]) return false;
  return true;
}

NM_HD NM_INLINE bool is_name_set(LevelSet set) {
  return set == LevelSet::kNameSwap || set == LevelSet::kNameSwapPartner ||
         set == LevelSet::kNameInitial || set == LevelSet::kName;
}

// The level of a name set compared alone from the pair's similarity s
// (0..3, both present); initial(): initial_of(a, b), asked for only when
// it matters.
template <class Initial>
NM_HD NM_INLINE uint8_t name_set_level(LevelSet set, uint8_t s, Initial&& initial) {
  switch (set) {
    case LevelSet::kNameSwap: return s < 3 ? s : 5;
    case LevelSet::kNameInitial: return s < 3 ? s : (initial() ? 3 : 4);
    default: return s;  // kName, kNameSwapPartner
  }
}

// The level of a text comparison (every set but kDate). The first and last
// names of a pair are compared together by name_levels; alone (no partner
// name in the model), a first name is never crossed. lp, slot: a's pattern
// (name sets), as for name_similarity.
template <class Patterns = NoPatterns>
NM_HD inline uint8_t text_level(LevelSet set, const Text& a, const Text& b, uint32_t* scratch,
                                Patterns&& lp = Patterns{}, uint32_t slot = 0) {
  if (a.len == 0 || b.len == 0) return kNull;
  switch (set) {
    case LevelSet::kNameSwap:
    case LevelSet::kNameInitial:
    case LevelSet::kName:
    case LevelSet::kNameSwapPartner:
      return name_set_level(set, name_similarity(a, b, scratch, lp, slot),
                            [&] { return initial_of(a, b); });
    case LevelSet::kExact: return same_text(a, b) ? 0 : 1;
    case LevelSet::kPrefix: {
      if (same_text(a, b)) return 0;
      if (one_edit(a, b)) return 1;
      if (a.len >= 3 && b.len >= 3 && a.cp[0] == b.cp[0] && a.cp[1] == b.cp[1] &&
          a.cp[2] == b.cp[2])
        return 2;
      return 3;
    }
    case LevelSet::kNumeric:
      if (same_text(a, b)) return 0;
      return one_edit(a, b) ? 1 : 2;
    default: break;  // kDate; the name sets are above
  }
  return kNull;
}

// Civil date of a day number (days since 1970-01-01), proleptic Gregorian.
struct Ymd {
  int32_t y;
  uint32_t m, d;
};
NM_HD inline Ymd civil_from_days(int32_t z) {
  const int64_t zz = static_cast<int64_t>(z) + 719468;
  const int64_t era = (zz >= 0 ? zz : zz - 146096) / 146097;
  const uint32_t doe = static_cast<uint32_t>(zz - era * 146097);
  const uint32_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const uint32_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const uint32_t mp = (5 * doy + 2) / 153;
  const uint32_t d = doy - (153 * mp + 2) / 5 + 1;
  const uint32_t m = mp < 10 ? mp + 3 : mp - 9;
  return {static_cast<int32_t>(y + (m <= 2 ? 1 : 0)), m, d};
}

// Digits of YYYYMMDD that differ (years outside 0..9999 compare as
// different): the plain form of one_date_digit() below, for its tests.
NM_HD inline uint32_t date_digit_differences(const Ymd& a, const Ymd& b) {
  uint32_t va = static_cast<uint32_t>(a.y) * 10000u + a.m * 100u + a.d;
  uint32_t vb = static_cast<uint32_t>(b.y) * 10000u + b.m * 100u + b.d;
  if (a.y < 0 || a.y > 9999 || b.y < 0 || b.y > 9999) return 8;
  uint32_t diff = 0;
  for (int i = 0; i < 8; ++i) {
    diff += (va % 10) != (vb % 10) ? 1u : 0u;
    va /= 10;
    vb /= 10;
  }
  return diff;
}

// Digits of two n-digit numbers that differ.
NM_HD NM_INLINE uint32_t digit_differences(uint32_t a, uint32_t b, int n) {
  uint32_t diff = 0;
  for (int i = 0; i < n; ++i) {
    diff += (a % 10) != (b % 10) ? 1u : 0u;
    a /= 10;
    b /= 10;
  }
  return diff;
}

// date_digit_differences(x, y) == 1, cheaper: the year, month and day are
// digits 1-4, 5-6 and 7-8, so two parts that differ are two digits already
// (random dates mostly differ in all three).
NM_HD inline bool one_date_digit(const Ymd& x, const Ymd& y) {
  if (x.y < 0 || x.y > 9999 || y.y < 0 || y.y > 9999) return false;
  const bool dy = x.y != y.y, dm = x.m != y.m, dd = x.d != y.d;
  if (int{dy} + int{dm} + int{dd} != 1) return false;
  if (dy) return digit_differences(static_cast<uint32_t>(x.y), static_cast<uint32_t>(y.y), 4) == 1;
  return dm ? digit_differences(x.m, y.m, 2) == 1 : digit_differences(x.d, y.d, 2) == 1;
}

inline constexpr int32_t kNoDay = INT32_MIN;

// A day's civil date packed once per record, so that a pair unpacks it with
// shifts: (y + 2^22) << 9 | m << 5 | d for years within +-2^22 (m >= 1, so
// never 0); 0 for the rest (kNoDay too), which ymd_of() converts per pair.
inline constexpr int32_t kPackedYearBias = 1 << 22;
NM_HD inline uint32_t pack_ymd(int32_t day) {
  if (day == kNoDay) return 0;
  const Ymd x = civil_from_days(day);
  if (x.y < -kPackedYearBias || x.y >= kPackedYearBias) return 0;
  return static_cast<uint32_t>(x.y + kPackedYearBias) << 9 | x.m << 5 | x.d;
}
NM_HD NM_INLINE Ymd ymd_of(int32_t day, uint32_t packed) {
  if (packed == 0) return civil_from_days(day);
  return {static_cast<int32_t>(packed >> 9) - kPackedYearBias, (packed >> 5) & 15u, packed & 31u};
}

// Birthdate (or a --compare C=date column): day numbers, kNoDay = missing;
// pa, pb: their pack_ymd() or 0.
NM_HD inline uint8_t date_level(int32_t a, int32_t b, uint32_t pa = 0, uint32_t pb = 0) {
  if (a == kNoDay || b == kNoDay) return kNull;
  if (a == b) return 0;
  const Ymd x = ymd_of(a, pa);
  const Ymd y = ymd_of(b, pb);
  if (x.y == y.y && x.m == y.d && x.d == y.m) return 1;
  if (one_date_digit(x, y)) return 2;
  if (x.m == y.m && x.d == y.d && (x.y - y.y == 1 || y.y - x.y == 1)) return 3;
  const int64_t gap = static_cast<int64_t>(a) - b;
  if (gap >= -31 && gap <= 31) return 4;
  return 5;
}

// One side's prepared records as the per-pair code reads them (plain
// pointers: the same view over host vectors or device buffers).
struct SideView {
  const uint32_t* cp;
  const uint64_t* offset;  // [row * text_slots + slot]
  const uint32_t* length;
  const uint32_t* dm;
  const int32_t* days;  // [row * date_slots + slot]
  uint32_t text_slots, date_slots;
  const uint64_t* profile = nullptr;  // letter_profile() of each value, or none (kAnyProfile)
  const uint32_t* ymd = nullptr;      // pack_ymd() of each day, or none (0)
  const uint32_t* hash = nullptr;     // value_hash() of each value, or none (kAnyHash)
  NM_HD NM_INLINE Text text(uint64_t row, uint32_t slot) const {
    const uint64_t i = row * text_slots + slot;
    return {cp + offset[i], length[i], dm[i], profile != nullptr ? profile[i] : kAnyProfile,
            hash != nullptr ? hash[i] : kAnyHash};
  }
  NM_HD NM_INLINE int32_t day(uint64_t row, uint32_t slot) const {
    return days[row * date_slots + slot];
  }
  NM_HD NM_INLINE uint32_t packed_day(uint64_t row, uint32_t slot) const {
    return ymd != nullptr ? ymd[row * date_slots + slot] : 0;
  }
};

struct Item {
  LevelSet set;
  uint32_t slot;  // text slot, or date slot for kDate
};

// Every comparison's level of the pair (l row lr, r row rr), 4 bits each,
// comparison 0 in the low bits. swap_first/swap_last: the text slots of the
// first and last name, compared together (name_levels); -1 when the model
// lacks one of them. lp: the left row's patterns, lp.get(slot, value) the
// pattern of the value in that text slot or nullptr (NoPatterns: always
// nullptr; the CPU's prob::LeftPatterns builds them on first use); the
// levels are the same either way.
template <class Patterns = NoPatterns>
NM_HD inline uint64_t compare_pair(const Item* items, uint32_t n_items, int swap_first,
                                   int swap_last, const SideView& l, uint64_t lr,
                                   const SideView& r, uint64_t rr, uint32_t* scratch,
                                   Patterns&& lp = Patterns{}) {
  const bool paired = swap_first >= 0 && swap_last >= 0;
  NameLevels names{kNull, kNull};
  if (paired) {
    const auto f = static_cast<uint32_t>(swap_first), g = static_cast<uint32_t>(swap_last);
    names = name_levels(l.text(lr, f), l.text(lr, g), r.text(rr, f), r.text(rr, g), scratch, lp,
                        f, g);
  }
  uint64_t pattern = 0;
  for (uint32_t c = 0; c < n_items; ++c) {
    const Item it = items[c];
    uint8_t level;
    if (it.set == LevelSet::kDate)
      level = date_level(l.day(lr, it.slot), r.day(rr, it.slot), l.packed_day(lr, it.slot),
                         r.packed_day(rr, it.slot));
    else if (paired && it.set == LevelSet::kNameSwap)
      level = names.first;
    else if (paired && it.set == LevelSet::kNameSwapPartner)
      level = names.last;
    else {
      const Text a = l.text(lr, it.slot);
      const Text b = r.text(rr, it.slot);
      level = text_level(it.set, a, b, scratch, lp, it.slot);
    }
    pattern |= static_cast<uint64_t>(level) << (4 * c);
  }
  return pattern;
}

}  // namespace nm::kernels::prob
