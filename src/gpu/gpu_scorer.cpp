#include "src/gpu/gpu_scorer.hpp"

#include <algorithm>
#include <cstring>

#include "fmt/format.h"

namespace nm::gpu {

struct GpuScorer::Slot {
  int stream = -1, event = -1;
  HostBuffer in;       // the packed batch
  HostBuffer count;    // survivor counter, copied back
  HostBuffer out;      // survivors, copied back
  DeviceBuffer d_in, d_out, d_count, d_scratch;
  uint32_t capacity = 0;  // survivor slots in d_out
  bool busy = false;
  BatchLayout lay;
  BatchMap map;
  kernels::TileView view{};
  LaunchConfig cfg;
};

namespace {

double mib(size_t b) { return static_cast<double>(b) / (1024.0 * 1024.0); }

// Sizes grow in powers of two: a buffer is replaced a few times at most
// (cudaFree and cudaHostAlloc synchronise the whole device).
size_t grown(size_t bytes) {
  size_t n = 256;
  while (n < bytes) n *= 2;
  return n;
}

// Grows a device buffer to at least `bytes` (contents are not kept).
void ensure(DeviceApi& dev, DeviceBuffer& b, size_t bytes) {
  if (b.size() >= bytes && b.get() != nullptr) return;
  b.reset();
  b = DeviceBuffer(dev, grown(bytes));
}

void ensure(HostBufferPool& pool, HostBuffer& b, size_t bytes) {
  if (b.data() != nullptr && b.capacity() >= bytes) return;
  b = HostBuffer();
  b = pool.acquire(grown(bytes));
  pool.trim();  // the outgrown buffer is not kept pinned
}

// Per-thread scratch of all threads of a launch stays under this: a long
// name (the exact paths need 2 words per code point) lowers the grid
// instead of taking the device's memory.
constexpr size_t kScratchBudget = size_t{256} << 20;

}  // namespace

GpuScorer::GpuScorer(DeviceApi& dev, HostBufferPool& pool, GpuOptions opt, Report report)
    : dev_(dev), pool_(pool), opt_(opt), report_(std::move(report)) {
  opt_.streams = std::max(1, opt_.streams);
  slots_.resize(static_cast<size_t>(opt_.streams));
  for (Slot& s : slots_) {
    s.stream = dev_.create_stream();
    s.event = dev_.create_event();
  }
  const size_t acc_bytes = kDeviceCounterWords * sizeof(uint64_t);
  d_acc_ = DeviceBuffer(dev_, acc_bytes);
  d_discard_ = DeviceBuffer(dev_, acc_bytes);
  h_acc_ = pool_.acquire(acc_bytes);
  dev_.fill_zero(slots_[0].stream, d_acc_.get(), acc_bytes);
  dev_.record(slots_[0].stream, slots_[0].event);
  dev_.wait(slots_[0].event);
}

GpuScorer::~GpuScorer() = default;

void GpuScorer::launch(Slot& s, unsigned long long* acc) {
  kernels::TileView v = s.view;
  v.scored = acc;
  v.hist = acc + 2;
  dev_.fill_zero(s.stream, s.d_count.get(), sizeof(uint32_t));
  dev_.launch_fused(s.stream, v, s.cfg);
  ++stats_.launches;
  dev_.copy_to_host(s.stream, s.count.data(), s.d_count.get(), sizeof(uint32_t));
  stats_.bytes_to_host += sizeof(uint32_t);
  dev_.record(s.stream, s.event);
}

bool GpuScorer::make_resident(const PreparedTables& prep, const PairOrder& order) {
  if (opt_.resident_right_bytes == 0) return false;
  if (resident_id_ == prep.id && resident_order_ == order.right_order) return true;
  if (too_big_id_ == prep.id) return false;  // measured before: not worth another pass
  const ResidentLayout lay = resident_layout(prep);
  if (lay.total > opt_.resident_right_bytes) {
    too_big_id_ = prep.id;
    return false;
  }
  d_right_.reset();
  resident_id_ = 0;
  try {
    d_right_ = DeviceBuffer(dev_, lay.total);
  } catch (const DeviceOom& e) {
    if (report_)
      report_(fmt::format(
          "GPU: no room for the right table ({:.1f} MiB) on the device ({}); its records travel "
          "with each batch instead",
          mib(lay.total), e.what()));
    opt_.resident_right_bytes = 0;
    return false;
  }
  {
    HostBuffer h = pool_.acquire(lay.total);
    pack_resident(prep, order, lay, h.data());
    Slot& s = slots_[0];
    dev_.copy_to_device(s.stream, d_right_.get(), h.data(), lay.total);
    dev_.record(s.stream, s.event);
    dev_.wait(s.event);  // once per table; every later batch (any stream) reads it
  }
  pool_.trim();  // the staging copy of the table is not kept pinned
  stats_.bytes_to_device += lay.total;
  ++stats_.resident_uploads;
  stats_.resident_bytes = lay.total;
  rlay_ = lay;
  resident_id_ = prep.id;
  resident_order_ = order.right_order;
  return true;
}

void GpuScorer::issue(Slot& s, const TilePacker& packer, BatchSpan& span,
                      const PreparedTables& prep, bool dedupe, bool resident) {
  for (;;) {
    try {
      s.lay = packer.layout(span);
      ensure(pool_, s.in, s.lay.total);
      ensure(pool_, s.count, sizeof(uint32_t));
      s.map = packer.pack(span, s.lay, s.in.data());
      s.cfg.block = kernels::kBlockThreads;
      const uint32_t words = kernels::device_metric_scratch_words(s.lay.max_len) + 8;
      const size_t per_block = size_t{s.cfg.block} * words * sizeof(uint32_t);
      s.cfg.grid = std::max<uint32_t>(
          1, std::min<uint32_t>(dev_.grid_for(s.lay.n_groups),
                                static_cast<uint32_t>(std::min<size_t>(
                                    kScratchBudget / per_block, 0xFFFFFFFFu))));
      const size_t scratch_bytes = size_t{s.cfg.grid} * per_block;
      const uint64_t want = std::clamp<uint64_t>(span.pairs / 16, opt_.min_capacity, 1u << 22);
      s.capacity = std::max<uint32_t>(s.capacity, static_cast<uint32_t>(want));
      ensure(dev_, s.d_in, s.lay.total);
      ensure(dev_, s.d_scratch, scratch_bytes);
      ensure(dev_, s.d_out, size_t{s.capacity} * sizeof(kernels::Survivor));
      ensure(dev_, s.d_count, sizeof(uint32_t));
      s.view = view_of(s.lay, s.d_in.get(), prep.with_middle, false, prep.keep,
                       resident ? &rlay_ : nullptr, resident ? d_right_.get() : nullptr);
      s.view.out = static_cast<kernels::Survivor*>(s.d_out.get());
      s.view.capacity = s.capacity;
      s.view.survivors = static_cast<uint32_t*>(s.d_count.get());
      s.view.scratch = static_cast<uint32_t*>(s.d_scratch.get());
      s.view.scratch_words = words;
      s.view.dedupe = dedupe ? 1u : 0u;
      dev_.copy_to_device(s.stream, s.d_in.get(), s.in.data(), s.lay.total);
      stats_.bytes_to_device += s.lay.total;
      launch(s, static_cast<unsigned long long*>(d_acc_.get()));
      s.busy = true;
      return;
    } catch (const DeviceOom& e) {
      // A copy of this slot's host buffer may still be queued: let the
      // stream drain before the buffer is packed again. Then free what the
      // slot holds on the device and try half the batch.
      dev_.record(s.stream, s.event);
      dev_.wait(s.event);
      s.d_in.reset();
      s.d_out.reset();
      s.d_scratch.reset();
      s.capacity = 0;
      if (span.columns <= 1)
        throw DeviceError(fmt::format(
            "GPU out of memory for a single column of {} pairs ({:.1f} MiB packed): {}",
            span.pairs, mib(span.bytes), e.what()));
      const BatchSpan half = packer.prefix(span, span.columns / 2);
      ++stats_.oom_halvings;
      if (report_)
        report_(fmt::format(
            "GPU out of memory for a batch of {} pairs ({:.1f} MiB); retrying with {} pairs "
            "({:.1f} MiB)",
            span.pairs, mib(span.bytes), half.pairs, mib(half.bytes)));
      opt_.batch_pairs = std::max<uint64_t>(1, half.pairs);
      opt_.batch_bytes = std::max<size_t>(1, half.bytes);
      span = half;
    }
  }
}

// Copies the first n survivors of the slot's list to `got`.
void GpuScorer::fetch(Slot& s, uint32_t n, std::vector<kernels::Survivor>& got) {
  if (n == 0) return;
  const size_t bytes = size_t{n} * sizeof(kernels::Survivor);
  ensure(pool_, s.out, bytes);
  dev_.copy_to_host(s.stream, s.out.data(), s.d_out.get(), bytes);
  stats_.bytes_to_host += bytes;
  dev_.record(s.stream, s.event);
  dev_.wait(s.event);
  const auto* sv = static_cast<const kernels::Survivor*>(s.out.data());
  got.insert(got.end(), sv, sv + n);
}

// Reruns groups [g0, g1) of the slot's batch with the survivor list it has,
// halving the range while its survivors do not fit (counters go to the
// discard buffer: the first run counted them).
void GpuScorer::rerun_groups(Slot& s, uint32_t g0, uint32_t g1,
                             std::vector<kernels::Survivor>& got) {
  const kernels::TileView whole = s.view;
  s.view.groups = whole.groups + g0;
  s.view.n_groups = g1 - g0;
  dev_.fill_zero(s.stream, d_discard_.get(), kDeviceCounterWords * sizeof(uint64_t));
  launch(s, static_cast<unsigned long long*>(d_discard_.get()));
  s.view = whole;
  dev_.wait(s.event);
  uint32_t n = 0;
  std::memcpy(&n, s.count.data(), sizeof n);
  if (n <= s.capacity) {
    fetch(s, n, got);
    return;
  }
  if (g1 - g0 == 1)
    throw DeviceError(fmt::format(
        "GPU: one group of {} columns keeps {} pairs, more than the {} survivor slots the "
        "device has room for; use a smaller --gpu-batch-pairs or the CPU (--device cpu)",
        kernels::kGroupCols, n, s.capacity));
  const uint32_t mid = g0 + (g1 - g0) / 2;
  rerun_groups(s, g0, mid, got);
  rerun_groups(s, mid, g1, got);
}

void GpuScorer::finish(Slot& s, std::vector<ScoredPair>& out) {
  dev_.wait(s.event);
  uint32_t n = 0;
  std::memcpy(&n, s.count.data(), sizeof n);
  std::vector<kernels::Survivor> got;
  if (n <= s.capacity) {
    fetch(s, n, got);
  } else {
    // More survivors than slots: grow the list and run the batch again (or,
    // without room for it, run it again in parts with the list it has).
    ++stats_.overflow_reruns;
    const size_t old_bytes = s.d_out.size();
    bool grown = true;
    try {
      ensure(dev_, s.d_out, size_t{n} * sizeof(kernels::Survivor));
    } catch (const DeviceOom&) {
      grown = false;
      ensure(dev_, s.d_out, old_bytes);  // what was just freed fits again
    }
    s.capacity = static_cast<uint32_t>(
        std::min<size_t>(s.d_out.size() / sizeof(kernels::Survivor), 0xFFFFFFFFu));
    s.view.out = static_cast<kernels::Survivor*>(s.d_out.get());
    s.view.capacity = s.capacity;
    if (!grown && report_)
      report_(fmt::format(
          "GPU: no room for a list of {} kept pairs; running the batch again in parts", n));
    rerun_groups(s, 0, s.view.n_groups, got);
  }
  // Survivors arrive in the order the threads reached the counter: sort them
  // so the output does not depend on the device's scheduling.
  std::sort(got.begin(), got.end(), [](const kernels::Survivor& a, const kernels::Survivor& b) {
    return a.col != b.col ? a.col < b.col : a.left < b.left;
  });
  out.reserve(out.size() + got.size());
  for (const kernels::Survivor& v : got)
    out.push_back(ScoredPair{s.map.left_rows[v.left], s.map.col_right_rows[v.col],
                             s.map.col_tags[v.col], v.confidence, v.lev, v.jw, v.mp,
                             static_cast<uint8_t>(v.label)});
  kept_total_ += got.size();
  stats_.survivors += got.size();
  ++stats_.batches;
  s.busy = false;
}

uint64_t GpuScorer::score(const PreparedTables& prep, const std::vector<ScoreJob>& jobs,
                          const PairOrder& order, std::vector<ScoredPair>& out) {
  const uint64_t scored_before = counters()[0];
  const bool resident = make_resident(prep, order);
  const TilePacker packer(prep, jobs, order, resident);
  ColumnCursor cur = packer.start();
  size_t k = 0;
  while (!packer.at_end(cur)) {
    Slot& s = slots_[k % slots_.size()];
    if (s.busy) finish(s, out);
    BatchSpan span = packer.next_span(cur, opt_.batch_pairs, opt_.batch_bytes);
    issue(s, packer, span, prep, order.dedupe, resident);
    stats_.candidate_pairs += span.pairs;
    cur = span.end;
    ++k;
  }
  // Drain in issue order.
  for (size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[(k + i) % slots_.size()];
    if (s.busy) finish(s, out);
  }
  return counters()[0] - scored_before;
}

std::array<uint64_t, kDeviceCounterWords> GpuScorer::counters() {
  std::array<uint64_t, kDeviceCounterWords> c{};
  // Kernels still running add to the counters: wait for every busy slot.
  for (Slot& b : slots_)
    if (b.busy) dev_.wait(b.event);
  Slot& s = slots_[0];
  // Pairs kept are counted on the host; put them beside the device's counters.
  auto* h = static_cast<uint64_t*>(h_acc_.data());
  h[1] = kept_total_;
  dev_.copy_to_device(s.stream, static_cast<uint64_t*>(d_acc_.get()) + 1, h + 1, sizeof h[1]);
  dev_.copy_to_host(s.stream, h_acc_.data(), d_acc_.get(), sizeof c);
  dev_.record(s.stream, s.event);
  dev_.wait(s.event);
  std::memcpy(c.data(), h_acc_.data(), sizeof c);
  return c;
}

}  // namespace nm::gpu
