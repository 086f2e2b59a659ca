// The probabilistic mode's fast comparison paths (bit-parallel Jaro through
// a left row's patterns, each name's similarity computed once, the swap
// check on demand, the date levels through precomputed digits) against the
// plain reference written here as the first version of compare_pair was,
// on random names: ASCII and not, empty, longer than 64 code points,
// near-copies of each other.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "kernels/prob_compare.hpp"
#include "src/match/prob/comparisons.hpp"

namespace kp = nm::kernels::prob;

namespace {

// The code points names are drawn from: few, so that random names share
// letters (and some pairs are similar), some beyond ASCII.
constexpr uint32_t kAlphabet[] = {'a', 'b', 'e', 'n', 'r', 's', 't', 0xE9, 0xDF, 0x4E2D};

std::vector<uint32_t> random_name(std::mt19937_64& rng) {
  const uint32_t kind = static_cast<uint32_t>(rng() % 20);
  uint32_t len = 1 + static_cast<uint32_t>(rng() % 9);
  if (kind == 0) len = 0;                                          // missing
  if (kind == 1) len = 60 + static_cast<uint32_t>(rng() % 50);    // around and over 64
  std::vector<uint32_t> s(len);
  for (auto& c : s) c = kAlphabet[rng() % (kind == 2 ? 10 : 7)];  // kind 2: non-ASCII too
  return s;
}

// A near-copy: one to three substitutions, insertions, deletions or swaps.
std::vector<uint32_t> mutate(std::vector<uint32_t> s, std::mt19937_64& rng) {
  for (uint64_t k = 0, n = 1 + rng() % 3; k < n && !s.empty(); ++k) {
    const size_t i = rng() % s.size();
    switch (rng() % 4) {
      case 0: s[i] = kAlphabet[rng() % 10]; break;
      case 1: s.insert(s.begin() + static_cast<long>(i), kAlphabet[rng() % 10]); break;
      case 2: s.erase(s.begin() + static_cast<long>(i)); break;
      default:
        if (i + 1 < s.size()) std::swap(s[i], s[i + 1]);
    }
  }
  return s;
}

// One side's records: first, middle, last name (text slots 0..2), birthdate.
struct Side {
  std::vector<uint32_t> cp;
  std::vector<uint64_t> offset;
  std::vector<uint32_t> length, dm;
  std::vector<uint64_t> profile;
  std::vector<uint32_t> hash;
  std::vector<int32_t> days;
  std::vector<uint32_t> ymd;
  void add(const std::vector<uint32_t>* names, int32_t day, std::mt19937_64& rng) {
    for (int k = 0; k < 3; ++k) {
      offset.push_back(cp.size());
      cp.insert(cp.end(), names[k].begin(), names[k].end());
      length.push_back(static_cast<uint32_t>(names[k].size()));
      dm.push_back(static_cast<uint32_t>(rng() % 4));  // 0: none; equal codes now and then
      profile.push_back(kp::letter_profile(names[k].data(), length.back()));
      hash.push_back(kp::value_hash(names[k].data(), length.back()));
    }
    days.push_back(day);
    ymd.push_back(kp::pack_ymd(day));
  }
  // packed = false: as the GPU sees a side (no profiles, packed dates or hashes).
  kp::SideView view(bool packed = true) const {
    return {cp.data(), offset.data(), length.data(), dm.data(), days.data(), 3, 1,
            packed ? profile.data() : nullptr, packed ? ymd.data() : nullptr,
            packed ? hash.data() : nullptr};
  }
};

// The person comparisons in the order given: text slots 0..2 (first,
// middle, last name), date slot 0.
nm::prob::ComparisonPlan person_plan(std::vector<kp::Item> items) {
  nm::prob::ComparisonPlan plan;
  plan.items = std::move(items);
  plan.swap_first = 0;
  plan.swap_last = 2;
  plan.text_slots = 3;
  plan.date_slots = 1;
  return plan;
}

// Day number of a civil date (proleptic Gregorian; H. Hinnant's algorithm).
int32_t days_from_civil(int32_t y, uint32_t m, uint32_t d) {
  y -= m <= 2 ? 1 : 0;
  const int32_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<uint32_t>(y - era * 400);
  const uint32_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int32_t>(doe) - 719468;
}

int32_t random_day(std::mt19937_64& rng, int32_t near) {
  // A missing date has no neighbours: any date (no arithmetic on kNoDay).
  if (near == kp::kNoDay) return static_cast<int32_t>(rng() % 80000) - 20000;
  switch (rng() % 7) {
    case 6: {  // day and month swapped (when the day can be a month)
      const kp::Ymd x = kp::civil_from_days(near);
      return x.d <= 12 ? days_from_civil(x.y, x.d, x.m) : near + 1;
    }
    case 0: return kp::kNoDay;
    case 1: return near;
    case 2: return near + static_cast<int32_t>(rng() % 64) - 32;
    case 3: return near + (rng() % 2 ? 365 : -366);
    default: return static_cast<int32_t>(rng() % 80000) - 20000;  // 1915..2189
  }
}

// The plain reference: date_level as first written.
uint8_t reference_date_level(int32_t a, int32_t b) {
  if (a == kp::kNoDay || b == kp::kNoDay) return kp::kNull;
  if (a == b) return 0;
  const kp::Ymd x = kp::civil_from_days(a), y = kp::civil_from_days(b);
  if (x.y == y.y && x.m == y.d && x.d == y.m) return 1;
  if (kp::date_digit_differences(x, y) == 1) return 2;
  if (x.m == y.m && x.d == y.d && (x.y - y.y == 1 || y.y - x.y == 1)) return 3;
  const int64_t gap = int64_t{a} - b;
  return gap >= -31 && gap <= 31 ? 4 : 5;
}

// The plain reference of name_similarity: the Jaro–Winkler always computed
// (no bound), by the plain path.
uint8_t reference_similarity(const kp::Text& x, const kp::Text& y, uint32_t* scratch) {
  if (kp::same_text(x, y)) return 0;
  const double jw = kp::jaro_winkler(x, y, scratch);
  if (jw >= kp::kJwHigh) return 1;
  if (jw >= kp::kJwLow || (x.dm != 0 && x.dm == y.dm)) return 2;
  return 3;
}

// The plain reference: compare_pair written out without patterns or
// shortcuts — the first and last names together (each one's similarity; when
// neither is similar, or the last is missing, a crossing of the two makes the
// first name "swapped" (both cross) or "a name in the other's place" (one)
// and the last name missing), every other comparison by text_level.
uint64_t reference_pair(const kp::Item* items, uint32_t n, int sf, int sl, const kp::SideView& l,
                        uint64_t lr, const kp::SideView& r, uint64_t rr, uint32_t* scratch) {
  auto sim = [&](const kp::Text& x, const kp::Text& y) -> uint8_t {
    return x.len == 0 || y.len == 0 ? kp::kNull : reference_similarity(x, y, scratch);
  };
  uint8_t first = kp::kNull, last = kp::kNull;
  if (sf >= 0 && sl >= 0) {
    const kp::Text lf = l.text(lr, uint32_t(sf)), ll = l.text(lr, uint32_t(sl));
    const kp::Text rf = r.text(rr, uint32_t(sf)), rl = r.text(rr, uint32_t(sl));
    first = sim(lf, rf);
    last = sim(ll, rl);
    if (first == 3) {
      first = 5;
      if (last == 3 || last == kp::kNull) {
        const bool a = sim(lf, rl) <= 1, b = sim(ll, rf) <= 1;  // kNull (15) is > 1
        if (a || b) {
          first = a && b ? 3 : 4;
          last = kp::kNull;
        }
      }
    }
  }
  uint64_t pattern = 0;
  for (uint32_t c = 0; c < n; ++c) {
    const kp::Item it = items[c];
    uint8_t level;
    if (it.set == kp::LevelSet::kDate)
      level = reference_date_level(l.day(lr, it.slot), r.day(rr, it.slot));
    else if (sf >= 0 && sl >= 0 && it.set == kp::LevelSet::kNameSwap)
      level = first;
    else if (sf >= 0 && sl >= 0 && it.set == kp::LevelSet::kNameSwapPartner)
      level = last;
    else if (it.set == kp::LevelSet::kNameInitial) {
      const kp::Text x = l.text(lr, it.slot), y = r.text(rr, it.slot);
      const uint8_t s = sim(x, y);
      level = s == kp::kNull || s < 3 ? s : (kp::initial_of(x, y) ? 3 : 4);
    } else
      level = kp::text_level(it.set, l.text(lr, it.slot), r.text(rr, it.slot), scratch);
    pattern |= uint64_t{level} << (4 * c);
  }
  return pattern;
}

}  // namespace

TEST_CASE("prob compare fast: Jaro is symmetric and the patterned path equals the plain one") {
  std::mt19937_64 rng(11);
  std::vector<uint32_t> scratch(1024);
  auto pattern = std::make_unique<nm::kernels::Pattern64>();
  pattern->reset_all();
  for (int k = 0; k < 40000; ++k) {
    const std::vector<uint32_t> a = random_name(rng);
    const std::vector<uint32_t> b = k % 2 ? mutate(a, rng) : random_name(rng);
    if (a.empty() || b.empty()) continue;
    const kp::Text ta{a.data(), uint32_t(a.size()), 0}, tb{b.data(), uint32_t(b.size()), 0};
    const double ab = kp::jaro_winkler(ta, tb, scratch.data());
    const double ba = kp::jaro_winkler(tb, ta, scratch.data());
    REQUIRE(std::memcmp(&ab, &ba, sizeof ab) == 0);
    if (a.size() > 64 || b.size() > 64) continue;
    pattern->build(a.data(), ta.len);
    const double fast = kp::jaro_winkler_patterned(ta, *pattern, tb);
    pattern->clear(a.data(), ta.len);
    REQUIRE(std::memcmp(&ab, &fast, sizeof ab) == 0);
  }
}

TEST_CASE("prob compare fast: date levels equal the reference") {
  std::mt19937_64 rng(3);
  uint64_t seen[6] = {};
  // Far outside 0..9999 too: years that have no four digits.
  const int32_t spans[] = {40, 800, 4000, 80000, 5000000};
  for (int k = 0; k < 400000; ++k) {
    const int32_t span = spans[k % 5];
    const int32_t a = static_cast<int32_t>(rng() % (2 * uint64_t(span))) - span;
    const int32_t b = k % 3 == 0 ? random_day(rng, a) : a + static_cast<int32_t>(rng() % 4000) - 2000;
    const uint8_t want = reference_date_level(a, b);
    REQUIRE(kp::date_level(a, b) == want);
    // Through the dates packed once per record (0: a year beyond +-2^22).
    REQUIRE(kp::date_level(a, b, kp::pack_ymd(a), kp::pack_ymd(b)) == want);
    if (want < 6) ++seen[want];
  }
  for (uint64_t n : seen) CHECK(n > 100);  // every level reached
  // Packed dates unpack to civil_from_days, to the ends of the day range.
  uint64_t packed = 0;
  for (int k = 0; k < 200000; ++k) {
    const auto day = static_cast<int32_t>(k < 100 ? INT32_MAX - k : k < 200 ? INT32_MIN + 1 + k : int64_t(rng()));
    if (day == kp::kNoDay) continue;
    const uint32_t p = kp::pack_ymd(day);
    const kp::Ymd want = kp::civil_from_days(day), got = kp::ymd_of(day, p);
    REQUIRE(got.y == want.y);
    REQUIRE(got.m == want.m);
    REQUIRE(got.d == want.d);
    packed += p != 0 ? 1 : 0;
  }
  CHECK(packed > 100000);  // most of the range packs (|year| < 2^22)
  CHECK(kp::pack_ymd(kp::kNoDay) == 0);
}

TEST_CASE("prob compare fast: compare_pair with and without patterns equals the reference") {
  std::mt19937_64 rng(5);
  Side left, right;
  const uint32_t n_left = 300, n_right = 300;
  std::vector<std::array<std::vector<uint32_t>, 3>> kept;
  std::vector<int32_t> born;
  for (uint32_t i = 0; i < n_left; ++i) {
    kept.push_back({random_name(rng), random_name(rng), random_name(rng)});
    // Now and then the previous row's name (a block on that name): the
    // pattern is kept for the same text at another address.
    for (size_t k = 0; k < 3; ++k)
      if (i > 0 && rng() % 3 == 0) kept[i][k] = kept[i - 1][k];
    born.push_back(random_day(rng, 3000));
    left.add(kept.back().data(), born.back(), rng);
  }
  for (uint32_t i = 0; i < n_right; ++i) {
    const uint32_t j = static_cast<uint32_t>(rng() % n_left);  // a near-copy of left row j
    std::vector<uint32_t> names[3];
    for (int k = 0; k < 3; ++k) names[k] = rng() % 3 ? mutate(kept[j][k], rng) : random_name(rng);
    if (rng() % 4 == 0) {  // first and last swapped
      names[0] = kept[j][2];
      names[2] = kept[j][0];
    }
    if (rng() % 8 == 0 && !names[1].empty()) names[1].erase(names[1].begin() + 1, names[1].end());
    right.add(names, random_day(rng, born[j]), rng);
  }
  const nm::prob::ComparisonPlan plan =
      person_plan({{kp::LevelSet::kNameSwap, 0}, {kp::LevelSet::kNameInitial, 1},
                   {kp::LevelSet::kNameSwapPartner, 2}, {kp::LevelSet::kDate, 0}});
  const kp::SideView lv = left.view(), rv = right.view();
  const kp::SideView lv_bare = left.view(false), rv_bare = right.view(false);
  std::vector<uint32_t> scratch(1024);
  nm::prob::LeftRecord pats(plan);
  uint64_t swaps = 0, similar = 0;
  for (uint32_t l = 0; l < n_left; ++l)
    for (uint32_t r = 0; r < n_right; ++r) {
      const uint64_t want = reference_pair(plan.items.data(), 4, 0, 2, lv, l, rv, r, scratch.data());
      const uint64_t plain = nm::prob::compare_pair(plan, lv, l, rv, r, scratch.data());
      const uint64_t fast =
          nm::prob::compare_pair(plan, lv, l, rv, r, scratch.data(), pats);
      // Profiles and packed dates on one side or none (the GPU's sides have none).
      const uint64_t bare = nm::prob::compare_pair(plan, lv_bare, l, rv_bare, r, scratch.data());
      const uint64_t half = nm::prob::compare_pair(plan, lv, l, rv_bare, r, scratch.data(), pats);
      REQUIRE(plain == want);
      REQUIRE(fast == want);
      REQUIRE(bare == want);
      REQUIRE(half == want);
      swaps += (want & 0xF) == 3 ? 1 : 0;
      similar += (want & 0xF) == 1 || (want & 0xF) == 2 ? 1 : 0;
    }
  // The random data reaches the levels that take the most paths.
  CHECK(swaps > 50);
  CHECK(similar > 1000);
}

// The letter-profile bound (jw_level_bound) never hides a level: on random
// names of 0..70 code points (ASCII and not, letters repeated beyond the
// profile's count, code points sharing a class), equal values and near
// copies, a Jaro–Winkler of 0.92 or more has bound 1 and one of 0.88 or
// more a bound of at most 2; name_similarity and names_close equal their
// plain definitions. The bound must also skip most unlike pairs (else it
// is no shortcut), and be tight now and then (a pair at its limit).
TEST_CASE("prob compare fast: the Jaro-Winkler bound is exact") {
  std::mt19937_64 rng(17);
  std::vector<uint32_t> scratch(1024);
  // 'a' and 'a' + 31 share a class, so do 0xE9 and 0xE9 + 31 * 7.
  constexpr uint32_t kLetters[] = {'a', 'b', 'e', 'n', 'r', 's', 't', 'a' + 31, 0xE9,
                                   0xE9 + 31 * 7, 0xDF, 0x4E2D, ' ', '-'};
  auto name = [&](uint32_t alphabet) {
    std::vector<uint32_t> v(rng() % 71);
    for (auto& c : v) c = kLetters[rng() % alphabet];
    return v;
  };
  uint64_t skipped = 0, unlike = 0, tight = 0, levels[3] = {};
  for (int k = 0; k < 300000; ++k) {
    const uint32_t alphabet = k % 3 == 0 ? 14 : k % 3 == 1 ? 7 : 3;  // 3: many repeats
    std::vector<uint32_t> a = name(alphabet);
    if (k % 5 == 0) a.resize(a.size() % 12);  // short names, most of them
    std::vector<uint32_t> b;
    switch (k % 4) {
      case 0: b = a; break;
      case 1: b = name(alphabet); if (k % 5 == 0) b.resize(b.size() % 12); break;
      default: b = mutate(a, rng);
    }
    if (a.empty() || b.empty()) continue;
    const uint32_t dm = static_cast<uint32_t>(rng() % 3);
    const kp::Text ta{a.data(), uint32_t(a.size()), dm, kp::letter_profile(a.data(), uint32_t(a.size()))};
    const kp::Text tb{b.data(), uint32_t(b.size()), dm, kp::letter_profile(b.data(), uint32_t(b.size()))};
    const double jw = kp::jaro_winkler(ta, tb, scratch.data());
    const uint8_t want = reference_similarity(ta, tb, scratch.data());
    REQUIRE(kp::name_similarity(ta, tb, scratch.data()) == want);
    REQUIRE(kp::names_close(ta, tb, scratch.data()) == (want <= 1));
    if (kp::same_text(ta, tb)) continue;
    const uint8_t bound = kp::jw_level_bound(ta, tb);
    const uint8_t level = jw >= kp::kJwHigh ? 1 : jw >= kp::kJwLow ? 2 : 3;
    REQUIRE(bound <= level);
    if (level < 3) ++levels[level];
    // Tight: one match fewer in the bound and the pair would be skipped.
    if (level < 3 && bound == level) {
      const uint32_t m = kp::max_matches(ta, tb);
      uint32_t l = 0;
      while (l < 4 && l < a.size() && l < b.size() && a[l] == b[l]) ++l;
      if (m > 0 && !kp::jw_may_reach(m - 1, ta.len, tb.len, l, level == 1 ? 46 : 44)) ++tight;
    }
    if (jw < 0.7) {
      ++unlike;
      skipped += bound == 3 ? 1 : 0;
    }
  }
  CHECK(levels[1] > 1000);
  CHECK(levels[2] > 1000);
  CHECK(tight > 100);
  CHECK(skipped * 2 > unlike);
}

// The left record's screen (prob::LeftRecord: most pairs decided from the
// values' lengths, hashes, profiles and metaphone codes) against the plain
// reference, on random names of 0..70 code points (ASCII and not, letters
// sharing a profile class, equal values, near copies, first and last names
// swapped), with the comparisons in another order than the default's; the
// screen must decide most pairs (else it is no shortcut) and leave some to
// the full path. A model with one more comparison is never screened.
TEST_CASE("prob compare fast: the left record's screen equals the reference") {
  std::mt19937_64 rng(23);
  constexpr uint32_t kLetters[] = {'a', 'b', 'e', 'n', 'r', 's', 't', 'a' + 31, 0xE9, 0x4E2D};
  auto name = [&] {
    std::vector<uint32_t> v(rng() % 4 == 0 ? rng() % 71 : rng() % 10);
    for (auto& c : v) c = kLetters[rng() % (rng() % 3 == 0 ? 10 : 7)];
    return v;
  };
  Side left, right;
  const uint32_t n_left = 250, n_right = 250;
  std::vector<std::array<std::vector<uint32_t>, 3>> kept;
  std::vector<int32_t> born;
  for (uint32_t i = 0; i < n_left; ++i) {
    kept.push_back({name(), name(), name()});
    born.push_back(random_day(rng, 3000));
    left.add(kept.back().data(), born.back(), rng);
  }
  for (uint32_t i = 0; i < n_right; ++i) {
    const uint32_t j = static_cast<uint32_t>(rng() % n_left);
    std::vector<uint32_t> names[3];
    for (int k = 0; k < 3; ++k) {
      const uint64_t how = rng() % 4;
      names[k] = how == 0 ? kept[j][k] : how == 1 ? mutate(kept[j][k], rng) : name();
    }
    if (rng() % 5 == 0) std::swap(names[0], names[2]);
    if (rng() % 8 == 0 && !names[1].empty()) names[1].erase(names[1].begin() + 1, names[1].end());
    right.add(names, random_day(rng, born[j]), rng);
  }
  const nm::prob::ComparisonPlan plan =
      person_plan({{kp::LevelSet::kDate, 0}, {kp::LevelSet::kNameSwapPartner, 2},
                   {kp::LevelSet::kNameSwap, 0}, {kp::LevelSet::kNameInitial, 1}});
  const kp::SideView lv = left.view(), rv = right.view();
  std::vector<uint32_t> scratch(1024);
  nm::prob::LeftRecord rec(plan);
  uint64_t screened = 0, pairs = 0, levels[4][16] = {};
  for (uint32_t l = 0; l < n_left; ++l)
    for (uint32_t r = 0; r < n_right; ++r) {
      const uint64_t want = reference_pair(plan.items.data(), 4, 0, 2, lv, l, rv, r, scratch.data());
      REQUIRE(nm::prob::compare_pair(plan, lv, l, rv, r, scratch.data(), rec) == want);
      nm::prob::Pattern p = 0;
      if (rec.screen(rv, r, p)) {
        REQUIRE(p == want);
        ++screened;
      }
      ++pairs;
      for (uint32_t c = 0; c < 4; ++c) ++levels[c][(want >> (4 * c)) & 0xF];
    }
  CHECK(screened * 2 > pairs);
  CHECK(screened < pairs);
  CHECK(levels[2][3] + levels[2][4] > 50);  // crossed names reached
  CHECK(levels[3][3] > 10);                   // an initial reached
  // One comparison more: the full path only, with the same levels.
  nm::prob::ComparisonPlan more = plan;
  more.items.push_back({kp::LevelSet::kExact, 1});
  nm::prob::LeftRecord full(more);
  for (uint32_t l = 0; l < 20; ++l)
    for (uint32_t r = 0; r < n_right; ++r) {
      nm::prob::Pattern p = 0;
      full.load(lv, l);
      REQUIRE_FALSE(full.screen(rv, r, p));
      REQUIRE(nm::prob::compare_pair(more, lv, l, rv, r, scratch.data(), full) ==
              reference_pair(more.items.data(), 5, 0, 2, lv, l, rv, r, scratch.data()));
    }
}
