// The fuzzy rule of algorithms 3 and 4 (matching.md section 4) on the shared
// golden table, through the real preparation path (RawTable -> prepare_fuzzy
// -> FuzzyView -> score_fuzzy_pair), plus the threshold parsing examples and
// the phonetic shortcut bound.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "io/csv_writer.hpp"
#include "kernels/metrics.hpp"
#include "kernels/pair_scoring.hpp"
#include "tests/oracle/reference_metrics.hpp"
#include "src/match/engine.hpp"
#include "src/match/options.hpp"
#include "src/match/prepare.hpp"
#include "src/match/table.hpp"
#include "src/gpu/selftest.hpp"
#include "src/text/utf8.hpp"
#include "tests/support/utf8_encode.hpp"

#ifndef NM_SHARED_DIR
#define NM_SHARED_DIR "/work/shared"
#endif

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return out;
}

std::string unmissing(const std::string& s) { return s == "\\N" ? std::string() : s; }

nm::RawTable one_row_table(std::string_view first, std::string_view middle, std::string_view last) {
  nm::RawTable t;
  t.source = "golden";
  t.push({"1", "u", first, middle, last, ""}, 7305, 2);
  return t;
}

using nm::test::encode_utf8;

// Scores a against b as the engine does: the pattern of b when it has 1..64
// code points, else none.
nm::kernels::PairScore score(const nm::kernels::FuzzyView& a, const nm::kernels::FuzzyView& b,
                             bool with_middle, bool all_metrics, uint32_t max_len) {
  auto pat = std::make_unique<nm::kernels::Pattern64>();
  pat->reset_all();
  const bool use_pattern = b.full_len >= 1 && b.full_len <= nm::kernels::kWordBits;
  if (use_pattern) pat->build(b.full, b.full_len);
  std::vector<uint32_t> scratch(nm::kernels::metric_scratch_words(max_len) + 8);
  return nm::kernels::score_fuzzy_pair(a, b, use_pattern ? pat.get() : nullptr, with_middle,
                                       scratch.data(), all_metrics);
}

std::string confidence_text(float f) {
  std::string s;
  nm::io::append_confidence(s, f);
  return s;
}

}  // namespace

TEST_CASE("fuzzy rule: every row of fuzzy_golden.tsv") {
  const std::string path = NM_SHARED_DIR "/testdata/fuzzy_golden.tsv";
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.is_open(), "cannot open " << path);
  std::string line;
  bool header_seen = false;
  int rows = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = split_tabs(line);
    if (!header_seen) {
      header_seen = true;
      REQUIRE(f.size() == 15);
      CHECK(f[0] == "t1_first");
      CHECK(f[6] == "algorithm");
      CHECK(f[14] == "confidence");
      continue;
    }
    REQUIRE(f.size() == 15);
    CAPTURE(line);
    const int algorithm = std::atoi(f[6].c_str());
    REQUIRE((algorithm == 3 || algorithm == 4));
    const bool with_middle = algorithm == 3;

    const nm::RawTable t1 = one_row_table(unmissing(f[0]), unmissing(f[1]), unmissing(f[2]));
    const nm::RawTable t2 = one_row_table(unmissing(f[3]), unmissing(f[4]), unmissing(f[5]));
    const nm::FuzzyTable p1 = nm::prepare_fuzzy(t1, with_middle, 1);
    const nm::FuzzyTable p2 = nm::prepare_fuzzy(t2, with_middle, 1);
    REQUIRE(p1.records.size() == 1);
    REQUIRE(p2.records.size() == 1);
    const nm::kernels::FuzzyView a = p1.view(0), b = p2.view(0);

    // The full strings, through the trace and through the prepared table.
    const nm::FuzzyTrace tr1 =
        nm::trace_fuzzy(unmissing(f[0]), unmissing(f[1]), unmissing(f[2]), with_middle);
    const nm::FuzzyTrace tr2 =
        nm::trace_fuzzy(unmissing(f[3]), unmissing(f[4]), unmissing(f[5]), with_middle);
    CHECK(tr1.full == f[7]);
    CHECK(tr2.full == f[8]);
    CHECK(encode_utf8(a.full, a.full_len) == f[7]);
    CHECK(encode_utf8(b.full, b.full_len) == f[8]);
    CHECK(a.full_bytes == f[7].size());
    CHECK(b.full_bytes == f[8].size());
    CHECK(a.phon_code == (tr1.phonetic.empty() ? 0u : nm::pack_metaphone(tr1.metaphone)));
    CHECK(b.phon_code == (tr2.phonetic.empty() ? 0u : nm::pack_metaphone(tr2.metaphone)));

    const uint32_t max_len = std::max(p1.max_len, p2.max_len);
    const nm::kernels::PairScore s = score(a, b, with_middle, true, max_len);
    const double lev = std::strtod(f[9].c_str(), nullptr);
    const double jw = std::strtod(f[10].c_str(), nullptr);
    const double mp = std::strtod(f[11].c_str(), nullptr);
    CHECK(std::fabs(s.lev - lev) < 5e-7);
    CHECK(std::fabs(s.jw - jw) < 5e-7);
    CHECK(s.mp == mp);
    CHECK(std::string(nm::label_name(s.label)) == f[12]);
    CHECK((f[12] == "NO MATCH") == (s.label == nm::kernels::kNoMatch));
    if (s.label == nm::kernels::kNoMatch) {
      CHECK(f[13].empty());
      CHECK(f[14].empty());
    } else {
      const double want_score = std::strtod(f[13].c_str(), nullptr);
      CHECK(std::fabs(s.score - want_score) < 5e-7);
      CHECK(s.confidence == static_cast<float>(s.score / 100.0));
      CHECK(confidence_text(s.confidence) == f[14]);
    }

    // The early-exit mode gives the same label, score and confidence; so do
    // the other argument order and the path without a pattern.
    const nm::kernels::PairScore quick = score(a, b, with_middle, false, max_len);
    CHECK(quick.label == s.label);
    CHECK(quick.score == s.score);
    CHECK(quick.confidence == s.confidence);
    const nm::kernels::PairScore rev = score(b, a, with_middle, true, max_len);
    CHECK(rev.label == s.label);
    CHECK(std::fabs(rev.score - s.score) < 5e-7);
    std::vector<uint32_t> scratch(nm::kernels::metric_scratch_words(max_len) + 8);
    const nm::kernels::PairScore nopat =
        nm::kernels::score_fuzzy_pair(a, b, nullptr, with_middle, scratch.data(), true);
    CHECK(nopat.lev == s.lev);
    CHECK(nopat.jw == s.jw);
    CHECK(nopat.label == s.label);
    CHECK(nopat.confidence == s.confidence);
    ++rows;
  }
  CHECK(header_seen);
  CHECK(rows == 52);
}

TEST_CASE("fuzzy rule: a blank full string never pairs") {
  const nm::RawTable t1 = one_row_table(".", "", "-");
  const nm::RawTable t2 = one_row_table(".", "", "-");
  const nm::FuzzyTable p1 = nm::prepare_fuzzy(t1, false, 1);
  const nm::FuzzyTable p2 = nm::prepare_fuzzy(t2, false, 1);
  CHECK(p1.view(0).full_len == 0);
  const nm::kernels::PairScore s = score(p1.view(0), p2.view(0), false, true, 8);
  CHECK(s.label == nm::kernels::kNoMatch);
  CHECK(s.confidence == 0.0f);
}

TEST_CASE("threshold parsing: the contract's examples") {
  CHECK(nm::parse_fuzzy_threshold("95") == 0.95f);
  CHECK(nm::parse_fuzzy_threshold("0.95") == 0.95f);
  CHECK(nm::parse_fuzzy_threshold("80.5") == 0.805f);
  CHECK(nm::parse_fuzzy_threshold("1") == 0.6f);
  CHECK(nm::parse_fuzzy_threshold("95%") == 0.95f);
  CHECK(nm::parse_fuzzy_threshold(" 0.9 ") == 0.9f);
  CHECK(nm::parse_fuzzy_threshold("inf") == 0.95f);
  CHECK(nm::parse_fuzzy_threshold("nan") == 0.95f);
  CHECK(nm::parse_fuzzy_threshold("") == 0.95f);
  CHECK(nm::parse_fuzzy_threshold("abc") == 0.95f);
  CHECK(nm::parse_fuzzy_threshold("0.3") == 0.6f);
  CHECK(nm::parse_household_threshold("0.3") == 0.5f);
  CHECK(nm::parse_fuzzy_threshold("150") == 1.0f);
  CHECK(nm::parse_household_threshold("150") == 1.0f);
  // Further consequences of the same rules.
  CHECK(nm::parse_fuzzy_threshold("1.0") == 1.0f);
  CHECK(nm::parse_fuzzy_threshold("85.5%") == static_cast<float>(0.855));
  CHECK(nm::parse_fuzzy_threshold("70") == 0.7f);
  CHECK(nm::parse_household_threshold("55") == 0.55f);
  CHECK(nm::parse_household_threshold("40") == 0.5f);
  CHECK(nm::parse_household_threshold("  ") == 0.95f);
  CHECK(nm::parse_household_threshold("-inf") == 0.95f);
  CHECK(nm::parse_fuzzy_threshold("9 5") == 0.95f);  // unparsable
}

TEST_CASE("fuzzy rule: without a phonetic match a pair never exceeds phonetic_shortcut_bound()") {
  const float bound = nm::phonetic_shortcut_bound();
  CHECK(bound == static_cast<float>(2.0 / 3.0));
  // Random names that are often near-identical but differ in the consonants
  // the metaphone code is made of.
  const char* firsts[] = {"xavier",    "javier",    "lim",   "lin",   "thompson", "tomson",
                          "catherine", "katherine", "bob",   "rob",   "ann",      "anne",
                          "jon",       "john",      "maria", "marya", "pedro",    "petro"};
  const char* lasts[] = {"cruz",     "kruz",     "ng",        "nguyen",    "lee",   "li",
                         "santos",   "zantos",   "reyes",     "reyez",     "smith", "smyth",
                         "kowalski", "kowalska", "dela cruz", "de la cruz"};
  std::mt19937_64 rng(20240611);
  nm::RawTable t;
  const size_t kRows = 600;
  for (size_t r = 0; r < kRows; ++r) {
    std::string first = firsts[rng() % (sizeof firsts / sizeof *firsts)];
    std::string last = lasts[rng() % (sizeof lasts / sizeof *lasts)];
    // Occasionally a long shared tail so lev and jw are both high.
    if (rng() % 3 == 0) last += " abcdefghijklmnopqrstuvwxyz";
    if (rng() % 4 == 0) last += " vanderberg";
    t.push({"1", "u", first, "", last, ""}, 7305, r + 2);
  }
  const nm::FuzzyTable p = nm::prepare_fuzzy(t, false, 1);
  auto pat = std::make_unique<nm::kernels::Pattern64>();
  pat->reset_all();
  std::vector<uint32_t> scratch(nm::kernels::metric_scratch_words(p.max_len) + 8);
  uint64_t checked = 0, matched_without_mp = 0, over = 0;
  float highest = 0;
  for (size_t j = 0; j < kRows; ++j) {
    const nm::kernels::FuzzyView b = p.view(j);
    const bool use_pattern = b.full_len >= 1 && b.full_len <= 64;
    if (use_pattern) pat->build(b.full, b.full_len);
    for (size_t i = 0; i < kRows; ++i) {
      const nm::kernels::FuzzyView a = p.view(i);
      if (a.phon_code != 0 && a.phon_code == b.phon_code) continue;
      if (nm::kernels::same_string(a.full, a.full_len, b.full, b.full_len)) continue;
      const nm::kernels::PairScore s = nm::kernels::score_fuzzy_pair(
          a, b, use_pattern ? pat.get() : nullptr, false, scratch.data(), true);
      ++checked;
      if (s.label != nm::kernels::kNoMatch) ++matched_without_mp;
      if (s.confidence > bound) ++over;
      highest = std::max(highest, s.confidence);
    }
    if (use_pattern) pat->clear(b.full, b.full_len);
  }
  CHECK(over == 0);
  CHECK(highest <= bound);
  // The sample exercises the bound: many CASE 2 pairs without the phonetic vote.
  CHECK(checked > 10000);
  CHECK(matched_without_mp > 100);

  // Close to the bound: long names that differ only in their first letter.
  std::string tail;
  for (int k = 0; k < 30; ++k) tail += " abcdefghik";  // no j or x: each letter matches its twin
  nm::RawTable t1, t2;
  t1.push({"1", "u", "xavier", "", "cruz" + tail, ""}, 7305, 2);
  t2.push({"2", "u", "javier", "", "cruz" + tail, ""}, 7305, 2);
  const nm::FuzzyTable p1 = nm::prepare_fuzzy(t1, false, 1), p2 = nm::prepare_fuzzy(t2, false, 1);
  REQUIRE(p1.view(0).phon_code != p2.view(0).phon_code);
  REQUIRE(p2.view(0).full_len > 64);
  const nm::kernels::PairScore near =
      score(p1.view(0), p2.view(0), false, true, std::max(p1.max_len, p2.max_len));
  CAPTURE(near.lev);
  CAPTURE(near.jw);
  CAPTURE(near.mp);
  CHECK(near.label == nm::kernels::kCase2);
  CHECK(near.confidence > 0.66f);
  CHECK(near.confidence <= bound);
}

namespace {

nm::kernels::PairScore score_names(std::string_view f1, std::string_view m1, std::string_view l1,
                                   std::string_view f2, std::string_view m2, std::string_view l2,
                                   bool with_middle, bool all_metrics) {
  const nm::RawTable t1 = one_row_table(f1, m1, l1);
  const nm::RawTable t2 = one_row_table(f2, m2, l2);
  const nm::FuzzyTable p1 = nm::prepare_fuzzy(t1, with_middle, 1),
                       p2 = nm::prepare_fuzzy(t2, with_middle, 1);
  return score(p1.view(0), p2.view(0), with_middle, all_metrics, std::max(p1.max_len, p2.max_len));
}

}  // namespace

TEST_CASE("fuzzy rule: the vote boundaries are inclusive (>= 85)") {
  // 20 bytes, distance 3: lev is exactly 85.0; different metaphone codes
  // (Xavier: S..., Javier: J...); jw 90. Two votes -> CASE 2.
  for (bool all : {true, false}) {
    const nm::kernels::PairScore s =
        score_names("Xavier", "", "delacruz abcd", "Javier", "", "delacruz abxy", false, all);
    CAPTURE(all);
    CHECK(s.label == nm::kernels::kCase2);
    CHECK(s.score == (85.0 + 90.0 + 0.0) / 3.0);
    if (all) {
      CHECK(s.lev == 85.0);
      CHECK(s.mp == 0.0);
    }
  }
  // "anna bkt" / "anna pcd": 8 code points each, 5 matches, no transposition,
  // prefix 4: jw is exactly 85.0; lev 62.5; metaphone ANPK both. -> CASE 2.
  for (bool all : {true, false}) {
    const nm::kernels::PairScore s = score_names("Anna", "", "Bkt", "Anna", "", "Pcd", false, all);
    CAPTURE(all);
    CHECK(s.label == nm::kernels::kCase2);
    CHECK(s.jw == 85.0);
    CHECK(s.mp == 100.0);
    CHECK(s.score == (62.5 + 85.0 + 100.0) / 3.0);
    CHECK(s.confidence == 0.825f);
  }
}

TEST_CASE("fuzzy rule: two empty phonetic codes are not a phonetic match") {
  // Greek only: normalize_for_phonetic is empty on both sides, so mp = 0
  // even though the (empty) codes are equal.
  const nm::kernels::PairScore s =
      score_names("ΟΔΥΣΣΕΥΣ", "", "ΠΑΠΑΔΟΠΟΥΛΟΣ", "ΟΔΥΣΣΕΑΣ", "", "ΠΑΠΑΔΟΠΟΥΛΟΣ", false, true);
  CHECK(s.mp == 0.0);
  CHECK(s.lev >= 85.0);
  CHECK(s.jw >= 85.0);
  CHECK(s.label == nm::kernels::kCase2);
  CHECK(s.confidence < 0.67f);
}

TEST_CASE("fuzzy rule: CASE 3 checks the middle name in A3 only") {
  // full "christopher xyz lee" / "christopher  lee": distance 3 of 19 bytes
  // (lev 84.2), jw high, metaphone KRST both: CASE 2 with a score >= 88. The
  // middle names differ by 3 ("xyz" vs missing), so not CASE 3 in A3.
  const nm::kernels::PairScore a3 =
      score_names("Christopher", "Xyz", "Lee", "Christopher", "", "Lee", true, true);
  CHECK(a3.lev < 85.0);
  CHECK(a3.mp == 100.0);
  CHECK(a3.score >= 88.0);
  CHECK(a3.label == nm::kernels::kCase2);
  // With a middle name 2 edits away it is CASE 3.
  const nm::kernels::PairScore a3b =
      score_names("Christopher", "Xy", "Leex", "Christopher", "", "Le", true, true);
  CHECK(a3b.lev < 85.0);
  CHECK(a3b.score >= 88.0);
  CHECK(a3b.label == nm::kernels::kCase3);
  // The score bound is inclusive: "anna le" / "annai leou" has lev 70.0
  // (3 insertions over 10 bytes), jw 94.0 (m = 7, t = 0, prefix 4), metaphone
  // ANL on both sides, so a score of exactly 88.0; first and last are 1 and 2
  // edits apart: CASE 3.
  const nm::kernels::PairScore at88 =
      score_names("Anna", "", "Le", "Annai", "", "Leou", false, true);
  CHECK(at88.lev == 70.0);
  CHECK(at88.jw == 94.0);
  CHECK(at88.mp == 100.0);
  CHECK(at88.score == 88.0);
  CHECK(at88.label == nm::kernels::kCase3);
  // A first name 3 edits away: CASE 2.
  const nm::kernels::PairScore a4 =
      score_names("Christopherxyz", "", "Lee", "Christopher", "", "Lee", false, true);
  CHECK(a4.lev < 85.0);
  CHECK(a4.score >= 88.0);
  CHECK(a4.label == nm::kernels::kCase2);
}

namespace {

// The contract's rule (matching.md A3/A4, steps 2-7) written over the
// reference metrics and the traced strings.
struct RefScore {
  double lev = 0, jw = 0, mp = 0, score = 0;
  float confidence = 0;
  uint8_t label = nm::kernels::kNoMatch;
};

std::vector<uint32_t> cps(const std::string& s) {
  std::vector<uint32_t> out;
  nm::decode_utf8(s, out);
  return out;
}

RefScore reference_rule(const nm::FuzzyTrace& x, const nm::FuzzyTrace& y, bool with_middle) {
  RefScore r;
  if (x.full.empty() || y.full.empty()) return r;
  const auto a = cps(x.full), b = cps(y.full);
  r.lev = nm::ref::levenshtein_pct(a, b);
  r.jw = nm::ref::jaro_winkler(a, b) * 100.0;
  r.mp = (!x.phonetic.empty() && !y.phonetic.empty() && !x.metaphone.empty() &&
          x.metaphone == y.metaphone)
             ? 100.0
             : 0.0;
  if (x.full == y.full) {
    r.score = 100;
    r.confidence = 1.0f;
    r.label = nm::kernels::kDirect;
    return r;
  }
  const bool lev_ok = r.lev >= 85, jw_ok = r.jw >= 85, mp_ok = r.mp == 100;
  const int votes = int(lev_ok) + int(jw_ok) + int(mp_ok);
  if (votes < 2) return r;
  r.score = (r.lev + r.jw + r.mp) / 3.0;
  r.confidence = static_cast<float>(r.score / 100.0);
  if (votes == 3) {
    r.label = nm::kernels::kCase1;
    return r;
  }
  r.label = nm::kernels::kCase2;
  if (r.score >= 88) {
    bool close = nm::ref::levenshtein(cps(x.parts[0]), cps(y.parts[0])) <= 2 &&
                 nm::ref::levenshtein(cps(x.parts[2]), cps(y.parts[2])) <= 2;
    if (with_middle) close = close && nm::ref::levenshtein(cps(x.parts[1]), cps(y.parts[1])) <= 2;
    if (close) r.label = nm::kernels::kCase3;
  }
  return r;
}

}  // namespace

TEST_CASE("fuzzy rule: score_fuzzy_pair equals the contract's rule on random name pairs") {
  const char* firsts[] = {
      "Christopher", "Kristopher", "Maria",  "María",    "Jon",      "John",   "Ann",
      "Anne",        "Xavier",     "Javier", "Łukasz",   "Lukasz",   "Zoë",    "Mary-Ann",
      "Ma. Luisa",   "Jean-Luc",   "Renée",  "Mohammed", "Muhammad", "Steven", "Stephen",
      "Lim",         "Lin",        "Ng",     "王",       "Σοφία"};
  const char* middles[] = {"",      "",      "",      "B",    "Michael", "Michel",
                           "Clara", "Klara", "De La", "Dela", "Ann",     "Xyz"};
  const char* lasts[] = {"Smith",
                         "Smyth",
                         "Lee",
                         "Li",
                         "Santos",
                         "Dela Cruz",
                         "de la Cruz",
                         "Kowalski",
                         "Kowalska",
                         "Reyes Jr.",
                         "Reyes",
                         "Ng",
                         "Nguyễn",
                         "Picard",
                         "Johnson",
                         "Jonson",
                         "Papadopoulos",
                         "ΠΑΠΑΔΟΠΟΥΛΟΣ",
                         "Vanderberg-Smith",
                         ""};
  std::mt19937_64 rng(0xfeedbeefULL);
  auto pick = [&](const auto& arr) { return std::string(arr[rng() % (sizeof arr / sizeof *arr)]); };
  // One ASCII edit, as gpu-selftest's tables get (keeps UTF-8 valid).
  auto edit = [&](const std::string& s) { return nm::gpu::random_typo(rng, s); };
  int checked = 0, mismatches = 0;
  int labels[5] = {0, 0, 0, 0, 0};
  for (int it = 0; it < 20000; ++it) {
    std::string f1 = pick(firsts), m1 = pick(middles), l1 = pick(lasts);
    std::string f2 = rng() % 3 ? f1 : pick(firsts), m2 = rng() % 3 ? m1 : pick(middles),
                l2 = rng() % 3 ? l1 : pick(lasts);
    for (int e = static_cast<int>(rng() % 4); e > 0; --e) {
      switch (rng() % 3) {
        case 0:
          f2 = edit(f2);
          break;
        case 1:
          m2 = edit(m2);
          break;
        default:
          l2 = edit(l2);
          break;
      }
    }
    if (rng() % 5 == 0) l2 += " abcdefghik lmnopqrstu vwyzabcdefghik lmnopqrstuvw yzabcdef";
    if (rng() % 5 == 0) l1 += " abcdefghik lmnopqrstu vwyzabcdefghik lmnopqrstuvw yzabcdef";
    for (bool with_middle : {true, false}) {
      const nm::FuzzyTrace x = nm::trace_fuzzy(f1, m1, l1, with_middle);
      const nm::FuzzyTrace y = nm::trace_fuzzy(f2, m2, l2, with_middle);
      const RefScore want = reference_rule(x, y, with_middle);
      for (bool all : {true, false}) {
        const nm::kernels::PairScore got = score_names(f1, m1, l1, f2, m2, l2, with_middle, all);
        const bool same = got.label == want.label && got.score == want.score &&
                          got.confidence == want.confidence &&
                          (!all || (got.lev == want.lev && got.jw == want.jw && got.mp == want.mp));
        if (!same && ++mismatches <= 5)
          FAIL_CHECK("'" << f1 << "|" << m1 << "|" << l1 << "' vs '" << f2 << "|" << m2 << "|" << l2
                         << "' A" << (with_middle ? 3 : 4) << (all ? " all" : " quick")
                         << ": label " << int(got.label) << " vs " << int(want.label) << ", score "
                         << got.score << " vs " << want.score);
        ++checked;
      }
      ++labels[want.label];
    }
  }
  CHECK(mismatches == 0);
  CHECK(checked == 80000);
  // Every label occurs, so every branch of the rule was compared.
  for (int l = 0; l < 5; ++l) {
    CAPTURE(l);
    CHECK(labels[l] > 50);
  }
}
