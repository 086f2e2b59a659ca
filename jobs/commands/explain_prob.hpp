// `explain --model MODEL.json`: the waterfall of one pair's match weight in
// the probabilistic mode — the prior, then each comparison's level with its
// m, u and weight, and the running total — computed by the scorer's own code
// (prob::compare_pair, prob::make_scoring, prob::pair_weight_terms), so the
// weight shown is the MatchWeight a run writes for the pair.
//
//   explain --model M.json NAME1 NAME2 [--birthdate D --birthdate2 D]
//           [--field COLUMN=VALUE ... --field2 COLUMN=VALUE ...]
//       one pair from the command line: no tables, so no term frequencies
//   explain --model M.json --left A.csv --right B.csv --left-row ID --right-row ID
//       a pair from the tables, with the term-frequency weights the run uses
//       (over both tables); a --dedupe model takes both ids from --left
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "src/match/prob/linker.hpp"
#include "src/match/prob/model.hpp"
#include "src/match/table.hpp"

namespace nm::jobs::explain {

// One step of the waterfall.
struct ProbStep {
  prob::WeightTerm::Kind kind = prob::WeightTerm::kPrior;
  int comparison = -1;                // -1: the prior
  std::string column, level;          // level name; "missing" when either side is
  std::array<std::string, 2> values;  // the compared values, left and right, as read
  double m = 0, u = 0;                // of the level; u from the applied weight for term
                                      // frequencies (m / 2^weight); 0 = not shown
  double model_weight = 0;            // log2(m/u) of the model's level (term frequency: the
                                      // weight it replaces)
  int64_t weight = 0, total = 0;      // fixed point, as the scorer adds them
  std::string note;
};

// One record of the pair, for the header.
struct ProbRecord {
  std::string source, id;  // source: a file, or "command line"
  uint64_t line = 0;       // 0: not from a file
};

struct ProbExplanation {
  std::string model_path;
  bool term_frequency_used = false;  // the model has term-frequency comparisons
  bool from_tables = false;          // term frequencies applied
  std::array<ProbRecord, 2> records;
  double prior = 0;
  std::vector<ProbStep> steps;  // the prior first, then every comparison in model order
  int64_t weight = 0;           // the pair's match weight, fixed point
  // Blocking under the model's rules: the first rule whose keys agree
  // (-1: none: the run never scores this pair).
  std::vector<std::string> rules;
  int found_by_rule = -1;
  double min_probability = 0.7;
};

// Explains pair (lrow of left, rrow of right) from data prepared and scored
// as the run does (d, s from prob::make_scoring); left/right are the tables
// d was prepared from (right = left with dedupe).
ProbExplanation explain_prob_pair(const prob::Model& model, const prob::LinkData& d,
                                  const prob::Scoring& s, const RawTable& left,
                                  const RawTable& right, uint32_t lrow, uint32_t rrow);

// Text (an aligned table) or one JSON object on standard output.
void print_prob(const ProbExplanation& e, bool as_json);

// The command line (explain.cpp hands over when --model is given).
int prob_explain_main(const std::vector<std::string>& args);
// Whether an `explain` command line gives --model.
bool asks_for_model(const std::vector<std::string>& args);

}  // namespace nm::jobs::explain
