#include "src/engine.hpp"

#include <atomic>
#include <chrono>
#include <memory>

#include "partition/blocks.hpp"
#include "src/parallel.hpp"

namespace nm {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

bool is_fuzzy(int algorithm) { return algorithm >= 3; }

std::vector<uint64_t> exact_keys(const RawTable& t, const ExactKeys& k, bool with_middle) {
  std::vector<uint64_t> keys(t.size(), kNoKey);
  for (size_t r = 0; r < t.size(); ++r) {
    if (t.birthdate[r] == kNoDate) continue;
    const std::string_view first = k.get(r, 0), last = k.get(r, 2);
    if (first.empty() || last.empty()) continue;
    uint64_t h = stable_hash(first, static_cast<uint64_t>(t.birthdate[r]));
    h = stable_hash(last, h);
    if (with_middle) h = stable_hash(k.get(r, 1), h);
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
  std::unique_ptr<hd::Pattern64> pattern = std::make_unique<hd::Pattern64>();
  std::vector<uint32_t> scratch;
  std::vector<MatchPair> out;
  uint64_t scored = 0;
  Worker() { pattern->reset_all(); }
};

}  // namespace

float phonetic_shortcut_bound() { return static_cast<float>((200.0 / 3.0) / 100.0); }

const char* label_name(uint8_t label) {
  switch (label) {
    case hd::kDirect:
      return "DIRECT MATCH";
    case hd::kCase1:
      return "CASE 1";
    case hd::kCase2:
      return "CASE 2";
    case hd::kCase3:
      return "CASE 3";
    default:
      return "NO MATCH";
  }
}

std::vector<MatchPair> find_pairs(const RawTable& left, const RawTable& right,
                                  const MatchOptions& opt, EngineStats* stats,
                                  const ProgressFn& progress) {
  EngineStats st;
  const bool self = opt.dedupe;
  const unsigned threads = std::max(1u, opt.threads);
  const bool fuzzy = is_fuzzy(opt.algorithm);
  const bool with_middle = opt.algorithm == 2 || opt.algorithm == 3;
  const float keep = (opt.algorithm >= 5) ? opt.household_threshold : opt.threshold;
  st.shortcut = fuzzy && !opt.exhaustive && keep > phonetic_shortcut_bound();

  // normalise
  auto t0 = Clock::now();
  ExactKeys lx, rx;
  FuzzyTable lf, rf;
  std::vector<uint64_t> lkeys, rkeys;
  if (fuzzy) {
    lf = prepare_fuzzy(left, with_middle, threads);
    if (!self) rf = prepare_fuzzy(right, with_middle, threads);
  } else {
    lx = prepare_exact(left, opt.fuzzy_normalization, with_middle, threads);
    if (!self) rx = prepare_exact(right, opt.fuzzy_normalization, with_middle, threads);
  }
  const FuzzyTable& rfr = self ? lf : rf;
  const ExactKeys& rxr = self ? lx : rx;
  st.normalize_s = seconds_since(t0);

  // partition
  t0 = Clock::now();
  lkeys = fuzzy ? fuzzy_keys(left, lf, st.shortcut) : exact_keys(left, lx, with_middle);
  KeyedRows lk = sort_by_key(lkeys, threads);
  KeyedRows rk_own;
  if (!self) {
    rkeys = fuzzy ? fuzzy_keys(right, rfr, st.shortcut) : exact_keys(right, rxr, with_middle);
    rk_own = sort_by_key(rkeys, threads);
  }
  const KeyedRows& rk = self ? lk : rk_own;
  TilePlan plan = plan_tiles(lk, rk, opt.tile_pairs);
  st.blocks = plan.blocks;
  st.tiles = plan.tiles.size();
  st.partition_s = seconds_since(t0);

  // score
  t0 = Clock::now();
  std::vector<Worker> workers(threads);
  const uint32_t max_len = std::max(lf.max_len, rfr.max_len);
  for (auto& w : workers) w.scratch.resize(hd::metric_scratch_words(max_len) + 8);
  std::atomic<uint64_t> done{0};
  const uint64_t total = plan.candidate_pairs;

  auto score_tile = [&](size_t ti, unsigned tid) {
    const Tile& tile = plan.tiles[ti];
    Worker& w = workers[tid];
    uint64_t scored = 0;
    for (uint32_t jr = tile.r_begin; jr < tile.r_end; ++jr) {
      const uint32_t r = rk.rows[jr];
      if (fuzzy) {
        const hd::FuzzyView b = rfr.view(r);
        const bool use_pattern = b.full_len > 0 && b.full_len <= hd::kWordBits;
        if (use_pattern) w.pattern->build(b.full, b.full_len);
        for (uint32_t il = tile.l_begin; il < tile.l_end; ++il) {
          const uint32_t l = lk.rows[il];
          if (self && l >= r) continue;
          if (left.birthdate[l] != right.birthdate[r]) continue;  // hash-key collision guard
          ++scored;
          const hd::PairScore s =
              hd::score_fuzzy_pair(lf.view(l), b, use_pattern ? w.pattern.get() : nullptr,
                                   with_middle, w.scratch.data());
          if (s.label != hd::kNoMatch && s.confidence >= keep)
            w.out.push_back(MatchPair{l, r, s.confidence, s.label});
        }
        if (use_pattern) w.pattern->clear(b.full, b.full_len);
      } else {
        for (uint32_t il = tile.l_begin; il < tile.l_end; ++il) {
          const uint32_t l = lk.rows[il];
          if (self && l >= r) continue;
          ++scored;
          if (left.birthdate[l] != right.birthdate[r]) continue;
          if (lx.get(l, 0) != rxr.get(r, 0) || lx.get(l, 2) != rxr.get(r, 2)) continue;
          if (with_middle && lx.get(l, 1) != rxr.get(r, 1)) continue;
          w.out.push_back(MatchPair{l, r, 1.0f, hd::kDirect});
        }
      }
    }
    w.scored += scored;
    if (progress) {
      const uint64_t d = done.fetch_add(tile.pairs(), std::memory_order_relaxed) + tile.pairs();
      if (tid == 0) progress(d, total);
    }
  };
  // Tasks are runs of consecutive tiles of at least kTaskPairs pairs: most
  // blocks are tiny, and one atomic hand-out per tile would cost more than
  // the scoring.
  constexpr uint64_t kTaskPairs = 1 << 14;
  std::vector<size_t> task_begin;
  uint64_t acc = kTaskPairs;
  for (size_t ti = 0; ti < plan.tiles.size(); ++ti) {
    if (acc >= kTaskPairs) {
      task_begin.push_back(ti);
      acc = 0;
    }
    acc += plan.tiles[ti].pairs();
  }
  task_begin.push_back(plan.tiles.size());
  parallel_for(task_begin.size() - 1, threads, [&](size_t task, unsigned tid) {
    for (size_t ti = task_begin[task]; ti < task_begin[task + 1]; ++ti) score_tile(ti, tid);
  });

  size_t n = 0;
  for (auto& w : workers) {
    n += w.out.size();
    st.pairs_scored += w.scored;
  }
  std::vector<MatchPair> pairs;
  pairs.reserve(n);
  for (auto& w : workers) {
    pairs.insert(pairs.end(), w.out.begin(), w.out.end());
    std::vector<MatchPair>().swap(w.out);
  }
  std::sort(pairs.begin(), pairs.end());
  st.pairs_kept = pairs.size();
  st.score_s = seconds_since(t0);
  if (progress) progress(total, total);
  if (stats != nullptr) *stats = st;
  return pairs;
}

}  // namespace nm
