#include "src/gpu/prob_device.hpp"

#include <algorithm>
#include <string>

namespace nm::gpu {

namespace kp = kernels::prob;

namespace {
// A list counter may say more than the list held: grow to it (at least double,
// since on a real GPU a rerun may split pairs between table and list otherwise).
uint32_t grown(uint32_t capacity, uint32_t needed) {
  const uint64_t twice = uint64_t{capacity} * 2;
  return static_cast<uint32_t>(std::min<uint64_t>(std::max<uint64_t>(needed, twice), 0xFFFFFFFFu));
}
}  // namespace

DeviceBuffer ProbDevice::upload(const void* data, size_t bytes) {
  // Never 0 bytes: an empty side (or no term frequencies) still gets a pointer.
  DeviceBuffer b(dev_, std::max<size_t>(bytes, 16));
  if (bytes != 0) dev_.copy_to_device(stream_, b.get(), data, bytes);
  return b;
}

void ProbDevice::ensure(DeviceBuffer& b, size_t bytes) {
  if (b.get() != nullptr && b.size() >= bytes) return;
  b.reset();
  b = DeviceBuffer(dev_, std::max<size_t>(bytes, 16));
}

ProbDevice::Side ProbDevice::upload_side(const prob::PreparedSide& s) {
  Side out;
  out.cp = upload(s.cp);
  out.offset = upload(s.offset);
  out.length = upload(s.length);
  out.dm = upload(s.dm);
  out.days = upload(s.days);
  out.view.cp = static_cast<const uint32_t*>(out.cp.get());
  out.view.offset = static_cast<const uint64_t*>(out.offset.get());
  out.view.length = static_cast<const uint32_t*>(out.length.get());
  out.view.dm = static_cast<const uint32_t*>(out.dm.get());
  out.view.days = static_cast<const int32_t*>(out.days.get());
  out.view.text_slots = s.text_slots;
  out.view.date_slots = s.date_slots;
  return out;
}

ProbDevice::ProbDevice(DeviceApi& dev, const prob::LinkData& d, const prob::Scoring* scoring,
                       ProbDeviceOptions options)
    : dev_(dev),
      opt_(options),
      tally_capacity_(std::max(1u, options.tally_capacity)),
      survivor_capacity_(std::max(1u, options.survivor_capacity)) {
  const uint32_t slots = opt_.table_slots;
  if (slots == 0 || slots > kp::kPatternSlots || (slots & (slots - 1)) != 0)
    throw DeviceError("prob device: table_slots " + std::to_string(slots) +
                      " is not a power of two in 1.." + std::to_string(kp::kPatternSlots));
  if (opt_.block == 0 || opt_.block > kp::kProbBlockThreads)
    throw DeviceError("prob device: block of " + std::to_string(opt_.block) + " threads");
  stream_ = dev_.create_stream();
  event_ = dev_.create_event();
  left_ = upload_side(d.left);
  if (d.dedupe) {
    right_.view = left_.view;
  } else {
    right_ = upload_side(d.right);
  }
  items_ = upload(d.plan.items);
  base_.items = static_cast<const kp::Item*>(items_.get());
  base_.n_items = static_cast<uint32_t>(d.plan.items.size());
  base_.swap_first = d.plan.swap_first;
  base_.swap_last = d.plan.swap_last;
  base_.left = left_.view;
  base_.right = right_.view;
  base_.table_slots = slots;
  if (scoring != nullptr) {
    level_ = upload(scoring->level_table);
    tf_slot_ = upload(scoring->tf_slot);
    left_tf_ = upload(scoring->left_tf);
    left_name_tf_ = upload(scoring->left_name_tf);
    kp::WeightView w = scoring->view();  // sizes and scalars; pointers replaced below
    w.level = static_cast<const int32_t*>(level_.get());
    w.tf_slot = static_cast<const uint32_t*>(tf_slot_.get());
    w.left_tf = static_cast<const int32_t*>(left_tf_.get());
    w.left_name_tf = static_cast<const int32_t*>(left_name_tf_.get());
    base_.weights = w;
    base_.keep_at = scoring->keep_at;
  }
  scratch_words_ = kernels::device_metric_scratch_words(
      std::max(d.left.max_len, d.right_side().max_len) + 1);
  base_.scratch_words = scratch_words_;
  counters_ = DeviceBuffer(dev_, 2 * sizeof(uint32_t));
}

void ProbDevice::launch(kp::ProbTileView& v, uint32_t n_pairs, uint32_t counters[2]) {
  ensure(tallies_, size_t{tally_capacity_} * sizeof(kp::PatternTally));
  ensure(survivors_, size_t{survivor_capacity_} * sizeof(kp::ProbSurvivor));
  auto* c = static_cast<uint32_t*>(counters_.get());
  v.tallies = static_cast<kp::PatternTally*>(tallies_.get());
  v.tally_capacity = tally_capacity_;
  v.n_tallies = c;
  v.out = static_cast<kp::ProbSurvivor*>(survivors_.get());
  v.capacity = survivor_capacity_;
  v.survivors = c + 1;
  LaunchConfig cfg;
  cfg.block = opt_.block;
  cfg.grid = dev_.grid_for((n_pairs + opt_.block - 1) / opt_.block);
  ensure(scratch_, size_t{cfg.grid} * cfg.block * scratch_words_ * sizeof(uint32_t));
  v.scratch = static_cast<uint32_t*>(scratch_.get());
  dev_.fill_zero(stream_, c, 2 * sizeof(uint32_t));
  dev_.launch_prob(stream_, v, cfg);
  ++stats_.launches;
  dev_.copy_to_host(stream_, counters, c, 2 * sizeof(uint32_t));
  dev_.record(stream_, event_);
  dev_.wait(event_);
}

ProbBatchResult ProbDevice::run(std::span<const kp::RowPair> pairs, bool count, bool score) {
  ProbBatchResult res;
  if (pairs.empty() || (!count && !score)) return res;
  if (score && base_.weights.level == nullptr)
    throw DeviceError("prob device: scoring asked of a device made without weights");
  if (pairs.size() > 0x7FFFFFFFu)
    throw DeviceError("prob device: a batch of " + std::to_string(pairs.size()) +
                      " pairs (at most 2^31 - 1)");
  const auto n = static_cast<uint32_t>(pairs.size());
  ensure(pairs_, pairs.size_bytes());
  dev_.copy_to_device(stream_, pairs_.get(), pairs.data(), pairs.size_bytes());
  kp::ProbTileView v = base_;
  v.pairs = static_cast<const kp::RowPair*>(pairs_.get());
  v.n_pairs = n;
  v.count = count ? 1 : 0;
  v.score = score ? 1 : 0;
  uint32_t counters[2] = {0, 0};
  for (;;) {
    launch(v, n, counters);
    const bool tallies_fit = counters[0] <= tally_capacity_;
    const bool kept_fit = counters[1] <= survivor_capacity_;
    if (tallies_fit && kept_fit) break;
    if (!tallies_fit) tally_capacity_ = grown(tally_capacity_, counters[0]);
    if (!kept_fit) survivor_capacity_ = grown(survivor_capacity_, counters[1]);
    ++stats_.reruns;
  }
  stats_.pairs += n;
  std::vector<kp::PatternTally> tallies(counters[0]);
  std::vector<kp::ProbSurvivor> kept(counters[1]);
  if (!tallies.empty())
    dev_.copy_to_host(stream_, tallies.data(), tallies_.get(), tallies.size() * sizeof tallies[0]);
  if (!kept.empty())
    dev_.copy_to_host(stream_, kept.data(), survivors_.get(), kept.size() * sizeof kept[0]);
  dev_.record(stream_, event_);
  dev_.wait(event_);

  // Any order of the device's appends gives the same sums once sorted.
  std::sort(tallies.begin(), tallies.end(),
            [](const kp::PatternTally& a, const kp::PatternTally& b) { return a.pattern < b.pattern; });
  for (const kp::PatternTally& t : tallies) {
    if (!res.patterns.empty() && res.patterns.back().pattern == t.pattern)
      res.patterns.back().count += t.count;
    else
      res.patterns.push_back({t.pattern, t.count});
  }
  std::sort(kept.begin(), kept.end(), [](const kp::ProbSurvivor& a, const kp::ProbSurvivor& b) {
    return a.left != b.left ? a.left < b.left : a.right < b.right;
  });
  res.kept.reserve(kept.size());
  for (const kp::ProbSurvivor& k : kept) res.kept.push_back({k.left, k.right, k.weight, k.pattern});
  return res;
}

}  // namespace nm::gpu
