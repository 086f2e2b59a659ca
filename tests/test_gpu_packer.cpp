// Tests of the GPU backend's tile packer (src/gpu/tile_packer.*): the packed
// layout (aligned, non-overlapping sections; columns and groups as the kernel
// reads them), every candidate pair of the jobs in exactly one batch whatever
// the budgets, prefix() for halving, the map back to table rows and tags, and
// the packed records equal to the prepared FuzzyTable.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/fused_tile.hpp"
#include "src/match/engine.hpp"
#include "src/gpu/selftest.hpp"
#include "src/gpu/tile_packer.hpp"

namespace {

using nm::FuzzyRecord;
using nm::FuzzyTable;
using nm::KeyedRows;
using nm::MatchOptions;
using nm::PairOrder;
using nm::PreparedTables;
using nm::RawTable;
using nm::ScoreJob;
using nm::gpu::BatchLayout;
using nm::gpu::BatchMap;
using nm::gpu::BatchSpan;
using nm::gpu::ColumnCursor;
using nm::gpu::TilePacker;

constexpr uint64_t kAll = ~uint64_t{0};
constexpr size_t kAllBytes = ~size_t{0};

// (tag, left row, right row)
using PairKey = std::tuple<uint32_t, uint32_t, uint32_t>;

// A packed batch in a buffer of exactly layout.total bytes followed by a guard.
struct Packed {
  BatchSpan span;
  BatchLayout lay;
  BatchMap map;
  std::vector<unsigned char> storage;
  unsigned char* base = nullptr;
  static constexpr size_t kGuard = 64;

  Packed(const TilePacker& p, const BatchSpan& s) : span(s), lay(p.layout(s)) {
    storage.assign(lay.total + kGuard + 16, 0xAB);
    auto addr = reinterpret_cast<uintptr_t>(storage.data());
    base = storage.data() + ((16 - addr % 16) % 16);
    map = p.pack(span, lay, base);
  }
  bool guard_intact() const {
    for (size_t i = 0; i < kGuard; ++i)
      if (base[lay.total + i] != 0xAB) return false;
    return true;
  }
  const nm::kernels::DevRecord* left() const {
    return reinterpret_cast<const nm::kernels::DevRecord*>(base + lay.left_off);
  }
  const nm::kernels::DevRecord* right() const {
    return reinterpret_cast<const nm::kernels::DevRecord*>(base + lay.right_off);
  }
  const uint32_t* cps() const { return reinterpret_cast<const uint32_t*>(base + lay.cps_off); }
  const nm::kernels::DevColumn* cols() const {
    return reinterpret_cast<const nm::kernels::DevColumn*>(base + lay.cols_off);
  }
  const nm::kernels::DevGroup* groups() const {
    return reinterpret_cast<const nm::kernels::DevGroup*>(base + lay.groups_off);
  }
};

size_t record_cps(const FuzzyRecord& r) {
  return size_t{r.full_len} + r.part_len[0] + r.part_len[1] + r.part_len[2];
}

// The packed record equals the prepared one (code points copied exactly).
void check_record(const nm::kernels::DevRecord& d, const uint32_t* cps, uint32_t n_cps,
                  const FuzzyTable& ft, const RawTable& tab, uint32_t row, uint64_t order) {
  const FuzzyRecord& r = ft.records[row];
  CHECK(d.full_len == r.full_len);
  CHECK(d.full_bytes == r.full_bytes);
  CHECK(d.phon_code == r.phon_code);
  for (int k = 0; k < 3; ++k) CHECK(d.part_len[k] == r.part_len[k]);
  CHECK(d.birthdate == tab.birthdate[row]);
  CHECK(d.char_mask == r.char_mask);
  CHECK(d.order == order);
  const size_t n = record_cps(r);
  REQUIRE(size_t{d.cp_offset} + n <= n_cps);
  CHECK(std::memcmp(cps + d.cp_offset, ft.code_points.data() + r.offset, n * 4) == 0);
}

// Every check of one packed batch; adds its pairs to `seen`. `resident`:
// packed for a right table resident on the device (no right records in the
// batch; columns name right table rows).
void check_batch(const Packed& b, const PreparedTables& prep, const uint64_t* lorder,
                 const uint64_t* rorder, std::map<PairKey, int>& seen, bool resident = false) {
  const BatchLayout& L = b.lay;
  // Sections: 16-byte aligned, in order, not overlapping, inside total.
  for (size_t off : {L.left_off, L.right_off, L.cps_off, L.cols_off, L.groups_off})
    CHECK(off % 16 == 0);
  CHECK(L.total % 16 == 0);
  CHECK(L.left_off + size_t{L.n_left} * sizeof(nm::kernels::DevRecord) <= L.right_off);
  CHECK(L.right_off + size_t{L.n_right} * sizeof(nm::kernels::DevRecord) <= L.cps_off);
  CHECK(L.cps_off + size_t{L.n_cps} * 4 <= L.cols_off);
  CHECK(L.cols_off + size_t{L.n_cols} * sizeof(nm::kernels::DevColumn) <= L.groups_off);
  CHECK(L.groups_off + size_t{L.n_groups} * sizeof(nm::kernels::DevGroup) <= L.total);
  CHECK(b.guard_intact());
  CHECK(b.span.bytes >= L.total);  // the budget figure is not an underestimate

  CHECK(L.n_cols == b.span.columns);
  CHECK(L.n_right == (resident ? 0 : b.span.columns));
  CHECK(L.n_groups == (L.n_cols + nm::kernels::kGroupCols - 1) / nm::kernels::kGroupCols);
  REQUIRE(b.map.left_rows.size() == L.n_left);
  REQUIRE(b.map.col_right_rows.size() == L.n_cols);
  REQUIRE(b.map.col_tags.size() == L.n_cols);

  // Groups: consecutive, <= kGroupCols columns, pairs = sum of their columns.
  const auto* cols = b.cols();
  const auto* groups = b.groups();
  uint32_t next_col = 0;
  uint64_t pairs = 0;
  for (uint32_t g = 0; g < L.n_groups; ++g) {
    const auto& G = groups[g];
    CHECK(G.col_begin == next_col);
    CHECK(G.col_end > G.col_begin);
    CHECK(G.col_end - G.col_begin <= nm::kernels::kGroupCols);
    uint64_t sum = 0;
    for (uint32_t c = G.col_begin; c < G.col_end; ++c) {
      CHECK(cols[c].pair_begin == sum);  // prefix sums within the group
      sum += cols[c].left_count;
    }
    CHECK(G.pairs == sum);
    pairs += sum;
    next_col = G.col_end;
  }
  CHECK(next_col == L.n_cols);
  CHECK(pairs == b.span.pairs);

  // The segments: distinct left runs, each packed once.
  std::vector<std::pair<uint32_t, uint32_t>> runs;
  uint32_t max_len = 0;
  const FuzzyTable& right_fuzzy = prep.right_fuzzy();
  for (uint32_t c = 0; c < L.n_cols; ++c) {
    const auto& col = cols[c];
    CHECK(col.right == (resident ? b.map.col_right_rows[c] : c));
    REQUIRE(size_t{col.left_begin} + col.left_count <= L.n_left);
    if (runs.empty() || runs.back().first != col.left_begin) {
      runs.emplace_back(col.left_begin, col.left_count);
    } else {
      CHECK(runs.back().second == col.left_count);
    }
    const uint32_t rrow = b.map.col_right_rows[c];
    if (!resident)
      check_record(b.right()[c], b.cps(), L.n_cps, right_fuzzy, prep.right, rrow,
                   rorder != nullptr ? rorder[rrow] : rrow);
    // Scratch sizing: the longest string of any record the batch scores,
    // resident right records included.
    const FuzzyRecord& rr = right_fuzzy.records[rrow];
    max_len = std::max({max_len, rr.full_len, rr.part_len[0], rr.part_len[1], rr.part_len[2]});
    const uint32_t tag = b.map.col_tags[c];
    for (uint32_t i = 0; i < col.left_count; ++i) {
      const uint32_t li = col.left_begin + i;
      const uint32_t lrow = b.map.left_rows[li];
      // A column is one block: the dates agree.
      CHECK(b.left()[li].birthdate == prep.right.birthdate[rrow]);
      if (!resident) CHECK(b.right()[c].birthdate == prep.right.birthdate[rrow]);
      ++seen[{tag, lrow, rrow}];
    }
  }
  CHECK(runs.size() == b.span.segments);
  uint32_t run_total = 0;
  for (size_t k = 0; k < runs.size(); ++k) {
    CHECK(runs[k].first == run_total);  // segments packed back to back
    run_total += runs[k].second;
  }
  CHECK(run_total == L.n_left);
  for (uint32_t li = 0; li < L.n_left; ++li) {
    const uint32_t lrow = b.map.left_rows[li];
    check_record(b.left()[li], b.cps(), L.n_cps, prep.left_fuzzy, prep.left, lrow,
                 lorder != nullptr ? lorder[lrow] : lrow);
    const FuzzyRecord& lr = prep.left_fuzzy.records[lrow];
    max_len = std::max({max_len, lr.full_len, lr.part_len[0], lr.part_len[1], lr.part_len[2]});
  }
  CHECK(L.max_len == max_len);
  // Code points: every record's run inside n_cps, and nothing unaccounted.
  size_t cp_sum = 0;
  for (uint32_t li = 0; li < L.n_left; ++li)
    cp_sum += record_cps(prep.left_fuzzy.records[b.map.left_rows[li]]);
  if (!resident)
    for (uint32_t c = 0; c < L.n_cols; ++c)
      cp_sum += record_cps(right_fuzzy.records[b.map.col_right_rows[c]]);
  CHECK(cp_sum == L.n_cps);
}

std::map<PairKey, int> expected_pairs(const std::vector<ScoreJob>& jobs) {
  std::map<PairKey, int> m;
  for (const ScoreJob& j : jobs)
    for (const nm::Chunk& t : j.chunk_plan.chunks)
      for (uint32_t l = t.l_begin; l < t.l_end; ++l)
        for (uint32_t r = t.r_begin; r < t.r_end; ++r)
          ++m[{j.tag, j.left_rows.rows[l], j.right_rows.rows[r]}];
  return m;
}

struct Fixture {
  RawTable left, right;
  MatchOptions opt;
  std::unique_ptr<PreparedTables> prep;
  std::vector<ScoreJob> jobs;
  std::vector<uint64_t> lorder, rorder;

  // Three jobs over the same tables: even left rows, an empty job, odd left
  // rows; small tiles so blocks are cut into left slices.
  explicit Fixture(uint64_t tile_pairs) {
    nm::gpu::RandomTableOptions o;
    o.rows = 260;
    o.dates = 4;
    o.long_names = 0.05;
    left = nm::gpu::random_table(11, o);
    o.rows = 150;
    right = nm::gpu::random_table(12, o, &left);
    opt.algorithm = 3;
    opt.threshold = 0.8f;
    opt.exhaustive = true;
    opt.tile_pairs = tile_pairs;
    prep = std::make_unique<PreparedTables>(left, right, opt, false, 1);
    std::vector<uint32_t> even, odd;
    for (uint32_t r = 0; r < left.size(); ++r) (r % 2 == 0 ? even : odd).push_back(r);
    const KeyedRows rk = nm::sort_by_key(prep->right_keys, 1);
    jobs.resize(3);
    jobs[0].left_rows = nm::sort_rows_by_key(prep->left_keys, even.data(), even.size());
    jobs[0].right_rows = rk;
    jobs[0].chunk_plan = nm::plan_chunks(jobs[0].left_rows, jobs[0].right_rows, tile_pairs);
    jobs[0].tag = 100;
    jobs[1].tag = 101;  // no tiles
    jobs[2].left_rows = nm::sort_rows_by_key(prep->left_keys, odd.data(), odd.size());
    jobs[2].right_rows = rk;
    jobs[2].chunk_plan = nm::plan_chunks(jobs[2].left_rows, jobs[2].right_rows, tile_pairs);
    jobs[2].tag = 102;
    for (size_t r = 0; r < left.size(); ++r) lorder.push_back(1000 + 3 * r);
    for (size_t r = 0; r < right.size(); ++r) rorder.push_back(5 + 7 * r);
  }
};

}  // namespace

TEST_CASE("gpu packer: every candidate pair exactly once, for any budget") {
  for (uint64_t tile_pairs : {uint64_t{37}, uint64_t{1} << 20}) {
    Fixture f(tile_pairs);
    const PairOrder order{false, f.lorder.data(), f.rorder.data()};
    const TilePacker packer(*f.prep, f.jobs, order);
    const std::map<PairKey, int> want = expected_pairs(f.jobs);
    uint64_t total = 0;
    for (const auto& [k, n] : want) total += static_cast<uint64_t>(n);
    REQUIRE(total > 1000);
    REQUIRE(f.jobs[0].chunk_plan.chunks.size() > 1);
    CHECK(packer.total_pairs() == total);
    for (const auto& [k, n] : want) REQUIRE(n == 1);

    struct Budget {
      uint64_t pairs;
      size_t bytes;
      uint32_t cols;
    };
    const Budget budgets[] = {{1, kAllBytes, 0xFFFFFFFFu},   {50, kAllBytes, 0xFFFFFFFFu},
                              {kAll, 2000, 0xFFFFFFFFu},     {kAll, kAllBytes, 3},
                              {kAll, kAllBytes, 17},         {700, 9000, 40},
                              {kAll, kAllBytes, 0xFFFFFFFFu}};
    for (const Budget& bu : budgets) {
      CAPTURE(tile_pairs);
      CAPTURE(bu.pairs);
      CAPTURE(bu.bytes);
      CAPTURE(bu.cols);
      std::map<PairKey, int> seen;
      ColumnCursor cur = packer.start();
      size_t batches = 0;
      uint64_t pairs = 0;
      while (!packer.at_end(cur)) {
        const BatchSpan s = packer.next_span(cur, bu.pairs, bu.bytes, bu.cols);
        REQUIRE(s.columns >= 1);
        CHECK(s.begin == cur);
        CHECK(s.columns <= bu.cols);
        const Packed b(packer, s);
        if (s.columns > 1) {
          CHECK(s.pairs <= bu.pairs);
          CHECK(s.bytes <= bu.bytes);
          CHECK(b.lay.total <= bu.bytes);
        }
        // Greedy: one more column would break a budget.
        if (!packer.at_end(s.end) && s.columns < bu.cols) {
          const BatchSpan more = packer.next_span(cur, kAll, kAllBytes, s.columns + 1);
          REQUIRE(more.columns == s.columns + 1);
          CHECK((more.pairs > bu.pairs || more.bytes > bu.bytes));
        }
        check_batch(b, *f.prep, f.lorder.data(), f.rorder.data(), seen);
        pairs += s.pairs;
        cur = s.end;
        ++batches;
      }
      CHECK(pairs == total);
      CHECK(seen == want);
      if (bu.pairs == 1) CHECK(batches == packer.layout(packer.next_span(packer.start(), kAll, kAllBytes)).n_cols);
      if (bu.pairs == kAll && bu.bytes == kAllBytes && bu.cols == 0xFFFFFFFFu) CHECK(batches == 1);
    }
  }
}

TEST_CASE("gpu packer: prefix() halves a batch and the rest continues from its end") {
  Fixture f(50);
  const PairOrder order{};
  const TilePacker packer(*f.prep, f.jobs, order);
  const std::map<PairKey, int> want = expected_pairs(f.jobs);
  std::map<PairKey, int> seen;
  ColumnCursor cur = packer.start();
  int halvings = 0;
  while (!packer.at_end(cur)) {
    BatchSpan s = packer.next_span(cur, 900, kAllBytes);
    if (s.columns >= 2) {
      const BatchSpan h = packer.prefix(s, s.columns / 2);
      CHECK(h.begin == s.begin);
      CHECK(h.columns == s.columns / 2);
      CHECK(h.pairs <= s.pairs);
      CHECK(h.bytes <= s.bytes);
      // The two halves make up the whole batch.
      const BatchSpan rest = packer.next_span(h.end, kAll, kAllBytes, s.columns - h.columns);
      CHECK(rest.end == s.end);
      CHECK(h.pairs + rest.pairs == s.pairs);
      ++halvings;
      s = h;  // continue after the half, as the scorer does after running out of memory
    }
    check_batch(Packed(packer, s), *f.prep, nullptr, nullptr, seen);
    cur = s.end;
  }
  CHECK(halvings > 3);
  CHECK(seen == want);
  // A prefix longer than what is left stops at the end.
  const BatchSpan all = packer.next_span(packer.start(), kAll, kAllBytes);
  const BatchSpan p = packer.prefix(all, all.columns + 5);
  CHECK(p.columns == all.columns);
  CHECK(packer.at_end(p.end));
}

TEST_CASE("gpu packer: no jobs, only empty jobs, dedupe order copied") {
  Fixture f(1 << 20);
  const PairOrder order{};
  {
    const std::vector<ScoreJob> none;
    const TilePacker packer(*f.prep, none, order);
    CHECK(packer.at_end(packer.start()));
    CHECK(packer.total_pairs() == 0);
  }
  {
    std::vector<ScoreJob> empties(3);
    const TilePacker packer(*f.prep, empties, order);
    CHECK(packer.at_end(packer.start()));
  }
  {
    // Same table (dedupe): the right records come from the left FuzzyTable.
    MatchOptions m = f.opt;
    m.dedupe = true;
    const PreparedTables prep(f.left, f.left, m, true, 1);
    std::vector<ScoreJob> jobs(2);  // an empty job first
    jobs[1].left_rows = nm::sort_by_key(prep.left_keys, 1);
    jobs[1].right_rows = jobs[1].left_rows;
    jobs[1].chunk_plan = nm::plan_chunks(jobs[1].left_rows, jobs[1].right_rows, 64);
    jobs[1].tag = 9;
    const PairOrder dorder{true, f.lorder.data(), f.lorder.data()};
    const TilePacker packer(prep, jobs, dorder);
    CHECK(packer.start().job == 1);
    std::map<PairKey, int> seen;
    ColumnCursor cur = packer.start();
    while (!packer.at_end(cur)) {
      const BatchSpan s = packer.next_span(cur, 500, kAllBytes);
      check_batch(Packed(packer, s), prep, f.lorder.data(), f.lorder.data(), seen);
      cur = s.end;
    }
    CHECK(seen == expected_pairs(jobs));
  }
}

TEST_CASE("gpu packer: view_of points at the packed sections") {
  Fixture f(1 << 20);
  const PairOrder order{};
  const TilePacker packer(*f.prep, f.jobs, order);
  const BatchSpan s = packer.next_span(packer.start(), 2000, kAllBytes);
  const Packed b(packer, s);
  const nm::kernels::TileView v = nm::gpu::view_of(b.lay, b.base, true, true, 0.75f);
  CHECK(static_cast<const void*>(v.left) == b.base + b.lay.left_off);
  CHECK(static_cast<const void*>(v.right) == b.base + b.lay.right_off);
  CHECK(static_cast<const void*>(v.cps) == b.base + b.lay.cps_off);
  CHECK(static_cast<const void*>(v.cols) == b.base + b.lay.cols_off);
  CHECK(static_cast<const void*>(v.groups) == b.base + b.lay.groups_off);
  CHECK(v.n_groups == b.lay.n_groups);
  CHECK(v.with_middle == 1u);
  CHECK(v.dedupe == 1u);
  CHECK(v.keep == 0.75f);
  const nm::kernels::TileView w = nm::gpu::view_of(b.lay, b.base, false, false, 0.5f);
  CHECK(w.with_middle == 0u);
  CHECK(w.dedupe == 0u);
}

TEST_CASE("gpu packer: resident right table and batches packed for it") {
  for (bool dedupe : {false, true}) {
    CAPTURE(dedupe);
    Fixture f(60);
    MatchOptions m = f.opt;
    m.dedupe = dedupe;
    const PreparedTables prep(f.left, dedupe ? f.left : f.right, m, dedupe, 1);
    const RawTable& rtab = dedupe ? f.left : f.right;
    const FuzzyTable& right_fuzzy = prep.right_fuzzy();
    std::vector<ScoreJob> jobs(1);
    jobs[0].left_rows = nm::sort_by_key(prep.left_keys, 1);
    jobs[0].right_rows = dedupe ? jobs[0].left_rows : nm::sort_by_key(prep.right_keys, 1);
    jobs[0].chunk_plan = nm::plan_chunks(jobs[0].left_rows, jobs[0].right_rows, 60);
    jobs[0].tag = 5;
    const std::vector<uint64_t>& rorder = dedupe ? f.lorder : f.rorder;
    const PairOrder order{dedupe, f.lorder.data(), rorder.data()};

    // The resident table: every right record, in row order, code points exact.
    const nm::gpu::ResidentLayout rl = nm::gpu::resident_layout(prep);
    CHECK(rl.n_records == right_fuzzy.records.size());
    CHECK(rl.records_off % 16 == 0);
    CHECK(rl.cps_off % 16 == 0);
    CHECK(rl.records_off + size_t{rl.n_records} * sizeof(nm::kernels::DevRecord) <= rl.cps_off);
    size_t cps = 0;
    uint32_t max_len = 0;
    for (const FuzzyRecord& r : right_fuzzy.records) {
      cps += record_cps(r);
      max_len = std::max({max_len, r.full_len, r.part_len[0], r.part_len[1], r.part_len[2]});
    }
    CHECK(rl.cps_off + cps * 4 <= rl.total);
    CHECK(rl.max_len == max_len);
    std::vector<unsigned char> rbuf(rl.total + 64 + 16, 0xCD);
    unsigned char* rbase =
        rbuf.data() + ((16 - reinterpret_cast<uintptr_t>(rbuf.data()) % 16) % 16);
    nm::gpu::pack_resident(prep, order, rl, rbase);
    for (size_t i = 0; i < 64; ++i) REQUIRE(rbase[rl.total + i] == 0xCD);
    const auto* recs = reinterpret_cast<const nm::kernels::DevRecord*>(rbase + rl.records_off);
    const auto* rcps = reinterpret_cast<const uint32_t*>(rbase + rl.cps_off);
    for (uint32_t row = 0; row < rl.n_records; ++row)
      check_record(recs[row], rcps, static_cast<uint32_t>(cps), right_fuzzy, rtab, row,
                   rorder[row]);

    // Batches for it: no right records, columns name table rows; every pair once.
    const TilePacker packer(prep, jobs, order, true);
    const TilePacker plain(prep, jobs, order, false);
    std::map<PairKey, int> seen;
    ColumnCursor cur = packer.start();
    size_t batches = 0;
    while (!packer.at_end(cur)) {
      const BatchSpan s = packer.next_span(cur, 300, 6000);
      const BatchSpan p = plain.next_span(cur, 300, ~size_t{0});
      CHECK(s.bytes <= p.bytes);  // smaller without the right records
      const Packed b(packer, s);
      check_batch(b, prep, f.lorder.data(), rorder.data(), seen, true);
      const nm::kernels::TileView v =
          nm::gpu::view_of(b.lay, b.base, true, dedupe, 0.8f, &rl, rbase);
      CHECK(static_cast<const void*>(v.right) == rbase + rl.records_off);
      CHECK(static_cast<const void*>(v.right_cps) == rbase + rl.cps_off);
      CHECK(static_cast<const void*>(v.cps) == b.base + b.lay.cps_off);
      cur = s.end;
      ++batches;
    }
    CHECK(batches > 3);
    CHECK(seen == expected_pairs(jobs));
    // Without a resident table, view_of reads the right records from the batch.
    const Packed b(plain, plain.next_span(plain.start(), 300, ~size_t{0}));
    const nm::kernels::TileView v = nm::gpu::view_of(b.lay, b.base, true, dedupe, 0.8f);
    CHECK(static_cast<const void*>(v.right) == b.base + b.lay.right_off);
    CHECK(v.right_cps == v.cps);
  }
}
