// `explain`: shows an explanation (explain_compute.cpp) as an aligned text
// table or as one JSON object.
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "io/csv_writer.hpp"
#include "jobs/commands/explain_pair.hpp"
#include "src/match/engine.hpp"
#include "src/text/dates.hpp"

namespace nm::jobs::explain {
using json = nlohmann::ordered_json;

namespace {

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

void add_source_rows(Table& t, const ExplainedPerson& a, const ExplainedPerson& b, bool rows) {
  t.row("", "", "left", "right");
  if (!rows) return;
  t.row("record", "file", a.source, b.source);
  t.row("", "line", std::to_string(a.line), std::to_string(b.line));
  t.row("", "id", a.id, b.id);
  t.row("birthdate", "", date_text(a.birthdate), date_text(b.birthdate),
        birthdates_match(a, b) ? "equal" : "NOT EQUAL -> never a pair");
}

json side_json(const ExplainedPerson& s) {
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

json birthdate_json(const ExplainedPerson& a, const ExplainedPerson& b) {
  if (!a.from_file) return nullptr;  // names only: assumed equal
  return birthdates_match(a, b);
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

const char* threshold_kind(const FuzzyExplanation& e) {
  return e.households ? "household" : "fuzzy";
}

// normalize_text and normalize_simple of each name a side's fuzzy trace holds.
std::array<const std::string*, 3> text_names(const FuzzyTrace& t) {
  return {&t.first_nt, &t.middle_nt, &t.last_nt};
}
std::array<const std::string*, 3> simple_names(const FuzzyTrace& t) {
  return {&t.parts[0], &t.parts[1], &t.parts[2]};
}

json fuzzy_side_json(const ExplainedPerson& s, const FuzzyExplanation& e, const FuzzyTrace& tr,
                     uint32_t len, uint32_t bytes) {
  json j = side_json(s);
  const auto nt = text_names(tr), ns = simple_names(tr);
  json n1, n2;
  for (size_t k = 0; k < 3; ++k) {
    if (k == 1 && !e.with_middle) continue;
    n1[kNameFields[k]] = *nt[k];
    n2[kNameFields[k]] = *ns[k];
  }
  j["normalize_text"] = n1;
  j["normalize_simple"] = n2;
  j["full"] = tr.full;
  j["full_code_points"] = len;
  j["full_bytes"] = bytes;
  j["phonetic"] = tr.phonetic;
  j["metaphone"] = tr.metaphone;
  return j;
}

void print_fuzzy_json(const ExplainedPerson& a, const ExplainedPerson& b, const MatchOptions& m,
                      const FuzzyExplanation& e) {
  json j;
  j["algorithm"] = m.algorithm;
  j["with_middle"] = e.with_middle;
  j["threshold"] = confidence_json(e.threshold);
  j["threshold_kind"] = threshold_kind(e);
  j["left"] = fuzzy_side_json(a, e, e.ta, e.len_a, e.bytes_a);
  j["right"] = fuzzy_side_json(b, e, e.tb, e.len_b, e.bytes_b);
  j["birthdates_equal"] = birthdate_json(a, b);
  j["full_empty"] = e.empty;
  j["levenshtein_distance"] = e.dist;
  j["levenshtein_pct"] = e.lev;
  j["jaro"] = e.jaro;
  j["jaro_winkler"] = e.jw;
  j["mp"] = e.mp;
  j["votes"] = {{"lev", e.vote.lev}, {"jw", e.vote.jw}, {"mp", e.vote.mp}, {"count", e.vote.count}};
  json case3 = nullptr;
  if (e.part_dist[0] >= 0) {
    const auto pa = simple_names(e.ta), pb = simple_names(e.tb);
    case3 = json::object();
    for (size_t k = 0; k < 3; ++k) {
      if (e.part_dist[k] < 0) continue;
      case3[kNameFields[k]] = {{"left", *pa[k]},
                               {"right", *pb[k]},
                               {"distance", e.part_dist[k]},
                               {"ok", kernels::name_close(static_cast<uint32_t>(e.part_dist[k]))}};
    }
  }
  j["case3_check"] = case3;
  j["name_label"] = label_name(e.s.label);
  j["label"] = label_name(e.label);
  j["score"] = e.names_match ? json(e.s.score) : json(nullptr);
  j["confidence"] = e.names_match ? confidence_json(e.s.confidence) : json(nullptr);
  j["confidence_csv"] = e.names_match ? json(confidence_text(e.s.confidence)) : json(nullptr);
  j["passes_threshold"] = e.passes;
  j["written"] = e.written;
  j["reason"] = e.reason;
  std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

// The names and full strings of both sides, step by step.
void print_fuzzy_names(const ExplainedPerson& a, const ExplainedPerson& b, bool rows,
                       const FuzzyExplanation& e) {
  const auto nta = text_names(e.ta), ntb = text_names(e.tb);
  const auto pa = simple_names(e.ta), pb = simple_names(e.tb);
  Table t;
  add_source_rows(t, a, b, rows);
  for (size_t k = 0; k < 3; ++k) {
    t.row(kNameFields[k], "raw", in_quotes(a.name[k]), in_quotes(b.name[k]),
          k == 1 && !e.with_middle ? "(not used by this algorithm)" : "");
    if (k == 1 && !e.with_middle) continue;
    t.row("", "normalize_text", in_quotes(*nta[k]), in_quotes(*ntb[k]));
    t.row("", "normalize_simple", in_quotes(*pa[k]), in_quotes(*pb[k]));
  }
  t.row("full", "normalize_simple", in_quotes(e.ta.full), in_quotes(e.tb.full),
        e.empty ? "empty -> no pair" : (e.ta.full == e.tb.full ? "identical" : ""));
  t.row("", "code points", std::to_string(e.len_a), std::to_string(e.len_b));
  t.row("", "UTF-8 bytes", std::to_string(e.bytes_a), std::to_string(e.bytes_b));
  t.row("phonetic", "for_phonetic", in_quotes(e.ta.phonetic), in_quotes(e.tb.phonetic));
  t.row("metaphone", "primary", in_quotes(e.ta.metaphone), in_quotes(e.tb.metaphone));
  t.print();
}

// The metrics, the votes and, when the rule made it, the CASE 3 check.
void print_fuzzy_metrics(const FuzzyExplanation& e) {
  std::cout << "\nmetrics of the full strings\n";
  Table mt;
  const uint32_t max_bytes = std::max(e.bytes_a, e.bytes_b);
  const std::string votes_from = fmt::format(">= {}: ", kernels::kMetricVote);
  mt.row("  Levenshtein distance", std::to_string(e.dist), "", "");
  mt.row("  Levenshtein %", fixed(e.lev),
         "(1 - " + std::to_string(e.dist) + " / " + std::to_string(max_bytes) + " bytes) x 100",
         votes_from + yes_no(e.vote.lev));
  mt.row("  Jaro", fixed(e.jaro), "", "");
  mt.row("  Jaro-Winkler x 100", fixed(e.jw), "", votes_from + yes_no(e.vote.jw));
  mt.row("  mp", fixed(e.mp, 0),
         e.ta.metaphone.empty() || e.tb.metaphone.empty()
             ? "(a metaphone code is empty)"
             : "(" + e.ta.metaphone + (e.vote.mp ? " = " : " != ") + e.tb.metaphone + ")",
         fmt::format("== {}: ", kernels::kPhoneticVote) + yes_no(e.vote.mp));
  mt.row("  votes", std::to_string(e.vote.count) + " of 3", "", "");
  mt.print();

  if (e.part_dist[0] < 0) return;
  std::cout << fmt::format(
      "\nCASE 3 check (score >= {}): Levenshtein distance of each name <= {}\n",
      kernels::kCase3Score, kernels::kCase3NameDistance);
  const auto pa = simple_names(e.ta), pb = simple_names(e.tb);
  Table ct;
  for (size_t k = 0; k < 3; ++k) {
    if (e.part_dist[k] < 0) continue;
    ct.row("  " + std::string(kNameFields[k]), in_quotes(*pa[k]), in_quotes(*pb[k]),
           "distance " + std::to_string(e.part_dist[k]),
           kernels::name_close(static_cast<uint32_t>(e.part_dist[k])) ? "  ok" : "  too far");
  }
  ct.print();
}

void print_fuzzy_verdict(bool rows, const FuzzyExplanation& e) {
  std::cout << '\n';
  Table rt;
  if (rows && !e.birthdates_ok) rt.row("names alone", label_name(e.s.label), "", "");
  rt.row("label", label_name(e.label), "(" + e.reason + ")", "");
  if (e.names_match) {
    rt.row("score", fixed(e.s.score), "", "");
    rt.row("confidence", confidence_text(e.s.confidence), "(as written to the CSV)", "");
  }
  rt.row("threshold", confidence_text(e.threshold),
         !e.names_match ? "(no pair)"
                        : (e.passes ? "(confidence >= threshold)" : "(confidence < threshold)"),
         "");
  rt.row("written", e.written ? "yes" : "no", "", "");
  rt.print();
}

}  // namespace

void print_exact(const ExplainedPerson& a, const ExplainedPerson& b, const MatchOptions& m,
                 bool rows, const ExactExplanation& e, bool as_json) {
  if (as_json) {
    json fields = json::object();
    for (const ExactName& n : e.names)
      fields[kNameFields[n.slot]] = {{"normalize_text", {n.text[0], n.text[1]}},
                                     {"compared", {n.compared[0], n.compared[1]}},
                                     {"equal", n.equal},
                                     {"ok", n.ok}};
    json j;
    j["algorithm"] = m.algorithm;
    j["fuzzy_normalization"] = m.fuzzy_normalization;
    j["left"] = side_json(a);
    j["right"] = side_json(b);
    j["birthdates_equal"] = birthdate_json(a, b);
    j["fields"] = fields;
    j["label"] = e.match ? "DIRECT MATCH" : "NO MATCH";
    j["match"] = e.match;
    j["confidence"] = e.match ? json(1) : json(nullptr);
    j["confidence_csv"] = e.match ? json("1") : json(nullptr);
    j["written"] = e.match;
    j["reason"] = e.match ? json(nullptr) : json(e.reason);
    std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
    return;
  }
  Table t;
  add_source_rows(t, a, b, rows);
  for (const ExactName& n : e.names) {
    const size_t k = n.slot;
    t.row(kNameFields[k], "raw", in_quotes(a.name[k]), in_quotes(b.name[k]));
    t.row("", "normalize_text", in_quotes(n.text[0]), in_quotes(n.text[1]));
    if (m.fuzzy_normalization)
      t.row("", "normalize_simple", in_quotes(n.simple[0]), in_quotes(n.simple[1]));
    t.row("", "compared", n.compared[0].empty() ? "(missing)" : in_quotes(n.compared[0]),
          n.compared[1].empty() ? "(missing)" : in_quotes(n.compared[1]), n.verdict);
  }
  std::cout << "algorithm " << m.algorithm
            << (e.with_middle ? " (exact first + middle + last + birthdate)"
                              : " (exact first + last + birthdate)")
            << (m.fuzzy_normalization ? ", fuzzy normalisation" : "")
            << (rows ? "" : "; birthdates assumed equal") << "\n\n";
  t.print();
  std::cout << '\n'
            << (e.match ? "MATCH: confidence 1, written" : "NO MATCH: " + e.reason) << '\n';
}

void print_fuzzy(const ExplainedPerson& a, const ExplainedPerson& b, const MatchOptions& m,
                 bool rows, const FuzzyExplanation& e, bool as_json) {
  if (as_json) {
    print_fuzzy_json(a, b, m, e);
    return;
  }
  std::cout << algorithm_title(m.algorithm) << ", " << threshold_kind(e) << " threshold "
            << confidence_text(e.threshold) << (rows ? "" : "; birthdates assumed equal")
            << "\n\n";
  print_fuzzy_names(a, b, rows, e);
  print_fuzzy_metrics(e);
  print_fuzzy_verdict(rows, e);
}

}  // namespace nm::jobs::explain
