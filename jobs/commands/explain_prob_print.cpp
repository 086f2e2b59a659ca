// `explain --model`: shows the waterfall (explain_prob.hpp) as an aligned
// text table or as one JSON object. Weights are printed as the run writes
// MatchWeight ({:.4f} of the fixed-point sum) and probabilities as it writes
// MatchProbability ({:.6f}), so the two can be compared as text.
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>

#include "jobs/commands/explain_prob.hpp"

namespace nm::jobs::explain {
using json = nlohmann::ordered_json;

namespace {

constexpr const char* kNoTables = "not applied (no tables); the run adds it for common/rare values";
constexpr const char* kFromTables = "applied, counted over both tables as the run counts them";

std::string weight_text(int64_t fixed) { return fmt::format("{:.4f}", prob::from_fixed(fixed)); }
std::string probability_text(int64_t fixed) {
  return fmt::format("{:.6f}", prob::probability_of(fixed));
}

const char* kind_name(prob::WeightTerm::Kind k) {
  switch (k) {
    case prob::WeightTerm::kPrior:
      return "prior";
    case prob::WeightTerm::kLevel:
      return "level";
    case prob::WeightTerm::kTermFrequency:
      return "term frequency";
    case prob::WeightTerm::kWholeName:
      return "whole name";
    case prob::WeightTerm::kInWholeName:
      return "in whole name";
    case prob::WeightTerm::kMissing:
      return "missing";
  }
  return "";
}

size_t code_points(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// A value on one line of the table: quoted, control characters escaped.
std::string quote_line(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F)
      out += fmt::format("\\x{:02X}", u);
    else
      out += c;
  }
  return out + "\"";
}

void print_rows(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> w;
  for (const auto& r : rows) {
    w.resize(std::max(w.size(), r.size()), 0);
    for (size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], code_points(r[i]));
  }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) {
      line += r[i];
      if (i + 1 < r.size()) line.append(w[i] + 2 - code_points(r[i]), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::cout << line << '\n';
  }
}

std::string record_text(const ProbRecord& r) {
  if (r.line == 0) return r.source;
  return fmt::format("{} line {}, id {}", r.source, r.line, quote_line(r.id));
}

std::string blocking_text(const ProbExplanation& e) {
  if (e.rules.empty()) return "no rules to check";
  if (e.found_by_rule < 0) return "under no rule: a run never scores this pair";
  return fmt::format("rule {} '{}' (the first whose keys agree: a run scores the pair there)",
                     e.found_by_rule + 1, e.rules[static_cast<size_t>(e.found_by_rule)]);
}

// The run's test (score_pairs keeps w >= Scoring::keep_at), on a pair it scores.
bool written(const ProbExplanation& e) {
  return e.found_by_rule >= 0 && e.weight >= prob::weight_threshold(e.min_probability);
}

void print_text(const ProbExplanation& e) {
  std::cout << "probabilistic model " << e.model_path << '\n';
  print_rows({{"left", record_text(e.records[0])}, {"right", record_text(e.records[1])}});
  if (e.term_frequency_used)
    std::cout << "term frequency: " << (e.from_tables ? kFromTables : kNoTables) << '\n';
  std::cout << '\n';
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"comparison", "level", "left", "right", "m", "u", "weight", "total", ""});
  for (const ProbStep& st : e.steps) {
    const bool prior = st.kind == prob::WeightTerm::kPrior;
    rows.push_back({st.column, st.level, prior ? std::string() : quote_line(st.values[0]),
                    prior ? std::string() : quote_line(st.values[1]),
                    st.m > 0 ? fmt::format("{:.4g}", st.m) : std::string(),
                    st.u > 0 ? fmt::format("{:.4g}", st.u) : std::string(), weight_text(st.weight),
                    weight_text(st.total), st.note});
  }
  print_rows(rows);
  std::cout << '\n';
  const char* as_run = e.from_tables || !e.term_frequency_used
                           ? "(MatchWeight in the run's CSV)"
                           : "(the run's MatchWeight adds the term-frequency weights)";
  std::cout << fmt::format("{:<19}{}  {}\n", "match weight", weight_text(e.weight), as_run)
            << fmt::format("{:<19}{}  (MatchProbability)\n", "match probability",
                           probability_text(e.weight))
            << fmt::format("{:<19}{}\n", "blocking", blocking_text(e))
            << fmt::format("{:<19}{} (--min-probability {})\n", "written",
                           written(e) ? "yes" : "no", e.min_probability);
}

void print_json(const ProbExplanation& e) {
  json j;
  j["model"] = e.model_path;
  auto record = [](const ProbRecord& r) {
    json x;
    x["source"] = r.source;
    if (r.line != 0) {
      x["line"] = r.line;
      x["id"] = r.id;
    }
    return x;
  };
  j["left"] = record(e.records[0]);
  j["right"] = record(e.records[1]);
  j["term_frequency"] = {{"applied", e.from_tables && e.term_frequency_used},
                         {"note", !e.term_frequency_used ? "the model has none"
                                  : e.from_tables        ? kFromTables
                                                         : kNoTables}};
  j["prior"] = e.prior;
  json steps = json::array();
  for (const ProbStep& st : e.steps) {
    json x;
    x["kind"] = kind_name(st.kind);
    x["column"] = st.column;
    if (st.kind != prob::WeightTerm::kPrior) {
      x["level"] = st.level;
      x["left"] = st.values[0];
      x["right"] = st.values[1];
    }
    x["m"] = st.m > 0 ? json(st.m) : json(nullptr);
    x["u"] = st.u > 0 ? json(st.u) : json(nullptr);
    x["weight"] = prob::from_fixed(st.weight);
    x["total"] = prob::from_fixed(st.total);
    if (!st.note.empty()) x["note"] = st.note;
    steps.push_back(std::move(x));
  }
  j["steps"] = steps;
  j["match_weight"] = prob::from_fixed(e.weight);
  j["match_weight_csv"] = weight_text(e.weight);
  j["match_probability"] = prob::probability_of(e.weight);
  j["match_probability_csv"] = probability_text(e.weight);
  j["blocking_rules"] = e.rules;
  j["found_by_rule"] = e.found_by_rule < 0 ? json(nullptr) : json(e.found_by_rule + 1);
  j["min_probability"] = e.min_probability;
  j["written"] = written(e);
  std::cout << j.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
}

}  // namespace

void print_prob(const ProbExplanation& e, bool as_json) {
  if (as_json)
    print_json(e);
  else
    print_text(e);
}

}  // namespace nm::jobs::explain
