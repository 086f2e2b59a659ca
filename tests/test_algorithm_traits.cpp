// AlgorithmTraits against matching.md's description of algorithms 1-6: the
// one table the stages ask instead of comparing algorithm numbers.
#include <doctest/doctest.h>

#include <initializer_list>

#include "src/match/algorithm.hpp"

namespace {

using nm::algorithm_traits;

TEST_CASE("algorithm traits: what each algorithm of the contract is") {
  struct Row {
    int number;
    bool exact, middle_in_rule, middle_in_output, households, table2_households, a4_family;
  };
  // A1 names+birthdate; A2 with the middle name; A3 fuzzy with the middle in
  // the vote; A4 fuzzy on first+last; A5/A6 A4 persons into table-1/table-2 households.
  const Row rows[] = {
      {1, true, false, false, false, false, false}, {2, true, true, true, false, false, false},
      {3, false, true, true, false, false, false},  {4, false, false, true, false, false, true},
      {5, false, false, true, true, false, true},   {6, false, false, true, true, true, true},
  };
  for (const Row& r : rows) {
    CAPTURE(r.number);
    const nm::AlgorithmTraits t = algorithm_traits(r.number);
    CHECK(t.number == r.number);
    CHECK(t.exact == r.exact);
    CHECK(t.fuzzy == !r.exact);
    CHECK(t.middle_in_rule == r.middle_in_rule);
    CHECK(t.middle_in_output == r.middle_in_output);
    CHECK(t.households == r.households);
    CHECK(t.table2_households == r.table2_households);
    CHECK(t.a4_family == r.a4_family);
  }
}

TEST_CASE("algorithm traits: numbers outside 1-6 have none") {
  for (int n : {-1, 0, nm::kRemovedAlgorithm, 8, 100}) {
    CAPTURE(n);
    CHECK_FALSE(nm::is_algorithm(n));
    const nm::AlgorithmTraits t = algorithm_traits(n);
    CHECK(t.number == 0);
    CHECK_FALSE(t.exact);
    CHECK_FALSE(t.fuzzy);
    CHECK_FALSE(t.households);
    CHECK_FALSE(t.a4_family);
  }
  CHECK(nm::is_algorithm(nm::kFirstAlgorithm));
  CHECK(nm::is_algorithm(nm::kLastAlgorithm));
}

}  // namespace
