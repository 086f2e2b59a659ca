// `explain`'s two halves, apart from its command line (explain.cpp): what the
// engine's own rules decide for one pair, with every intermediate value
// (explain_compute.cpp), and how that is shown as text or JSON
// (explain_print.cpp).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/pair_scoring.hpp"
#include "src/match/options.hpp"
#include "src/match/prepare.hpp"
#include "src/match/table.hpp"

namespace nm::jobs::explain {

inline constexpr std::array<const char*, 3> kNameFields = {"first_name", "middle_name",
                                                           "last_name"};

// One person of the explained pair: raw names plus, when read from a file, where from.
struct ExplainedPerson {
  std::array<std::string, 3> name;  // first, middle, last (raw)
  bool from_file = false;
  std::string source, id;
  uint64_t line = 0;
  int32_t birthdate = kNoDate;
};

bool birthdates_match(const ExplainedPerson& a, const ExplainedPerson& b);

// "first|middle|last", "first|last", or words: first word first, last word
// last, the words between the middle name. InputError for invalid UTF-8 or
// another number of '|' parts. (explain.cpp)
ExplainedPerson side_from_text(const std::string& text);

// ------------------------------------------------------- algorithms 1, 2 ----

// One name of the A1/A2 rule on both sides.
struct ExactName {
  size_t slot = 0;                          // 0 first, 1 middle, 2 last
  std::array<std::string, 2> text;          // normalize_text, left and right
  std::array<std::string, 2> simple;        // normalize_simple of those (fuzzy normalisation)
  std::array<std::string, 2> compared;      // what the rule compares (empty = missing)
  bool equal = false, ok = false;           // ok: the name passes the rule
  const char* verdict = "";                 // both missing, one missing, equal, differ
};

struct ExactExplanation {
  bool with_middle = false;
  std::vector<ExactName> names;  // first, [middle,] last
  std::string reason;            // why there is no match (empty: a match)
  bool match = false;
};

// `rows`: the sides were read from files (birthdates known; else assumed equal).
ExactExplanation explain_exact(const ExplainedPerson& a, const ExplainedPerson& b,
                               const MatchOptions& m, bool rows);
void print_exact(const ExplainedPerson& a, const ExplainedPerson& b, const MatchOptions& m,
                 bool rows, const ExactExplanation& e, bool as_json);

// ---------------------------------------------------- algorithms 3 to 6 ----

struct FuzzyExplanation {
  bool with_middle = false;
  bool households = false;  // A5/A6: the household threshold applies
  float threshold = 0;
  FuzzyTrace ta, tb;
  kernels::PairScore s;  // the rule's result on the names alone
  uint32_t dist = 0, bytes_a = 0, bytes_b = 0, len_a = 0, len_b = 0;
  double jaro = 0, lev = 0, jw = 0, mp = 0;
  kernels::Vote vote;                        // the rule's vote on lev, jw, mp
  bool empty = false;                        // a full string is empty: the rule stops at step 2
  std::array<int, 3> part_dist{-1, -1, -1};  // CASE 3 check; -1 = not part of it
  bool names_match = false;                  // the names alone make a pair
  bool birthdates_ok = false;                // equal, or assumed equal (names given)
  bool passes = false;                       // names_match and confidence >= threshold
  bool written = false;                      // passes and birthdates_ok
  uint8_t label = kernels::kNoMatch;         // as written (kNoMatch when birthdates differ)
  std::string reason;
};

FuzzyExplanation explain_fuzzy(const ExplainedPerson& a, const ExplainedPerson& b,
                               const MatchOptions& m, bool rows);
void print_fuzzy(const ExplainedPerson& a, const ExplainedPerson& b, const MatchOptions& m,
                 bool rows, const FuzzyExplanation& e, bool as_json);

}  // namespace nm::jobs::explain
