#include "tests/support/match_driver.hpp"

#include <algorithm>

#include "src/stopwatch.hpp"

namespace nm::test {

std::vector<MatchPair> find_pairs(const RawTable& left, const RawTable& right,
                                  const MatchOptions& opt, EngineStats* stats,
                                  const ProgressFn& progress) {
  EngineStats st;
  const unsigned threads = std::max(1u, opt.threads);
  Stopwatch t0;
  const PreparedTables prep(left, right, opt, opt.dedupe, threads);
  st.shortcut = prep.shortcut;
  st.normalize_s = t0.seconds();

  t0.restart();
  std::vector<ScoreJob> jobs(1);
  jobs[0] = whole_table_job(prep, opt.tile_pairs, threads);
  st.blocks = jobs[0].chunk_plan.blocks;
  st.tiles = jobs[0].chunk_plan.chunks.size();
  st.partition_s = t0.seconds();

  t0.restart();
  std::vector<ScoredPair> scored;
  st.pairs_scored =
      score_jobs(prep, jobs, PairOrder{opt.dedupe, nullptr, nullptr}, threads, scored, progress);
  std::vector<MatchPair> pairs(scored.size());
  for (size_t i = 0; i < scored.size(); ++i)
    pairs[i] = MatchPair{scored[i].left, scored[i].right, scored[i].confidence, scored[i].label};
  std::vector<ScoredPair>().swap(scored);
  std::sort(pairs.begin(), pairs.end());
  st.pairs_kept = pairs.size();
  st.score_s = t0.seconds();
  if (stats != nullptr) *stats = st;
  return pairs;
}

std::vector<HouseholdRow> aggregate_households(const RawTable& t1, const RawTable& t2,
                                               const std::vector<MatchPair>& pairs,
                                               bool table2_view) {
  HouseholdAggregator agg(table2_view);
  for (const MatchPair& p : pairs)
    agg.add(p.left, p.right, p.confidence, table1_household(t1, p.left),
            table2_household(t2, p.right));
  HouseholdSizes size;
  count_household_sizes(table2_view ? t2 : t1, table2_view, size);
  return agg.finish(size);
}

}  // namespace nm::test
