// The NCCL implementation of nm::gpu::Collectives (src/gpu/collectives.hpp):
// counters and histograms summed on the GPUs, a table broadcast from the
// root's host memory into every GPU. MPI carries the rest (the NCCL id, the
// broadcast size). Built only with the CUDA backend; without NCCL
// (NM_HAVE_NCCL undefined) NCCL is never chosen. A build without CUDA has
// src/gpu/collectives_nocuda.cpp instead.
#include <cuda_runtime.h>
#if defined(NM_HAVE_NCCL)
#include <nccl.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "src/gpu/collectives.hpp"
#include "src/gpu/cuda_check.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::gpu {
namespace {

#if defined(NM_HAVE_NCCL)

std::string nccl_text(const char* call, ncclResult_t r, ncclComm_t comm) {
  std::string s = std::string(call) + ": " + ncclGetErrorString(r) + " (NCCL error " +
                  std::to_string(static_cast<int>(r)) + ")";
  const char* last = ncclGetLastError(comm);
  if (last != nullptr && last[0] != '\0') s += ": " + std::string(last);
  return s;
}

// The NCCL communicator: ncclCommDestroy when done, ncclCommAbort after a
// failed operation (the communicator is then unusable and destroying it could
// wait for peers).
class NcclComm {
 public:
  NcclComm() = default;
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;
  ~NcclComm() {
    if (comm_ == nullptr) return;
    if (!failed_) {
      // Non-blocking communicator: finalize, wait for it (bounded), destroy.
      try {
        check(ncclCommFinalize(comm_), "ncclCommFinalize");
        wait("ncclCommFinalize", std::chrono::seconds(30));
      } catch (const std::exception& e) {
        std::fprintf(stderr, "name_matcher: warning: %s\n", e.what());
      }
    }
    const ncclResult_t r = failed_ ? ncclCommAbort(comm_) : ncclCommDestroy(comm_);
    if (r != ncclSuccess && r != ncclInProgress)
      std::fprintf(stderr, "name_matcher: warning: %s: %s\n",
                   failed_ ? "ncclCommAbort" : "ncclCommDestroy", ncclGetErrorString(r));
  }
  ncclComm_t* out() { return &comm_; }
  ncclComm_t get() const { return comm_; }
  // The communicator is non-blocking: a call may return ncclInProgress,
  // which is not an error (wait() finds out how it ends).
  void check(ncclResult_t r, const char* call) {
    if (r == ncclSuccess || r == ncclInProgress) return;
    failed_ = true;
    throw DeviceError(nccl_text(call, r, comm_));
  }
  // Polls the communicator's state until nothing is in progress, at most
  // `timeout`; throws (and marks the communicator for abort) on an error or
  // the timeout. With `stream`, also until the stream has drained.
  void wait(const char* what, std::chrono::seconds timeout, cudaStream_t stream = nullptr) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      ncclResult_t state = ncclSuccess;
      check(ncclCommGetAsyncError(comm_, &state), "ncclCommGetAsyncError");
      if (state != ncclSuccess && state != ncclInProgress) {
        failed_ = true;
        throw DeviceError(nccl_text(what, state, comm_));
      }
      bool done = state == ncclSuccess;
      if (done && stream != nullptr) {
        const cudaError_t q = cudaStreamQuery(stream);
        if (q != cudaSuccess && q != cudaErrorNotReady) {
          failed_ = true;
          check_cuda(q, std::string(what) + ": cudaStreamQuery");
        }
        done = q == cudaSuccess;
      }
      if (done) return;
      if (std::chrono::steady_clock::now() > deadline) {
        failed_ = true;
        throw DeviceError(std::string(what) + ": no progress for " +
                          std::to_string(timeout.count()) +
                          " s (a peer is gone or stuck; NAME_MATCHER_NCCL_TIMEOUT sets the limit)");
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  void abandon() noexcept { failed_ = true; }

 private:
  ncclComm_t comm_ = nullptr;
  bool failed_ = false;
};

// A CUDA stream of our own for NCCL, destroyed with the object.
class Stream {
 public:
  Stream() { check_cuda(cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags"); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  ~Stream() {
    if (s_ != nullptr && cudaStreamDestroy(s_) != cudaSuccess) cudaGetLastError();
  }
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

class NcclCollectives final : public Collectives {
 public:
  NcclCollectives(MPI_Comm comm, DeviceApi& device) : mpi_(comm), dev_(device), index_(device.info().index) {
    use();
    const int me = mpi::rank(comm);
    const int ranks = mpi::size(comm);
    // The id travels over MPI with rank 0's result, so a failure there is
    // reported on every rank instead of leaving the others waiting.
    struct {
      int rc;
      ncclUniqueId id;
    } msg{};
    if (me == 0) msg.rc = static_cast<int>(ncclGetUniqueId(&msg.id));
    mpi::check(MPI_Bcast(&msg, static_cast<int>(sizeof msg), MPI_BYTE, 0, comm), "MPI_Bcast (NCCL id)");
    if (msg.rc != static_cast<int>(ncclSuccess))
      throw DeviceError(std::string("ncclGetUniqueId (rank 0): ") +
                        ncclGetErrorString(static_cast<ncclResult_t>(msg.rc)));
    // Non-blocking: every rank comes back (success, error or timeout) and
    // make_collectives agrees over MPI before anyone uses the communicator.
    ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
    config.blocking = 0;
    comm_.check(ncclCommInitRankConfig(comm_.out(), ranks, msg.id, me, &config),
                "ncclCommInitRankConfig");
    comm_.wait("ncclCommInitRankConfig", timeout());
    stream_ = std::make_unique<Stream>();
    sum_ = DeviceBuffer(dev_, kCounterBytes);
  }

  const char* name() const override { return "nccl"; }
  void abandon() noexcept override { comm_.abandon(); }

  ScoreCounters allreduce(const ScoreCounters& host, const void* device_counters) override {
    use();
    std::vector<uint64_t> flat = pack_counters(host);
    const cudaStream_t s = stream_->get();
    const void* send = device_counters;
    if (send == nullptr) {
      check_cuda(cudaMemcpyAsync(sum_.get(), flat.data(), kCounterBytes, cudaMemcpyHostToDevice, s),
                 "cudaMemcpyAsync (counters to device)");
      send = sum_.get();  // in place
    }
    comm_.check(ncclAllReduce(send, sum_.get(), kCounterWords, ncclUint64, ncclSum, comm_.get(), s),
                "ncclAllReduce (score counters)");
    check_cuda(cudaMemcpyAsync(flat.data(), sum_.get(), kCounterBytes, cudaMemcpyDeviceToHost, s),
               "cudaMemcpyAsync (counters to host)");
    sync("ncclAllReduce (score counters)");
    return unpack_counters(flat);
  }

  Broadcasted broadcast(const void* data, size_t bytes, int root) override {
    use();
    Broadcasted out;
    uint64_t n = bytes;
    mpi::check(MPI_Bcast(&n, 1, MPI_UINT64_T, root, mpi_), "MPI_Bcast (broadcast size)");
    out.bytes = static_cast<size_t>(n);
    if (out.bytes == 0) return out;  // every rank knows: no NCCL call
    out.device = DeviceBuffer(dev_, out.bytes);
    const cudaStream_t s = stream_->get();
    if (mpi::rank(mpi_) == root)
      check_cuda(cudaMemcpyAsync(out.device.get(), data, out.bytes, cudaMemcpyHostToDevice, s),
                 "cudaMemcpyAsync (broadcast to device)");
    // In place on the root; NCCL counts are size_t, so no pieces.
    comm_.check(ncclBroadcast(out.device.get(), out.device.get(), out.bytes, ncclUint8, root,
                              comm_.get(), s),
                "ncclBroadcast");
    sync("ncclBroadcast");
    return out;
  }

 private:
  void use() { check_cuda(cudaSetDevice(index_), "cudaSetDevice"); }

  // Waits for the NCCL stream by polling (a dead peer is reported after the
  // timeout instead of hanging in cudaStreamSynchronize).
  void sync(const char* what) { comm_.wait(what, timeout(), stream_->get()); }
  static std::chrono::seconds timeout() {
    const char* v = std::getenv("NAME_MATCHER_NCCL_TIMEOUT");
    const long s = v != nullptr ? std::strtol(v, nullptr, 10) : 0;
    return std::chrono::seconds(s > 0 ? s : 120);
  }

  MPI_Comm mpi_;
  DeviceApi& dev_;
  int index_;
  NcclComm comm_;                   // destroyed after the stream and buffer below
  std::unique_ptr<Stream> stream_;
  DeviceBuffer sum_;                // kCounterWords uint64: the reduced counters
};

#endif  // NM_HAVE_NCCL

}  // namespace

namespace detail {

#if defined(NM_HAVE_NCCL)
bool nccl_built() { return true; }

std::unique_ptr<Collectives> make_nccl_collectives(MPI_Comm comm, DeviceApi& device) {
  return std::make_unique<NcclCollectives>(comm, device);
}
#else
bool nccl_built() { return false; }

std::unique_ptr<Collectives> make_nccl_collectives(MPI_Comm /*comm*/, DeviceApi& /*device*/) {
  throw DeviceError("NCCL collectives: this binary was built without NCCL");
}
#endif

std::string gpu_identity(DeviceApi& device) {
  if (device.info().emulated) return {};
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, device.info().index) != cudaSuccess) {
    cudaGetLastError();
    return {};
  }
  static const char* kHex = "0123456789abcdef";
  std::string s = "GPU-";
  for (unsigned char b : prop.uuid.bytes) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

}  // namespace detail
}  // namespace nm::gpu
