// libFuzzer target: every Levenshtein path of kernels/metrics.hpp against the
// plain full-matrix reference of tests/oracle/reference_metrics.hpp on the
// same two strings (fuzz/metric_input.hpp): the dispatching levenshtein()
// (bit-parallel with a pattern, the block algorithm beyond 64 code points),
// the dynamic programme both ways, Myers' single-word algorithm when b fits a
// word, the block algorithm of kernels/levenshtein_blocks.cpp on every band
// kernel this CPU runs, and the percentage with its byte-length denominator.
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
  const uint32_t want = nm::ref::levenshtein(a, b);
  std::vector<uint32_t> scratch(nm::kernels::metric_scratch_words(la > lb ? la : lb));

  const bool use_pattern = lb >= 1 && lb <= nm::kernels::kWordBits;
  if (use_pattern) pattern->build(b.data(), lb);
  const nm::kernels::Pattern64* pb = use_pattern ? pattern : nullptr;
  const uint32_t got = nm::kernels::levenshtein(a.data(), la, b.data(), lb, pb, scratch.data());
  expect_equal(got, want, "levenshtein", a, b);
  expect_equal(nm::kernels::levenshtein(a.data(), la, b.data(), lb, nullptr, scratch.data()), want,
               "levenshtein without a pattern", a, b);
  if (use_pattern) {
    expect_equal(nm::kernels::levenshtein_myers(*pattern, a.data(), la), want, "levenshtein_myers",
                 a, b);
    pattern->clear(b.data(), lb);
  }
  expect_equal(nm::kernels::levenshtein_dp(a.data(), la, b.data(), lb, scratch.data()), want,
               "levenshtein_dp (a, b)", a, b);
  expect_equal(nm::kernels::levenshtein_dp(b.data(), lb, a.data(), la, scratch.data()), want,
               "levenshtein_dp (b, a)", a, b);

  if (la >= 1 && lb >= 1) {
    for (const auto kernel :
         {nm::kernels::BlockKernel::kScalar, nm::kernels::BlockKernel::kAvx512}) {
      if (!nm::kernels::block_kernel_available(kernel)) continue;
      std::vector<uint32_t> s(nm::kernels::levenshtein_blocks_words(la, lb));
      expect_equal(nm::kernels::levenshtein_blocks(a.data(), la, b.data(), lb, s.data(), kernel),
                   want, "levenshtein_blocks (pattern a)", a, b);
      s.assign(nm::kernels::levenshtein_blocks_words(lb, la), 0);
      expect_equal(nm::kernels::levenshtein_blocks(b.data(), lb, a.data(), la, s.data(), kernel),
                   want, "levenshtein_blocks (pattern b)", a, b);
    }
  }

  expect_equal(nm::kernels::levenshtein_pct(got, nm::fuzz::utf8_bytes(a), nm::fuzz::utf8_bytes(b)),
               nm::ref::levenshtein_pct(a, b), "levenshtein_pct", a, b);
  return 0;
}
