// The fixed-point weights every scorer adds (src/match/prob/model.hpp),
// against the plain formulas they stand for.
#include <doctest/doctest.h>

#include <cfenv>
#include <cmath>
#include <limits>

#include "src/match/prob/model.hpp"

namespace {

constexpr int32_t kMax = 1073741823;  // (2^31 - 1) / 2

// The reference: the formula as written in the header, nothing clever.
int32_t reference_fixed(double w) { return static_cast<int32_t>(std::llround(w * 65536.0)); }

nm::prob::Model two_comparisons() {
  nm::prob::Model model;
  model.prior = 1e-4;
  nm::prob::Comparison a;
  a.column = "first_name";
  a.levels = {"exact", "close", "else"};
  a.m = {0.8, 0.15, 0.05};
  a.u = {0.001, 0.01, 0.989};
  nm::prob::Comparison b;
  b.column = "birthdate";
  b.kind = nm::prob::CompareKind::kDate;
  b.levels = {"exact", "else"};
  b.m = {0.95, 0.05};
  b.u = {0.0003, 0.9997};
  model.comparisons = {a, b};
  return model;
}

}  // namespace

TEST_CASE("prob fixed weights: to_fixed rounds, clamps and maps NaN to 0") {
  for (double w : {0.0, 1.0, -1.0, 3.14159, -13.2877, 0.5 / 65536, -0.5 / 65536, 16383.99})
    CHECK(nm::prob::to_fixed(w) == reference_fixed(w));
  CHECK(nm::prob::to_fixed(1e300) == kMax);
  CHECK(nm::prob::to_fixed(-1e300) == -kMax);
  CHECK(nm::prob::to_fixed(std::numeric_limits<double>::infinity()) == kMax);
  CHECK(nm::prob::to_fixed(-std::numeric_limits<double>::infinity()) == -kMax);
  CHECK(nm::prob::to_fixed(std::nan("")) == 0);
  CHECK(nm::prob::from_fixed(nm::prob::to_fixed(2.5)) == 2.5);
}

TEST_CASE("prob fixed weights: probability_of is 1/(1+2^-w), stable at the extremes") {
  for (int64_t f : {int64_t{0}, int64_t{65536}, int64_t{-65536}, int64_t{-1000000}, int64_t{400000},
                    int64_t{123}}) {
    const double w = double(f) / 65536.0;
    CHECK(nm::prob::probability_of(f) == doctest::Approx(1.0 / (1.0 + std::exp2(-w))));
    CHECK(nm::prob::probability_of(f) + nm::prob::probability_of(-f) == doctest::Approx(1.0));
  }
  CHECK(nm::prob::probability_of(0) == 0.5);
  const int64_t huge = int64_t{17} * kMax;  // a whole pattern's sum of clamped weights
  CHECK(nm::prob::probability_of(huge) == 1.0);
  CHECK(nm::prob::probability_of(-huge) == 0.0);
  CHECK(nm::prob::probability_of(-huge + 1) >= 0.0);
  // Stable: 2^x is never taken of a large x (the plain formula overflows to infinity).
  std::feclearexcept(FE_ALL_EXCEPT);
  CHECK(nm::prob::probability_of(-huge) == 0.0);
  CHECK(nm::prob::probability_of(huge) == 1.0);
  CHECK_FALSE(std::fetestexcept(FE_OVERFLOW | FE_INVALID | FE_DIVBYZERO));
  // Tiny but not rounded to 0 where the plain formula would still give a value.
  CHECK(nm::prob::probability_of(-65536 * 1000) > 0.0);
  CHECK(nm::prob::probability_of(-65536 * 1000) / std::exp2(-1000.0) == doctest::Approx(1.0));
}

TEST_CASE("prob fixed weights: the table is to_fixed(log2(m/u)); null levels add 0") {
  const nm::prob::Model model = two_comparisons();
  const nm::prob::FixedWeights w = nm::prob::fixed_weights(model);
  CHECK(w.prior == reference_fixed(std::log2(1e-4 / (1 - 1e-4))));
  REQUIRE(w.level.size() == 2);
  REQUIRE(w.level[0].size() == 3);
  REQUIRE(w.level[1].size() == 2);
  for (size_t c = 0; c < 2; ++c)
    for (size_t l = 0; l < w.level[c].size(); ++l)
      CHECK(w.level[c][l] ==
            reference_fixed(std::log2(model.comparisons[c].m[l] / model.comparisons[c].u[l])));

  using nm::prob::with_level;
  const nm::prob::Pattern both = with_level(with_level(0, 0, 1), 1, 0);
  CHECK(nm::prob::match_weight(w, both) == int64_t{w.prior} + w.level[0][1] + w.level[1][0]);
  const nm::prob::Pattern null_date = with_level(with_level(0, 0, 2), 1, nm::prob::kNullLevel);
  CHECK(nm::prob::match_weight(w, null_date) == int64_t{w.prior} + w.level[0][2]);
}

TEST_CASE("prob fixed weights: kinds by name") {
  for (auto k :
       {nm::prob::CompareKind::kName, nm::prob::CompareKind::kDate, nm::prob::CompareKind::kExact,
        nm::prob::CompareKind::kPrefix, nm::prob::CompareKind::kNumeric})
    CHECK(nm::prob::compare_kind_from_name(nm::prob::compare_kind_name(k)) == k);
  CHECK(std::string(nm::prob::compare_kind_name(nm::prob::CompareKind::kPrefix)) == "prefix");
  CHECK_FALSE(nm::prob::compare_kind_from_name("Name").has_value());
}

TEST_CASE("prob fixed weights: the weights table") {
  const std::string t = nm::prob::weights_table(two_comparisons());
  CHECK(t.find("comparison") == 0);
  CHECK(t.find("first_name  exact") != std::string::npos);
  CHECK(t.find(" 9.64\n") != std::string::npos);  // log2(0.8 / 0.001) = 9.6439
  CHECK(t.find("prior (P(match) of a random pair) 0.0001, weight -13.29\n") != std::string::npos);
}
