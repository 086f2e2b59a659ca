#include "src/match/engine.hpp"

#include <fmt/core.h>

#include <atomic>
#include <memory>
#include <string>

#include "kernels/candidate_pair.hpp"
#include "partition/blocks.hpp"
#include "src/parallel.hpp"
#include "src/stopwatch.hpp"
#include "src/match/algorithm.hpp"
#include "src/match/exact_rule.hpp"

namespace nm {
namespace {

std::vector<uint64_t> exact_keys(const RawTable& t, const ExactKeys& k, bool with_middle) {
  std::vector<uint64_t> keys(t.size(), kNoKey);
  for (size_t r = 0; r < t.size(); ++r) {
    if (t.birthdate[r] == kNoDate || !exact_record_can_match(k, r)) continue;
    uint64_t h = stable_hash(k.get(r, kExactFirst), static_cast<uint64_t>(t.birthdate[r]));
    h = stable_hash(k.get(r, kExactLast), h);
    if (with_middle) h = stable_hash(k.get(r, kExactMiddle), h);
    keys[r] = h == kNoKey ? h - 1 : h;
  }
  return keys;
}

std::vector<uint64_t> fuzzy_keys(const RawTable& t, const FuzzyTable& f, bool shortcut) {
  std::vector<uint64_t> keys(t.size(), kNoKey);
  for (size_t r = 0; r < t.size(); ++r) {
    const FuzzyRecord& rec = f.records[r];
    if (t.birthdate[r] == kNoDate || rec.full_len == 0) continue;
    const uint64_t bd = birthdate_key(t.birthdate[r]);
    if (!shortcut) {
      keys[r] = bd;
    } else if (rec.phon_code != 0) {
      keys[r] = bd | rec.phon_code;  // top bit clear: dates are far from 2^31 days
    } else {
      // No phonetic code: only a direct match (identical full string) can reach the threshold.
      const auto* p = reinterpret_cast<const char*>(f.code_points.data() + rec.offset);
      const uint64_t h = stable_hash(std::string_view(p, rec.full_len * 4u), bd);
      keys[r] =
          (h | (uint64_t{1} << 63)) == kNoKey ? (uint64_t{1} << 63) : (h | (uint64_t{1} << 63));
    }
  }
  return keys;
}

// Per-thread scoring state, allocated once.
struct Worker {
  std::unique_ptr<kernels::Pattern64> pattern = std::make_unique<kernels::Pattern64>();
  std::vector<uint32_t> scratch;
  std::vector<ScoredPair> out;
  ScoreHistogram hist{};
  uint64_t scored = 0;
  Worker() { pattern->reset_all(); }
};

}  // namespace

float phonetic_shortcut_bound() { return static_cast<float>((200.0 / 3.0) / 100.0); }

std::string long_pair_note(uint32_t la, uint32_t lb) {
  if (kernels::small_pair(la, lb)) return {};
  const uint32_t m = std::min(la, lb), n = std::max(la, lb);
  const uint32_t words = (m + 63) / 64;  // the shorter string in 64-bit words
  const double steps = static_cast<double>(words) * static_cast<double>(n);
  const double seconds = steps * kernels::levenshtein_blocks_ns_per_step() * 1e-9;
  if (seconds < 1.0) return {};
  return fmt::format(
      "full names of {} and {} code points: one pair takes up to {:.2g} word steps of exact "
      "Levenshtein, roughly {:.0f} s on one core",
      la, lb, steps, seconds);
}

std::string long_names_note(const PreparedTables& prep) {
  if (!prep.fuzzy) return {};
  auto longest = [](const FuzzyTable& f) {
    size_t best = 0;
    for (size_t r = 1; r < f.records.size(); ++r)
      if (f.records[r].full_len > f.records[best].full_len) best = r;
    return best;
  };
  const FuzzyTable& left_fuzzy = prep.left_fuzzy;
  const FuzzyTable& right_fuzzy = prep.right_fuzzy();
  if (left_fuzzy.records.empty() || right_fuzzy.records.empty()) return {};
  const size_t l = longest(left_fuzzy), r = longest(right_fuzzy);
  const std::string note =
      long_pair_note(left_fuzzy.records[l].full_len, right_fuzzy.records[r].full_len);
  if (note.empty()) return {};
  return fmt::format(
      "long names: table 1 id {} and table 2 id {} have the longest {} (scored only "
      "if they share a birthdate; the score stage shows no progress within a pair)",
      prep.left.get(l, Field::kId), prep.right.get(r, Field::kId), note);
}

const char* label_name(uint8_t label) {
  switch (label) {
    case kernels::kDirect:
      return "DIRECT MATCH";
    case kernels::kCase1:
      return "CASE 1";
    case kernels::kCase2:
      return "CASE 2";
    case kernels::kCase3:
      return "CASE 3";
    default:
      return "NO MATCH";
  }
}

PreparedTables::PreparedTables(const RawTable& l, const RawTable& r, const MatchOptions& opt,
                               bool same, unsigned threads)
    : left(l), right(r), same_table(same) {
  static std::atomic<uint64_t> next_id{1};
  id = next_id.fetch_add(1, std::memory_order_relaxed);
  const AlgorithmTraits alg = algorithm_traits(opt.algorithm);
  fuzzy = alg.fuzzy;
  with_middle = alg.middle_in_rule;
  keep = alg.households ? opt.household_threshold : opt.threshold;
  shortcut = fuzzy && !opt.exhaustive && keep > phonetic_shortcut_bound();
  if (fuzzy) {
    left_fuzzy = prepare_fuzzy(left, with_middle, threads);
    if (!same) right_fuzzy_own = prepare_fuzzy(right, with_middle, threads);
    left_keys = fuzzy_keys(left, left_fuzzy, shortcut);
    if (!same) right_keys = fuzzy_keys(right, right_fuzzy_own, shortcut);
  } else {
    left_exact = prepare_exact(left, opt.fuzzy_normalization, with_middle, threads);
    if (!same)
      right_exact_own = prepare_exact(right, opt.fuzzy_normalization, with_middle, threads);
    left_keys = exact_keys(left, left_exact, with_middle);
    if (!same) right_keys = exact_keys(right, right_exact_own, with_middle);
  }
  if (same) right_keys = left_keys;
}

uint64_t score_jobs(const PreparedTables& prep, const std::vector<ScoreJob>& jobs,
                    const PairOrder& order, unsigned threads, std::vector<ScoredPair>& out,
                    const ProgressFn& progress, OffloadScorer* offload, ScoreHistogram* hist) {
  if (offload != nullptr && prep.fuzzy) {
    uint64_t total = 0;
    for (const ScoreJob& j : jobs) total += j.chunk_plan.candidate_pairs;
    const uint64_t scored = offload->score(prep, jobs, order, out);
    if (progress) progress(total, total);
    return scored;
  }
  threads = std::max(1u, threads);
  const RawTable& left = prep.left;
  const RawTable& right = prep.right;
  const FuzzyTable& left_fuzzy = prep.left_fuzzy;
  const FuzzyTable& right_fuzzy = prep.right_fuzzy();
  const ExactKeys& left_exact = prep.left_exact;
  const ExactKeys& right_exact = prep.right_exact();
  const bool fuzzy = prep.fuzzy, with_middle = prep.with_middle;
  const kernels::CandidateRule rule{order.dedupe, with_middle, prep.keep};
  auto before = [&](uint32_t l, uint32_t r) {
    const uint64_t a = order.left_order ? order.left_order[l] : l;
    const uint64_t b = order.right_order ? order.right_order[r] : r;
    return a < b;
  };

  std::vector<Worker> workers(threads);
  const uint32_t max_len = std::max(left_fuzzy.max_len, right_fuzzy.max_len);
  for (auto& w : workers) w.scratch.resize(kernels::metric_scratch_words(max_len) + 8);
  std::atomic<uint64_t> done{0};
  uint64_t total = 0;
  for (const ScoreJob& j : jobs) total += j.chunk_plan.candidate_pairs;

  auto score_chunk = [&](const ScoreJob& job, const Chunk& chunk, unsigned tid) {
    const KeyedRows& lk = job.left_rows;
    const KeyedRows& rk = job.right_rows;
    Worker& w = workers[tid];
    uint64_t scored = 0;
    for (uint32_t jr = chunk.r_begin; jr < chunk.r_end; ++jr) {
      const uint32_t r = rk.rows[jr];
      if (fuzzy) {
        const kernels::FuzzyView b = right_fuzzy.view(r);
        const bool use_pattern = kernels::uses_pattern(b.full_len);
        if (use_pattern) w.pattern->build(b.full, b.full_len);
        const uint64_t r_order = order.right_order ? order.right_order[r] : uint64_t{r};
        for (uint32_t il = chunk.l_begin; il < chunk.l_end; ++il) {
          const uint32_t l = lk.rows[il];
          scored += kernels::score_candidate</*kCpuPaths=*/true>(
              rule, [&] { return order.left_order ? order.left_order[l] : uint64_t{l}; }, r_order,
              left.birthdate[l], right.birthdate[r], [&] { return left_fuzzy.view(l); }, b,
              w.pattern.get(), w.scratch.data(), [&](uint32_t bin) { ++w.hist[bin]; },
              [&](const kernels::PairScore& s) {
                w.out.push_back(ScoredPair{l, r, job.tag, s.confidence, static_cast<float>(s.lev),
                                           static_cast<float>(s.jw), static_cast<float>(s.mp),
                                           s.label});
              });
        }
        if (use_pattern) w.pattern->clear(b.full, b.full_len);
      } else {
        for (uint32_t il = chunk.l_begin; il < chunk.l_end; ++il) {
          const uint32_t l = lk.rows[il];
          if (order.dedupe && !before(l, r)) continue;
          ++scored;
          if (left.birthdate[l] != right.birthdate[r]) continue;
          if (!exact_names_match(left_exact, l, right_exact, r, with_middle)) continue;
          ++w.hist[100];
          w.out.push_back(
              ScoredPair{l, r, job.tag, 1.0f, 100.0f, 100.0f, 100.0f, kernels::kDirect});
        }
      }
    }
    w.scored += scored;
    if (progress) {
      const uint64_t d = done.fetch_add(chunk.pairs(), std::memory_order_relaxed) + chunk.pairs();
      if (tid == 0) progress(d, total);
    }
  };
  // Tasks are runs of consecutive chunks of one job of at least kTaskPairs
  // pairs: most blocks are tiny, and one atomic hand-out per chunk would cost
  // more than the scoring.
  constexpr uint64_t kTaskPairs = 1 << 14;
  struct Task {
    uint32_t job;
    uint32_t begin, end;
  };
  std::vector<Task> tasks;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const auto& chunks = jobs[j].chunk_plan.chunks;
    uint64_t acc = kTaskPairs;
    for (size_t ti = 0; ti < chunks.size(); ++ti) {
      if (acc >= kTaskPairs) {
        tasks.push_back(
            Task{static_cast<uint32_t>(j), static_cast<uint32_t>(ti), static_cast<uint32_t>(ti)});
        acc = 0;
      }
      ++tasks.back().end;
      acc += chunks[ti].pairs();
    }
  }
  parallel_for(tasks.size(), threads, [&](size_t t, unsigned tid) {
    const ScoreJob& job = jobs[tasks[t].job];
    for (uint32_t ti = tasks[t].begin; ti < tasks[t].end; ++ti)
      score_chunk(job, job.chunk_plan.chunks[ti], tid);
  });

  uint64_t scored = 0;
  size_t n = out.size();
  for (auto& w : workers) {
    n += w.out.size();
    scored += w.scored;
    if (hist != nullptr)
      for (size_t b = 0; b < hist->size(); ++b) (*hist)[b] += w.hist[b];
  }
  out.reserve(n);
  for (auto& w : workers) {
    out.insert(out.end(), w.out.begin(), w.out.end());
    std::vector<ScoredPair>().swap(w.out);
  }
  if (progress) progress(total, total);
  return scored;
}

ScoreJob whole_table_job(const PreparedTables& prep, uint64_t tile_pairs, unsigned threads) {
  ScoreJob job;
  job.left_rows = sort_by_key(prep.left_keys, threads);
  job.right_rows = prep.same_table ? job.left_rows : sort_by_key(prep.right_keys, threads);
  job.chunk_plan = plan_chunks(job.left_rows, job.right_rows, tile_pairs);
  return job;
}

}  // namespace nm
