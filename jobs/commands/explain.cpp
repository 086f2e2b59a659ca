// `name_matcher explain`: runs one pair through the same code the engine uses
// (prepare_exact / prepare_fuzzy on 1-row tables, score_fuzzy_pair) and shows
// every intermediate value, as text or as one JSON object.
#include "jobs/commands/explain.hpp"

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/csv_reader.hpp"
#include "io/csv_writer.hpp"
#include "io/table_loader.hpp"
#include "jobs/cli.hpp"
#include "jobs/pipeline.hpp"
#include "kernels/metrics.hpp"
#include "kernels/pair_scoring.hpp"
#include "src/text/dates.hpp"
#include "src/match/engine.hpp"
#include "src/errors.hpp"
#include "src/text/normalize.hpp"
#include "src/match/options.hpp"
#include "src/match/prepare.hpp"
#include "src/match/algorithm.hpp"

namespace nm::jobs {
namespace po = boost::program_options;
using json = nlohmann::ordered_json;

namespace {

constexpr std::array<const char*, 3> kNameFields = {"first_name", "middle_name", "last_name"};

// One side of the pair: raw names plus, when read from a file, where from.
struct Side {
  std::array<std::string, 3> name;  // first, middle, last (raw)
  bool from_file = false;
  std::string source, id;
  uint64_t line = 0;
  int32_t birthdate = kNoDate;
};

// ---------------------------------------------------------------- input ----

std::vector<std::string> split_on(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t p = s.find(sep, start);
    out.emplace_back(
        s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) return out;
    start = p + 1;
  }
}

// "first|middle|last", "first|last", or words: first word first, last word
// last, the words between the middle name.
Side side_from_text(const std::string& text) {
  if (const size_t bad = io::find_invalid_utf8(text); bad != std::string::npos)
    throw InputError("name '" + text + "' is not valid UTF-8 (byte " + std::to_string(bad + 1) +
                     ")");
  Side s;
  if (text.find('|') != std::string::npos) {
    const auto parts = split_on(text, '|');
    if (parts.size() == 2) {
      s.name = {parts[0], "", parts[1]};
    } else if (parts.size() == 3) {
      s.name = {parts[0], parts[1], parts[2]};
    } else {
      throw InputError("name '" + text + "': expected first|last or first|middle|last");
    }
    return s;
  }
  std::vector<std::string> words;
  for (const auto& w : split_on(text, ' '))
    if (!w.empty()) words.push_back(w);
  if (words.empty()) return s;
  s.name[0] = words.front();
  if (words.size() >= 2) s.name[2] = words.back();
  for (size_t i = 1; i + 1 < words.size(); ++i) {
    if (!s.name[1].empty()) s.name[1] += ' ';
    s.name[1] += words[i];
  }
  return s;
}

Side side_from_file(const std::string& path, const std::string& id, const io::LoadOptions& lo) {
  const RawTable t = io::load_csv_table(path, lo, nullptr);
  std::optional<size_t> row;
  size_t count = 0;
  for (size_t r = 0; r < t.size(); ++r) {
    if (t.get(r, Field::kId) != id) continue;
    if (!row) row = r;
    ++count;
  }
  if (!row) throw InputError(path + ": no row with id '" + id + "'");
  if (count > 1)
    log(LogLevel::kWarn, path + ": id '" + id + "' appears " + std::to_string(count) +
                             " times; using the first (line " + std::to_string(t.line[*row]) + ")");
  Side s;
  s.name = {std::string(t.get(*row, Field::kFirst)), std::string(t.get(*row, Field::kMiddle)),
            std::string(t.get(*row, Field::kLast))};
  s.from_file = true;
  s.source = path;
  s.id = id;
  s.line = t.line[*row];
  s.birthdate = t.birthdate[*row];
  return s;
}

RawTable one_row_table(const Side& s) {
  RawTable t;
  t.source = s.from_file ? s.source : "command line";
  t.push({s.id, "", s.name[0], s.name[1], s.name[2], ""}, s.birthdate, s.line);
  return t;
}

// -------------------------------------------------------------- helpers ----

size_t code_points(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::string in_quotes(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('"');
  out.append(s);
  out.push_back('"');
  return out;
}

std::string pad(std::string s, size_t width) {
  const size_t n = code_points(s);
  if (n < width) s.append(width - n, ' ');
  return s;
}

std::string fixed(double v, int decimals = 6) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string confidence_text(float f) {
  std::string s;
  io::append_confidence(s, f);
  return s;
}

// The CSV text as a JSON number: the shortest double that prints the same.
json confidence_json(float f) { return std::stod(confidence_text(f)); }

std::string date_text(int32_t d) { return d == kNoDate ? "(missing)" : iso_date(d); }

bool birthdates_match(const Side& a, const Side& b) {
  return a.birthdate != kNoDate && a.birthdate == b.birthdate;
}

// Text as one line of the table: a control character (a newline in an id, say) is shown as
// \n, \r, \t or \xHH instead of breaking the line.
std::string one_line(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7F) {
      out += fmt::format("\\x{:02X}", u);
    } else {
      out += c;
    }
  }
  return out;
}

// A two-column table: label | left | right [| note].
class Table {
 public:
  void row(std::string_view label, std::string_view step, std::string_view left,
           std::string_view right, std::string_view note = "") {
    rows_.push_back(
        {one_line(label), one_line(step), one_line(left), one_line(right), one_line(note)});
  }
  void print() const {
    std::array<size_t, 4> w{};
    for (const auto& r : rows_)
      for (size_t i = 0; i < 4; ++i) w[i] = std::max(w[i], code_points(r[i]));
    for (const auto& r : rows_) {
      std::string line;
      for (size_t i = 0; i < 4; ++i) line += pad(r[i], w[i] + 2);
      line += r[4];
      while (!line.empty() && line.back() == ' ') line.pop_back();
      std::cout << line << '\n';
    }
  }

 private:
  std::vector<std::array<std::string, 5>> rows_;
};

void add_source_rows(Table& t, const Side& a, const Side& b, bool rows) {
  t.row("", "", "left", "right");
  if (!rows) return;
  t.row("record", "file", a.source, b.source);
  t.row("", "line", std::to_string(a.line), std::to_string(b.line));
  t.row("", "id", a.id, b.id);
  t.row("birthdate", "", date_text(a.birthdate), date_text(b.birthdate),
        birthdates_match(a, b) ? "equal" : "NOT EQUAL -> never a pair");
}

json side_json(const Side& s) {
  json j;
  if (s.from_file) {
    j["source"] = s.source;
    j["line"] = s.line;
    j["id"] = s.id;
    j["birthdate"] = s.birthdate == kNoDate ? json(nullptr) : json(iso_date(s.birthdate));
  }
  json raw;
  for (size_t k = 0; k < 3; ++k) raw[kNameFields[k]] = s.name[k];
  j["raw"] = raw;
  return j;
}

json birthdate_json(const Side& a, const Side& b) {
  if (!a.from_file) return nullptr;  // names only: assumed equal
  return birthdates_match(a, b);
}

// ------------------------------------------------------- algorithms 1, 2 ----

int explain_exact(const Side& a, const Side& b, const MatchOptions& m, bool rows, bool as_json) {
  const bool with_middle = algorithm_traits(m.algorithm).middle_in_rule;
  const RawTable ta = one_row_table(a), tb = one_row_table(b);
  const ExactKeys ka = prepare_exact(ta, m.fuzzy_normalization, true, 1);
  const ExactKeys kb = prepare_exact(tb, m.fuzzy_normalization, true, 1);

  std::string reason;
  json fields = json::object();
  Table t;
  add_source_rows(t, a, b, rows);
  for (int k = 0; k < 3; ++k) {
    const size_t ks = static_cast<size_t>(k);
    if (k == 1 && !with_middle) continue;
    const std::string nta = normalize_text(a.name[ks]), ntb = normalize_text(b.name[ks]);
    const std::string_view ca = ka.get(0, k), cb = kb.get(0, k);
    const bool equal = ca == cb;
    // First and last must be present on both sides; the middle may be missing on both.
    const bool ok = equal && (k == 1 || !ca.empty());
    const char* verdict = ca.empty() && cb.empty()   ? "both missing"
                          : ca.empty() || cb.empty() ? "one missing"
                          : equal                    ? "equal"
                                                     : "differ";
    if (!ok && reason.empty()) reason = std::string(kNameFields[ks]) + ": " + verdict;
    t.row(kNameFields[ks], "raw", in_quotes(a.name[ks]), in_quotes(b.name[ks]));
    t.row("", "normalize_text", in_quotes(nta), in_quotes(ntb));
    if (m.fuzzy_normalization)
      t.row("", "normalize_simple", in_quotes(normalize_simple(nta)),
            in_quotes(normalize_simple(ntb)));
    t.row("", "compared", ca.empty() ? "(missing)" : in_quotes(ca),
          cb.empty() ? "(missing)" : in_quotes(cb), verdict);
    fields[kNameFields[ks]] = {{"normalize_text", {nta, ntb}},
                               {"compared", {std::string(ca), std::string(cb)}},
                               {"equal", equal},
                               {"ok", ok}};
  }
  if (reason.empty() && rows && !birthdates_match(a, b))
    reason = "birthdates differ or are missing";
  const bool match = reason.empty();

  if (as_json) {
    json j;
    j["algorithm"] = m.algorithm;
    j["fuzzy_normalization"] = m.fuzzy_normalization;
    j["left"] = side_json(a);
    j["right"] = side_json(b);
    j["birthdates_equal"] = birthdate_json(a, b);
    j["fields"] = fields;
    j["label"] = match ? "DIRECT MATCH" : "NO MATCH";
    j["match"] = match;
    j["confidence"] = match ? json(1) : json(nullptr);
    j["confidence_csv"] = match ? json("1") : json(nullptr);
    j["written"] = match;
    j["reason"] = match ? json(nullptr) : json(reason);
    std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
    return 0;
  }
  std::cout << "algorithm " << m.algorithm
            << (with_middle ? " (exact first + middle + last + birthdate)"
                            : " (exact first + last + birthdate)")
            << (m.fuzzy_normalization ? ", fuzzy normalisation" : "")
            << (rows ? "" : "; birthdates assumed equal") << "\n\n";
  t.print();
  std::cout << '\n' << (match ? "MATCH: confidence 1, written" : "NO MATCH: " + reason) << '\n';
  return 0;
}

// ---------------------------------------------------- algorithms 3 to 6 ----

struct FuzzyExplanation {
  FuzzyTrace ta, tb;
  hd::PairScore s;
  uint32_t dist = 0, bytes_a = 0, bytes_b = 0, len_a = 0, len_b = 0;
  double jaro = 0, lev = 0, jw = 0, mp = 0;
  bool empty = false;                        // a full string is empty: the rule stops at step 2
  std::array<int, 3> part_dist{-1, -1, -1};  // CASE 3 check; -1 = not part of it
};

FuzzyExplanation compute_fuzzy(const Side& a, const Side& b, bool with_middle) {
  FuzzyExplanation e;
  e.ta = trace_fuzzy(a.name[0], a.name[1], a.name[2], with_middle);
  e.tb = trace_fuzzy(b.name[0], b.name[1], b.name[2], with_middle);
  const FuzzyTable fa = prepare_fuzzy(one_row_table(a), with_middle, 1);
  const FuzzyTable fb = prepare_fuzzy(one_row_table(b), with_middle, 1);
  const hd::FuzzyView va = fa.view(0), vb = fb.view(0);
  auto pattern = std::make_unique<hd::Pattern64>();
  pattern->reset_all();
  const bool use_pattern = vb.full_len > 0 && vb.full_len <= hd::kWordBits;
  if (use_pattern) pattern->build(vb.full, vb.full_len);
  const hd::Pattern64* pb = use_pattern ? pattern.get() : nullptr;
  std::vector<uint32_t> scratch(hd::metric_scratch_words(std::max(fa.max_len, fb.max_len)) + 8);
  if (const std::string note = long_pair_note(va.full_len, vb.full_len); !note.empty())
    log(LogLevel::kInfo, "explain: " + note);

  e.s = hd::score_fuzzy_pair(va, vb, pb, with_middle, scratch.data(), /*all_metrics=*/true);
  e.len_a = va.full_len;
  e.len_b = vb.full_len;
  e.bytes_a = va.full_bytes;
  e.bytes_b = vb.full_bytes;
  e.empty = va.full_len == 0 || vb.full_len == 0;
  if (e.empty) {  // the rule scored nothing; show what the metrics would be
    e.dist = hd::levenshtein(va.full, va.full_len, vb.full, vb.full_len, pb, scratch.data());
    e.jaro = hd::jaro(va.full, va.full_len, vb.full, vb.full_len, pb, scratch.data());
    e.lev = hd::levenshtein_pct(e.dist, e.bytes_a, e.bytes_b);
    e.jw = hd::jaro_winkler_from_jaro(e.jaro, va.full, va.full_len, vb.full, vb.full_len) * 100.0;
    e.mp = 0;
  } else {  // all_metrics: the rule computed each metric once (long names: seconds)
    e.dist = e.s.dist;
    e.jaro = e.s.jaro;
    e.lev = e.s.lev;
    e.jw = e.s.jw;
    e.mp = e.s.mp;
  }
  if ((e.s.label == hd::kCase2 || e.s.label == hd::kCase3) && e.s.score >= 88.0) {
    for (int k = 0; k < 3; ++k) {
      if (k == 1 && !with_middle) continue;
      e.part_dist[static_cast<size_t>(k)] = static_cast<int>(hd::levenshtein(
          va.part[k], va.part_len[k], vb.part[k], vb.part_len[k], nullptr, scratch.data()));
    }
  }
  return e;
}

std::string yes_no(bool b) { return b ? "yes" : "no"; }

std::string algorithm_title(int algorithm) {
  switch (algorithm) {
    case 3:
      return "algorithm 3 (fuzzy, first + middle + last)";
    case 4:
      return "algorithm 4 (fuzzy, first + last)";
    default:
      return "algorithm " + std::to_string(algorithm) +
             " (household person pairs: the algorithm 4 rule at the household threshold)";
  }
}

std::string label_reason(const FuzzyExplanation& e, int votes) {
  if (e.empty) return "a full string is empty: no pair";
  switch (e.s.label) {
    case hd::kDirect:
      return "the full strings are identical";
    case hd::kCase1:
      return "all three votes pass";
    case hd::kCase2:
      return e.s.score >= 88.0 ? "two votes pass; score >= 88 but a name differs by more than 2"
                               : "two votes pass; score below 88";
    case hd::kCase3:
      return "two votes pass, score >= 88 and every name within distance 2";
    default:
      return std::to_string(votes) + " of 3 votes pass; two are needed";
  }
}

int explain_fuzzy(const Side& a, const Side& b, const MatchOptions& m, bool rows, bool as_json) {
  const bool with_middle = algorithm_traits(m.algorithm).middle_in_rule;
  const float threshold = algorithm_traits(m.algorithm).households ? m.household_threshold : m.threshold;
  const FuzzyExplanation e = compute_fuzzy(a, b, with_middle);
  const bool lev_ok = e.lev >= 85.0, jw_ok = e.jw >= 85.0, mp_ok = e.mp == 100.0;
  const int votes = (lev_ok ? 1 : 0) + (jw_ok ? 1 : 0) + (mp_ok ? 1 : 0);
  const bool names_match = e.s.label != hd::kNoMatch;
  const bool bd_ok = !rows || birthdates_match(a, b);
  const bool passes = names_match && e.s.confidence >= threshold;
  const bool written = passes && bd_ok;
  const uint8_t label = bd_ok ? e.s.label : static_cast<uint8_t>(hd::kNoMatch);
  const std::string reason = !bd_ok ? "birthdates differ or are missing: the pair is never scored"
                                    : label_reason(e, votes);
  const std::array<const std::string*, 3> pa = {&e.ta.parts[0], &e.ta.parts[1], &e.ta.parts[2]};
  const std::array<const std::string*, 3> pbp = {&e.tb.parts[0], &e.tb.parts[1], &e.tb.parts[2]};
  const std::array<const std::string*, 3> nta = {&e.ta.first_nt, &e.ta.middle_nt, &e.ta.last_nt};
  const std::array<const std::string*, 3> ntb = {&e.tb.first_nt, &e.tb.middle_nt, &e.tb.last_nt};

  if (as_json) {
    json j;
    j["algorithm"] = m.algorithm;
    j["with_middle"] = with_middle;
    j["threshold"] = confidence_json(threshold);
    j["threshold_kind"] = algorithm_traits(m.algorithm).households ? "household" : "fuzzy";
    json sides[2] = {side_json(a), side_json(b)};
    const FuzzyTrace* tr[2] = {&e.ta, &e.tb};
    const std::array<const std::string*, 3>* nt[2] = {&nta, &ntb};
    const std::array<const std::string*, 3>* ns[2] = {&pa, &pbp};
    const uint32_t lens[2] = {e.len_a, e.len_b}, bytes[2] = {e.bytes_a, e.bytes_b};
    for (int i = 0; i < 2; ++i) {
      json n1, n2;
      for (size_t k = 0; k < 3; ++k) {
        if (k == 1 && !with_middle) continue;
        n1[kNameFields[k]] = *(*nt[i])[k];
        n2[kNameFields[k]] = *(*ns[i])[k];
      }
      sides[i]["normalize_text"] = n1;
      sides[i]["normalize_simple"] = n2;
      sides[i]["full"] = tr[i]->full;
      sides[i]["full_code_points"] = lens[i];
      sides[i]["full_bytes"] = bytes[i];
      sides[i]["phonetic"] = tr[i]->phonetic;
      sides[i]["metaphone"] = tr[i]->metaphone;
    }
    j["left"] = sides[0];
    j["right"] = sides[1];
    j["birthdates_equal"] = birthdate_json(a, b);
    j["full_empty"] = e.empty;
    j["levenshtein_distance"] = e.dist;
    j["levenshtein_pct"] = e.lev;
    j["jaro"] = e.jaro;
    j["jaro_winkler"] = e.jw;
    j["mp"] = e.mp;
    j["votes"] = {{"lev", lev_ok}, {"jw", jw_ok}, {"mp", mp_ok}, {"count", votes}};
    json case3 = nullptr;
    if (e.part_dist[0] >= 0) {
      case3 = json::object();
      for (size_t k = 0; k < 3; ++k) {
        if (e.part_dist[k] < 0) continue;
        case3[kNameFields[k]] = {{"left", *pa[k]},
                                 {"right", *pbp[k]},
                                 {"distance", e.part_dist[k]},
                                 {"ok", e.part_dist[k] <= 2}};
      }
    }
    j["case3_check"] = case3;
    j["name_label"] = label_name(e.s.label);
    j["label"] = label_name(label);
    j["score"] = names_match ? json(e.s.score) : json(nullptr);
    j["confidence"] = names_match ? confidence_json(e.s.confidence) : json(nullptr);
    j["confidence_csv"] = names_match ? json(confidence_text(e.s.confidence)) : json(nullptr);
    j["passes_threshold"] = passes;
    j["written"] = written;
    j["reason"] = reason;
    std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
    return 0;
  }

  std::cout << algorithm_title(m.algorithm) << ", " << (algorithm_traits(m.algorithm).households ? "household" : "fuzzy")
            << " threshold " << confidence_text(threshold)
            << (rows ? "" : "; birthdates assumed equal") << "\n\n";
  Table t;
  add_source_rows(t, a, b, rows);
  for (size_t k = 0; k < 3; ++k) {
    t.row(kNameFields[k], "raw", in_quotes(a.name[k]), in_quotes(b.name[k]),
          k == 1 && !with_middle ? "(not used by this algorithm)" : "");
    if (k == 1 && !with_middle) continue;
    t.row("", "normalize_text", in_quotes(*nta[k]), in_quotes(*ntb[k]));
    t.row("", "normalize_simple", in_quotes(*pa[k]), in_quotes(*pbp[k]));
  }
  t.row("full", "normalize_simple", in_quotes(e.ta.full), in_quotes(e.tb.full),
        e.empty ? "empty -> no pair" : (e.ta.full == e.tb.full ? "identical" : ""));
  t.row("", "code points", std::to_string(e.len_a), std::to_string(e.len_b));
  t.row("", "UTF-8 bytes", std::to_string(e.bytes_a), std::to_string(e.bytes_b));
  t.row("phonetic", "for_phonetic", in_quotes(e.ta.phonetic), in_quotes(e.tb.phonetic));
  t.row("metaphone", "primary", in_quotes(e.ta.metaphone), in_quotes(e.tb.metaphone));
  t.print();

  std::cout << "\nmetrics of the full strings\n";
  Table mt;
  const uint32_t max_bytes = std::max(e.bytes_a, e.bytes_b);
  mt.row("  Levenshtein distance", std::to_string(e.dist), "", "");
  mt.row("  Levenshtein %", fixed(e.lev),
         "(1 - " + std::to_string(e.dist) + " / " + std::to_string(max_bytes) + " bytes) x 100",
         ">= 85: " + yes_no(lev_ok));
  mt.row("  Jaro", fixed(e.jaro), "", "");
  mt.row("  Jaro-Winkler x 100", fixed(e.jw), "", ">= 85: " + yes_no(jw_ok));
  mt.row("  mp", fixed(e.mp, 0),
         e.ta.metaphone.empty() || e.tb.metaphone.empty()
             ? "(a metaphone code is empty)"
             : "(" + e.ta.metaphone + (mp_ok ? " = " : " != ") + e.tb.metaphone + ")",
         "== 100: " + yes_no(mp_ok));
  mt.row("  votes", std::to_string(votes) + " of 3", "", "");
  mt.print();

  if (e.part_dist[0] >= 0) {
    std::cout << "\nCASE 3 check (score >= 88): Levenshtein distance of each name <= 2\n";
    Table ct;
    for (size_t k = 0; k < 3; ++k) {
      if (e.part_dist[k] < 0) continue;
      ct.row("  " + std::string(kNameFields[k]), in_quotes(*pa[k]), in_quotes(*pbp[k]),
             "distance " + std::to_string(e.part_dist[k]),
             e.part_dist[k] <= 2 ? "  ok" : "  too far");
    }
    ct.print();
  }

  std::cout << '\n';
  Table rt;
  if (rows && !bd_ok) rt.row("names alone", label_name(e.s.label), "", "");
  rt.row("label", label_name(label), "(" + reason + ")", "");
  if (names_match) {
    rt.row("score", fixed(e.s.score), "", "");
    rt.row("confidence", confidence_text(e.s.confidence), "(as written to the CSV)", "");
  }
  rt.row("threshold", confidence_text(threshold),
         !names_match ? "(no pair)"
                      : (passes ? "(confidence >= threshold)" : "(confidence < threshold)"),
         "");
  rt.row("written", written ? "yes" : "no", "", "");
  rt.print();
  return 0;
}

}  // namespace

int explain_main(const std::vector<std::string>& args) {
  MatchOptions m;
  m.algorithm = 3;
  std::vector<std::string> names, maps;
  std::string left, right, left_row, right_row, threshold, household;
  std::string date_format = "%Y-%m-%d";
  bool trim_fields = false, as_json = false;
  po::options_description desc(
      "name_matcher explain: why a pair matches or not, step by step\n"
      "  explain [options] NAME1 NAME2   (NAME = first|middle|last, first|last, or words:\n"
      "                                   first word first, last word last, the rest middle)\n"
      "  explain [options] --left A.csv --right B.csv --left-row ID --right-row ID\n"
      "options");
  desc.add_options()("help,h", "show this help")(
      "algorithm,a", po::value(&m.algorithm)->default_value(3),
      "1..6 (5/6: the A4 rule at the household threshold)")(
      "threshold", po::value(&threshold),
      "fuzzy threshold for A3/A4 (95, 0.95, 95%; default 0.95; env NAME_MATCHER_FUZZY_THRESHOLD)")(
      "household-threshold", po::value(&household),
      "person-pair threshold for A5/A6 (default 0.95; env NAME_MATCHER_HOUSEHOLD_THRESHOLD)")(
      "fuzzy-normalization", po::bool_switch(&m.fuzzy_normalization),
      "A1/A2 compare normalize_simple(normalize_text(x)) (env "
      "NAME_MATCHER_DIRECT_FUZZY_NORMALIZATION=1)")("json", po::bool_switch(&as_json),
                                                    "print one JSON object instead of text")(
      "left", po::value(&left), "table 1 (CSV) to take the left record from")(
      "right", po::value(&right), "table 2 (CSV) to take the right record from")(
      "left-row", po::value(&left_row), "id of the record in --left")(
      "right-row", po::value(&right_row), "id of the record in --right")(
      "map", po::value(&maps)->composing(), "FIELD=COLUMN, as for run; repeatable")(
      "date-format", po::value(&date_format)->default_value(date_format),
      "birthdate format, as for run")("trim-fields", po::bool_switch(&trim_fields),
                                      "strip spaces around fields, as for run");
  po::options_description hidden;
  hidden.add_options()("name", po::value(&names)->composing(), "names");
  po::variables_map vm;
  if (!parse_command_line(args, desc, hidden, "name", -1, vm)) return 0;

  check_algorithm(m.algorithm);
  if (vm.count("threshold"))
    m.threshold = threshold_option("explain", "--threshold", threshold, kFuzzyThresholdMin,
                                   kDefaultThreshold);
  if (vm.count("household-threshold"))
    m.household_threshold = threshold_option("explain", "--household-threshold", household,
                                             kHouseholdThresholdMin, kDefaultThreshold);
  apply_environment(m, vm.count("threshold") > 0, vm.count("household-threshold") > 0,
                    m.fuzzy_normalization);

  const bool rows = !left.empty() || !right.empty() || !left_row.empty() || !right_row.empty();
  Side a, b;
  if (rows) {
    if (!names.empty())
      throw InputError("give either two names or --left/--right/--left-row/--right-row, not both");
    if (left.empty() || right.empty() || left_row.empty() || right_row.empty())
      throw InputError("--left, --right, --left-row and --right-row go together");
    io::LoadOptions lo;
    for (const auto& mp : maps) {
      const auto eq = mp.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == mp.size())
        throw InputError("--map expects FIELD=COLUMN (got '" + mp + "')");
      lo.column_map[mp.substr(0, eq)] = mp.substr(eq + 1);
    }
    lo.date_format = DateFormat(date_format);
    lo.trim_fields = trim_fields;
    a = side_from_file(left, left_row, lo);
    b = side_from_file(right, right_row, lo);
  } else {
    if (names.size() != 2)
      throw InputError("expected two names (got " + std::to_string(names.size()) +
                       "); see explain --help");
    a = side_from_text(names[0]);
    b = side_from_text(names[1]);
  }
  return algorithm_traits(m.algorithm).exact ? explain_exact(a, b, m, rows, as_json)
                          : explain_fuzzy(a, b, m, rows, as_json);
}

}  // namespace nm::jobs
