// `name_matcher evaluate`: precision / recall / F1 of a match file against a truth file.
//
// truth:   CSV whose first row is a header naming `left_id` and `right_id` (case-insensitive;
//          other columns are ignored; no header is an error, not a first pair); every row has
//          the header's number of fields, and non-empty left_id and right_id.
// matches: name_matcher output (A1-A4): CSV whose header includes `Table1_ID` and
//          `Table2_ID` (found by name, case-insensitive); every row has the header's number
//          of fields. A column named twice in either header is an error.
// Both are parsed as RFC 4180 (quoted fields with commas, doubled quotes and line
// breaks; LF or CRLF; a UTF-8 BOM is ignored). Pairs are compared as the exact
// (left id text, right id text); a pair listed twice in either file counts once.
//
// precision = TP / predicted pairs, **0 when nothing is predicted**;
// recall    = TP / true pairs,      **0 when the truth is empty**;
// F1        = 2PR / (P + R),        0 when P + R = 0.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nm::jobs {

struct EvalResult {
  uint64_t true_pairs = 0, predicted_pairs = 0, true_positives = 0, false_positives = 0,
           false_negatives = 0;
  double precision = 0, recall = 0, f1 = 0;
};

// Every field as one JSON object (`evaluate --json`, `bench`'s quality block);
// a template so both nlohmann::json and nlohmann::ordered_json take it.
template <class Json>
void to_json(Json& j, const EvalResult& r) {
  j = Json{{"true_pairs", r.true_pairs},
           {"predicted_pairs", r.predicted_pairs},
           {"true_positives", r.true_positives},
           {"false_positives", r.false_positives},
           {"false_negatives", r.false_negatives},
           {"precision", r.precision},
           {"recall", r.recall},
           {"f1", r.f1}};
}

// Throws nm::InputError when a file is missing/unreadable, empty, lacks a
// required column, or has a malformed row (`file:line: reason`).
// unordered: the pairs are of one table (dedupe), (a, b) and (b, a) being the same.
EvalResult evaluate_files(const std::string& truth_csv, const std::string& matches_csv,
                          bool unordered = false);

// CLI: --truth T --matches M [--json] [--help]. Prints a readable table (or one
// JSON object with every EvalResult field) to stdout. Returns 0, or 1 on bad
// options / input errors (message on stderr).
int evaluate_main(const std::vector<std::string>& args);

}  // namespace nm::jobs
