// libFuzzer target: Jaro and Jaro–Winkler of kernels/metrics.hpp against the
// plain reference of tests/oracle/reference_metrics.hpp (the contract's
// greedy matching, written out) on the same two strings
// (fuzz/metric_input.hpp): jaro() with b's pattern (bit-parallel when both
// fit a word) and without it (the scratch path, and jaro_long beyond 64 code
// points), then the Winkler boost. Values must be equal bit for bit.
#include <cstdint>
#include <vector>

#include "fuzz/metric_input.hpp"
#include "kernels/metrics.hpp"
#include "tests/oracle/reference_metrics.hpp"

using nm::fuzz::expect_equal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nm::kernels::Pattern64* const pattern = nm::fuzz::shared_pattern();
  const auto [a, b] = nm::fuzz::two_strings(data, size);
  const auto la = static_cast<uint32_t>(a.size()), lb = static_cast<uint32_t>(b.size());
  std::vector<uint32_t> scratch(nm::kernels::metric_scratch_words(la > lb ? la : lb));
  const double want = nm::ref::jaro(a, b);

  const bool use_pattern = lb >= 1 && lb <= nm::kernels::kWordBits;
  if (use_pattern) pattern->build(b.data(), lb);
  const nm::kernels::Pattern64* pb = use_pattern ? pattern : nullptr;
  const double got = nm::kernels::jaro(a.data(), la, b.data(), lb, pb, scratch.data());
  expect_equal(got, want, "jaro", a, b);
  if (use_pattern) pattern->clear(b.data(), lb);
  expect_equal(nm::kernels::jaro(a.data(), la, b.data(), lb, nullptr, scratch.data()), want,
               "jaro without a pattern", a, b);

  expect_equal(nm::kernels::jaro_winkler_from_jaro(got, a.data(), la, b.data(), lb),
               nm::ref::jaro_winkler(a, b), "jaro_winkler", a, b);
  return 0;
}
