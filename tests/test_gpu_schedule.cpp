// The GPU backend's host-side schedule, seen through the operation log of the
// emulated device: per batch copy -> fill -> launch -> counter copy -> record
// on one stream, slots taken round robin, the next batch's copy queued before
// the host waits on the previous one, waits only on recorded events, device
// buffers allocated once per slot. Then the recovery paths: out of device
// memory (halving, a clear error when one column cannot fit), a failed launch,
// survivor-list overflow (rerun without counting twice), and the resident
// right table (sent once per table, waited for, skipped when it cannot fit).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/match/engine.hpp"
#include "src/gpu/buffer_pool.hpp"
#include "src/gpu/emulated_device.hpp"
#include "src/gpu/gpu_scorer.hpp"
#include "src/gpu/selftest.hpp"
#include "tests/support/gpu_rig.hpp"

namespace {

using nm::MatchOptions;
using nm::RawTable;
using nm::gpu::BackendComparison;
using nm::gpu::DeviceOp;
using nm::gpu::EmulatedDevice;
using nm::gpu::GpuOptions;

// The rig of the schedule tests: the device records its operations.
struct Rig : nm::test::GpuRig {
  Rig(GpuOptions go, size_t memory = size_t{16} << 30, uint32_t max_grid = 4)
      : GpuRig(options(memory, max_grid), go) {}
  static EmulatedDevice::Options options(size_t memory, uint32_t max_grid) {
    EmulatedDevice::Options o;
    o.record_ops = true;
    o.memory_bytes = memory;
    o.max_grid = max_grid;
    return o;
  }
};

// Uniform blocks: `dates` days, each with `nl` left and `nr` right records
// whose names all have the same lengths, so every batch packs to the same size.
void uniform_tables(RawTable& left, RawTable& right, int dates, int nl, int nr) {
  const char* firsts[] = {"ANNA", "ANNE", "JOHN", "JOAN"};
  const char* lasts[] = {"SMITH", "SMYTH", "JONES", "JONAS"};
  int k = 0;
  for (int d = 0; d < dates; ++d) {
    for (int i = 0; i < nl + nr; ++i, ++k) {
      RawTable& t = i < nl ? left : right;
      const std::string id = std::to_string(t.size() + 1);
      t.push({id, "", firsts[k % 4], "", lasts[(k / 4) % 4], ""}, 8000 + d, t.size() + 2);
    }
  }
}

MatchOptions a3(float threshold) {
  MatchOptions m;
  m.algorithm = 3;
  m.threshold = threshold;
  m.exhaustive = true;
  m.threads = 1;
  return m;
}

struct Batch {
  size_t copy, fill, launch, count_copy, record;
  int stream, event;
};

// The batches of a log: every launch with the four operations around it.
std::vector<Batch> batches_of(const std::vector<DeviceOp>& ops) {
  std::vector<Batch> out;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind != DeviceOp::kLaunch) continue;
    REQUIRE(i >= 2);
    REQUIRE(i + 2 < ops.size());
    const int s = ops[i].stream;
    CHECK(s >= 0);
    CHECK(ops[i - 2].kind == DeviceOp::kCopyToDevice);
    CHECK(ops[i - 2].stream == s);
    CHECK(ops[i - 2].bytes > 0);
    CHECK(ops[i - 1].kind == DeviceOp::kFill);
    CHECK(ops[i - 1].stream == s);
    CHECK(ops[i - 1].bytes == sizeof(uint32_t));
    CHECK(ops[i + 1].kind == DeviceOp::kCopyToHost);
    CHECK(ops[i + 1].stream == s);
    CHECK(ops[i + 1].bytes == sizeof(uint32_t));
    CHECK(ops[i + 2].kind == DeviceOp::kRecord);
    CHECK(ops[i + 2].stream == s);
    out.push_back({i - 2, i - 1, i, i + 1, i + 2, s, ops[i + 2].event});
  }
  return out;
}

// Index of the first wait on `event` after `from`, or ops.size().
size_t first_wait(const std::vector<DeviceOp>& ops, int event, size_t from) {
  for (size_t i = from; i < ops.size(); ++i)
    if (ops[i].kind == DeviceOp::kWait && ops[i].event == event) return i;
  return ops.size();
}

// One job over left x right as compare_backends builds it.
std::vector<nm::ScoreJob> one_job(const nm::PreparedTables& prep, uint64_t tile_pairs) {
  std::vector<nm::ScoreJob> jobs(1);
  jobs[0].left_rows = nm::sort_by_key(prep.left_keys, 1);
  jobs[0].right_rows = nm::sort_by_key(prep.right_keys, 1);
  jobs[0].chunk_plan = nm::plan_chunks(jobs[0].left_rows, jobs[0].right_rows, tile_pairs);
  jobs[0].tag = 3;
  return jobs;
}

// Kept pairs sorted by rows, compared field by field (floats bit for bit).
bool same_pairs(std::vector<nm::ScoredPair> a, std::vector<nm::ScoredPair> b) {
  auto by_rows = [](const nm::ScoredPair& x, const nm::ScoredPair& y) {
    return x.left != y.left ? x.left < y.left : x.right < y.right;
  };
  std::sort(a.begin(), a.end(), by_rows);
  std::sort(b.begin(), b.end(), by_rows);
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const nm::ScoredPair& x = a[i];
    const nm::ScoredPair& y = b[i];
    if (x.left != y.left || x.right != y.right || x.tile != y.tile || x.label != y.label ||
        std::memcmp(&x.confidence, &y.confidence, sizeof(float)) != 0 ||
        std::memcmp(&x.lev, &y.lev, sizeof(float)) != 0 ||
        std::memcmp(&x.jw, &y.jw, sizeof(float)) != 0 || std::memcmp(&x.mp, &y.mp, sizeof(float)) != 0)
      return false;
  }
  return true;
}

uint64_t hist_sum(const nm::ScoreHistogram& h) {
  return std::accumulate(h.begin(), h.end(), uint64_t{0});
}

}  // namespace

TEST_CASE("gpu schedule: streams, events, overlap and buffer reuse in the operation log") {
  RawTable left, right;
  uniform_tables(left, right, 8, 16, 8);  // 8 blocks of 16 x 8: 64 columns of 16 pairs
  for (int mode = 0; mode < 4; ++mode) {
    const int streams = 2 + mode % 2;
    const bool resident = mode >= 2;
    CAPTURE(streams);
    CAPTURE(resident);
    GpuOptions go;
    go.streams = streams;
    go.batch_pairs = 64;  // 4 columns a batch, two batches a block: 16 batches
    if (!resident) go.resident_right_bytes = 0;
    Rig rig(go);
    rig.dev.clear_ops();  // the constructor's allocations and zeroing
    const BackendComparison r = nm::gpu::compare_backends(left, right, a3(0.7f), rig.scorer, 1);
    CHECK_MESSAGE(r.equal, r.first_difference);
    CHECK(r.device_kept > 0);
    const std::vector<DeviceOp> ops = rig.dev.ops();
    const std::vector<Batch> b = batches_of(ops);
    REQUIRE(b.size() == 16);
    CHECK(rig.scorer.stats().batches == 16);
    CHECK(rig.scorer.stats().launches == 16);
    CHECK(rig.scorer.stats().overflow_reruns == 0);
    CHECK(rig.scorer.stats().oom_halvings == 0);
    CHECK(rig.scorer.stats().resident_uploads == (resident ? 1u : 0u));
    if (resident) {
      // The right table is copied once, and the host waits for that copy
      // before any batch (on any stream) can read it.
      size_t rc = ops.size();
      for (size_t i = 0; i < b[0].copy; ++i)
        if (ops[i].kind == DeviceOp::kCopyToDevice && ops[i].bytes == rig.scorer.stats().resident_bytes)
          rc = i;
      REQUIRE(rc < b[0].copy);
      bool waited = false;
      for (size_t i = rc + 1; i < b[0].launch && !waited; ++i)
        if (ops[i].kind == DeviceOp::kRecord && ops[i].stream == ops[rc].stream) {
          const size_t w = first_wait(ops, ops[i].event, i + 1);
          waited = w < b[0].launch;
        }
      CHECK(waited);
    }

    // Slots round robin: S distinct streams and events, then repeating.
    const size_t S = static_cast<size_t>(streams);
    for (size_t k = 0; k < b.size(); ++k) {
      CAPTURE(k);
      if (k < S) {
        for (size_t j = 0; j < k; ++j) {
          CHECK(b[k].stream != b[j].stream);
          CHECK(b[k].event != b[j].event);
        }
      } else {
        CHECK(b[k].stream == b[k - S].stream);
        CHECK(b[k].event == b[k - S].event);
      }
      const size_t w = first_wait(ops, b[k].event, b[k].record + 1);
      REQUIRE(w < ops.size());  // every batch is waited for
      // Overlap: batch k+1's copy is queued before the host waits on batch k.
      if (k + 1 < b.size()) CHECK(b[k + 1].copy < w);
      // A slot is reused only after the host waited on its previous batch.
      if (k + S < b.size()) CHECK(w < b[k + S].copy);
      // After the wait: the survivors come back on the batch's own stream.
      if (w + 1 < ops.size() && ops[w + 1].kind == DeviceOp::kCopyToHost &&
          ops[w + 1].bytes != sizeof(uint32_t)) {
        CHECK(ops[w + 1].stream == b[k].stream);
        CHECK(ops[w + 1].bytes % sizeof(nm::kernels::Survivor) == 0);
        REQUIRE(w + 3 < ops.size());
        CHECK(ops[w + 2].kind == DeviceOp::kRecord);
        CHECK(ops[w + 2].event == b[k].event);
        CHECK(ops[w + 3].kind == DeviceOp::kWait);
        CHECK(ops[w + 3].event == b[k].event);
      }
    }

    // The host waits only on events, and only on events already recorded.
    std::map<int, size_t> records;
    size_t allocs = 0, frees = 0, last_alloc = 0, survivor_copies = 0;
    for (size_t i = 0; i < ops.size(); ++i) {
      const DeviceOp& op = ops[i];
      switch (op.kind) {
        case DeviceOp::kRecord:
          CHECK(op.stream >= 0);
          ++records[op.event];
          break;
        case DeviceOp::kWait:
          CHECK(op.stream == -1);
          CHECK(op.event >= 0);
          CHECK(records[op.event] > 0);
          break;
        case DeviceOp::kAlloc:
          ++allocs;
          last_alloc = i;
          break;
        case DeviceOp::kFree:
          ++frees;
          break;
        case DeviceOp::kCopyToHost:
          if (op.bytes != sizeof(uint32_t) && op.bytes % sizeof(nm::kernels::Survivor) == 0 &&
              op.bytes != nm::gpu::kDeviceCounterWords * sizeof(uint64_t))
            ++survivor_copies;
          break;
        default:
          CHECK(op.stream >= 0);  // copies, fills and launches are stream-ordered
      }
    }
    CHECK(survivor_copies > 0);
    // Device buffers (input, scratch, survivors, counter) once per slot, then
    // reused; plus the resident right table.
    CHECK(allocs == 4 * S + (resident ? 1 : 0));
    CHECK(frees == 0);
    CHECK(last_alloc < b[S - 1].launch);
  }
}

TEST_CASE("gpu schedule: out of device memory halves the batch, results unchanged") {
  nm::gpu::RandomTableOptions o;
  o.rows = 300;
  o.dates = 3;
  const RawTable left = nm::gpu::random_table(41, o);
  o.rows = 250;
  const RawTable right = nm::gpu::random_table(42, o, &left);
  const MatchOptions m = a3(0.7f);
  GpuOptions go;
  go.batch_pairs = 6000;

  // The peak device memory of the run with enough memory.
  size_t peak = 0;
  uint64_t batches = 0;
  {
    Rig rig(go);
    const BackendComparison r = nm::gpu::compare_backends(left, right, m, rig.scorer, 1);
    REQUIRE(r.equal);
    size_t in_use = 0;
    for (const DeviceOp& op : rig.dev.ops()) {
      if (op.kind == DeviceOp::kAlloc) in_use += op.bytes;
      if (op.kind == DeviceOp::kFree) in_use -= op.bytes;
      peak = std::max(peak, in_use);
    }
    batches = rig.scorer.stats().batches;
    CHECK(rig.scorer.stats().oom_halvings == 0);
    REQUIRE(batches >= 3);
  }
  // One byte less: the same schedule cannot run, the backend must adapt.
  Rig rig(go, peak - 1);
  const BackendComparison r = nm::gpu::compare_backends(left, right, m, rig.scorer, 1);
  CHECK_MESSAGE(r.equal, r.first_difference);
  CHECK(r.device_kept > 0);
  const nm::gpu::GpuStats& st = rig.scorer.stats();
  CHECK(st.oom_halvings > 0);
  CHECK(st.batches > batches);
  CHECK(rig.scorer.options().batch_pairs < go.batch_pairs);  // the budget was lowered
  std::vector<std::string> retries;
  for (const std::string& line : rig.reports)
    if (line.find("retrying") != std::string::npos) retries.push_back(line);
  REQUIRE(retries.size() == st.oom_halvings);  // one line per halving
  CHECK(retries[0].find("out of memory") != std::string::npos);
  CHECK(rig.dev.bytes_in_use() <= peak - 1);
}

TEST_CASE("gpu schedule: a failed launch is retried with half the batch") {
  nm::gpu::RandomTableOptions o;
  o.rows = 200;
  o.dates = 2;
  const RawTable left = nm::gpu::random_table(51, o);
  const RawTable right = nm::gpu::random_table(52, o, &left);
  GpuOptions go;
  go.batch_pairs = 5000;
  Rig rig(go);
  rig.dev.fail_next_launches(1);
  const BackendComparison r = nm::gpu::compare_backends(left, right, a3(0.8f), rig.scorer, 1);
  CHECK_MESSAGE(r.equal, r.first_difference);
  CHECK(r.device_kept > 0);
  CHECK(rig.scorer.stats().oom_halvings == 1);
  REQUIRE(rig.reports.size() == 1);
  CHECK(rig.reports[0].find("out of memory") != std::string::npos);
  // The failed launch ran nothing: launches are the batches.
  CHECK(rig.scorer.stats().launches == rig.scorer.stats().batches);
  CHECK(rig.dev.launches() == rig.scorer.stats().launches);
}

TEST_CASE("gpu schedule: a column that cannot fit on the device is a clear DeviceError") {
  nm::gpu::RandomTableOptions o;
  o.rows = 150;
  o.dates = 2;
  const RawTable left = nm::gpu::random_table(61, o);
  const RawTable right = nm::gpu::random_table(62, o, &left);
  for (int how = 0; how < 2; ++how) {
    CAPTURE(how);
    GpuOptions go;
    go.batch_pairs = 3000;
    Rig rig(go);
    if (how == 0)
      rig.dev.set_memory_bytes(rig.dev.bytes_in_use() + 100);  // only the counters fit
    else
      rig.dev.fail_next_launches(1000);  // every launch fails
    std::string message;
    try {
      (void)nm::gpu::compare_backends(left, right, a3(0.8f), rig.scorer, 1);
    } catch (const nm::gpu::DeviceError& e) {
      message = e.what();
    }
    INFO(message);
    CHECK(message.find("out of memory for a single column") != std::string::npos);
    CHECK(message.find("pairs") != std::string::npos);
    CHECK(rig.scorer.stats().oom_halvings > 0);  // halved down to one column first
    size_t retry_lines = 0;
    for (const std::string& line : rig.reports) retry_lines += line.find("retrying") != std::string::npos;
    CHECK(retry_lines == rig.scorer.stats().oom_halvings);
  }
}

TEST_CASE("gpu schedule: survivor list overflow reruns the batch without counting twice") {
  // Blocks of identical names: every pair is a direct match, far more
  // survivors than a tiny list holds.
  RawTable left, right;
  for (int d = 0; d < 3; ++d) {
    for (int i = 0; i < 40; ++i) {
      left.push({std::to_string(left.size() + 1), "", "JOHN", "", i % 5 ? "SMITH" : "SMYTH", ""},
                8000 + d, left.size() + 2);
      right.push({std::to_string(right.size() + 1), "", "JOHN", "", "SMITH", ""}, 8000 + d,
                 right.size() + 2);
    }
  }
  for (int streams : {1, 2}) {
    CAPTURE(streams);
    GpuOptions go;
    go.batch_pairs = 800;  // 20 columns of 40 pairs
    go.min_capacity = 1;
    go.streams = streams;
    Rig rig(go);
    const BackendComparison r = nm::gpu::compare_backends(left, right, a3(0.7f), rig.scorer, 1);
    CHECK_MESSAGE(r.equal, r.first_difference);
    const nm::gpu::GpuStats& st = rig.scorer.stats();
    CHECK(st.overflow_reruns > 0);
    CHECK(st.launches == st.batches + st.overflow_reruns);
    CHECK(rig.dev.launches() == st.launches);
    CHECK(r.cpu_pairs_scored == 3 * 40 * 40);
    CHECK(r.device_pairs_scored == r.cpu_pairs_scored);
    CHECK(r.device_kept == 3 * 40 * 40);  // every pair matches (one edit at worst)
    CHECK(hist_sum(r.device_hist) == 3 * 40 * 40);
    CHECK(r.device_hist == r.cpu_hist);
    CHECK(st.survivors == r.device_kept);
    const auto c = rig.scorer.counters();
    CHECK(c[0] == r.device_pairs_scored);  // first run counted, reruns not
    CHECK(c[1] == r.device_kept);
  }
  // Random data with a tiny list as well.
  nm::gpu::RandomTableOptions o;
  o.rows = 150;
  o.dates = 1;
  o.near_copy = 0.8;
  const RawTable l2 = nm::gpu::random_table(71, o);
  const RawTable r2 = nm::gpu::random_table(72, o, &l2);
  GpuOptions go;
  go.batch_pairs = 128;  // one column of 150 pairs a batch: 2 slots at first
  go.min_capacity = 1;
  Rig rig(go);
  const BackendComparison r = nm::gpu::compare_backends(l2, r2, a3(0.6f), rig.scorer, 1);
  CHECK_MESSAGE(r.equal, r.first_difference);
  CHECK(r.device_kept > 0);
  CHECK(rig.scorer.stats().overflow_reruns > 0);
}

TEST_CASE("gpu schedule: a survivor list that cannot grow reruns the batch in parts") {
  // 300 x 300 identical names on one date: 90,000 kept pairs, a list of
  // 2.5 MB that a device limited to 1.5 MB more cannot hold.
  RawTable left, right;
  for (int i = 0; i < 300; ++i) {
    left.push({std::to_string(i + 1), "", "JOHN", "", "SMITH", ""}, 8000, left.size() + 2);
    right.push({std::to_string(i + 1), "", "JOHN", "", "SMITH", ""}, 8000, right.size() + 2);
  }
  {
    GpuOptions go;
    go.min_capacity = 16;
    Rig rig(go);
    rig.dev.set_memory_bytes(rig.dev.bytes_in_use() + 1500000);
    const BackendComparison r = nm::gpu::compare_backends(left, right, a3(0.7f), rig.scorer, 1);
    CHECK_MESSAGE(r.equal, r.first_difference);
    CHECK(r.device_kept == 300 * 300);
    CHECK(r.device_hist == r.cpu_hist);
    const nm::gpu::GpuStats& st = rig.scorer.stats();
    CHECK(st.overflow_reruns == 1);
    CHECK(st.launches > st.batches + 1);  // the rerun took several launches
    const auto c = rig.scorer.counters();
    CHECK(c[0] == r.device_pairs_scored);  // the parts were not counted again
    CHECK(c[1] == r.device_kept);
    bool said = false;
    for (const auto& m : rig.reports) said = said || m.find("in parts") != std::string::npos;
    CHECK(said);
  }
  {
    // One column per batch, a list of 18 slots, no room to grow: even one
    // group keeps more than fits -> a clear error, not a raw DeviceOom. The
    // limit is what a run with room needs (its list grown), less one byte.
    GpuOptions go;
    go.min_capacity = 16;
    go.batch_pairs = 300;
    go.streams = 1;
    size_t with_room = 0;
    {
      Rig probe(go);
      const BackendComparison r = nm::gpu::compare_backends(left, right, a3(0.7f), probe.scorer, 1);
      CHECK(r.equal);
      CHECK(probe.scorer.stats().overflow_reruns > 0);
      with_room = probe.dev.bytes_in_use();
    }
    Rig rig(go);
    rig.dev.set_memory_bytes(with_room - 1);
    std::string what;
    try {
      (void)nm::gpu::compare_backends(left, right, a3(0.7f), rig.scorer, 1);
    } catch (const nm::gpu::DeviceError& e) {
      what = e.what();
    }
    CHECK(what.find("survivor slots") != std::string::npos);
    CHECK(what.find("--gpu-batch-pairs") != std::string::npos);
  }
}

TEST_CASE("gpu schedule: the resident right table is sent once per table and order") {
  nm::gpu::RandomTableOptions o;
  o.rows = 200;
  o.dates = 2;
  const RawTable left = nm::gpu::random_table(81, o);
  const RawTable right = nm::gpu::random_table(82, o, &left);
  const MatchOptions m = a3(0.8f);
  const nm::PreparedTables prep(left, right, m, false, 1);
  const std::vector<nm::ScoreJob> jobs = one_job(prep, 1 << 12);
  std::vector<nm::ScoredPair> cpu;
  const uint64_t cpu_scored = nm::score_jobs(prep, jobs, nm::PairOrder{}, 1, cpu);
  REQUIRE(!cpu.empty());

  GpuOptions go;
  go.batch_pairs = 3000;
  Rig rig(go);
  auto resident_allocs = [&] {
    size_t n = 0;
    for (const DeviceOp& op : rig.dev.ops())
      n += op.kind == DeviceOp::kAlloc && op.bytes == rig.scorer.stats().resident_bytes;
    return n;
  };
  std::vector<nm::ScoredPair> out;
  CHECK(rig.scorer.score(prep, jobs, nm::PairOrder{}, out) == cpu_scored);
  CHECK(same_pairs(out, cpu));
  CHECK(rig.scorer.stats().resident_uploads == 1);
  CHECK(rig.scorer.stats().resident_bytes > 0);
  // The same preparation again: the table is already there.
  out.clear();
  CHECK(rig.scorer.score(prep, jobs, nm::PairOrder{}, out) == cpu_scored);
  CHECK(same_pairs(out, cpu));
  CHECK(rig.scorer.stats().resident_uploads == 1);
  CHECK(resident_allocs() == 1);
  // Another right order (its values are in the resident records): sent again.
  std::vector<uint64_t> lorder(left.size()), rorder(right.size());
  for (size_t i = 0; i < lorder.size(); ++i) lorder[i] = i;
  for (size_t i = 0; i < rorder.size(); ++i) rorder[i] = i;
  out.clear();
  CHECK(rig.scorer.score(prep, jobs, nm::PairOrder{false, lorder.data(), rorder.data()}, out) ==
        cpu_scored);
  CHECK(same_pairs(out, cpu));
  CHECK(rig.scorer.stats().resident_uploads == 2);
  // Another preparation of the same tables: sent again, same results.
  {
    const nm::PreparedTables prep2(left, right, m, false, 1);
    const std::vector<nm::ScoreJob> jobs2 = one_job(prep2, 1 << 12);
    out.clear();
    CHECK(rig.scorer.score(prep2, jobs2, nm::PairOrder{}, out) == cpu_scored);
    CHECK(same_pairs(out, cpu));
    CHECK(rig.scorer.stats().resident_uploads == 3);
  }
  // Counters over the four runs.
  CHECK(rig.scorer.counters()[0] == 4 * cpu_scored);
  CHECK(rig.scorer.counters()[1] == 4 * cpu.size());
  CHECK(rig.reports.empty());
}

TEST_CASE("gpu schedule: a right table too big for the device or the option travels with the batches") {
  // A large right table with few candidate pairs: its resident copy is much
  // bigger than what the batches need.
  nm::gpu::RandomTableOptions o;
  o.rows = 2500;
  o.dates = 500;
  o.long_names = 0.2;
  const RawTable right = nm::gpu::random_table(91, o);
  o.rows = 60;
  const RawTable left = nm::gpu::random_table(92, o, &right);
  const MatchOptions m = a3(0.7f);
  size_t resident_total = 0;
  {
    const nm::PreparedTables prep(left, right, m, false, 1);
    resident_total = nm::gpu::resident_layout(prep).total;
  }
  REQUIRE(resident_total > 400000);
  for (int how = 0; how < 2; ++how) {
    CAPTURE(how);
    GpuOptions go;
    go.batch_pairs = 200;
    go.min_capacity = 16;
    if (how == 1) go.resident_right_bytes = resident_total - 1;  // over the option
    Rig rig(go, size_t{16} << 30, 1);
    if (how == 0)  // room for the batches' buffers, not for the table
      rig.dev.set_memory_bytes(rig.dev.bytes_in_use() + resident_total - 1);
    const BackendComparison r = nm::gpu::compare_backends(left, right, m, rig.scorer, 1);
    CHECK_MESSAGE(r.equal, r.first_difference);
    CHECK(r.device_kept > 0);
    CHECK(rig.scorer.stats().resident_uploads == 0);
    CHECK(rig.scorer.stats().oom_halvings == 0);
    CHECK(rig.scorer.stats().batches >= 2);
    if (how == 0) {
      REQUIRE(rig.reports.size() == 1);  // said once
      CHECK(rig.reports[0].find("no room for the right table") != std::string::npos);
      CHECK(rig.scorer.options().resident_right_bytes == 0);  // not tried again
      const BackendComparison again = nm::gpu::compare_backends(left, right, m, rig.scorer, 1);
      CHECK(again.equal);
      CHECK(rig.reports.size() == 1);
    } else {
      CHECK(rig.reports.empty());
    }
  }
}
