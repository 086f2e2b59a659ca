// The collectives of the GPU backend. NCCL carries them between GPUs when
// every rank has one (device-side counters and histograms, broadcasting a
// small reference table to every GPU); MPI carries them otherwise, and
// carries everything else in both cases (sizes, the NCCL id).
//
// Implementations: MPI (src/gpu/collectives.cpp) and NCCL
// (src/gpu/nccl_collectives.cpp, only in builds with CUDA and NCCL).
#pragma once
#include <mpi.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernels/fused_tile.hpp"
#include "src/gpu/device_api.hpp"

namespace nm::gpu {

// What the kernels count: pairs put through the rule, pairs kept, and the
// histogram of floor(score) of the matching pairs.
struct ScoreCounters {
  uint64_t pairs_scored = 0;
  uint64_t pairs_kept = 0;
  std::array<uint64_t, kernels::kHistBins> hist{};
  bool operator==(const ScoreCounters&) const = default;
};

// The flat layout shared by host and device: pairs_scored, pairs_kept,
// hist[0..kHistBins), as uint64 (device: unsigned long long).
inline constexpr size_t kCounterWords = 2 + kernels::kHistBins;
inline constexpr size_t kCounterBytes = kCounterWords * sizeof(uint64_t);
std::vector<uint64_t> pack_counters(const ScoreCounters& c);
// Throws std::invalid_argument unless flat.size() == kCounterWords.
ScoreCounters unpack_counters(std::span<const uint64_t> flat);

// The root's bytes as one rank received them: on its GPU (NCCL) or in host
// memory (MPI).
struct Broadcasted {
  size_t bytes = 0;
  std::vector<std::byte> host;  // MPI: the bytes; NCCL: empty
  DeviceBuffer device;          // NCCL: the bytes on this rank's GPU (empty when bytes == 0)
  bool on_device() const { return device.get() != nullptr; }
};

// Every method is collective over the communicator: every rank calls it, in
// the same order, from the thread that calls MPI.
class Collectives {
 public:
  virtual ~Collectives() = default;
  virtual const char* name() const = 0;  // "nccl" or "mpi"
  // The sum of every rank's counters, on every rank.
  // NCCL: `device_counters` is a device buffer of kCounterWords uint64 in the
  // pack_counters order, as the kernels accumulated them; the caller has
  // waited for those kernels. It is summed on the devices (ncclAllReduce into
  // a buffer of its own: device_counters is not changed) and copied back
  // once; `host` is then ignored. With device_counters == nullptr `host` is
  // uploaded and summed the same way.
  // MPI: `device_counters` is ignored and `host` is reduced (MPI_Allreduce).
  virtual ScoreCounters allreduce(const ScoreCounters& host, const void* device_counters) = 0;
  // The root's `bytes` bytes at `data` reach every rank once (`data` and
  // `bytes` are read on the root only). NCCL: into a device buffer on every
  // GPU (ncclBroadcast), complete on return. MPI: host bytes (MPI_Bcast in
  // pieces, so any size).
  virtual Broadcasted broadcast(const void* data, size_t bytes, int root) = 0;
  // Called before destruction when another rank could not start its side:
  // the NCCL communicator is then aborted, not destroyed (which would wait
  // for the peers). No-op for MPI.
  virtual void abandon() noexcept {}
};

// Chooses NCCL when this binary was built with it, every rank has a real
// (not emulated) GPU and no two ranks share one — decided collectively, so
// every rank gets the same kind — else MPI. NCCL is started without blocking
// (a rank that fails or times out, NAME_MATCHER_NCCL_TIMEOUT seconds, default
// 120, does not leave the others waiting) and used only when every rank
// started it; otherwise every rank falls back to MPI. Rank 0 logs the choice and why
// (info level). `device` == nullptr: no GPU on this rank. Collective.
std::unique_ptr<Collectives> make_collectives(MPI_Comm comm, DeviceApi* device);

namespace detail {
// MPI implementation; chunk_bytes is the largest single MPI_Bcast (tests use
// a small one to exercise the pieces).
std::unique_ptr<Collectives> make_mpi_collectives(MPI_Comm comm, size_t chunk_bytes = size_t{1} << 30);

// Implemented by src/gpu/nccl_collectives.cpp (CUDA builds) or
// src/gpu/collectives_nocuda.cpp (CPU-only builds).
bool nccl_built();
// A string naming the physical GPU behind `device` (its UUID), to find ranks
// sharing one; "" when unknown.
std::string gpu_identity(DeviceApi& device);
// Creates the NCCL communicator over `comm` (ncclGetUniqueId on rank 0,
// MPI_Bcast, ncclCommInitRank). Collective; throws DeviceError.
std::unique_ptr<Collectives> make_nccl_collectives(MPI_Comm comm, DeviceApi& device);
}  // namespace detail

}  // namespace nm::gpu
