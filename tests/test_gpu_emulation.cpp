// The GPU backend run on the CPU emulation of the device (EmulatedDevice +
// kernels::emulate_fused_kernel) must equal the CPU backend bit for bit: random
// tables over algorithms, thresholds, dedupe, tile sizes, emulated grid sizes,
// batch sizes and with / without the resident right table; hand-made blocks whose pair counts sit
// on the kernel's block size and the batch size; and the kernel function itself, run with different
// grids and checked against a pair-by-pair evaluation of the rule.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <memory>
#include <numeric>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/fused_tile.hpp"
#include "src/match/engine.hpp"
#include "src/gpu/buffer_pool.hpp"
#include "src/gpu/emulated_device.hpp"
#include "src/gpu/gpu_scorer.hpp"
#include "src/gpu/selftest.hpp"
#include "src/gpu/tile_packer.hpp"
#include "tests/support/gpu_rig.hpp"

namespace {

using nm::MatchOptions;
using nm::RawTable;
using nm::gpu::BackendComparison;
using nm::gpu::EmulatedDevice;
using nm::gpu::GpuOptions;

// The rig of a configuration: grid cap and threads of the emulated device;
// resident: the right table stays on the device, else it travels with each batch.
struct Rig : nm::test::GpuRig {
  Rig(uint32_t max_grid, unsigned threads, GpuOptions go, bool resident = true)
      : GpuRig(device_options(max_grid, threads), with(go, resident)) {}
  static GpuOptions with(GpuOptions go, bool resident) {
    if (!resident) go.resident_right_bytes = 0;
    return go;
  }
  static EmulatedDevice::Options device_options(uint32_t max_grid, unsigned threads) {
    EmulatedDevice::Options o;
    o.max_grid = max_grid;
    o.threads = threads;
    return o;
  }
};

uint64_t hist_sum(const nm::ScoreHistogram& h) {
  return std::accumulate(h.begin(), h.end(), uint64_t{0});
}

struct Config {
  int algorithm;
  float threshold;
  bool exhaustive, dedupe;
  uint64_t tile_pairs;
  uint32_t max_grid;
  unsigned threads;
  uint64_t batch_pairs;
};

std::string describe(const Config& c, bool resident) {
  return "A" + std::to_string(c.algorithm) + " threshold " + std::to_string(c.threshold) +
         (c.exhaustive ? " exhaustive" : "") + (c.dedupe ? " dedupe" : "") + " tile_pairs " +
         std::to_string(c.tile_pairs) + " max_grid " + std::to_string(c.max_grid) + " threads " +
         std::to_string(c.threads) + " batch_pairs " + std::to_string(c.batch_pairs) +
         (resident ? " resident right table" : " right records in the batches");
}

BackendComparison run_config(const Config& c, bool resident, const RawTable& left,
                             const RawTable& right) {
  MatchOptions m;
  m.algorithm = c.algorithm;
  m.threshold = c.threshold;
  m.exhaustive = c.exhaustive;
  m.dedupe = c.dedupe;
  m.threads = c.threads;
  m.tile_pairs = c.tile_pairs;
  GpuOptions go;
  go.batch_pairs = c.batch_pairs;
  Rig rig(c.max_grid, c.threads, go, resident);
  BackendComparison r = nm::gpu::compare_backends(left, right, m, rig.scorer, c.threads);
  CHECK(rig.scorer.stats().resident_uploads == (resident ? 1u : 0u));
  // Every batch went through the device.
  CHECK(rig.scorer.stats().candidate_pairs >= r.device_pairs_scored);
  CHECK(rig.dev.launches() == rig.scorer.stats().launches);
  return r;
}

// ---- hand-made tables ------------------------------------------------------

struct Name {
  const char* first;
  const char* middle;
  const char* last;
};

constexpr const char* kLong =
    "DE LA CRUZ VAN DER BERG SANTOS OLIVEIRA PEREIRA FERNANDES RODRIGUES GONZALEZ";  // > 64
constexpr const char* kLongEdit =
    "DE LA CRUZ VAN DER BERG SANTOS OLIVIERA PEREIRA FERNANDES RODRIGUES GONZALEZ";

// The right record of a hand-made block, and names around it.
const Name kRightNames[] = {
    {"JOHN", "MICHAEL", "SMITH"},
    {"MARIA", "", kLong},              // over 64 code points: the exact (DP) path
    {"Łukasz", "Văn", "Nguyễn"},       // non-ASCII
    {"王小明", "", "王"},              // CJK
};

const Name kOtherNames[] = {
    {"JON", "MICHAEL", "SMITH"},        // one edit
    {"JOHN", "MICHAEL", "SMYTH"},       // one edit
    {"JOHN", "", "SMITH"},              // no middle
    {"", "MICHAEL", "SMITH"},           // empty first name
    {"JOHN", "MICHAEL", ""},            // empty last name
    {"MARIA", "", kLongEdit},           // long, one edit
    {"MARIA", "", kLong},               // long, identical to a right name
    {"Lukasz", "Văn", "Nguyễn"},        // one edit (diacritic dropped)
    {"Łukasz", "Van", "Nguyen"},        // two edits
    {"Łukasz", "Văn", "Nguyễn"},        // identical
    {"王晓明", "", "王"},               // one CJK edit
    {"王小明", "", "王"},               // identical
    {"ELIZABETH", "", "GARCIA"},        // unrelated
    {"JOHN", "MICHAEL", "SMITH"},       // identical
    {"JOHNATHAN", "M", "SMITHSON"},     // several edits
};

constexpr int32_t kDay = 9000;

void push(RawTable& t, const Name& n, int32_t date = kDay) {
  const std::string id = std::to_string(t.size() + 1);
  t.push({id, "", n.first, n.middle, n.last, ""}, date, t.size() + 2);
}

// `count` keyed records: the name `same` first (a direct match), then the
// others in turn; plus two records that can never pair (no name at all, no
// birthdate) and one of `other_day` (a block absent on the other side).
RawTable hand_table(size_t count, const Name& same, int32_t other_day) {
  RawTable t;
  t.source = "hand";
  push(t, {"", "", ""});                    // no name: no key
  push(t, {"JOHN", "", "SMITH"}, nm::kNoDate);  // no birthdate: no key
  for (size_t i = 0; i < count; ++i)
    push(t, i == 0 ? same : kOtherNames[(i - 1) % (sizeof kOtherNames / sizeof kOtherNames[0])]);
  push(t, same, other_day);
  return t;
}

// One run of the kernel function alone, with fresh outputs; survivors sorted.
struct KernelRun {
  std::vector<nm::kernels::Survivor> out;
  uint32_t count = 0;
  unsigned long long scored = 0;
  std::array<unsigned long long, nm::kernels::kHistBins> hist{};
};

KernelRun run_kernel(nm::kernels::TileView v, uint32_t grid, uint32_t capacity, uint32_t max_len) {
  KernelRun r;
  r.out.resize(capacity);  // exactly `capacity`: a write beyond is caught by ASan
  const uint32_t words = nm::kernels::metric_scratch_words(max_len) + 8;
  std::vector<uint32_t> scratch(size_t{grid} * nm::kernels::kBlockThreads * words);
  auto shared = std::make_unique<nm::kernels::BlockShared>();  // the block's shared memory
  v.out = r.out.data();
  v.capacity = capacity;
  v.survivors = &r.count;
  v.scored = &r.scored;
  v.hist = r.hist.data();
  v.scratch = scratch.data();
  v.scratch_words = words;
  nm::kernels::emulate_fused_kernel(v, grid, nm::kernels::kBlockThreads, *shared);
  r.out.resize(std::min(r.count, capacity));
  std::sort(r.out.begin(), r.out.end(),
            [](const nm::kernels::Survivor& a, const nm::kernels::Survivor& b) {
              return std::tie(a.col, a.left) < std::tie(b.col, b.left);
            });
  return r;
}

bool same_survivor(const nm::kernels::Survivor& a, const nm::kernels::Survivor& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

}  // namespace

TEST_CASE("gpu emulation: random tables, every configuration equals the CPU backend") {
  nm::gpu::RandomTableOptions o;
  o.rows = 320;
  o.dates = 3;
  o.long_names = 0.05;
  o.empty_names = 0.04;
  const RawTable left = nm::gpu::random_table(101, o);
  o.rows = 280;
  const RawTable right = nm::gpu::random_table(102, o, &left);

  constexpr uint64_t kSmallTile = 50, kLargeTile = 1 << 18;
  constexpr uint64_t kSmallBatch = 40, kLargeBatch = 1 << 20;
  // algorithm, threshold, exhaustive, dedupe, tile_pairs, max_grid, threads, batch_pairs
  const Config configs[] = {
      {3, 0.95f, false, false, kLargeTile, 64, 1, kLargeBatch},
      {3, 0.95f, true, false, kSmallTile, 3, 2, kSmallBatch},
      {3, 0.80f, false, false, kSmallTile, 1, 1, kSmallBatch},
      {3, 0.70f, true, false, kLargeTile, 64, 2, kSmallBatch},
      {3, 0.80f, false, true, kSmallTile, 3, 1, kLargeBatch},
      {3, 0.70f, true, true, kLargeTile, 1, 2, kSmallBatch},
      {3, 0.95f, false, true, kLargeTile, 3, 2, kSmallBatch},
      {3, 0.70f, false, false, kLargeTile, 3, 2, kLargeBatch},
      {3, 0.80f, false, false, kLargeTile, 3, 1, 1},  // every column its own batch
      {4, 0.95f, false, false, kSmallTile, 1, 2, kSmallBatch},
      {4, 0.95f, true, false, kLargeTile, 3, 1, kLargeBatch},
      {4, 0.80f, false, false, kLargeTile, 64, 2, kSmallBatch},
      {4, 0.70f, false, false, kSmallTile, 3, 1, kSmallBatch},
      {4, 0.80f, false, true, kLargeTile, 1, 1, kSmallBatch},
      {4, 0.95f, false, true, kSmallTile, 64, 2, kLargeBatch},
      {4, 0.70f, true, true, kSmallTile, 64, 1, kSmallBatch},
      {4, 0.80f, true, false, kSmallTile, 1, 2, kLargeBatch},
      {4, 0.70f, false, false, kLargeTile, 64, 1, 1},
  };
  for (size_t i = 0; i < std::size(configs); ++i) {
    const Config& c = configs[i];
    const bool resident = i % 2 == 0;
    INFO(describe(c, resident));
    const BackendComparison r = run_config(c, resident, left, right);
    CHECK_MESSAGE(r.equal, r.first_difference);
    CHECK(r.device_pairs_scored > 0);
    CHECK(r.device_kept > 0);  // the right table copies left rows: there are matches
    CHECK(r.device_kept == r.cpu_kept);
    CHECK(hist_sum(r.device_hist) >= r.device_kept);
  }
}

TEST_CASE("gpu emulation: block and batch edge sizes on hand-made tables") {
  constexpr uint64_t kBatch = 256;
  const size_t sizes[] = {0, 1, 31, 32, 33, 127, 128, 129, kBatch - 1, kBatch, kBatch + 1};
  int run = 0;
  for (const Name& rn : kRightNames) {
    for (size_t n : sizes) {
      // n x 1 (one column of n pairs), 1 x n (n columns of one pair), n x 2.
      for (int shape = 0; shape < 3; ++shape) {
        RawTable left, right;
        uint64_t want_pairs = 0;
        if (shape == 0) {
          left = hand_table(n, rn, kDay + 1);
          right = hand_table(1, rn, kDay + 2);
          want_pairs = n;
        } else if (shape == 1) {
          left = hand_table(n == 0 ? 0 : 1, rn, kDay + 1);
          right = hand_table(n, rn, kDay + 2);
          want_pairs = n == 0 ? 0 : n;
        } else {
          left = hand_table(n, rn, kDay + 1);
          right = hand_table(2, rn, kDay + 2);
          want_pairs = 2 * n;
        }
        for (int algorithm : {3, 4}) {
          if (algorithm == 4 && shape != 2) continue;
          MatchOptions m;
          m.algorithm = algorithm;
          m.threshold = 0.7f;
          m.exhaustive = true;
          m.threads = 1 + static_cast<unsigned>(run % 2);
          GpuOptions go;
          go.batch_pairs = kBatch;
          const uint32_t grid = run % 3 == 0 ? 1 : (run % 3 == 1 ? 3 : 64);
          const bool resident = (run / 3) % 2 == 0;
          Rig rig(grid, m.threads, go, resident);
          INFO("right name " << rn.first << " " << rn.middle << " " << rn.last << ", n " << n
                             << ", shape " << shape << ", A" << algorithm << ", grid " << grid
                             << (resident ? ", resident" : ""));
          const BackendComparison r = nm::gpu::compare_backends(left, right, m, rig.scorer, m.threads);
          CHECK_MESSAGE(r.equal, r.first_difference);
          CHECK(r.device_pairs_scored == want_pairs);
          CHECK(r.cpu_pairs_scored == want_pairs);
          if (want_pairs > 0) {
            CHECK(r.device_kept >= 1);  // the identical name is a direct match
            CHECK(r.device_hist[100] >= 1);
          } else {
            CHECK(r.device_kept == 0);
            CHECK(rig.scorer.stats().batches == 0);
          }
          // Batches: a column is never split, so one column of n > batch pairs is
          // one batch; n columns of one pair fill batches of kBatch columns.
          uint64_t want_batches = 0;
          if (n > 0) want_batches = shape == 0 ? 1 : shape == 1 ? (n + kBatch - 1) / kBatch
                                                               : (2 * n <= kBatch ? 1 : 2);
          CHECK(rig.scorer.stats().batches == want_batches);
          CHECK(rig.scorer.stats().candidate_pairs == want_pairs);
          ++run;
        }
      }
    }
  }
}

TEST_CASE("gpu emulation: the kernel function with grid 1 and grid 7, against the rule pair by pair") {
  nm::gpu::RandomTableOptions o;
  o.rows = 220;
  o.dates = 2;
  o.long_names = 0.05;
  const RawTable left = nm::gpu::random_table(31, o);
  o.rows = 160;
  const RawTable right = nm::gpu::random_table(32, o, &left);
  for (int algorithm : {3, 4}) {
    CAPTURE(algorithm);
    MatchOptions m;
    m.algorithm = algorithm;
    m.threshold = 0.75f;
    m.exhaustive = true;
    const nm::PreparedTables prep(left, right, m, false, 1);
    std::vector<nm::ScoreJob> jobs(1);
    jobs[0].left_rows = nm::sort_by_key(prep.left_keys, 1);
    jobs[0].right_rows = nm::sort_by_key(prep.right_keys, 1);
    jobs[0].chunk_plan = nm::plan_chunks(jobs[0].left_rows, jobs[0].right_rows, 1 << 20);
    const nm::PairOrder order{};
    const nm::gpu::TilePacker packer(prep, jobs, order);
    const nm::gpu::BatchSpan span = packer.next_span(packer.start(), ~uint64_t{0}, ~size_t{0});
    REQUIRE(packer.at_end(span.end));
    const nm::gpu::BatchLayout lay = packer.layout(span);
    REQUIRE(lay.n_groups > 7);  // grid 7 strides over more than one group per block
    std::vector<uint64_t> buf((lay.total + 7) / 8);
    const nm::gpu::BatchMap map = packer.pack(span, lay, buf.data());
    const nm::kernels::TileView v =
        nm::gpu::view_of(lay, buf.data(), prep.with_middle, false, prep.keep);

    const uint32_t big = static_cast<uint32_t>(span.pairs);
    const KernelRun g1 = run_kernel(v, 1, big, lay.max_len);
    const KernelRun g7 = run_kernel(v, 7, big, lay.max_len);
    CHECK(g1.count == g7.count);
    CHECK(g1.scored == g7.scored);
    CHECK(g1.hist == g7.hist);
    REQUIRE(g1.out.size() == g7.out.size());
    for (size_t i = 0; i < g1.out.size(); ++i) CHECK(same_survivor(g1.out[i], g7.out[i]));

    // The rule pair by pair on the prepared tables (no bit-parallel pattern).
    std::vector<nm::kernels::Survivor> want;
    std::array<unsigned long long, nm::kernels::kHistBins> hist{};
    unsigned long long scored = 0;
    std::vector<uint32_t> scratch(nm::kernels::metric_scratch_words(lay.max_len) + 8);
    const auto* cols = reinterpret_cast<const nm::kernels::DevColumn*>(
        reinterpret_cast<const unsigned char*>(buf.data()) + lay.cols_off);
    for (uint32_t c = 0; c < lay.n_cols; ++c) {
      for (uint32_t i = 0; i < cols[c].left_count; ++i) {
        const uint32_t li = cols[c].left_begin + i;
        const uint32_t lrow = map.left_rows[li], rrow = map.col_right_rows[c];
        REQUIRE(left.birthdate[lrow] == right.birthdate[rrow]);
        ++scored;
        const nm::kernels::PairScore s =
            nm::kernels::score_fuzzy_pair(prep.left_fuzzy.view(lrow), prep.right_fuzzy().view(rrow),
                                          nullptr, prep.with_middle, scratch.data());
        if (s.label == nm::kernels::kNoMatch) continue;
        ++hist[s.score >= 100.0 ? 100 : static_cast<size_t>(s.score)];
        if (s.confidence >= prep.keep)
          want.push_back({c, li, s.confidence, static_cast<float>(s.lev), static_cast<float>(s.jw),
                          static_cast<float>(s.mp), s.label});
      }
    }
    CHECK(scored == span.pairs);
    CHECK(g1.scored == scored);
    CHECK(g1.hist == hist);
    REQUIRE(want.size() > 10);
    REQUIRE(g1.count == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      INFO("survivor " << i << " col " << want[i].col << " left " << want[i].left);
      CHECK(same_survivor(g1.out[i], want[i]));
    }

    // The same batch packed for a resident right table: the same survivors.
    {
      const nm::gpu::ResidentLayout rl = nm::gpu::resident_layout(prep);
      std::vector<uint64_t> rbuf((rl.total + 7) / 8);
      nm::gpu::pack_resident(prep, order, rl, rbuf.data());
      const nm::gpu::TilePacker rpacker(prep, jobs, order, true);
      const nm::gpu::BatchSpan rspan = rpacker.next_span(rpacker.start(), ~uint64_t{0}, ~size_t{0});
      REQUIRE(rspan.columns == span.columns);
      const nm::gpu::BatchLayout rlay = rpacker.layout(rspan);
      std::vector<uint64_t> rb((rlay.total + 7) / 8);
      const nm::gpu::BatchMap rmap = rpacker.pack(rspan, rlay, rb.data());
      CHECK(rmap.left_rows == map.left_rows);
      CHECK(rmap.col_right_rows == map.col_right_rows);
      const nm::kernels::TileView rv =
          nm::gpu::view_of(rlay, rb.data(), prep.with_middle, false, prep.keep, &rl, rbuf.data());
      const KernelRun r5 = run_kernel(rv, 5, big, std::max(rlay.max_len, rl.max_len));
      CHECK(r5.count == g1.count);
      CHECK(r5.scored == g1.scored);
      CHECK(r5.hist == g1.hist);
      REQUIRE(r5.out.size() == g1.out.size());
      for (size_t i = 0; i < g1.out.size(); ++i) CHECK(same_survivor(r5.out[i], g1.out[i]));
    }

    // Fewer slots than survivors: the counter still counts them all, only
    // `capacity` are written (and only survivors), nothing beyond.
    const uint32_t cap = g1.count / 3;
    const KernelRun small = run_kernel(v, 7, cap, lay.max_len);
    CHECK(small.count == g1.count);
    CHECK(small.scored == g1.scored);
    CHECK(small.hist == g1.hist);
    REQUIRE(small.out.size() == cap);
    for (const nm::kernels::Survivor& s : small.out)
      CHECK(std::binary_search(g1.out.begin(), g1.out.end(), s,
                               [](const nm::kernels::Survivor& a, const nm::kernels::Survivor& b) {
                                 return std::tie(a.col, a.left) < std::tie(b.col, b.left);
                               }));
  }
}
