#include "src/gpu/collectives.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/log.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::gpu {

std::vector<uint64_t> pack_counters(const ScoreCounters& c) {
  std::vector<uint64_t> flat(kCounterWords);
  flat[0] = c.pairs_scored;
  flat[1] = c.pairs_kept;
  std::copy(c.hist.begin(), c.hist.end(), flat.begin() + 2);
  return flat;
}

ScoreCounters unpack_counters(std::span<const uint64_t> flat) {
  if (flat.size() != kCounterWords)
    throw std::invalid_argument("unpack_counters: expected " + std::to_string(kCounterWords) +
                                " values, got " + std::to_string(flat.size()));
  ScoreCounters c;
  c.pairs_scored = flat[0];
  c.pairs_kept = flat[1];
  std::copy(flat.begin() + 2, flat.end(), c.hist.begin());
  return c;
}

namespace {

class MpiCollectives final : public Collectives {
 public:
  MpiCollectives(MPI_Comm comm, size_t chunk_bytes)
      : comm_(comm), chunk_(std::clamp<size_t>(chunk_bytes, 1, size_t{1} << 30)) {}
  const char* name() const override { return "mpi"; }

  ScoreCounters allreduce(const ScoreCounters& host, const void* /*device_counters*/) override {
    const std::vector<uint64_t> mine = pack_counters(host);
    std::vector<uint64_t> sum(kCounterWords);
    mpi::check(MPI_Allreduce(mine.data(), sum.data(), static_cast<int>(kCounterWords),
                             MPI_UINT64_T, MPI_SUM, comm_),
               "MPI_Allreduce (score counters)");
    return unpack_counters(sum);
  }

  Broadcasted broadcast(const void* data, size_t bytes, int root) override {
    Broadcasted out;
    uint64_t n = bytes;
    mpi::check(MPI_Bcast(&n, 1, MPI_UINT64_T, root, comm_), "MPI_Bcast (broadcast size)");
    out.bytes = static_cast<size_t>(n);
    out.host.resize(out.bytes);
    if (mpi::rank(comm_) == root && out.bytes > 0)
      std::memcpy(out.host.data(), data, out.bytes);
    // In pieces: MPI counts are int.
    for (size_t off = 0; off < out.bytes; off += chunk_) {
      const size_t len = std::min(chunk_, out.bytes - off);
      mpi::check(MPI_Bcast(out.host.data() + off, static_cast<int>(len), MPI_BYTE, root, comm_),
                 "MPI_Bcast (broadcast bytes)");
    }
    return out;
  }

 private:
  MPI_Comm comm_;
  size_t chunk_;
};

// Reasons (bits, OR-ed over the ranks) why NCCL is not used.
enum : int {
  kNotBuilt = 1,
  kNoGpu = 2,
  kEmulated = 4,
};

std::string reasons_text(int bits) {
  std::string s;
  auto add = [&](const char* t) {
    if (!s.empty()) s += "; ";
    s += t;
  };
  if (bits & kNotBuilt) add("built without NCCL");
  if (bits & kNoGpu) add("a rank has no GPU");
  if (bits & kEmulated) add("a rank's device is emulated");
  return s;
}

}  // namespace

namespace detail {
std::unique_ptr<Collectives> make_mpi_collectives(MPI_Comm comm, size_t chunk_bytes) {
  return std::make_unique<MpiCollectives>(comm, chunk_bytes);
}
}  // namespace detail

std::unique_ptr<Collectives> make_collectives(MPI_Comm comm, DeviceApi* device) {
  const int me = mpi::rank(comm);
  const int ranks = mpi::size(comm);
  int mine = 0;
  if (!detail::nccl_built())
    mine |= kNotBuilt;
  else if (device == nullptr)
    mine |= kNoGpu;
  else if (device->info().emulated)
    mine |= kEmulated;
  int all = 0;
  mpi::check(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_BOR, comm), "MPI_Allreduce (collectives)");
  std::string why = reasons_text(all);

  // NCCL refuses two ranks on one GPU: find them by the GPU's identity.
  if (all == 0) {
    const std::vector<std::string> ids = mpi::gather_bytes(comm, detail::gpu_identity(*device), 0);
    std::string shared;
    if (me == 0) {
      std::vector<std::pair<std::string, int>> sorted;
      for (int r = 0; r < ranks; ++r)
        if (!ids[static_cast<size_t>(r)].empty()) sorted.emplace_back(ids[static_cast<size_t>(r)], r);
      std::sort(sorted.begin(), sorted.end());
      for (size_t i = 1; i < sorted.size() && shared.empty(); ++i)
        if (sorted[i].first == sorted[i - 1].first)
          shared = "ranks " + std::to_string(sorted[i - 1].second) + " and " +
                   std::to_string(sorted[i].second) + " share a GPU";
    }
    mpi::bcast_bytes(comm, shared, 0);
    why = shared;
  }

  if (why.empty()) {
    std::unique_ptr<Collectives> c;
    std::string error;
    try {
      c = detail::make_nccl_collectives(comm, *device);
    } catch (const std::exception& e) {
      error = e.what();
    }
    // Every rank returns from the (non-blocking) start, then all agree.
    int ok = c ? 1 : 0, all_ok = 0;
    mpi::check(MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm),
               "MPI_Allreduce (NCCL started)");
    if (all_ok == 1) {
      if (me == 0)
        nm::log(LogLevel::kInfo, "collectives: nccl (every one of " +
                                             std::to_string(ranks) + " rank(s) has its own GPU)");
      return c;
    }
    if (c) c->abandon();
    c.reset();
    const std::vector<std::string> errors = mpi::gather_bytes(comm, error, 0);
    why = "NCCL did not start on every rank";
    if (me == 0)
      for (int r = 0; r < ranks; ++r)
        if (!errors[static_cast<size_t>(r)].empty()) {
          why += " (rank " + std::to_string(r) + ": " + errors[static_cast<size_t>(r)] + ")";
          break;
        }
    nm::log(me == 0 ? LogLevel::kWarn : LogLevel::kDebug, "collectives: mpi (" + why + ")");
    return detail::make_mpi_collectives(comm);
  }
  // A CPU-only run needs no word about it; a GPU run that cannot use NCCL does.
  if (me == 0)
    nm::log(device == nullptr ? LogLevel::kDebug : LogLevel::kInfo,
              "collectives: mpi (" + why + ")");
  return detail::make_mpi_collectives(comm);
}

}  // namespace nm::gpu
