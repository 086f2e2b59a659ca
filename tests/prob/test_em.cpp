// Learning m, u and the prior (src/match/prob/em.hpp): EM recovers planted
// parameters from exact expected pattern counts, with and without missing
// values, and its result does not depend on the order of its input.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "src/errors.hpp"
#include "src/match/prob/em.hpp"
#include "src/match/prob/model.hpp"

namespace {

using nm::prob::PatternCount;

// The parameters a candidate set is drawn from. null_rate[c]: the chance a
// comparison is null, the same for matches and non-matches (missing at random).
struct Planted {
  double lambda;
  std::vector<std::vector<double>> m, u;
  std::vector<double> null_rate;
};

Planted planted() {
  Planted p;
  p.lambda = 0.15;
  p.m = {{0.85, 0.10, 0.05},
         {0.70, 0.15, 0.10, 0.05},
         {0.60, 0.20, 0.10, 0.06, 0.04},
         {0.50, 0.20, 0.12, 0.08, 0.06, 0.04}};
  // The last is like a blocked birthdate: agreement common among non-matches.
  p.u = {{0.10, 0.20, 0.70},
         {0.05, 0.10, 0.25, 0.60},
         {0.02, 0.05, 0.13, 0.30, 0.50},
         {0.30, 0.20, 0.15, 0.15, 0.10, 0.10}};
  p.null_rate = {0, 0, 0, 0};
  return p;
}

// Every pattern with count round(n * its mixture probability): no RNG, the
// counts are as close to the planted distribution as whole numbers get.
std::vector<PatternCount> expected_counts(const Planted& p, double n) {
  std::vector<PatternCount> out;
  const size_t k = p.m.size();
  std::vector<uint8_t> level(k, 0);
  auto rec = [&](auto&& self, size_t c, nm::prob::Pattern pat, double pm, double pu) -> void {
    if (c == k) {
      const auto count = std::llround(n * (p.lambda * pm + (1 - p.lambda) * pu));
      if (count > 0) out.push_back({pat, static_cast<uint64_t>(count)});
      return;
    }
    const double q = p.null_rate[c];
    if (q > 0)
      self(self, c + 1, nm::prob::with_level(pat, c, nm::prob::kNullLevel), pm * q, pu * q);
    for (size_t l = 0; l < p.m[c].size(); ++l)
      self(self, c + 1, nm::prob::with_level(pat, c, uint8_t(l)), pm * (1 - q) * p.m[c][l],
           pu * (1 - q) * p.u[c][l]);
  };
  rec(rec, 0, 0, 1.0, 1.0);
  return out;
}

nm::prob::Model model_for(const Planted& p) {
  nm::prob::Model model;
  for (size_t c = 0; c < p.m.size(); ++c) {
    nm::prob::Comparison cmp;
    cmp.column = "c";  // (not "c" + to_string: GCC 12 warns falsely, -Wrestrict)
    cmp.column += std::to_string(c);
    cmp.kind = nm::prob::CompareKind::kExact;
    for (size_t l = 0; l < p.m[c].size(); ++l) cmp.levels.push_back(std::to_string(l));
    cmp.u.assign(p.m[c].size(), 1.0 / double(p.m[c].size()));  // stands for the random-sample u
    model.comparisons.push_back(cmp);
  }
  return model;
}

uint64_t total(const std::vector<PatternCount>& v) {
  uint64_t n = 0;
  for (const PatternCount& pc : v) n += pc.count;
  return n;
}

// Stated tolerances: m within 0.01 absolute, lambda_b within 0.005.
constexpr double kMTolerance = 0.01, kLambdaTolerance = 0.005;

void check_recovered(const nm::prob::Model& model, const Planted& p) {
  CHECK(model.em_converged);
  const double lambda = model.matches_estimated / double(model.candidate_pairs);
  CHECK(std::abs(lambda - p.lambda) < kLambdaTolerance);
  for (size_t c = 0; c < p.m.size(); ++c)
    for (size_t l = 0; l < p.m[c].size(); ++l) {
      INFO("comparison ", c, " level ", l, ": m ", model.comparisons[c].m[l], " planted ",
           p.m[c][l]);
      CHECK(std::abs(model.comparisons[c].m[l] - p.m[c][l]) < kMTolerance);
    }
}

}  // namespace

TEST_CASE("prob em: recovers planted m, lambda_b and the candidates' u") {
  const Planted p = planted();
  const auto counts = expected_counts(p, 1e7);
  nm::prob::Model model = model_for(p);
  const auto u_before = model.comparisons[2].u;
  nm::prob::estimate_m_and_prior(model, counts, 10'000'000'000ULL, {});
  check_recovered(model, p);
  CHECK(model.candidate_pairs == total(counts));
  CHECK(model.distinct_patterns == counts.size());
  CHECK(model.em_iterations > 1);
  CHECK(model.comparisons[2].u == u_before);  // scoring's u is the random sample's, untouched
  CHECK(std::abs(model.prior - p.lambda * 1e7 / 1e10) < kLambdaTolerance * 1e7 / 1e10);

  const auto fit = nm::prob::fit_mixture(nm::prob::merge_patterns(counts), {3, 4, 5, 6}, {});
  for (size_t c = 0; c < p.u.size(); ++c)
    for (size_t l = 0; l < p.u[c].size(); ++l)
      CHECK(std::abs(fit.u[c][l] - p.u[c][l]) < kMTolerance);
}

TEST_CASE("prob em: null levels do not disturb the estimates") {
  Planted p = planted();
  p.null_rate = {0.3, 0.0, 0.1, 0.5};
  const auto counts = expected_counts(p, 1e7);
  REQUIRE(std::any_of(counts.begin(), counts.end(), [](const PatternCount& pc) {
    return nm::prob::level_of(pc.pattern, 3) == nm::prob::kNullLevel;
  }));
  nm::prob::Model model = model_for(p);
  nm::prob::estimate_m_and_prior(model, counts, 10'000'000'000ULL, {});
  check_recovered(model, p);
}

TEST_CASE("prob em: a comparison always null keeps uniform m; higher pattern bits are ignored") {
  Planted p = planted();
  p.null_rate = {0, 0, 0, 1.0};
  const auto counts = expected_counts(p, 1e6);
  // Each pattern twice, with different levels for comparison 15, which the model lacks.
  std::vector<PatternCount> input;
  for (const PatternCount& pc : counts) {
    input.push_back({pc.pattern | nm::prob::Pattern{0xF} << 60, pc.count / 2});
    input.push_back({pc.pattern | nm::prob::Pattern{0x3} << 60, pc.count - pc.count / 2});
  }
  nm::prob::Model model = model_for(p);
  nm::prob::estimate_m_and_prior(model, input, 1'000'000'000ULL, {});
  CHECK(model.distinct_patterns == counts.size());
  for (double m : model.comparisons[3].m) CHECK(m == doctest::Approx(1.0 / 6));
  CHECK(std::abs(model.comparisons[0].m[0] - 0.85) < kMTolerance);
}

TEST_CASE("prob em: the input's order and splitting give a bitwise identical model") {
  const Planted p = planted();
  const auto counts = expected_counts(p, 1e6);
  nm::prob::Model a = model_for(p);
  nm::prob::estimate_m_and_prior(a, counts, 1'000'000'000ULL, {});

  // Each pattern's count split over several entries, as ranks would send them, then shuffled.
  std::vector<PatternCount> split;
  for (const PatternCount& pc : counts) {
    const uint64_t third = pc.count / 3;
    split.push_back({pc.pattern, third});
    split.push_back({pc.pattern, pc.count - 2 * third});
    split.push_back({pc.pattern, third});
  }
  std::mt19937_64 rng(12345);
  std::shuffle(split.begin(), split.end(), rng);
  nm::prob::Model b = model_for(p);
  nm::prob::estimate_m_and_prior(b, split, 1'000'000'000ULL, {});

  CHECK(nm::prob::model_to_json(a) == nm::prob::model_to_json(b));
  CHECK(a.prior == b.prior);
  CHECK(a.matches_estimated == b.matches_estimated);
  for (size_t c = 0; c < a.comparisons.size(); ++c) CHECK(a.comparisons[c].m == b.comparisons[c].m);
  CHECK(a.distinct_patterns == b.distinct_patterns);
}

TEST_CASE("prob em: stopping at max_iterations is recorded") {
  const Planted p = planted();
  nm::prob::Model model = model_for(p);
  nm::prob::estimate_m_and_prior(model, expected_counts(p, 1e6), 1'000'000'000ULL,
                                 {.max_iterations = 2, .tolerance = 1e-7});
  CHECK(model.em_iterations == 2);
  CHECK_FALSE(model.em_converged);
}

TEST_CASE("prob em: u from a random sample, smoothed with half a pair per level") {
  const Planted p = planted();
  nm::prob::Model model = model_for(p);
  nm::prob::LevelCounts sample;
  sample.counts = {{10, 30, 60}, {0, 5, 15, 80}, {1, 2, 3, 4, 90}, {0, 0, 0, 0, 0, 0}};
  sample.pairs = 120;
  nm::prob::estimate_u(model, sample);
  CHECK(model.u_sample_pairs == 120);
  CHECK(model.comparisons[0].u[1] == doctest::Approx(30.5 / 101.5));
  CHECK(model.comparisons[1].u[0] == doctest::Approx(0.5 / 102.0));  // never seen: small, not 0
  CHECK(model.comparisons[3].u[4] == doctest::Approx(1.0 / 6));      // never non-null: uniform
  for (const auto& c : model.comparisons) {
    double sum = 0;
    for (double u : c.u) sum += u;
    CHECK(sum == doctest::Approx(1.0));
  }
  sample.counts[2].pop_back();
  CHECK_THROWS_AS(nm::prob::estimate_u(model, sample), std::invalid_argument);
}

TEST_CASE("prob em: bad inputs") {
  const Planted p = planted();
  nm::prob::Model model = model_for(p);
  CHECK_THROWS_WITH_AS(nm::prob::estimate_m_and_prior(model, {}, 100, {}),
                       "training: the blocking rules give no candidate pairs to learn m from",
                       nm::InputError);
  // Level 3 of a comparison with 3 levels.
  CHECK_THROWS_AS(nm::prob::estimate_m_and_prior(model, {{3, 5}}, 100, {}), std::invalid_argument);
  CHECK_THROWS_AS(nm::prob::estimate_m_and_prior(model, {{0, 500}}, 100, {}),
                  std::invalid_argument);
}
