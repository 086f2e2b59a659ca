#include "tests/support/match_driver.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <string_view>

namespace nm::test {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

std::vector<MatchPair> find_pairs(const RawTable& left, const RawTable& right,
                                  const MatchOptions& opt, EngineStats* stats,
                                  const ProgressFn& progress) {
  EngineStats st;
  const unsigned threads = std::max(1u, opt.threads);
  auto t0 = Clock::now();
  const PreparedTables prep(left, right, opt, opt.dedupe, threads);
  st.shortcut = prep.shortcut;
  st.normalize_s = seconds_since(t0);

  t0 = Clock::now();
  std::vector<RectJob> jobs(1);
  jobs[0] = whole_table_job(prep, opt.tile_pairs, threads);
  st.blocks = jobs[0].sub.blocks;
  st.tiles = jobs[0].sub.tiles.size();
  st.partition_s = seconds_since(t0);

  t0 = Clock::now();
  std::vector<ScoredPair> scored;
  st.pairs_scored =
      score_jobs(prep, jobs, PairOrder{opt.dedupe, nullptr, nullptr}, threads, scored, progress);
  std::vector<MatchPair> pairs(scored.size());
  for (size_t i = 0; i < scored.size(); ++i)
    pairs[i] = MatchPair{scored[i].left, scored[i].right, scored[i].confidence, scored[i].label};
  std::vector<ScoredPair>().swap(scored);
  std::sort(pairs.begin(), pairs.end());
  st.pairs_kept = pairs.size();
  st.score_s = seconds_since(t0);
  if (stats != nullptr) *stats = st;
  return pairs;
}

std::vector<HouseholdRow> aggregate_households(const RawTable& t1, const RawTable& t2,
                                               const std::vector<MatchPair>& pairs,
                                               bool table2_view) {
  HouseholdAggregator agg(table2_view);
  for (const MatchPair& p : pairs)
    agg.add(p.left, p.right, p.confidence, t1.get(p.left, Field::kUuid), t2_household(t2, p.right));
  std::map<std::string, uint64_t, std::less<>> size;
  if (!table2_view) {
    for (size_t r = 0; r < t1.size(); ++r) {
      std::string_view u = t1.get(r, Field::kUuid);
      if (!u.empty()) ++size[std::string(u)];
    }
  } else {
    for (size_t r = 0; r < t2.size(); ++r)
      ++size[std::string(t2_household(t2, static_cast<uint32_t>(r)))];
  }
  return agg.finish(size);
}

}  // namespace nm::test
