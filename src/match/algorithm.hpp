// The algorithms of the contract (../shared/spec/matching.md) and what each
// one is: the one place the stages ask, instead of comparing numbers.
#pragma once

namespace nm {

inline constexpr int kFirstAlgorithm = 1;
inline constexpr int kLastAlgorithm = 6;
// Algorithm 7 was removed: asking for it is a usage error (exit 2).
inline constexpr int kRemovedAlgorithm = 7;

struct AlgorithmTraits {
  int number = 0;
  // A1, A2: birthdate and normalised names equal (a hash join, no metric).
  bool exact = false;
  // A3-A6: the fuzzy rule (metrics, CASE 1-3 vote, confidence).
  bool fuzzy = false;
  // The middle name takes part in the rule: A2 (in the exact key), A3 (in the vote).
  bool middle_in_rule = false;
  // The output rows carry the middle names (all but A1).
  bool middle_in_output = false;
  // A5, A6: person pairs of the A4 rule at the household threshold,
  // aggregated into households.
  bool households = false;
  // A6: households are those of table 2 (A5: of table 1).
  bool table2_households = false;
  // A4, A5, A6: person pairs of the A4 rule. A run of any of them counts the
  // household sizes of both tables and keeps them in its pair file, which can
  // then be reduced as any of the three.
  bool a4_family = false;
};

constexpr bool is_algorithm(int number) {
  return number >= kFirstAlgorithm && number <= kLastAlgorithm;
}

// The traits of algorithm `number` (1..6); an empty AlgorithmTraits
// (number 0) for any other number. Callers check the number first
// (check_algorithm in jobs/cli.hpp for options).
constexpr AlgorithmTraits algorithm_traits(int number) {
  AlgorithmTraits t;
  if (!is_algorithm(number)) return t;
  t.number = number;
  t.exact = number <= 2;
  t.fuzzy = !t.exact;
  t.middle_in_rule = number == 2 || number == 3;
  t.middle_in_output = number != 1;
  t.households = number >= 5;
  t.table2_households = number == 6;
  t.a4_family = number >= 4;
  return t;
}

}  // namespace nm
