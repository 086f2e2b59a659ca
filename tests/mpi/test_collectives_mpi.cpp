// Multi-rank tests of the GPU backend's collectives (src/gpu/collectives.hpp)
// on their MPI side: ranks without a GPU get MPI, counters and histograms are
// summed exactly, and a broadcast delivers the root's bytes unchanged. The
// NCCL side needs GPUs; here it is only compiled (CUDA builds).
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/gpu/collectives.hpp"
#include "src/mpi/mpi_env.hpp"

namespace {

using nm::gpu::Broadcasted;
using nm::gpu::Collectives;
using nm::gpu::kCounterWords;
using nm::gpu::ScoreCounters;

MPI_Comm world() { return nm::mpi::ensure_initialized(); }
int my_rank() { return nm::mpi::rank(world()); }
int ranks() { return nm::mpi::size(world()); }

// Rank r's counters: a pure function of r, some values above 2^32.
ScoreCounters counters_of(int r) {
  ScoreCounters c;
  const uint64_t u = static_cast<uint64_t>(r);
  c.pairs_scored = (uint64_t{1} << 40) + 1000 * u + 7;
  c.pairs_kept = 3 * u + 1;
  for (size_t b = 0; b < c.hist.size(); ++b) c.hist[b] = (u + 1) * b + ((u * 31 + b) % 5 == 0 ? (uint64_t{1} << 33) : 0);
  return c;
}

// Deterministic bytes, the same on every rank (the root sends them, the
// others check them).
std::vector<std::byte> pattern(size_t n, uint32_t seed) {
  std::vector<std::byte> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    v[i] = static_cast<std::byte>(x & 0xff);
  }
  return v;
}

}  // namespace

TEST_CASE("collectives: pack and unpack counters round trip") {
  const ScoreCounters c = counters_of(my_rank() + 3);
  const std::vector<uint64_t> flat = nm::gpu::pack_counters(c);
  REQUIRE(flat.size() == kCounterWords);
  CHECK(flat[0] == c.pairs_scored);
  CHECK(flat[1] == c.pairs_kept);
  for (size_t b = 0; b < c.hist.size(); ++b) CHECK(flat[2 + b] == c.hist[b]);
  CHECK(nm::gpu::unpack_counters(flat) == c);
  CHECK(nm::gpu::unpack_counters(nm::gpu::pack_counters(ScoreCounters{})) == ScoreCounters{});
  std::vector<uint64_t> short_flat(flat.begin(), flat.end() - 1);
  CHECK_THROWS_AS(nm::gpu::unpack_counters(short_flat), std::invalid_argument);
}

TEST_CASE("collectives: without a GPU every rank gets MPI") {
  auto c = nm::gpu::make_collectives(world(), nullptr);
  REQUIRE(c != nullptr);
  CHECK(std::string(c->name()) == "mpi");
  // Every rank agrees.
  const uint64_t is_mpi = std::string(c->name()) == "mpi" ? 1 : 0;
  CHECK(nm::mpi::allreduce_sum(world(), is_mpi) == static_cast<uint64_t>(ranks()));
}

// An emulated device (host memory): NCCL cannot use it.
class FakeEmulatedDevice final : public nm::gpu::DeviceApi {
 public:
  nm::gpu::DeviceInfo info() const override {
    nm::gpu::DeviceInfo i;
    i.name = "fake";
    i.emulated = true;
    return i;
  }
  void* alloc(size_t bytes) override { return ::operator new(bytes); }
  void free(void* p) noexcept override { ::operator delete(p); }
  void* host_alloc_pinned(size_t) noexcept override { return nullptr; }
  void host_free_pinned(void*) noexcept override {}
  int create_stream() override { return 0; }
  int create_event() override { return 0; }
  void copy_to_device(int, void* dst, const void* src, size_t n) override { std::memcpy(dst, src, n); }
  void copy_to_host(int, void* dst, const void* src, size_t n) override { std::memcpy(dst, src, n); }
  void fill_zero(int, void* dst, size_t n) override { std::memset(dst, 0, n); }
  void launch_fused(int, const nm::kernels::TileView&, nm::gpu::LaunchConfig) override {}
  void record(int, int) override {}
  void wait(int) override {}
  uint32_t grid_for(uint32_t) const override { return 1; }
};

TEST_CASE("collectives: emulated devices, or a mix with GPU-less ranks, get MPI on every rank") {
  FakeEmulatedDevice dev;
  for (int mixed = 0; mixed < 2; ++mixed) {
    const bool give = mixed == 0 || my_rank() % 2 == 0;
    auto c = nm::gpu::make_collectives(world(), give ? &dev : nullptr);
    CHECK(std::string(c->name()) == "mpi");
    CHECK(c->allreduce(counters_of(0), nullptr).pairs_kept == static_cast<uint64_t>(ranks()));
  }
}

TEST_CASE("collectives: allreduce sums counters and histograms exactly") {
  auto c = nm::gpu::make_collectives(world(), nullptr);
  ScoreCounters want;
  for (int r = 0; r < ranks(); ++r) {
    const ScoreCounters x = counters_of(r);
    want.pairs_scored += x.pairs_scored;
    want.pairs_kept += x.pairs_kept;
    for (size_t b = 0; b < want.hist.size(); ++b) want.hist[b] += x.hist[b];
  }
  // device_counters is ignored by MPI (any pointer).
  int dummy = 0;
  const ScoreCounters got = c->allreduce(counters_of(my_rank()), &dummy);
  CHECK(got.pairs_scored == want.pairs_scored);
  CHECK(got.pairs_kept == want.pairs_kept);
  for (size_t b = 0; b < want.hist.size(); ++b) CHECK(got.hist[b] == want.hist[b]);
  CHECK(got == want);
  // Zeros stay zeros; a second call is independent of the first.
  CHECK(c->allreduce(ScoreCounters{}, nullptr) == ScoreCounters{});
}

TEST_CASE("collectives: broadcast delivers the root's bytes") {
  auto c = nm::gpu::make_collectives(world(), nullptr);
  // Small pieces too, so the MPI_Bcast loop runs many times with a short last one.
  auto chunked = nm::gpu::detail::make_mpi_collectives(world(), (size_t{1} << 20) - 13);
  const size_t sizes[] = {0, 1, 1000, (size_t{3} << 20) + 5};
  for (Collectives* coll : {c.get(), chunked.get()}) {
    for (int root = 0; root < ranks(); root += (ranks() > 2 ? ranks() - 1 : 1)) {
      for (size_t n : sizes) {
        CAPTURE(n);
        CAPTURE(root);
        const std::vector<std::byte> want = pattern(n, static_cast<uint32_t>(n + root));
        // Only the root's pointer and size are read.
        const bool at_root = my_rank() == root;
        const Broadcasted got = coll->broadcast(at_root ? want.data() : nullptr, at_root ? n : 12345, root);
        CHECK_FALSE(got.on_device());
        CHECK(got.bytes == n);
        REQUIRE(got.host.size() == n);
        CHECK((n == 0 || std::memcmp(got.host.data(), want.data(), n) == 0));
      }
    }
  }
}
