#include "jobs/prob/prob_bench.hpp"

#include <algorithm>
#include <vector>

#include "src/match/prob/comparisons.hpp"
#include "src/stopwatch.hpp"
#include "src/text/dates.hpp"

namespace nm::jobs {
namespace {

constexpr size_t kGrid = 2000;

struct Pass {
  uint64_t pairs = 0, checksum = 0;
  double seconds = 0;
};

// The grid's pairs, row by row, until `target`; pats = nullptr: the plain path.
Pass run_grid(const prob::ComparisonPlan& plan, const kernels::prob::SideView& lv, size_t nl,
              const kernels::prob::SideView& rv, size_t nr, uint64_t target, uint32_t* scratch,
              prob::LeftRecord* pats) {
  Pass p;
  const Stopwatch t0;
  while (p.pairs < target) {
    for (size_t l = 0; l < nl && p.pairs < target; ++l) {
      for (size_t r = 0; r < nr; ++r)
        p.checksum = p.checksum * 31 + (pats != nullptr
                                            ? prob::compare_pair(plan, lv, l, rv, r, scratch, *pats)
                                            : prob::compare_pair(plan, lv, l, rv, r, scratch));
      p.pairs += nr;
    }
  }
  p.seconds = t0.seconds();
  return p;
}

double rate(const Pass& p) { return p.seconds > 0 ? static_cast<double>(p.pairs) / p.seconds : 0; }

}  // namespace

nlohmann::ordered_json prob_compare_micro(const RawTable& left, const RawTable& right,
                                          uint64_t target) {
  const prob::ComparisonPlan plan =
      prob::plan_comparisons(prob::default_comparisons({}), left, "bench");
  const prob::PreparedSide ls = prob::prepare_side(plan, left, DateFormat(), 1);
  const prob::PreparedSide rs = prob::prepare_side(plan, right, DateFormat(), 1);
  const size_t nl = std::min(ls.rows, kGrid), nr = std::min(rs.rows, kGrid);
  nlohmann::ordered_json j = {{"comparisons", "first, middle, last name, birthdate"},
                              {"grid", {nl, nr}}};
  if (nl == 0 || nr == 0 || target == 0) return j;
  const auto lv = prob::side_view(ls), rv = prob::side_view(rs);
  std::vector<uint32_t> scratch(
      kernels::device_metric_scratch_words(std::max(ls.max_len, rs.max_len) + 1));
  prob::LeftRecord pats(plan);
  const Pass fast = run_grid(plan, lv, nl, rv, nr, target, scratch.data(), &pats);
  const Pass plain = run_grid(plan, lv, nl, rv, nr, std::max<uint64_t>(target / 4, 1),
                              scratch.data(), nullptr);
  // Checked: both paths give the same levels on the grid's first 200 rows.
  const uint64_t check = std::min<uint64_t>(nl, 200) * nr;
  const bool same = run_grid(plan, lv, nl, rv, nr, check, scratch.data(), &pats).checksum ==
                    run_grid(plan, lv, nl, rv, nr, check, scratch.data(), nullptr).checksum;
  j["pairs"] = fast.pairs;
  j["seconds"] = fast.seconds;
  j["pairs_per_s"] = rate(fast);
  j["plain_pairs"] = plain.pairs;
  j["plain_seconds"] = plain.seconds;
  j["plain_pairs_per_s"] = rate(plain);
  j["levels_checked"] = same;
  return j;
}

}  // namespace nm::jobs
