// Differential test: the fast engine (nm::test::find_pairs, and nm::test::aggregate_households
// for A5/A6) against a brute-force reading of the contract
// (/work/shared/spec/matching.md, sections 1–5), on random tables built to make
// name collisions, near misses, ties and > 64 code point strings likely.
//
// The brute force below uses only the contract's normalisers
// (src/text/normalize.hpp), the primary Double Metaphone code
// (src/text/double_metaphone.hpp) and the plain reference metrics
// (tests/oracle/reference_metrics.hpp). Everything else (UTF-8 decoding, building
// the full strings, the A1/A2 rules, the A3/A4 classification, dedupe and the
// household aggregation) is written here again from the contract's wording,
// on purpose without any code of src/match/prepare.* or kernels/pair_scoring.hpp.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cfloat>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/oracle/reference_metrics.hpp"
#include "src/text/double_metaphone.hpp"
#include "src/match/engine.hpp"
#include "src/match/households.hpp"
#include "src/text/normalize.hpp"
#include "src/match/options.hpp"
#include "src/match/table.hpp"
#include "tests/support/match_driver.hpp"
#include "tests/support/utf8_encode.hpp"

namespace {

using CodePoints = std::vector<uint32_t>;

// A C++ string literal of s (for reproducers in failure messages).
std::string literal(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out = "\"";
  bool after_hex = false;  // a hex digit right after \xNN would extend the escape
  for (const char ch : s) {
    const auto b = static_cast<unsigned char>(ch);
    if (b >= 0x20 && b < 0x7F) {
      const bool hex_digit =
          (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
      if (after_hex && hex_digit) out += "\"\"";
      if (ch == '"' || ch == '\\') out += '\\';
      out += ch;
      after_hex = false;
    } else {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
      after_hex = true;
    }
  }
  return out + "\"";
}

// ---------------------------------------------------------------------------
// UTF-8 (the inputs are valid UTF-8: the generator only produces scalar values)

CodePoints utf8_decode(std::string_view s) {
  CodePoints out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    size_t n = 1;
    uint32_t c = b0;
    if (b0 >= 0xF0) {
      n = 4;
      c = b0 & 0x07u;
    } else if (b0 >= 0xE0) {
      n = 3;
      c = b0 & 0x0Fu;
    } else if (b0 >= 0xC0) {
      n = 2;
      c = b0 & 0x1Fu;
    }
    if (i + n > s.size()) {
      FAIL_CHECK("truncated UTF-8 in " << literal(s));
      break;
    }
    for (size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    out.push_back(c);
    i += n;
  }
  return out;
}

std::string utf8_encode(const CodePoints& cps) {
  return nm::test::encode_utf8(cps.data(), cps.size());
}

// ---------------------------------------------------------------------------
// Records

struct Rec {
  std::string id, uuid, first, middle, last, hh;
  int32_t bd = nm::kNoDate;
};
using Table = std::vector<Rec>;

nm::RawTable to_raw(const Table& t) {
  nm::RawTable raw;
  raw.source = "differential";
  for (size_t i = 0; i < t.size(); ++i) {
    const Rec& r = t[i];
    raw.push({r.id, r.uuid, r.first, r.middle, r.last, r.hh}, r.bd, i + 2);
  }
  return raw;
}

std::string describe(const Rec& r) {
  std::ostringstream o;
  o << "t.push({" << literal(r.id) << ", " << literal(r.uuid) << ", " << literal(r.first) << ", "
    << literal(r.middle) << ", " << literal(r.last) << ", " << literal(r.hh) << "}, ";
  if (r.bd == nm::kNoDate)
    o << "nm::kNoDate";
  else
    o << r.bd;
  o << ", 1);";
  return o.str();
}

// ---------------------------------------------------------------------------
// Brute force: A1 / A2 (section 4)

struct ExactNames {
  std::string first, middle, last;  // "" = missing
};

// normalize_text, "" when empty after it (missing). With fuzzy normalisation
// normalize_simple(normalize_text(x)), missing when blank after that.
std::string exact_name(std::string_view raw, bool fuzzy_normalization) {
  std::string s = nm::normalize_text(raw);
  if (fuzzy_normalization) {
    s = nm::normalize_simple(s);
    if (nm::is_blank(s)) s.clear();
  }
  return s;
}

ExactNames exact_names(const Rec& r, bool fuzzy_normalization) {
  return ExactNames{exact_name(r.first, fuzzy_normalization),
                    exact_name(r.middle, fuzzy_normalization),
                    exact_name(r.last, fuzzy_normalization)};
}

bool both_dates_equal(const Rec& a, const Rec& b) {
  return a.bd != nm::kNoDate && b.bd != nm::kNoDate && a.bd == b.bd;
}

bool exact_rule(const Rec& a, const Rec& b, const ExactNames& x, const ExactNames& y,
                bool with_middle) {
  if (!both_dates_equal(a, b)) return false;
  const bool first_ok = !x.first.empty() && !y.first.empty() && x.first == y.first;
  const bool last_ok = !x.last.empty() && !y.last.empty() && x.last == y.last;
  if (!first_ok || !last_ok) return false;
  if (!with_middle) return true;
  const bool both_missing = x.middle.empty() && y.middle.empty();
  const bool both_equal = !x.middle.empty() && !y.middle.empty() && x.middle == y.middle;
  return both_missing || both_equal;
}

// ---------------------------------------------------------------------------
// Brute force: A3 / A4 (section 4)

enum Label : int { kNone = 0, kDirect, kCase1, kCase2, kCase3 };
constexpr const char* kLabelNames[] = {"NO MATCH", "DIRECT MATCH", "CASE 1", "CASE 2", "CASE 3"};

struct FuzzyRec {
  std::string full;     // normalize_simple(first + " " + [middle + " " +] last)
  bool usable = false;  // full not empty after trimming
  CodePoints full_cp;
  std::string phonetic;  // normalize_for_phonetic(full)
  std::string code;      // primary Double Metaphone of phonetic ("" when phonetic is empty)
  CodePoints part[3];    // normalize_simple of first, middle, last (normalize_text-ed)
};

FuzzyRec fuzzy_rec(const Rec& r, bool with_middle) {
  // Fields are normalize_text-ed; a missing field is "".
  const std::string f = nm::normalize_text(r.first);
  const std::string m = nm::normalize_text(r.middle);
  const std::string l = nm::normalize_text(r.last);
  FuzzyRec out;
  out.full = nm::normalize_simple(with_middle ? f + " " + m + " " + l : f + " " + l);
  out.usable = !nm::is_blank(out.full);
  out.full_cp = utf8_decode(out.full);
  out.phonetic = nm::normalize_for_phonetic(out.full);
  out.code = out.phonetic.empty() ? std::string() : nm::double_metaphone_primary(out.phonetic);
  out.part[0] = utf8_decode(nm::normalize_simple(f));
  out.part[1] = utf8_decode(nm::normalize_simple(m));
  out.part[2] = utf8_decode(nm::normalize_simple(l));
  return out;
}

struct Verdict {
  Label label = kNone;
  double score = 0;
};

Verdict classify(const FuzzyRec& a, const FuzzyRec& b, bool with_middle) {
  if (!a.usable || !b.usable) return {};
  if (a.full == b.full) return {kDirect, 100.0};
  const double lev = nm::ref::levenshtein_pct(a.full_cp, b.full_cp);
  const double jw = nm::ref::jaro_winkler(a.full_cp, b.full_cp) * 100.0;
  // metaphone_pct: either phonetic form empty -> 0; else 100 when the primary
  // codes are equal and non-empty.
  const bool phon_equal =
      !a.phonetic.empty() && !b.phonetic.empty() && !a.code.empty() && a.code == b.code;
  const double mp = phon_equal ? 100.0 : 0.0;
  const bool lev_ok = lev >= 85.0, jw_ok = jw >= 85.0, mp_ok = mp == 100.0;
  const double score = (lev + jw + mp) / 3.0;
  if (lev_ok && jw_ok && mp_ok) return {kCase1, score};
  const int passed = static_cast<int>(lev_ok) + static_cast<int>(jw_ok) + static_cast<int>(mp_ok);
  if (passed < 2) return {};
  bool close = score >= 88.0;
  close = close && nm::ref::levenshtein(a.part[0], b.part[0]) <= 2;
  close = close && nm::ref::levenshtein(a.part[2], b.part[2]) <= 2;
  if (with_middle) close = close && nm::ref::levenshtein(a.part[1], b.part[1]) <= 2;
  return {close ? kCase3 : kCase2, score};
}

// ---------------------------------------------------------------------------
// Brute force: all pairs

// One pair the rule accepts: what the engine must report for it.
struct Expected {
  uint32_t left, right;
  float confidence;
  Label label;
};

// Every pair the rule accepts, before any threshold, in (left, right) order;
// dedupe: left < right only.
std::vector<Expected> brute_candidates(const Table& t1, const Table& t2, int algorithm,
                                       bool fuzzy_normalization, bool dedupe) {
  std::vector<Expected> out;
  const bool with_middle = algorithm == 2 || algorithm == 3;
  if (algorithm <= 2) {
    std::vector<ExactNames> x, y;
    for (const Rec& r : t1) x.push_back(exact_names(r, fuzzy_normalization));
    for (const Rec& r : t2) y.push_back(exact_names(r, fuzzy_normalization));
    for (uint32_t i = 0; i < t1.size(); ++i)
      for (uint32_t j = dedupe ? i + 1 : 0; j < t2.size(); ++j)
        if (exact_rule(t1[i], t2[j], x[i], y[j], with_middle))
          out.push_back(Expected{i, j, 1.0f, kDirect});
    return out;
  }
  std::vector<FuzzyRec> x, y;
  for (const Rec& r : t1) x.push_back(fuzzy_rec(r, with_middle));
  for (const Rec& r : t2) y.push_back(fuzzy_rec(r, with_middle));
  for (uint32_t i = 0; i < t1.size(); ++i) {
    for (uint32_t j = dedupe ? i + 1 : 0; j < t2.size(); ++j) {
      if (!both_dates_equal(t1[i], t2[j])) continue;
      const Verdict v = classify(x[i], y[j], with_middle);
      if (v.label == kNone) continue;
      out.push_back(Expected{i, j, static_cast<float>(v.score / 100.0), v.label});
    }
  }
  return out;
}

std::vector<Expected> keep_at(const std::vector<Expected>& all, float threshold) {
  std::vector<Expected> out;
  for (const Expected& e : all)
    if (e.confidence >= threshold) out.push_back(e);  // 32-bit compare
  return out;
}

// ---------------------------------------------------------------------------
// Brute force: households A5 / A6 (section 4)

struct Household {
  std::string uuid, hh;
  float pct;
};

std::string t2_key(const Rec& r) { return r.hh.empty() ? r.id : r.hh; }

bool byte_less(const std::string& a, const std::string& b) {
  const size_t n = std::min(a.size(), b.size());
  const int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  return c != 0 ? c < 0 : a.size() < b.size();
}

struct HouseholdStats {
  uint64_t ties = 0;       // persons dropped by the tie rule
  uint64_t exactly50 = 0;  // (uuid, hh) dropped at exactly 50 %
};

std::vector<Household> brute_households(const Table& t1, const Table& t2,
                                        const std::vector<Expected>& person_pairs, bool table2_view,
                                        HouseholdStats* hs) {
  // person -> (other side's household key, confidence) of each of their pairs
  std::map<uint32_t, std::vector<std::pair<std::string, float>>> options;
  for (const Expected& p : person_pairs) {
    if (t1[p.left].uuid.empty()) continue;  // uuid-less table-1 rows take no part
    if (!table2_view)
      options[p.left].emplace_back(t2_key(t2[p.right]), p.confidence);
    else
      options[p.right].emplace_back(t1[p.left].uuid, p.confidence);
  }
  std::map<std::pair<std::string, std::string>, uint64_t> assigned;  // (uuid, hh) -> persons
  for (const auto& [person, list] : options) {
    float best = list.front().second;
    for (const auto& o : list) best = std::max(best, o.second);
    std::set<std::string> winners;
    for (const auto& [key, c] : list) {
      const float gap = best - c;
      if (gap < FLT_EPSILON) winners.insert(key);
    }
    if (winners.size() != 1) {
      ++hs->ties;
      continue;
    }
    if (!table2_view)
      ++assigned[{t1[person].uuid, *winners.begin()}];
    else
      ++assigned[{*winners.begin(), t2_key(t2[person])}];
  }
  std::map<std::string, uint64_t> size;  // household -> persons in it (the denominator's side)
  if (!table2_view) {
    for (const Rec& r : t1)
      if (!r.uuid.empty()) ++size[r.uuid];
  } else {
    for (const Rec& r : t2) ++size[t2_key(r)];
  }
  std::vector<Household> out;
  for (const auto& [key, count] : assigned) {
    const uint64_t denom = size.at(table2_view ? key.second : key.first);
    const float pct = static_cast<float>(count) / static_cast<float>(denom) * 100.0f;
    if (pct > 50.0f)
      out.push_back(Household{key.first, key.second, pct});
    else if (pct == 50.0f)
      ++hs->exactly50;
  }
  std::sort(out.begin(), out.end(), [](const Household& a, const Household& b) {
    if (a.uuid != b.uuid) return byte_less(a.uuid, b.uuid);
    return byte_less(a.hh, b.hh);
  });
  return out;
}

// ---------------------------------------------------------------------------
// Random tables

constexpr uint32_t kAlphabet[] = {
    'a',    'b',    'c',    'e',    'h',   'i',   'j',    'k',   'm',   'n',   'o',     'r',
    's',    't',    'y',    'A',    'J',   'K',   'S',    'M',   ' ',   ' ',   ' ',     '-',
    '.',    ',',    '\'',   '0',    '7',   '\t',  0xE9,   0xC9,  0x301, 0x308, 0x142,   0x141,
    0xDF,   0x1E9E, 0xE6,   0xF8,   0x111, 0x3A3, 0x3C3,  0x3C2, 0x131, 0x130, 0xA0,    0x3000,
    0x2028, 0x200B, 0x4E2D, 0x6587, 0x416, 0x434, 0xFB01, 0xC7,  0xF1,  0xD1,  0x1F600, 0x10348,
};
constexpr uint32_t kLetters[] = {'a', 'e', 'h', 'i', 'j', 'k', 'n', 'o', 's', 't', 'y', 'c', 'm'};

const std::vector<std::string> kFirst = {
    "Jon",      "John",     "Jonathan",    "Jhon",         "Jonathon",
    "JOHN",     "john ",    "  Jon",       "Catherine",    "Katherine",
    "Kathryn",  "Cathryn",  "Mohammed",    "Muhammad",     "Mohamed",
    "José",     "Jose",     "JOSÉ",        "Jose\xCC\x81", "Łukasz",
    "Lukasz",   "Ann",      "Anne",        "Ann-Marie",    "Anne Marie",
    "Ann.",     "A.",       "Renée-Marie", "Mary-Jane",    "Mary Jane",
    "ΟΔΥΣΣΕΥΣ", "Οδυσσευς", "Æsa",         "Aesa",         "Đorđe",
    "Djordje",  "Jean-Luc", "Jean Luc",    "Jean  Luc",    "",
    " ",        "\t",       "-",           "- -",          ".",
    "\xC2\xA0", "Jo",       "J",           "Çelik"};
const std::vector<std::string> kMiddle = {"",    "",      "",      "A",     "A.",     "Anne",
                                          "Ann", "Marie", "Lee",   "Leigh", "J",      "-",
                                          " ",   "James", "Jaime", "ß",     "Ma-rie", "."};
const std::vector<std::string> kLast = {"Smith",
                                        "Smyth",
                                        "Smithe",
                                        "SMITH",
                                        "Smith-Jones",
                                        "Smith Jones",
                                        "Dela Cruz, Jr.",
                                        "Dela Cruz",
                                        "DelaCruz",
                                        "de la Cruz",
                                        "García",
                                        "Garcia",
                                        "Nguyen",
                                        "Ng",
                                        "O'Brien",
                                        "OBrien",
                                        "Kowalski",
                                        "Kowalsky",
                                        "",
                                        " ",
                                        ".",
                                        "Müller",
                                        "Mueller",
                                        "Muller",
                                        "straße",
                                        "Strasse",
                                        "Øster",
                                        "Oster",
                                        "Doe",
                                        "Do",
                                        "-",
                                        "- ."};
const std::vector<std::string> kUuids = {"", "", "u1", "u2", "u3", "AA", "BB", "\xC3\xA9"};
const std::vector<std::string> kHhIds = {"", "", "", "h1", "h2", "7", "12", "Z", "\xC3\x9F"};
const std::vector<int32_t> kDatePool = {0,     7305,       -1,          12000,
                                        18000, 2147483647, -2147483647, 1 << 20};

// Near ties for the household rule (A4 names, found by a search with the
// brute force; the test checks the distances): the person's two pairs are one
// float ulp apart (M - c < FLT_EPSILON: a tie when the households differ) and
// two ulps apart (M - c == FLT_EPSILON: not a tie).
struct NearTie {
  const char* person[2];  // first, last
  const char* best[2];
  const char* second[2];
  uint32_t ulps;
};
constexpr NearTie kNearTies[] = {
    {{"Mohammed Ali", "Garcia Nguyen"},
     {"Myohammed Alim", "Gracia Ngyuenn"},
     {"Moihammed Aln", "Garrcia Nuyen"},
     1},
    {{"Catherine Elizabeth", "Dela Cruz Garcia"},
     {"Caatherine Elziaebth", "Dela Cruz Gaircca"},
     {"Catherine EElizbaehhh", "Delha rCu zGarcia"},
     2},
};

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <class T>
  const T& from(const std::vector<T>& v) {
    return v[pick(v.size())];
  }

  std::string random_string(size_t max_cps) {
    CodePoints cps(pick(max_cps + 1));
    for (auto& c : cps) c = kAlphabet[pick(std::size(kAlphabet))];
    return utf8_encode(cps);
  }

  // A name built from several pool words: often longer than 64 code points.
  std::string long_name() {
    std::string s;
    const size_t words = 4 + pick(8);
    for (size_t w = 0; w < words; ++w) {
      if (w) s += ' ';
      s += chance(0.5) ? from(kFirst) : from(kLast);
    }
    return s;
  }

  // One to two small code point edits.
  std::string mutate(const std::string& s) {
    CodePoints cps = utf8_decode(s);
    const size_t edits = 1 + pick(2);
    for (size_t e = 0; e < edits; ++e) {
      const uint32_t c =
          chance(0.8) ? kLetters[pick(std::size(kLetters))] : kAlphabet[pick(std::size(kAlphabet))];
      const size_t op = pick(5);
      if (cps.empty() || op == 0) {
        cps.insert(cps.begin() + static_cast<ptrdiff_t>(pick(cps.size() + 1)), c);
      } else if (op == 1) {
        cps.erase(cps.begin() + static_cast<ptrdiff_t>(pick(cps.size())));
      } else if (op == 2) {
        cps[pick(cps.size())] = c;
      } else if (op == 3 && cps.size() >= 2) {
        const size_t i = pick(cps.size() - 1);
        std::swap(cps[i], cps[i + 1]);
      } else {
        const size_t i = pick(cps.size());
        cps.insert(cps.begin() + static_cast<ptrdiff_t>(i), cps[i]);
      }
    }
    return utf8_encode(cps);
  }

  std::string decorate(std::string s) {
    switch (pick(5)) {
      case 0:
        return "  " + s + " ";
      case 1:
        return s + ".";
      case 2: {
        for (char& ch : s)
          if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
        return s;
      }
      case 3:
        return "\xC2\xA0" + s;  // NBSP: Unicode White_Space
      default:
        return s + "-";
    }
  }

  std::string name(const std::vector<std::string>& pool) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (u < 0.05) return random_string(80);
    if (u < 0.14 && !shared_.empty()) {
      const std::string& s = from(shared_);
      return chance(0.5) ? mutate(s) : s;
    }
    std::string s = from(pool);
    if (chance(0.2)) s = mutate(s);
    if (chance(0.1)) s = decorate(s);
    return s;
  }

  // New per-table-pair state: shared long strings and the birthdates in use.
  void start_case(size_t max_dates = 4) {
    shared_.clear();
    const size_t n = 1 + pick(4);
    for (size_t i = 0; i < n; ++i) shared_.push_back(chance(0.4) ? random_string(80) : long_name());
    dates_.clear();
    const size_t nd = 1 + pick(max_dates);
    for (size_t i = 0; i < nd; ++i) dates_.push_back(from(kDatePool));
  }

  Table table(size_t max_rows, size_t min_rows = 0) {
    size_t n = min_rows + pick(max_rows - min_rows + 1);
    if (min_rows == 0 && chance(0.08)) n = pick(3);
    Table t(n);
    for (size_t i = 0; i < n; ++i) {
      Rec& r = t[i];
      const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
      if (u < 0.7)
        r.id = std::to_string(i + 1);
      else if (u < 0.85)
        r.id = "rec-" + std::to_string(i + 1) + "-org";
      else
        r.id = std::to_string(1 + pick(15));  // duplicates happen
      r.uuid = from(kUuids);
      r.hh = from(kHhIds);
      r.first = name(kFirst);
      r.middle = chance(0.4) ? name(kMiddle) : std::string();
      r.last = name(kLast);
      r.bd = chance(0.08) ? nm::kNoDate : from(dates_);
      // A near copy of an earlier row: DIRECT / CASE matches within the table.
      if (i > 0 && chance(0.25)) {
        const Rec& o = t[pick(i)];
        r.first = chance(0.6) ? o.first : mutate(o.first);
        r.middle = chance(0.6) ? o.middle : name(kMiddle);
        r.last = chance(0.7) ? o.last : mutate(o.last);
        if (chance(0.7)) r.bd = o.bd;
      }
    }
    return t;
  }

  // Inserts one near-tie group at random places: the person in t1, the two
  // candidates in t2 (households usually different, sometimes the same).
  void inject_near_tie(Table& t1, Table& t2) {
    const NearTie& nt = kNearTies[pick(std::size(kNearTies))];
    const int32_t bd = dates_.front();
    auto insert = [&](Table& t, const char* const* name, const std::string& id,
                      const std::string& uuid, const std::string& hh) {
      Rec r;
      r.id = id;
      r.uuid = uuid;
      r.first = name[0];
      r.last = name[1];
      r.hh = hh;
      r.bd = bd;
      t.insert(t.begin() + static_cast<ptrdiff_t>(pick(t.size() + 1)), r);
    };
    const std::string uuid = chance(0.9) ? kUuids[2 + pick(kUuids.size() - 2)] : std::string();
    const std::string& hh1 = kHhIds[3 + pick(kHhIds.size() - 3)];
    const std::string hh2 = chance(0.8) ? kHhIds[3 + pick(kHhIds.size() - 3)] : hh1;
    insert(t1, nt.person, "nt-p", uuid, "");
    insert(t2, nt.best, "nt-b", "", hh1);
    insert(t2, nt.second, "nt-s", "", hh2);
  }

  // A second table with rows copied (often altered) from the first.
  Table related_table(const Table& base, size_t max_rows, size_t min_rows = 0) {
    Table t = table(max_rows, min_rows);
    if (base.empty()) return t;
    for (Rec& r : t) {
      if (!chance(0.45)) continue;
      const Rec& o = base[pick(base.size())];
      r.first = chance(0.6) ? o.first : name(kFirst);
      if (chance(0.2)) r.first = mutate(r.first);
      r.middle = chance(0.6) ? o.middle : name(kMiddle);
      r.last = chance(0.7) ? o.last : mutate(o.last);
      if (chance(0.85)) r.bd = o.bd;
    }
    return t;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<std::string> shared_;
  std::vector<int32_t> dates_;
};

// ---------------------------------------------------------------------------
// Engine runs and comparison

struct Exec {
  bool exhaustive;
  unsigned threads;
  uint64_t tile_pairs;
};

std::vector<Exec> all_execs() {
  std::vector<Exec> out;
  for (const bool ex : {false, true})
    for (const unsigned th : {1u, 3u})
      for (const uint64_t tile : {uint64_t{1}, uint64_t{3}, uint64_t{1} << 18})
        out.push_back(Exec{ex, th, tile});
  return out;
}

const std::vector<std::pair<const char*, float>> kFuzzyThresholds = {
    {"0.6", 0.6f},   {"0.62", 0.62f}, {"0.66", 0.66f}, {"0.67", 0.67f}, {"0.7", 0.7f},
    {"0.85", 0.85f}, {"0.9", 0.9f},   {"0.95", 0.95f}, {"1.0", 1.0f}};
const std::vector<std::pair<const char*, float>> kHouseholdThresholds = {
    {"0.5", 0.5f}, {"0.6", 0.6f}, {"0.8", 0.8f}, {"0.95", 0.95f}};

struct Totals {
  uint64_t engine_runs = 0;
  uint64_t pairs_compared = 0;  // summed over every engine run
  uint64_t distinct_pairs = 0;  // brute-force pairs, once per (tables, options)
  uint64_t label[5] = {0, 0, 0, 0, 0};
  uint64_t long_pairs = 0;   // non-direct fuzzy pairs with a full string > 64 code points
  uint64_t below_bound = 0;  // fuzzy pairs kept below the phonetic shortcut bound
  uint64_t households_compared = 0;
  uint64_t distinct_households = 0;
  uint64_t ties = 0;
  uint64_t exactly50 = 0;
  uint64_t failures = 0;
  uint64_t max_scored = 0;  // most candidate pairs scored in one engine run
};

std::string options_text(const nm::MatchOptions& o) {
  std::ostringstream s;
  s << "algorithm=" << o.algorithm << " fuzzy_normalization=" << o.fuzzy_normalization
    << " threshold=" << o.threshold << " household_threshold=" << o.household_threshold
    << " dedupe=" << o.dedupe << " exhaustive=" << o.exhaustive << " threads=" << o.threads
    << " tile_pairs=" << o.tile_pairs;
  return s.str();
}

std::string tables_text(const Table& t1, const Table& t2, bool dedupe) {
  std::ostringstream s;
  s << "table 1 (" << t1.size() << " rows):\n";
  for (const Rec& r : t1) s << "  " << describe(r) << "\n";
  if (!dedupe) {
    s << "table 2 (" << t2.size() << " rows):\n";
    for (const Rec& r : t2) s << "  " << describe(r) << "\n";
  }
  return s.str();
}

std::string pair_text(uint32_t l, uint32_t r, float c, const char* label) {
  std::ostringstream s;
  s.precision(9);
  s << "(" << l << "," << r << ", conf=" << c << " [0x" << std::hex << std::bit_cast<uint32_t>(c)
    << std::dec << "], " << label << ")";
  return s.str();
}

// Empty when equal; else what differs (up to a few entries of each kind).
std::string diff_pairs(const std::vector<Expected>& want,
                       const std::vector<nm::test::MatchPair>& got, const Table& t1,
                       const Table& t2) {
  std::ostringstream s;
  std::map<std::pair<uint32_t, uint32_t>, const Expected*> w;
  std::map<std::pair<uint32_t, uint32_t>, const nm::test::MatchPair*> g;
  for (const Expected& e : want) w[{e.left, e.right}] = &e;
  for (const nm::test::MatchPair& p : got) g[{p.left, p.right}] = &p;
  int shown = 0;
  for (const auto& [k, e] : w) {
    const auto it = g.find(k);
    if (it == g.end()) {
      if (shown++ < 6)
        s << "missing " << pair_text(e->left, e->right, e->confidence, kLabelNames[e->label])
          << "\n    " << describe(t1[k.first]) << "\n    " << describe(t2[k.second]) << "\n";
      continue;
    }
    const nm::test::MatchPair* p = it->second;
    if (std::bit_cast<uint32_t>(p->confidence) != std::bit_cast<uint32_t>(e->confidence) ||
        std::string_view(nm::label_name(p->label)) != kLabelNames[e->label]) {
      if (shown++ < 6)
        s << "differs: want " << pair_text(e->left, e->right, e->confidence, kLabelNames[e->label])
          << " got " << pair_text(p->left, p->right, p->confidence, nm::label_name(p->label))
          << "\n    " << describe(t1[k.first]) << "\n    " << describe(t2[k.second]) << "\n";
    }
  }
  for (const auto& [k, p] : g) {
    if (w.count(k)) continue;
    if (shown++ < 6) {
      s << "extra " << pair_text(p->left, p->right, p->confidence, nm::label_name(p->label));
      if (k.first < t1.size() && k.second < t2.size())
        s << "\n    " << describe(t1[k.first]) << "\n    " << describe(t2[k.second]);
      s << "\n";
    }
  }
  // Same set and values but a different order (the output must be sorted).
  if (shown == 0) {
    bool same = want.size() == got.size();
    for (size_t i = 0; same && i < want.size(); ++i)
      same = want[i].left == got[i].left && want[i].right == got[i].right;
    if (!same) s << "same pairs, different order or duplicates\n";
  }
  return s.str();
}

std::string diff_households(const std::vector<Household>& want,
                            const std::vector<nm::HouseholdRow>& got) {
  bool same = want.size() == got.size();
  for (size_t i = 0; same && i < want.size(); ++i)
    same = want[i].uuid == got[i].uuid && want[i].hh == got[i].hh_id &&
           std::bit_cast<uint32_t>(want[i].pct) == std::bit_cast<uint32_t>(got[i].pct);
  if (same) return {};
  std::ostringstream s;
  s.precision(9);
  s << "want:";
  for (const Household& h : want)
    s << " (" << literal(h.uuid) << "," << literal(h.hh) << "," << h.pct << ")";
  s << "\ngot: ";
  for (const nm::HouseholdRow& h : got)
    s << " (" << literal(h.uuid) << "," << literal(h.hh_id) << "," << h.pct << ")";
  s << "\n";
  return s.str();
}

void count_labels(const std::vector<Expected>& want, const std::vector<FuzzyRec>* f1,
                  const std::vector<FuzzyRec>* f2, Totals& tot) {
  tot.distinct_pairs += want.size();
  for (const Expected& e : want) {
    ++tot.label[e.label];
    if (e.label != kDirect && e.confidence <= nm::phonetic_shortcut_bound()) ++tot.below_bound;
    if (f1 != nullptr && e.label != kDirect &&
        ((*f1)[e.left].full_cp.size() > 64 || (*f2)[e.right].full_cp.size() > 64))
      ++tot.long_pairs;
  }
}

void report_failure(Totals& tot, const std::string& what) {
  ++tot.failures;
  if (tot.failures <= 3) FAIL_CHECK(what);
}

// Runs the engine under every execution configuration and compares.
void compare_pairs(const Table& t1, const Table& t2, const nm::RawTable& r1, const nm::RawTable& r2,
                   nm::MatchOptions opt, const std::vector<Expected>& want,
                   const std::string& where, Totals& tot) {
  for (const Exec& ex : all_execs()) {
    opt.exhaustive = ex.exhaustive;
    opt.threads = ex.threads;
    opt.tile_pairs = ex.tile_pairs;
    nm::EngineStats st;
    const std::vector<nm::test::MatchPair> got = opt.dedupe
                                                     ? nm::test::find_pairs(r1, r1, opt, &st)
                                                     : nm::test::find_pairs(r1, r2, opt, &st);
    tot.max_scored = std::max(tot.max_scored, st.pairs_scored);
    ++tot.engine_runs;
    tot.pairs_compared += want.size();
    const std::string d = diff_pairs(want, got, t1, t2);
    if (!d.empty())
      report_failure(tot, where + "\n" + options_text(opt) + "\n" + d +
                              (tot.failures <= 1 ? tables_text(t1, t2, opt.dedupe) : ""));
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Shape {
  size_t min_rows = 0, max_rows = 60, max_dates = 4;
};

void two_table_case(Gen& gen, const std::string& where, const Shape& shape, bool dedupe,
                    const std::vector<std::pair<const char*, float>>& thresholds, Totals& tot) {
  gen.start_case(shape.max_dates);
  const Table t1 = gen.table(shape.max_rows, shape.min_rows);
  const Table t2 = dedupe ? t1 : gen.related_table(t1, shape.max_rows, shape.min_rows);
  const nm::RawTable r1 = to_raw(t1), r2 = to_raw(t2);
  nm::MatchOptions opt;
  opt.dedupe = dedupe;

  for (const int algorithm : {1, 2}) {
    for (const bool fz : {false, true}) {
      opt.algorithm = algorithm;
      opt.fuzzy_normalization = fz;
      opt.threshold = kFuzzyThresholds[gen.pick(kFuzzyThresholds.size())].second;  // unused
      const std::vector<Expected> want =
          keep_at(brute_candidates(t1, t2, algorithm, fz, dedupe), 0.0f);
      count_labels(want, nullptr, nullptr, tot);
      compare_pairs(t1, t2, r1, r2, opt, want, where, tot);
    }
  }
  opt.fuzzy_normalization = false;
  for (const int algorithm : {3, 4}) {
    const bool with_middle = algorithm == 3;
    std::vector<FuzzyRec> f1, f2;
    for (const Rec& r : t1) f1.push_back(fuzzy_rec(r, with_middle));
    for (const Rec& r : t2) f2.push_back(fuzzy_rec(r, with_middle));
    const std::vector<Expected> all = brute_candidates(t1, t2, algorithm, false, dedupe);
    for (const auto& [text, value] : thresholds) {
      opt.algorithm = algorithm;
      opt.threshold = nm::parse_fuzzy_threshold(text);
      REQUIRE(opt.threshold == value);
      const std::vector<Expected> want = keep_at(all, opt.threshold);
      count_labels(want, &f1, &f2, tot);
      compare_pairs(t1, t2, r1, r2, opt, want, where, tot);
    }
  }
}

void household_case(Gen& gen, const std::string& where, const Shape& shape, Totals& tot) {
  gen.start_case(shape.max_dates);
  Table t1 = gen.table(shape.max_rows, shape.min_rows);
  Table t2 = gen.related_table(t1, shape.max_rows, shape.min_rows);
  const size_t near_ties = gen.pick(3);
  for (size_t k = 0; k < near_ties; ++k) gen.inject_near_tie(t1, t2);
  const nm::RawTable r1 = to_raw(t1), r2 = to_raw(t2);
  const std::vector<Expected> a4 = brute_candidates(t1, t2, 4, false, false);
  std::vector<FuzzyRec> f1, f2;
  for (const Rec& r : t1) f1.push_back(fuzzy_rec(r, false));
  for (const Rec& r : t2) f2.push_back(fuzzy_rec(r, false));
  for (const int algorithm : {5, 6}) {
    for (const auto& [text, value] : kHouseholdThresholds) {
      nm::MatchOptions opt;
      opt.algorithm = algorithm;
      opt.household_threshold = nm::parse_household_threshold(text);
      REQUIRE(opt.household_threshold == value);
      opt.threshold = kFuzzyThresholds[gen.pick(kFuzzyThresholds.size())].second;  // plays no part
      const std::vector<Expected> person_pairs = keep_at(a4, opt.household_threshold);
      HouseholdStats hs;
      const std::vector<Household> want =
          brute_households(t1, t2, person_pairs, algorithm == 6, &hs);
      count_labels(person_pairs, &f1, &f2, tot);
      tot.distinct_households += want.size();
      tot.ties += hs.ties;
      tot.exactly50 += hs.exactly50;
      for (const Exec& ex : all_execs()) {
        opt.exhaustive = ex.exhaustive;
        opt.threads = ex.threads;
        opt.tile_pairs = ex.tile_pairs;
        nm::EngineStats st;
        const std::vector<nm::test::MatchPair> pairs = nm::test::find_pairs(r1, r2, opt, &st);
        tot.max_scored = std::max(tot.max_scored, st.pairs_scored);
        ++tot.engine_runs;
        tot.pairs_compared += person_pairs.size();
        const std::string dp = diff_pairs(person_pairs, pairs, t1, t2);
        if (!dp.empty()) {
          report_failure(tot, where + " (person pairs)\n" + options_text(opt) + "\n" + dp +
                                  (tot.failures <= 1 ? tables_text(t1, t2, false) : ""));
          continue;
        }
        const std::vector<nm::HouseholdRow> got =
            nm::test::aggregate_households(r1, r2, pairs, algorithm == 6);
        tot.households_compared += want.size();
        const std::string dh = diff_households(want, got);
        if (!dh.empty())
          report_failure(tot, where + " (households)\n" + options_text(opt) + "\n" + dh +
                                  (tot.failures <= 1 ? tables_text(t1, t2, false) : ""));
      }
    }
  }
}

void check_not_vacuous(const Totals& tot, bool fuzzy) {
  CHECK(tot.failures == 0);
  CHECK(tot.pairs_compared > 10000);
  CHECK(tot.distinct_pairs > 1000);
  CHECK(tot.label[kDirect] > 0);
  if (fuzzy) {
    CHECK(tot.label[kCase1] > 0);
    CHECK(tot.label[kCase2] > 0);
    CHECK(tot.label[kCase3] > 0);
    CHECK(tot.below_bound > 0);
  }
}

std::string totals_text(const char* name, const Totals& tot, double secs) {
  std::ostringstream s;
  s << name << ": " << tot.engine_runs << " engine runs, " << tot.pairs_compared
    << " pairs compared (" << tot.distinct_pairs << " distinct brute-force pairs: DIRECT "
    << tot.label[kDirect] << ", CASE 1 " << tot.label[kCase1] << ", CASE 2 " << tot.label[kCase2]
    << ", CASE 3 " << tot.label[kCase3] << "; " << tot.long_pairs
    << " non-direct with > 64 code points, " << tot.below_bound << " below the phonetic bound), ";
  if (tot.households_compared > 0)
    s << tot.households_compared << " households compared (" << tot.distinct_households
      << " distinct, " << tot.ties << " tie drops, " << tot.exactly50 << " exactly-50% drops), ";
  s << tot.failures << " mismatching runs, " << secs << " s";
  return s.str();
}

}  // namespace

TEST_CASE("engine differential: A1-A4 on two random tables vs the brute force") {
  const auto t0 = std::chrono::steady_clock::now();
  Totals tot;
  for (uint64_t it = 0; it < 50; ++it) {
    const uint64_t seed = 0x5eed0000 + it;
    Gen gen(seed);
    two_table_case(gen, "two tables, seed " + std::to_string(seed), Shape{}, false,
                   kFuzzyThresholds, tot);
  }
  MESSAGE(totals_text("A1-A4 two tables", tot, seconds_since(t0)));
  check_not_vacuous(tot, true);
  CHECK(tot.long_pairs > 0);
}

TEST_CASE("engine differential: A1-A4 dedupe of a random table vs the brute force") {
  const auto t0 = std::chrono::steady_clock::now();
  Totals tot;
  for (uint64_t it = 0; it < 50; ++it) {
    const uint64_t seed = 0xdedf0000 + it;
    Gen gen(seed);
    two_table_case(gen, "dedupe, seed " + std::to_string(seed), Shape{}, true, kFuzzyThresholds,
                   tot);
  }
  MESSAGE(totals_text("A1-A4 dedupe", tot, seconds_since(t0)));
  check_not_vacuous(tot, true);
  CHECK(tot.long_pairs > 0);
}

TEST_CASE("engine differential: the near-tie rows are one and two float ulps apart") {
  for (const NearTie& nt : kNearTies) {
    auto conf = [](const char* const* a, const char* const* b) {
      Rec x, y;
      x.first = a[0];
      x.last = a[1];
      y.first = b[0];
      y.last = b[1];
      x.bd = y.bd = 1;
      const Verdict v = classify(fuzzy_rec(x, false), fuzzy_rec(y, false), false);
      REQUIRE(v.label != kNone);
      return static_cast<float>(v.score / 100.0);
    };
    const float m = conf(nt.person, nt.best), c = conf(nt.person, nt.second);
    CHECK(m >= 0.8f);
    CHECK(std::bit_cast<uint32_t>(m) - std::bit_cast<uint32_t>(c) == nt.ulps);
    CHECK((m - c < FLT_EPSILON) == (nt.ulps == 1));
  }
}

TEST_CASE("engine differential: A5/A6 households vs the brute force") {
  const auto t0 = std::chrono::steady_clock::now();
  Totals tot;
  for (uint64_t it = 0; it < 70; ++it) {
    const uint64_t seed = 0x4a4a0000 + it;
    Gen gen(seed);
    household_case(gen, "households, seed " + std::to_string(seed), Shape{}, tot);
  }
  MESSAGE(totals_text("A5/A6", tot, seconds_since(t0)));
  check_not_vacuous(tot, true);
  CHECK(tot.households_compared > 1000);
  CHECK(tot.ties > 0);
  CHECK(tot.exactly50 > 0);
}

// Bigger blocks than the 0-60 row tables: the engine hands out tasks of at
// least 2^14 candidate pairs, so only a run with more than 2 * 2^14 pairs cut
// into small tiles (tile_pairs 1 or 3: one left row per tile) lets three
// threads really share the work.
TEST_CASE("engine differential: larger blocks split over several threads") {
  const auto t0 = std::chrono::steady_clock::now();
  Totals tot;
  const Shape big{210, 230, 1};
  const std::vector<std::pair<const char*, float>> thresholds = {{"0.6", 0.6f}, {"0.95", 0.95f}};
  Gen gen(0xb16b10c5);
  two_table_case(gen, "larger tables, seed 0xb16b10c5", big, false, thresholds, tot);
  two_table_case(gen, "larger table dedupe, seed 0xb16b10c5", big, true, thresholds, tot);
  household_case(gen, "larger households, seed 0xb16b10c5", big, tot);
  MESSAGE(totals_text("larger blocks", tot, seconds_since(t0))
          << ", up to " << tot.max_scored << " candidate pairs scored in one run");
  CHECK(tot.failures == 0);
  CHECK(tot.max_scored > 2 * (uint64_t{1} << 14));
  CHECK(tot.pairs_compared > 1000);
}

// Names of hundreds to a few thousand code points (issue 11): the CPU's long
// paths (block Levenshtein, union-find Jaro, the banded CASE 3 check) through
// the whole engine, against the brute force with the plain reference metrics.
TEST_CASE("engine differential: very long names vs the brute force") {
  const auto t0 = std::chrono::steady_clock::now();
  Totals tot;
  Gen gen(0x10a6a3e5);
  Table t1, t2;
  auto long_text = [&](size_t n) {
    CodePoints cps(n);
    for (auto& c : cps) c = kAlphabet[gen.pick(std::size(kAlphabet))];
    return cps;
  };
  for (size_t i = 0; i < 8; ++i) {
    Rec a;
    a.id = "L" + std::to_string(i);
    a.bd = 7305;
    const CodePoints first = long_text(100 + gen.pick(1400));
    a.first = utf8_encode(first);
    a.middle = gen.chance(0.5) ? utf8_encode(long_text(gen.pick(200))) : "";
    a.last = gen.from(kLast);
    t1.push_back(a);
    // Its partner: the same, a few edits (CASE 1/2), many edits, or unrelated.
    Rec b = a;
    b.id = "R" + std::to_string(i);
    CodePoints f = first;
    const size_t edits = gen.chance(0.3) ? 0 : gen.chance(0.5) ? 1 + gen.pick(3) : f.size() / 6;
    for (size_t e = 0; e < edits; ++e) f[gen.pick(f.size())] = kAlphabet[gen.pick(std::size(kAlphabet))];
    b.first = gen.chance(0.15) ? utf8_encode(long_text(100 + gen.pick(1400))) : utf8_encode(f);
    if (gen.chance(0.3)) b.last = gen.from(kLast);
    t2.push_back(b);
  }
  const nm::RawTable r1 = to_raw(t1), r2 = to_raw(t2);
  nm::MatchOptions opt;
  for (const int algorithm : {3, 4}) {
    const bool with_middle = algorithm == 3;
    std::vector<FuzzyRec> f1, f2;
    for (const Rec& r : t1) f1.push_back(fuzzy_rec(r, with_middle));
    for (const Rec& r : t2) f2.push_back(fuzzy_rec(r, with_middle));
    const std::vector<Expected> all = brute_candidates(t1, t2, algorithm, false, false);
    for (const float threshold : {0.6f, 0.95f}) {
      opt.algorithm = algorithm;
      opt.threshold = threshold;
      const std::vector<Expected> want = keep_at(all, threshold);
      count_labels(want, &f1, &f2, tot);
      compare_pairs(t1, t2, r1, r2, opt, want, "very long names", tot);
    }
  }
  MESSAGE(totals_text("very long names", tot, seconds_since(t0)));
  CHECK(tot.failures == 0);
  CHECK(tot.long_pairs > 8);
}
