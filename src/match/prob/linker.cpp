#include "src/match/prob/linker.hpp"

#include <absl/container/flat_hash_map.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>

#include "partition/blocks.hpp"
#include "src/parallel.hpp"

namespace nm::prob {
namespace {

// One rule's blocks: both sides' rows sorted by the rule's key, cut in chunks.
struct RuleBlocks {
  KeyedRows left, right;
  bool self_join = false;  // dedupe with a symmetric rule: right is left
  ChunkPlan chunks;
};

std::vector<uint64_t> key_column(const RuleKeys& k, size_t rows, uint32_t rule) {
  std::vector<uint64_t> out(rows);
  for (size_t row = 0; row < rows; ++row) out[row] = k.at(row, rule);
  return out;
}

// Whether left row `row` is in a share of the rows (a fixed hash of the row).
bool in_share(uint64_t row, double share) {
  if (share >= 1.0) return true;
  uint64_t z = (row + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 31)) * 0xBF58476D1CE4E5B9ull;
  z ^= z >> 29;
  return static_cast<double>(z >> 11) * 0x1.0p-53 < share;
}

// Leaves out (kNoKey) the keys held by more than max_side rows on either side.
void drop_large_blocks(std::vector<uint64_t>& left, std::vector<uint64_t>& right,
                       uint32_t max_side) {
  absl::flat_hash_map<uint64_t, std::pair<uint32_t, uint32_t>> n;
  for (uint64_t k : left)
    if (k != kNoKey) ++n[k].first;
  for (uint64_t k : right)
    if (k != kNoKey) ++n[k].second;
  for (auto* side : {&left, &right})
    for (uint64_t& k : *side) {
      if (k == kNoKey) continue;
      const auto& c = n.find(k)->second;
      if (c.first > max_side || c.second > max_side) k = kNoKey;
    }
}

std::vector<RuleBlocks> build_blocks(const LinkData& d, const RuleSet& set, uint64_t chunk_pairs,
                                     unsigned threads, const std::vector<RuleSample>& samples = {}) {
  std::vector<RuleBlocks> out(set.rules.size());
  const size_t nl = d.left.rows, nr = d.right_side().rows;
  for (uint32_t r = 0; r < set.rules.size(); ++r) {
    RuleBlocks& b = out[r];
    const RuleSample sample = r < samples.size() ? samples[r] : RuleSample{};
    std::vector<uint64_t> lk = key_column(set.left, nl, r), rk = key_column(set.right, nr, r);
    // Dedupe: a record's count on the "right" is its own too (the same table).
    if (sample.max_side > 0) drop_large_blocks(lk, rk, sample.max_side);
    if (sample.left_share < 1.0)
      for (size_t row = 0; row < nl; ++row)
        if (!in_share(row, sample.left_share)) lk[row] = kNoKey;
    b.left = sort_by_key(lk, threads);
    b.self_join = d.dedupe && !set.rules[r].asymmetric() && sample.left_share >= 1.0;
    if (!b.self_join) b.right = sort_by_key(rk, threads);
    b.chunks = plan_chunks(b.left, b.self_join ? b.left : b.right, chunk_pairs);
  }
  return out;
}

// Calls fn(lrow, rrow) for every pair of the chunk that this rule scores:
// with dedupe only left < right; with skip_earlier never a pair an earlier
// rule of `set` has.
template <class Fn>
uint64_t for_each_pair(const LinkData& d, const RuleSet& set, bool skip_earlier,
                       const RuleBlocks& b, uint32_t rule, const Chunk& c, Fn&& fn) {
  const KeyedRows& right = b.self_join ? b.left : b.right;
  uint64_t n = 0;
  for (uint32_t li = c.l_begin; li < c.l_end; ++li) {
    const uint32_t l = b.left.rows[li];
    for (uint32_t ri = c.r_begin; ri < c.r_end; ++ri) {
      const uint32_t r = right.rows[ri];
      if (d.dedupe && l >= r) continue;
      if (skip_earlier && rule > 0 && found_by_earlier_rule(set.left, set.right, l, r, rule))
        continue;
      fn(l, r);
      ++n;
    }
  }
  return n;
}

struct Task {
  uint32_t rule;
  uint32_t chunk;
};

// The chunks of `share`, in the order of the rules' chunks (RankShare).
std::vector<Task> tasks_of(const std::vector<RuleBlocks>& blocks, RankShare share) {
  std::vector<Task> t;
  uint64_t k = 0;
  for (uint32_t r = 0; r < blocks.size(); ++r)
    for (uint32_t c = 0; c < blocks[r].chunks.chunks.size(); ++c, ++k)
      if (share.owns(k)) t.push_back({r, c});
  return t;
}

uint32_t scratch_words(const LinkData& d) {
  return kernels::device_metric_scratch_words(
      std::max(d.left.max_len, d.right_side().max_len) + 1);
}

// One per thread.
std::vector<LeftRecord> left_records(const LinkData& d, unsigned threads) {
  std::vector<LeftRecord> out;
  out.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) out.emplace_back(d.plan);
  return out;
}

}  // namespace

RuleSet make_rule_set(std::vector<BlockingRule> rules, const RawTable& left,
                      const RawTable& right, unsigned threads) {
  RuleSet s;
  s.rules = std::move(rules);
  s.left = compute_rule_keys(left, s.rules, false, threads);
  s.right = compute_rule_keys(right, s.rules, true, threads);
  return s;
}

uint64_t LinkData::total_pairs() const {
  const uint64_t n = left.rows;
  return dedupe ? (n < 2 ? 0 : n * (n - 1) / 2) : n * right.rows;
}

namespace {
using CountMap = absl::flat_hash_map<Pattern, uint64_t>;

// Pattern counts of one thread and rule: a small direct-mapped cache in
// front of the hash map, as a rule's pairs have few distinct patterns and
// a hash map increment per pair costs more than the comparison's easy
// cases. The sums do not depend on what was evicted when.
class PatternCounter {
 public:
  void add(Pattern p) {
    Slot& s = cache_[(p * 0x9E3779B97F4A7C15ull) >> (64 - kBits)];
    if (s.pattern == p) {
      ++s.count;
      return;
    }
    if (s.count != 0) map_[s.pattern] += s.count;
    s = {p, 1};
  }
  // Every count, the cache's included (the counter is left empty).
  CountMap take() {
    for (Slot& s : cache_) {
      if (s.count != 0) map_[s.pattern] += s.count;
      s = {};
    }
    return std::move(map_);
  }

 private:
  static constexpr unsigned kBits = 10;
  struct Slot {
    Pattern pattern = 0;
    uint64_t count = 0;
  };
  std::array<Slot, size_t{1} << kBits> cache_{};
  CountMap map_;
};

std::vector<PatternCount> sorted_counts(const CountMap& m) {
  std::vector<PatternCount> out;
  out.reserve(m.size());
  for (const auto& [p, c] : m) out.push_back({p, c});
  std::sort(out.begin(), out.end(),
            [](const PatternCount& a, const PatternCount& b) { return a.pattern < b.pattern; });
  return out;
}
}  // namespace

std::vector<std::vector<PatternCount>> count_patterns(const LinkData& d, const RuleSet& set,
                                                      const std::vector<RuleSample>& samples,
                                                      uint64_t chunk_pairs, unsigned threads,
                                                      LinkFigures* figures,
                                                      const std::function<void(uint64_t)>& progress) {
  const std::vector<RuleBlocks> blocks = build_blocks(d, set, chunk_pairs, threads, samples);
  const std::vector<Task> tasks = tasks_of(blocks, d.share);
  const unsigned nt = std::max(1u, threads);
  const size_t nr = set.rules.size();
  std::vector<std::vector<PatternCounter>> counts(nt, std::vector<PatternCounter>(nr));
  std::vector<std::vector<uint32_t>> scratch(nt, std::vector<uint32_t>(scratch_words(d)));
  std::vector<LeftRecord> pats = left_records(d, nt);
  std::atomic<uint64_t> done{0};
  const auto lv = side_view(d.left), rv = side_view(d.right_side());
  parallel_for(tasks.size(), nt, [&](size_t t, unsigned th) {
    const Task task = tasks[t];
    const RuleBlocks& b = blocks[task.rule];
    PatternCounter& m = counts[th][task.rule];
    uint32_t* s = scratch[th].data();
    const Chunk& c = b.chunks.chunks[task.chunk];
    // Every pair of the rule's blocks (training counts pairs earlier rules have too).
    for_each_pair(d, set, false, b, task.rule, c, [&](uint32_t l, uint32_t r) {
      m.add(compare_pair(d.plan, lv, l, rv, r, s, pats[th]));
    });
    const uint64_t now = done += c.pairs();
    if (progress && th == 0) progress(now);
  });
  std::vector<std::vector<PatternCount>> out(nr);
  for (size_t r = 0; r < nr; ++r) {
    CountMap all;
    for (unsigned th = 0; th < nt; ++th)
      for (const auto& [p, c] : counts[th][r].take()) all[p] += c;
    out[r] = sorted_counts(all);
  }
  if (figures) *figures = figures_of(out);
  return out;
}

LinkFigures figures_of(const std::vector<std::vector<PatternCount>>& patterns) {
  LinkFigures f;
  f.pairs_per_rule.assign(patterns.size(), 0);
  for (size_t r = 0; r < patterns.size(); ++r) {
    for (const auto& pc : patterns[r]) f.pairs_per_rule[r] += pc.count;
    f.candidate_pairs += f.pairs_per_rule[r];
  }
  return f;
}

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
}  // namespace

LevelCounts sample_levels(const LinkData& d, uint64_t sample_pairs, uint64_t seed,
                          unsigned threads) {
  const size_t nc = d.plan.items.size();
  LevelCounts out;
  out.counts.assign(nc, std::vector<uint64_t>(16, 0));
  const uint64_t nl = d.left.rows, nr = d.right_side().rows;
  if (nl == 0 || nr == 0 || (d.dedupe && nl < 2)) {
    for (size_t c = 0; c < nc; ++c)
      out.counts[c].resize(kernels::prob::level_count(d.plan.items[c].set));
    return out;
  }
  // Pair i is drawn from its own generator state (seed, i): the sample does
  // not depend on how the pairs are split between threads or ranks (part p
  // is d.share's when it owns p).
  const uint64_t parts = 64;
  std::vector<std::vector<std::vector<uint64_t>>> partial(
      parts, std::vector<std::vector<uint64_t>>(nc, std::vector<uint64_t>(16, 0)));
  std::vector<std::vector<uint32_t>> scratch(std::max(1u, threads),
                                             std::vector<uint32_t>(scratch_words(d)));
  std::vector<LeftRecord> pats = left_records(d, std::max(1u, threads));
  const auto lv = side_view(d.left), rv = side_view(d.right_side());
  parallel_for(parts, threads, [&](size_t p, unsigned th) {
    if (!d.share.owns(p)) return;
    for (uint64_t i = sample_pairs * p / parts; i < sample_pairs * (p + 1) / parts; ++i) {
      uint64_t state = seed ^ (i * 0xD1B54A32D192ED03ull);
      uint64_t l = splitmix64(state) % nl;
      uint64_t r = splitmix64(state) % nr;
      if (d.dedupe) {
        r = (l + 1 + splitmix64(state) % (nl - 1)) % nl;  // any row but l
        if (l > r) std::swap(l, r);
      }
      const Pattern pat = compare_pair(d.plan, lv, l, rv, r, scratch[th].data(), pats[th]);
      for (size_t c = 0; c < nc; ++c) {
        const uint8_t lev = level_of(pat, static_cast<uint32_t>(c));
        if (lev != kNullLevel) ++partial[p][c][lev];
      }
    }
  });
  for (size_t c = 0; c < nc; ++c) {
    out.counts[c].assign(kernels::prob::level_count(d.plan.items[c].set), 0);
    for (uint64_t p = 0; p < parts; ++p)
      for (size_t lev = 0; lev < out.counts[c].size(); ++lev)
        out.counts[c][lev] += partial[p][c][lev];
  }
  return out;
}

void sort_links(std::vector<ScoredLink>& links) {
  std::sort(links.begin(), links.end(), [](const ScoredLink& a, const ScoredLink& b) {
    return a.left != b.left ? a.left < b.left : a.right < b.right;
  });
}

struct ScoringChunks::Blocks {
  std::vector<RuleBlocks> rules;
  std::vector<Task> order;  // every chunk, in the order of RankShare
};

ScoringChunks::ScoringChunks(const LinkData& d, uint64_t chunk_pairs, unsigned threads)
    : blocks_(std::make_unique<Blocks>()) {
  blocks_->rules = build_blocks(d, d.blocking, chunk_pairs, threads);
  blocks_->order = tasks_of(blocks_->rules, RankShare{});
}
ScoringChunks::~ScoringChunks() = default;

uint64_t ScoringChunks::size() const { return blocks_->order.size(); }
uint32_t ScoringChunks::rule_of(uint64_t k) const { return blocks_->order[k].rule; }
uint64_t ScoringChunks::pairs_of(uint64_t k) const {
  const Task t = blocks_->order[k];
  return blocks_->rules[t.rule].chunks.chunks[t.chunk].pairs();
}

std::vector<std::vector<ScoredLink>> ScoringChunks::score(
    const LinkData& d, const Scoring& s, std::span<const uint64_t> ks, unsigned threads,
    std::vector<uint64_t>& per_rule, const std::function<void(uint64_t)>& progress) const {
  const unsigned nt = std::max(1u, threads);
  std::vector<std::vector<ScoredLink>> kept(ks.size());
  std::vector<std::vector<uint32_t>> scratch(nt, std::vector<uint32_t>(scratch_words(d)));
  std::vector<std::atomic<uint64_t>> scored(d.blocking.rules.size());
  std::vector<LeftRecord> pats = left_records(d, nt);
  std::atomic<uint64_t> done{0};
  const auto lv = side_view(d.left), rv = side_view(d.right_side());
  const kernels::prob::WeightView wv = s.view();
  parallel_for(ks.size(), nt, [&](size_t t, unsigned th) {
    const Task task = blocks_->order[ks[t]];
    const RuleBlocks& b = blocks_->rules[task.rule];
    uint32_t* sc = scratch[th].data();
    LeftRecord& lp = pats[th];
    auto& out = kept[t];
    const uint64_t n = for_each_pair(d, d.blocking, true, b, task.rule, b.chunks.chunks[task.chunk],
                                     [&](uint32_t l, uint32_t r) {
                                       const Pattern p = compare_pair(d.plan, lv, l, rv, r, sc, lp);
                                       const int64_t w = kernels::prob::pair_weight(wv, p, l);
                                       if (w >= s.keep_at) out.push_back({l, r, w, p});
                                     });
    scored[task.rule] += n;
    const uint64_t now = done += b.chunks.chunks[task.chunk].pairs();
    if (progress && th == 0) progress(now);
  });
  per_rule.resize(scored.size(), 0);
  for (size_t r = 0; r < scored.size(); ++r) per_rule[r] += scored[r].load();
  return kept;
}

std::vector<ScoredLink> score_pairs(const LinkData& d, const Scoring& s, uint64_t chunk_pairs,
                                    unsigned threads, LinkFigures* figures,
                                    const std::function<void(uint64_t)>& progress) {
  const ScoringChunks chunks(d, chunk_pairs, threads);
  std::vector<uint64_t> mine;
  for (uint64_t k = 0; k < chunks.size(); ++k)
    if (d.share.owns(k)) mine.push_back(k);
  std::vector<uint64_t> per_rule;
  std::vector<std::vector<ScoredLink>> kept = chunks.score(d, s, mine, threads, per_rule, progress);
  size_t total = 0;
  for (const auto& k : kept) total += k.size();
  std::vector<ScoredLink> all;
  all.reserve(total);
  for (auto& k : kept) all.insert(all.end(), k.begin(), k.end());
  sort_links(all);
  if (figures) {
    figures->pairs_per_rule = per_rule;
    figures->candidate_pairs = 0;
    for (uint64_t n : per_rule) figures->candidate_pairs += n;
  }
  return all;
}

void for_each_pair_batch(const LinkData& d, const RuleSet& set,
                         const std::vector<RuleSample>& samples, bool skip_earlier,
                         uint64_t chunk_pairs, uint64_t batch_pairs, unsigned threads,
                         const std::function<void(uint32_t, std::span<const kernels::prob::RowPair>)>& fn) {
  const std::vector<RuleBlocks> blocks = build_blocks(d, set, chunk_pairs, threads, samples);
  const size_t cap = static_cast<size_t>(std::max<uint64_t>(1, batch_pairs));
  std::vector<kernels::prob::RowPair> batch;
  batch.reserve(std::min<size_t>(cap, size_t{1} << 20));
  uint64_t k = 0;  // the chunk's place in the order of RankShare
  for (uint32_t r = 0; r < blocks.size(); ++r) {
    for (const Chunk& c : blocks[r].chunks.chunks) {
      if (!d.share.owns(k++)) continue;
      for_each_pair(d, set, skip_earlier, blocks[r], r, c, [&](uint32_t l, uint32_t rr) {
        batch.push_back({l, rr});
        if (batch.size() == cap) {
          fn(r, batch);
          batch.clear();
        }
      });
    }
    if (!batch.empty()) fn(r, batch);
    batch.clear();
  }
}

void ScoringChunks::count(const LinkData& d, std::span<const uint64_t> ks, unsigned threads,
                          std::vector<uint64_t>& per_rule) const {
  std::vector<std::atomic<uint64_t>> found(d.blocking.rules.size());
  parallel_for(ks.size(), std::max(1u, threads), [&](size_t t, unsigned) {
    const Task task = blocks_->order[ks[t]];
    const RuleBlocks& b = blocks_->rules[task.rule];
    found[task.rule] += for_each_pair(d, d.blocking, true, b, task.rule,
                                      b.chunks.chunks[task.chunk], [](uint32_t, uint32_t) {});
  });
  per_rule.resize(found.size(), 0);
  for (size_t r = 0; r < found.size(); ++r) per_rule[r] += found[r].load();
}

LinkFigures count_candidates(const LinkData& d, uint64_t chunk_pairs, unsigned threads) {
  const ScoringChunks chunks(d, chunk_pairs, threads);
  std::vector<uint64_t> mine;
  for (uint64_t k = 0; k < chunks.size(); ++k)
    if (d.share.owns(k)) mine.push_back(k);
  LinkFigures f;
  chunks.count(d, mine, threads, f.pairs_per_rule);
  for (uint64_t n : f.pairs_per_rule) f.candidate_pairs += n;
  return f;
}

}  // namespace nm::prob
