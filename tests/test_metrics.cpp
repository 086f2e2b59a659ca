// The fast metrics of kernels/metrics.hpp against the plain reference of
// tests/oracle/reference_metrics.hpp (matching.md section 3), on random pairs and
// on the published Jaro–Winkler values.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "kernels/metrics.hpp"
#include "kernels/pair_scoring.hpp"
#include "tests/oracle/reference_metrics.hpp"
#include "src/match/prepare.hpp"

namespace {

using nm::ref::CodePoints;

// A small alphabet so that equal characters (and so matches) are frequent,
// with spaces, the ASCII/non-ASCII boundary and code points of 2, 3 and 4
// UTF-8 bytes: é, ł, 王, U+1F600, Greek.
constexpr uint32_t kAlphabet[] = {
    'a',     'b', 'c', 'd', 'e', 'n', ' ', ' ',
    0x7F,     // last ASCII code point (edge of the Pattern64 table)
    0x80,     // first non-ASCII
    0xE9,     // é
    0x142,    // ł
    0x738B,   // 王
    0x1F600,  // 😀
    0x3B1,    // α
    0x3A3,    // Σ
    0x3C2,    // ς
};
constexpr size_t kAlphabetSize = sizeof(kAlphabet) / sizeof(kAlphabet[0]);

struct Gen {
  std::mt19937_64 rng;
  explicit Gen(uint64_t seed) : rng(seed) {}

  uint32_t below(uint32_t n) { return static_cast<uint32_t>(rng() % n); }

  uint32_t letter() {
    // Mostly ASCII letters, sometimes anything in the alphabet.
    if (below(4) != 0) return kAlphabet[below(6)];
    return kAlphabet[below(static_cast<uint32_t>(kAlphabetSize))];
  }

  uint32_t length() {
    switch (below(10)) {
      case 0:
        return below(3);  // 0..2
      case 1:
        return 62 + below(5);  // 62..66, around the 64 boundary
      case 2:
      case 3:
      case 4:
        return 65 + below(36);  // 65..100
      default:
        return below(101);  // 0..100
    }
  }

  CodePoints random_string(uint32_t n) {
    CodePoints s(n);
    for (auto& c : s) c = letter();
    return s;
  }

  // A copy of s with a few edits (substitutions, insertions, deletions,
  // adjacent transpositions), so that Jaro is often above 0.7 and the
  // Winkler boost and the transposition count matter.
  CodePoints mutate(const CodePoints& s) {
    CodePoints t = s;
    const uint32_t edits = below(6);
    for (uint32_t e = 0; e < edits; ++e) {
      const uint32_t kind = below(4);
      const uint32_t n = static_cast<uint32_t>(t.size());
      if (kind == 0 && n > 0) {
        t[below(n)] = letter();
      } else if (kind == 1 && n < 100) {
        t.insert(t.begin() + below(n + 1), letter());
      } else if (kind == 2 && n > 0) {
        t.erase(t.begin() + below(n));
      } else if (n > 1) {
        const uint32_t i = below(n - 1);
        std::swap(t[i], t[i + 1]);
      }
    }
    return t;
  }

  std::pair<CodePoints, CodePoints> pair() {
    CodePoints a = random_string(length());
    CodePoints b = below(2) == 0 ? mutate(a) : random_string(length());
    if (below(2) == 0) std::swap(a, b);
    return {a, b};
  }
};

uint32_t len32(const CodePoints& s) { return static_cast<uint32_t>(s.size()); }

std::string show(const CodePoints& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ' ';
    out += std::to_string(s[i]);
  }
  return out + "]";
}

}  // namespace

TEST_CASE("metrics: reference implementation sanity") {
  using nm::ref::jaro;
  using nm::ref::levenshtein;
  CHECK(levenshtein(U"", U"") == 0);
  CHECK(levenshtein(U"", U"abc") == 3);
  CHECK(levenshtein(U"kitten", U"sitting") == 3);
  CHECK(levenshtein(U"flaw", U"lawn") == 2);
  CHECK(levenshtein(U"王😀", U"王") == 1);
  CHECK(jaro(U"", U"") == 1.0);
  CHECK(jaro(U"", U"a") == 0.0);
  CHECK(jaro(U"a", U"") == 0.0);
  CHECK(jaro(U"abc", U"xyz") == 0.0);
  CHECK(jaro(U"abc", U"abc") == 1.0);
  // Byte lengths: "é" is 2 bytes, so one substitution over 2 bytes is 50 %.
  CHECK(nm::ref::levenshtein_pct(U"é", U"e") == doctest::Approx(50.0));
  CHECK(nm::ref::levenshtein_pct(U"", U"") == 100.0);
}

TEST_CASE("metrics: fast kernels equal the reference on 100,000 random pairs") {
  Gen gen(0x6e616d655f6d6174ULL);  // fixed seed
  // One Pattern64 reused across all pairs (build -> clear -> build, as the
  // engine does), one fresh table per pair for comparison.
  auto reused = std::make_unique<nm::kernels::Pattern64>();
  reused->reset_all();
  auto fresh = std::make_unique<nm::kernels::Pattern64>();

  constexpr int kPairs = 100000;
  int long_pairs = 0, pattern_pairs = 0, boosted = 0;
  int lev_fail = 0, dp_fail = 0, myers_fail = 0, jaro_fail = 0, jaro_exact_fail = 0, jw_fail = 0,
      pct_fail = 0, pattern_fail = 0;

  for (int it = 0; it < kPairs; ++it) {
    auto [a, b] = gen.pair();
    const uint32_t la = len32(a), lb = len32(b);
    if (la > 64 || lb > 64) ++long_pairs;
    std::vector<uint32_t> scratch(nm::kernels::metric_scratch_words(std::max(la, lb)));

    // The pattern of b, as the engine builds it: only for 1..64 code points.
    const bool use_pattern = lb >= 1 && lb <= nm::kernels::kWordBits;
    const nm::kernels::Pattern64* pb = nullptr;
    if (use_pattern) {
      ++pattern_pairs;
      reused->build(b.data(), lb);
      fresh->reset_all();
      fresh->build(b.data(), lb);
      pb = reused.get();
      bool same = reused->len == fresh->len;
      for (uint32_t c : kAlphabet) same = same && reused->get(c) == fresh->get(c);
      for (uint32_t c = 0; c < 128; ++c) same = same && reused->get(c) == fresh->get(c);
      if (!same) ++pattern_fail;
    }

    const uint32_t want_dist = nm::ref::levenshtein(a, b);
    const uint32_t got_dist =
        nm::kernels::levenshtein(a.data(), la, b.data(), lb, pb, scratch.data());
    if (got_dist != want_dist) {
      if (++lev_fail <= 5)
        FAIL_CHECK("levenshtein " << show(a) << " " << show(b) << ": " << got_dist
                                  << " != " << want_dist);
    }
    // The exact DP path on every pair, both directions.
    const uint32_t dp_ab = nm::kernels::levenshtein_dp(a.data(), la, b.data(), lb, scratch.data());
    const uint32_t dp_ba = nm::kernels::levenshtein_dp(b.data(), lb, a.data(), la, scratch.data());
    if (dp_ab != want_dist || dp_ba != want_dist) {
      if (++dp_fail <= 5)
        FAIL_CHECK("levenshtein_dp " << show(a) << " " << show(b) << ": " << dp_ab << "/" << dp_ba
                                     << " != " << want_dist);
    }
    // The bit-parallel path with the pattern on a fresh table, and with the
    // fresh table (pattern of b, text a).
    if (use_pattern) {
      const uint32_t my_fresh = nm::kernels::levenshtein_myers(*fresh, a.data(), la);
      if (my_fresh != want_dist) {
        if (++myers_fail <= 5)
          FAIL_CHECK("levenshtein_myers " << show(a) << " " << show(b) << ": " << my_fresh
                                          << " != " << want_dist);
      }
    }

    const double want_jaro = nm::ref::jaro(a, b);
    const double got_jaro = nm::kernels::jaro(a.data(), la, b.data(), lb, pb, scratch.data());
    if (!(got_jaro == want_jaro)) {
      if (++jaro_fail <= 5)
        FAIL_CHECK("jaro " << show(a) << " " << show(b) << ": " << got_jaro << " != " << want_jaro);
    }
    // The exact (scratch) path on every pair.
    const double got_jaro_exact =
        nm::kernels::jaro(a.data(), la, b.data(), lb, nullptr, scratch.data());
    if (!(got_jaro_exact == want_jaro)) {
      if (++jaro_exact_fail <= 5)
        FAIL_CHECK("jaro (exact path) " << show(a) << " " << show(b) << ": " << got_jaro_exact
                                        << " != " << want_jaro);
    }
    if (want_jaro > 0.7) ++boosted;

    const double want_jw = nm::ref::jaro_winkler(a, b);
    const double got_jw = nm::kernels::jaro_winkler_from_jaro(got_jaro, a.data(), la, b.data(), lb);
    if (!(got_jw == want_jw)) {
      if (++jw_fail <= 5)
        FAIL_CHECK("jaro_winkler " << show(a) << " " << show(b) << ": " << got_jw
                                   << " != " << want_jw);
    }

    const double want_pct = nm::ref::levenshtein_pct(a, b);
    const double got_pct =
        nm::kernels::levenshtein_pct(got_dist, static_cast<uint32_t>(nm::ref::utf8_length(a)),
                                     static_cast<uint32_t>(nm::ref::utf8_length(b)));
    if (!(got_pct == want_pct)) {
      if (++pct_fail <= 5)
        FAIL_CHECK("levenshtein_pct " << show(a) << " " << show(b) << ": " << got_pct
                                      << " != " << want_pct);
    }

    if (use_pattern) reused->clear(b.data(), lb);
  }

  CHECK(lev_fail == 0);
  CHECK(dp_fail == 0);
  CHECK(myers_fail == 0);
  CHECK(jaro_fail == 0);
  CHECK(jaro_exact_fail == 0);
  CHECK(jw_fail == 0);
  CHECK(pct_fail == 0);
  CHECK(pattern_fail == 0);
  // The sample really covers the paths it is meant to.
  CHECK(long_pairs > kPairs / 4);
  CHECK(pattern_pairs > kPairs / 4);
  CHECK(boosted > kPairs / 10);
}

TEST_CASE("metrics: Pattern64 build -> clear -> build equals a fresh table") {
  Gen gen(42);
  auto reused = std::make_unique<nm::kernels::Pattern64>();
  reused->reset_all();
  int checked = 0;
  for (int it = 0; it < 2000; ++it) {
    const CodePoints p = gen.random_string(1 + gen.below(64));
    const CodePoints text = gen.random_string(gen.length());
    reused->build(p.data(), len32(p));
    auto fresh = std::make_unique<nm::kernels::Pattern64>();
    fresh->reset_all();
    fresh->build(p.data(), len32(p));
    REQUIRE(reused->len == fresh->len);
    REQUIRE(reused->n_ext == fresh->n_ext);
    for (uint32_t c = 0; c < 128; ++c) REQUIRE(reused->get(c) == fresh->get(c));
    for (uint32_t c : kAlphabet) REQUIRE(reused->get(c) == fresh->get(c));
    REQUIRE(reused->get(0x10FFFF) == 0);
    const uint32_t want = nm::ref::levenshtein(p, text);
    REQUIRE(nm::kernels::levenshtein_myers(*reused, text.data(), len32(text)) == want);
    REQUIRE(nm::kernels::levenshtein_myers(*fresh, text.data(), len32(text)) == want);
    reused->clear(p.data(), len32(p));
    // A cleared table is all zero again.
    for (uint32_t c = 0; c < 128; ++c) REQUIRE(reused->get(c) == 0);
    for (uint32_t c : kAlphabet) REQUIRE(reused->get(c) == 0);
    ++checked;
  }
  CHECK(checked == 2000);
}

TEST_CASE("metrics: edge lengths 0, 1, 63, 64, 65 on both sides") {
  Gen gen(7);
  const uint32_t lens[] = {0, 1, 2, 63, 64, 65, 100};
  auto pat = std::make_unique<nm::kernels::Pattern64>();
  pat->reset_all();
  int checked = 0;
  for (uint32_t la : lens) {
    for (uint32_t lb : lens) {
      for (int rep = 0; rep < 20; ++rep) {
        const CodePoints a = gen.random_string(la);
        const CodePoints b = rep % 2 ? gen.random_string(lb) : gen.mutate(gen.random_string(lb));
        const uint32_t na = len32(a), nb = len32(b);
        std::vector<uint32_t> scratch(nm::kernels::metric_scratch_words(std::max(na, nb)));
        const bool use_pattern = nb >= 1 && nb <= 64;
        if (use_pattern) pat->build(b.data(), nb);
        const nm::kernels::Pattern64* pb = use_pattern ? pat.get() : nullptr;
        CAPTURE(show(a));
        CAPTURE(show(b));
        CHECK(nm::kernels::levenshtein(a.data(), na, b.data(), nb, pb, scratch.data()) ==
              nm::ref::levenshtein(a, b));
        CHECK(nm::kernels::jaro(a.data(), na, b.data(), nb, pb, scratch.data()) ==
              nm::ref::jaro(a, b));
        if (use_pattern) pat->clear(b.data(), nb);
        ++checked;
      }
    }
  }
  CHECK(checked == 7 * 7 * 20);
}

namespace {

struct JwCase {
  std::u32string a, b;
  double jaro;  // < 0: not published
  double jw;
};

double fast_jaro(const std::u32string& s1, const std::u32string& s2) {
  const CodePoints a = nm::ref::to_code_points(s1), b = nm::ref::to_code_points(s2);
  std::vector<uint32_t> scratch(
      nm::kernels::metric_scratch_words(static_cast<uint32_t>(std::max(a.size(), b.size()))));
  auto pat = std::make_unique<nm::kernels::Pattern64>();
  pat->reset_all();
  pat->build(b.data(), len32(b));
  return nm::kernels::jaro(a.data(), len32(a), b.data(), len32(b), pat.get(), scratch.data());
}

double fast_jw(const std::u32string& s1, const std::u32string& s2) {
  const CodePoints a = nm::ref::to_code_points(s1), b = nm::ref::to_code_points(s2);
  return nm::kernels::jaro_winkler_from_jaro(fast_jaro(s1, s2), a.data(), len32(a), b.data(),
                                             len32(b));
}

}  // namespace

TEST_CASE("metrics: Jaro–Winkler reference values of testdata/README.md") {
  const JwCase cases[] = {
      {U"martha", U"marhta", 0.944444, 0.961111},
      {U"dwayne", U"duane", 0.822222, 0.840000},
      {U"dixon", U"dicksonx", -1, 0.813333},
      {U"jones", U"johnson", 0.790476, 0.832381},
      {U"shackleford", U"shackelford", 0.969697, 0.981818},
      {U"massey", U"massie", -1, 0.933333},
      {U"jon", U"john", -1, 0.933333},
  };
  for (const JwCase& c : cases) {
    CAPTURE(std::string(c.a.begin(), c.a.end()));
    CAPTURE(std::string(c.b.begin(), c.b.end()));
    const double rj = nm::ref::jaro(c.a, c.b), rjw = nm::ref::jaro_winkler(c.a, c.b);
    const double fj = fast_jaro(c.a, c.b), fjw = fast_jw(c.a, c.b);
    if (c.jaro >= 0) {
      CHECK(std::fabs(rj - c.jaro) < 5e-7);
      CHECK(std::fabs(fj - c.jaro) < 5e-7);
    }
    CHECK(std::fabs(rjw - c.jw) < 5e-7);
    CHECK(std::fabs(fjw - c.jw) < 5e-7);
    // Symmetric in this sample, and both directions equal the reference.
    CHECK(fast_jaro(c.b, c.a) == nm::ref::jaro(c.b, c.a));
    CHECK(fast_jw(c.b, c.a) == nm::ref::jaro_winkler(c.b, c.a));
  }
}

TEST_CASE("metrics: Jaro–Winkler boost only above 0.7, prefix at most 4") {
  // Prefix longer than 4 is capped at 4.
  const double j = nm::ref::jaro(U"abcdefgh", U"abcdefgx");
  CHECK(fast_jw(U"abcdefgh", U"abcdefgx") == j + 0.1 * 4 * (1.0 - j));
  // Jaro <= 0.7: no boost even with a common prefix.
  const double low = nm::ref::jaro(U"abxxxxxx", U"abyyyyyy");
  REQUIRE(low <= 0.7);
  CHECK(fast_jw(U"abxxxxxx", U"abyyyyyy") == low);
  // t is floor(t / 2): one transposition-like mismatch pair counts once.
  CHECK(fast_jaro(U"abc", U"bac") == nm::ref::jaro(U"abc", U"bac"));
}

TEST_CASE("metrics: Levenshtein % uses UTF-8 byte lengths") {
  // "王" (3 bytes) vs "a" (1 byte): distance 1, max_len 3.
  CHECK(nm::kernels::levenshtein_pct(1, 3, 1) == (1.0 - 1.0 / 3.0) * 100.0);
  CHECK(nm::kernels::levenshtein_pct(0, 0, 0) == 100.0);
  CHECK(nm::kernels::levenshtein_pct(2, 4, 2) == 50.0);
  CHECK(nm::ref::levenshtein_pct(U"王", U"a") == nm::kernels::levenshtein_pct(1, 3, 1));
  CHECK(nm::ref::levenshtein_pct(U"😀", U"") == 75.0);
}

// ---------------------------------------------------------------------------
// The CPU's long-string paths (kernels/levenshtein_blocks.cpp, jaro_long,
// levenshtein_at_most) against the reference, at every length 0..300 and a
// few thousands, on four kinds of alphabet.

namespace {

enum class Alpha { kSmallAscii, kMixed, kSameWide, kDisjoint };

// Strings of one kind: a few ASCII letters (many matches, long transposition
// chains), the test alphabet with non-ASCII code points of 2-4 UTF-8 bytes,
// 300 distinct code points (more than one block's 64 rows can share), and
// for kDisjoint a from letters, b from Greek (no match at all).
struct LongGen {
  Gen g;
  explicit LongGen(uint64_t seed) : g(seed) {}
  uint32_t code(Alpha k, bool second) {
    switch (k) {
      case Alpha::kSmallAscii:
        return 'a' + g.below(4);
      case Alpha::kMixed:
        return g.letter();
      case Alpha::kSameWide:
        return 0x400 + g.below(300);
      default:
        return second ? 0x3B1 + g.below(20) : 'a' + g.below(20);
    }
  }
  CodePoints string(Alpha k, uint32_t n, bool second) {
    CodePoints s(n);
    for (auto& c : s) c = code(k, second);
    return s;
  }
  // b: a copy of a with about one edit in `rate` positions, or unrelated.
  CodePoints partner(Alpha k, const CodePoints& a, uint32_t n) {
    if (k == Alpha::kDisjoint || g.below(3) == 0) return string(k, n, true);
    CodePoints b;
    const uint32_t rate = 2 + g.below(30);
    for (uint32_t c : a) {
      switch (g.below(rate) == 0 ? g.below(3) : 3) {
        case 0:
          b.push_back(code(k, true));  // substitution
          break;
        case 1:
          b.push_back(code(k, true));  // insertion
          b.push_back(c);
          break;
        case 2:
          break;  // deletion
        default:
          b.push_back(c);
      }
    }
    return b;
  }
};

const char* alpha_name(Alpha k) {
  switch (k) {
    case Alpha::kSmallAscii:
      return "4 ASCII letters";
    case Alpha::kMixed:
      return "mixed with non-ASCII";
    case Alpha::kSameWide:
      return "300 code points";
    default:
      return "disjoint";
  }
}

std::vector<nm::kernels::BlockKernel> block_kernels() {
  std::vector<nm::kernels::BlockKernel> out{nm::kernels::BlockKernel::kScalar};
  if (nm::kernels::block_kernel_available(nm::kernels::BlockKernel::kAvx512))
    out.push_back(nm::kernels::BlockKernel::kAvx512);
  else
    MESSAGE("this CPU has no AVX-512: only the scalar band kernel is tested");
  return out;
}

// Compares every long path on one pair; returns the number of mismatches.
int check_long_pair(const CodePoints& a, const CodePoints& b, const char* what) {
  namespace kernels = nm::kernels;
  const uint32_t la = len32(a), lb = len32(b);
  const uint32_t lmax = std::max(la, lb);
  int fails = 0;
  // Exactly the words the engine gives a worker; ASan sees any overrun.
  std::vector<uint32_t> scratch(kernels::metric_scratch_words(lmax));
  const uint32_t want = nm::ref::levenshtein(a, b);
  const uint32_t got = kernels::levenshtein(a.data(), la, b.data(), lb, nullptr, scratch.data());
  if (got != want && ++fails <= 3)
    FAIL_CHECK(what << ": levenshtein " << la << "x" << lb << " " << got << " != " << want << "\n"
                    << show(a) << "\n"
                    << show(b));
  if (la > 0 && lb > 0) {
    for (const kernels::BlockKernel k : block_kernels()) {
      // Both strings as the pattern, with exactly the words the call needs.
      std::vector<uint32_t> s1(kernels::levenshtein_blocks_words(la, lb));
      std::vector<uint32_t> s2(kernels::levenshtein_blocks_words(lb, la));
      const uint32_t d1 = kernels::levenshtein_blocks(a.data(), la, b.data(), lb, s1.data(), k);
      const uint32_t d2 = kernels::levenshtein_blocks(b.data(), lb, a.data(), la, s2.data(), k);
      if ((d1 != want || d2 != want) && ++fails <= 3)
        FAIL_CHECK(what << ": levenshtein_blocks kernel " << static_cast<int>(k) << " " << la << "x"
                        << lb << " " << d1 << "/" << d2 << " != " << want);
    }
  }
  for (const uint32_t k : {0u, 1u, 2u, 5u}) {
    std::vector<uint32_t> s(2 * (2 * k + 1));
    const uint32_t at_most = kernels::levenshtein_at_most(a.data(), la, b.data(), lb, k, s.data());
    if (at_most != std::min(want, k + 1) && ++fails <= 3)
      FAIL_CHECK(what << ": levenshtein_at_most k=" << k << " " << at_most
                      << " != " << std::min(want, k + 1));
  }
  const double want_jaro = nm::ref::jaro(a, b);
  const double got_jaro = kernels::jaro(a.data(), la, b.data(), lb, nullptr, scratch.data());
  if (!(got_jaro == want_jaro) && ++fails <= 3)
    FAIL_CHECK(what << ": jaro " << la << "x" << lb << " " << got_jaro << " != " << want_jaro);
  if (la > 0 && lb > 0) {
    const uint32_t half = std::max(la, lb) / 2;
    std::vector<uint32_t> s(kernels::jaro_long_words(la, lb));
    const double direct =
        kernels::jaro_long(a.data(), la, b.data(), lb, half > 0 ? half - 1 : 0, s.data());
    if (!(direct == want_jaro) && ++fails <= 3)
      FAIL_CHECK(what << ": jaro_long " << la << "x" << lb << " " << direct << " != " << want_jaro);
  }
  return fails;
}

}  // namespace

TEST_CASE("metrics: long paths equal the reference at every length 0..300") {
  LongGen gen(0x10a9);
  int fails = 0, pairs = 0;
  for (const Alpha k : {Alpha::kSmallAscii, Alpha::kMixed, Alpha::kSameWide, Alpha::kDisjoint}) {
    for (uint32_t n = 0; n <= 300; ++n) {
      const CodePoints a = gen.string(k, n, false);
      // An edited copy (length near n) and an unrelated string of any length.
      const CodePoints b = gen.partner(k, a, n);
      const CodePoints c = gen.string(k, gen.g.below(301), true);
      fails += check_long_pair(a, b, alpha_name(k));
      fails += check_long_pair(c, a, alpha_name(k));
      pairs += 2;
    }
  }
  MESSAGE(pairs << " pairs");
  CHECK(fails == 0);
}

TEST_CASE("metrics: long paths equal the reference on strings of a few thousand code points") {
  LongGen gen(0x7a05a4d);
  int fails = 0;
  // Lengths around the AVX-512 band (8 blocks = 512 rows) and text word
  // (64 columns) edges, and the largest the reference's full matrix allows
  // in a test's time.
  const uint32_t lengths[] = {511, 512, 513, 575, 576, 577, 1023, 1025, 2047, 3000, 4100};
  for (const Alpha k : {Alpha::kSmallAscii, Alpha::kMixed, Alpha::kSameWide, Alpha::kDisjoint}) {
    for (const uint32_t n : lengths) {
      const CodePoints a = gen.string(k, n, false);
      fails += check_long_pair(a, gen.partner(k, a, n), alpha_name(k));
    }
    const CodePoints a = gen.string(k, 3500, false);
    fails += check_long_pair(a, gen.string(k, 700, true), alpha_name(k));  // very unequal
  }
  CHECK(fails == 0);
}

TEST_CASE("metrics: the CPU paths and the kernel's paths give the same pair score") {
  // score_fuzzy_pair with the CPU's long paths (and their early exits) and
  // with the CUDA kernel's plain paths, as its emulation runs them: every
  // label, score and confidence equal, on long full names and long parts.
  namespace kernels = nm::kernels;
  LongGen gen(0x5c0e);
  int fails = 0, matched = 0, case3 = 0;
  for (int it = 0; it < 300; ++it) {
    const Alpha k = gen.g.below(2) == 0 ? Alpha::kSmallAscii : Alpha::kMixed;
    // Records laid out as the engine does: full name, then first, middle, last.
    auto record = [&](const CodePoints& first, const CodePoints& last) {
      CodePoints r = first;
      r.push_back(' ');
      r.push_back(' ');  // no middle name
      r.insert(r.end(), last.begin(), last.end());
      const uint32_t full_len = len32(r);
      r.insert(r.end(), first.begin(), first.end());
      r.insert(r.end(), last.begin(), last.end());
      return std::make_pair(r, full_len);
    };
    const CodePoints f1 = gen.string(k, 40 + gen.g.below(400), false);
    const CodePoints l1 = gen.string(k, 1 + gen.g.below(30), false);
    const CodePoints f2 = gen.g.below(3) == 0 ? f1 : gen.partner(k, f1, len32(f1));
    const CodePoints l2 = gen.g.below(2) == 0 ? l1 : gen.partner(k, l1, len32(l1));
    const auto [ra, la] = record(f1, l1);
    const auto [rb, lb] = record(f2, l2);
    const uint32_t parts_a[3] = {len32(f1), 0, len32(l1)};
    const uint32_t parts_b[3] = {len32(f2), 0, len32(l2)};
    CodePoints full_a(ra.begin(), ra.begin() + la), full_b(rb.begin(), rb.begin() + lb);
    const uint32_t code = gen.g.below(2) == 0 ? 7 : 8;  // the phonetic vote, at random
    const kernels::FuzzyView va =
        kernels::fuzzy_view_at(ra.data(), la, static_cast<uint32_t>(nm::ref::utf8_length(full_a)),
                               7, nm::char_class_mask(ra.data(), la), parts_a);
    const kernels::FuzzyView vb =
        kernels::fuzzy_view_at(rb.data(), lb, static_cast<uint32_t>(nm::ref::utf8_length(full_b)),
                               code, nm::char_class_mask(rb.data(), lb), parts_b);
    std::vector<uint32_t> scratch(kernels::metric_scratch_words(std::max(la, lb)));
    for (const bool all : {false, true}) {
      const kernels::PairScore cpu =
          kernels::score_fuzzy_pair<true>(va, vb, nullptr, false, scratch.data(), all);
      const kernels::PairScore dev =
          kernels::score_fuzzy_pair<false>(va, vb, nullptr, false, scratch.data(), all);
      if ((cpu.label != dev.label || !(cpu.score == dev.score) ||
           !(cpu.confidence == dev.confidence)) &&
          ++fails <= 3)
        FAIL_CHECK("pair " << it << " all_metrics " << all << ": cpu label " << int(cpu.label)
                           << " score " << cpu.score << ", kernel label " << int(dev.label)
                           << " score " << dev.score);
      if (all &&
          (cpu.dist != nm::ref::levenshtein(full_a, full_b) ||
           !(cpu.jaro == nm::ref::jaro(full_a, full_b))) &&
          ++fails <= 3)
        FAIL_CHECK("pair " << it << ": all_metrics dist/jaro differ from the reference");
      if (!all && cpu.label != kernels::kNoMatch) ++matched;
      // CASE 2 at 88 or more runs the CASE 3 check (the banded one on long parts).
      if (!all &&
          (cpu.label == kernels::kCase3 || (cpu.label == kernels::kCase2 && cpu.score >= 88.0)))
        ++case3;
    }
  }
  MESSAGE(matched << " matching pairs, " << case3 << " through the CASE 3 check");
  CHECK(fails == 0);
  CHECK(matched > 30);
  CHECK(case3 > 0);
}
