// Tests of the GPU backend's pinned host buffer pool (src/gpu/buffer_pool.*)
// against a fake device whose pinned allocations are malloc'd and recorded:
// the cap, the system refusing, the environment switch, reuse and freeing.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "src/gpu/buffer_pool.hpp"
#include "src/gpu/device_api.hpp"

namespace {

using nm::gpu::DeviceApi;
using nm::gpu::HostBuffer;
using nm::gpu::HostBufferPool;

constexpr size_t kMiB = size_t{1} << 20;

// Only the pinned host memory calls work; everything else fails the test.
class FakeDevice : public DeviceApi {
 public:
  bool refuse = false;  // host_alloc_pinned returns nullptr
  int alloc_calls = 0;
  int unexpected = 0;                 // calls of noexcept methods that must not happen
  std::map<void*, int> freed;         // pointer -> host_free_pinned calls
  std::vector<void*> handed_out;      // every pointer host_alloc_pinned returned

  ~FakeDevice() override {
    for (void* p : handed_out)
      if (freed[p] == 0) std::free(p);  // a leak is reported by the checks, not ASan
  }

  nm::gpu::DeviceInfo info() const override { throw std::logic_error("info"); }
  void* alloc(size_t) override { throw std::logic_error("alloc"); }
  void free(void*) noexcept override { ++unexpected; }
  void* host_alloc_pinned(size_t bytes) noexcept override {
    ++alloc_calls;
    if (refuse) return nullptr;
    void* p = std::malloc(bytes);
    handed_out.push_back(p);
    return p;
  }
  void host_free_pinned(void* p) noexcept override {
    if (++freed[p] == 1) {
      bool known = false;
      for (void* q : handed_out) known |= q == p;
      if (known)
        std::free(p);
      else
        ++unexpected;
    }
  }
  int create_stream() override { throw std::logic_error("create_stream"); }
  int create_event() override { throw std::logic_error("create_event"); }
  void copy_to_device(int, void*, const void*, size_t) override { throw std::logic_error("copy"); }
  void copy_to_host(int, void*, const void*, size_t) override { throw std::logic_error("copy"); }
  void fill_zero(int, void*, size_t) override { throw std::logic_error("fill_zero"); }
  void launch_fused(int, const nm::kernels::TileView&, nm::gpu::LaunchConfig) override {
    throw std::logic_error("launch_fused");
  }
  void record(int, int) override { throw std::logic_error("record"); }
  void wait(int) override { throw std::logic_error("wait"); }
  uint32_t grid_for(uint32_t) const override { throw std::logic_error("grid_for"); }

  // Every pinned pointer handed out was freed exactly once.
  bool all_freed_once() const {
    for (void* p : handed_out) {
      auto it = freed.find(p);
      if (it == freed.end() || it->second != 1) return false;
    }
    return freed.size() == handed_out.size();
  }
};

struct Captured {
  std::vector<std::string> lines;
  HostBufferPool::Options options(size_t cap = 0, bool allow = true) {
    HostBufferPool::Options o;
    o.pinned_cap_bytes = cap;
    o.allow_pinned = allow;
    o.log = [this](const std::string& m) { lines.push_back(m); };
    return o;
  }
};

// Sets or clears an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) {
      old_ = old;
      had_ = true;
    }
    if (value != nullptr)
      setenv(name, value, 1);
    else
      unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_)
      setenv(name_.c_str(), old_.c_str(), 1);
    else
      unsetenv(name_.c_str());
  }

 private:
  std::string name_, old_;
  bool had_ = false;
};

bool aligned(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

}  // namespace

TEST_CASE("gpu pool: pinned allocation under the cap") {
  FakeDevice dev;
  Captured log;
  {
    HostBufferPool pool(&dev, log.options(64 * kMiB));
    HostBuffer a = pool.acquire(4 * kMiB);
    HostBuffer b = pool.acquire(1000);
    CHECK(a.pinned());
    CHECK(b.pinned());
    CHECK(a.size() == 4 * kMiB);
    CHECK(b.size() == 1000);
    CHECK(a.data() != nullptr);
    std::memset(a.data(), 0xab, a.size());  // the memory is usable
    std::memset(b.data(), 0xcd, b.size());
    CHECK(dev.alloc_calls == 2);
    auto s = pool.stats();
    CHECK(s.pinned_bytes == 4 * kMiB + 1000);
    CHECK(s.pinned_allocs == 2);
    CHECK(s.pageable_allocs == 0);
    CHECK(s.pageable_bytes == 0);
    CHECK(s.fallbacks == 0);
    CHECK(s.cap_bytes == 64 * kMiB);
    CHECK(s.in_use == 2);
    CHECK(pool.describe().find("pinned 4.0 MiB (2 allocs, cap 64.0 MiB)") != std::string::npos);
  }
  CHECK(log.lines.empty());
  CHECK(dev.all_freed_once());
  CHECK(dev.unexpected == 0);
}

TEST_CASE("gpu pool: default cap is 25 % of physical RAM") {
  const size_t expected = static_cast<size_t>(sysconf(_SC_PHYS_PAGES)) *
                          static_cast<size_t>(sysconf(_SC_PAGE_SIZE)) / 4;
  REQUIRE(expected > 0);
  CHECK(HostBufferPool::default_pinned_cap() == expected);
  FakeDevice dev;
  HostBufferPool pool(&dev, HostBufferPool::Options{});
  CHECK(pool.stats().cap_bytes == expected);
  HostBufferPool pool2(&dev);
  CHECK(pool2.stats().cap_bytes == expected);
}

TEST_CASE("gpu pool: a buffer over the cap is pageable and logged once") {
  FakeDevice dev;
  Captured log;
  {
    HostBufferPool pool(&dev, log.options(10 * kMiB));
    HostBuffer a = pool.acquire(6 * kMiB);
    CHECK(a.pinned());
    HostBuffer b = pool.acquire(6 * kMiB);  // 12 MiB > 10 MiB
    CHECK_FALSE(b.pinned());
    CHECK(aligned(b.data(), HostBufferPool::kPageableAlignment));
    std::memset(b.data(), 1, b.size());
    REQUIRE(log.lines.size() == 1);
    CHECK(log.lines[0].find("cap of 10.0 MiB reached") != std::string::npos);
    // More fallbacks: counted, not logged.
    HostBuffer c = pool.acquire(5 * kMiB);
    HostBuffer d = pool.acquire(20 * kMiB);  // larger than the cap itself
    CHECK_FALSE(c.pinned());
    CHECK_FALSE(d.pinned());
    CHECK(log.lines.size() == 1);
    HostBuffer e = pool.acquire(4 * kMiB);  // 6 + 4 = 10 MiB: still fits
    CHECK(e.pinned());
    auto s = pool.stats();
    CHECK(s.fallbacks == 3);
    CHECK(s.pageable_allocs == 3);
    CHECK(s.pageable_bytes == 31 * kMiB);
    CHECK(s.pinned_allocs == 2);
    CHECK(s.pinned_bytes == 10 * kMiB);
    CHECK(dev.alloc_calls == 2);  // never asked the device beyond the cap
  }
  CHECK(log.lines.size() == 1);
  CHECK(dev.all_freed_once());
  CHECK(dev.unexpected == 0);
}

TEST_CASE("gpu pool: kept pinned buffers too small are dropped to make room under the cap") {
  FakeDevice dev;
  Captured log;
  HostBufferPool pool(&dev, log.options(10 * kMiB));
  void* small = nullptr;
  {
    HostBuffer a = pool.acquire(4 * kMiB);
    HostBuffer b = pool.acquire(4 * kMiB);
    small = a.data();
  }
  CHECK(pool.stats().pinned_bytes == 8 * kMiB);
  HostBuffer c = pool.acquire(8 * kMiB);  // no kept block fits; 8 + 8 > 10 without dropping them
  CHECK(c.pinned());
  CHECK(log.lines.empty());
  CHECK(pool.stats().pinned_bytes == 8 * kMiB);
  CHECK(pool.stats().fallbacks == 0);
  CHECK(dev.freed[small] == 1);
}

TEST_CASE("gpu pool: the system refusing pinned memory falls back with one log line") {
  FakeDevice dev;
  dev.refuse = true;
  Captured log;
  {
    HostBufferPool pool(&dev, log.options(64 * kMiB));
    HostBuffer a = pool.acquire(kMiB);
    HostBuffer b = pool.acquire(2 * kMiB);
    HostBuffer c = pool.acquire(3 * kMiB);
    CHECK_FALSE(a.pinned());
    CHECK_FALSE(b.pinned());
    CHECK_FALSE(c.pinned());
    CHECK(aligned(a.data(), HostBufferPool::kPageableAlignment));
    std::memset(c.data(), 7, c.size());
    REQUIRE(log.lines.size() == 1);
    CHECK(log.lines[0].find("refused") != std::string::npos);
    auto s = pool.stats();
    CHECK(s.fallbacks == 3);
    CHECK(s.pinned_bytes == 0);  // the reservation was given back
    CHECK(s.pageable_bytes == 6 * kMiB);
    // The system agrees again: pinned from then on, still no new line.
    dev.refuse = false;
    HostBuffer d = pool.acquire(kMiB / 2);  // a, b, c are in use: nothing to reuse
    CHECK(d.pinned());
    CHECK(log.lines.size() == 1);
  }
  CHECK(dev.all_freed_once());
  CHECK(dev.unexpected == 0);
}

TEST_CASE("gpu pool: allow_pinned=false never calls host_alloc_pinned") {
  FakeDevice dev;
  Captured log;
  {
    HostBufferPool pool(&dev, log.options(0, /*allow=*/false));
    std::vector<HostBuffer> bufs;
    for (int i = 1; i <= 4; ++i) bufs.push_back(pool.acquire(static_cast<size_t>(i) * 4096));
    for (const HostBuffer& b : bufs) CHECK_FALSE(b.pinned());
    CHECK(pool.stats().fallbacks == 4);
    REQUIRE(log.lines.size() == 1);
    CHECK(log.lines[0].find("NAME_MATCHER_DISABLE_PINNED_MEMORY") != std::string::npos);
    CHECK(pool.describe().find("pinned disabled") != std::string::npos);
  }
  CHECK(dev.alloc_calls == 0);
  CHECK(dev.freed.empty());
}

TEST_CASE("gpu pool: no device means pageable, no fallback and no log") {
  Captured log;
  HostBufferPool pool(nullptr, log.options());
  HostBuffer a = pool.acquire(12345);
  CHECK_FALSE(a.pinned());
  CHECK(a.size() == 12345);
  auto s = pool.stats();
  CHECK(s.pageable_allocs == 1);
  CHECK(s.fallbacks == 0);
  CHECK(log.lines.empty());
}

TEST_CASE("gpu pool: buffers given back are reused (best fit, pinned preferred)") {
  FakeDevice dev;
  Captured log;
  {
    HostBufferPool pool(&dev, log.options(64 * kMiB));
    void* p = nullptr;
    {
      HostBuffer a = pool.acquire(2 * kMiB);
      p = a.data();
    }
    CHECK(pool.stats().in_use == 0);
    HostBuffer b = pool.acquire(kMiB);  // smaller: the same block
    CHECK(b.data() == p);
    CHECK(b.pinned());
    CHECK(b.size() == kMiB);
    CHECK(b.capacity() == 2 * kMiB);
    CHECK(pool.stats().reuses == 1);
    CHECK(dev.alloc_calls == 1);

    // Best fit: of kept 8 MiB and 3 MiB blocks, a 3 MiB request takes the 3 MiB one.
    void* big = nullptr;
    void* mid = nullptr;
    {
      HostBuffer x = pool.acquire(8 * kMiB);
      HostBuffer y = pool.acquire(3 * kMiB);
      big = x.data();
      mid = y.data();
    }
    HostBuffer z = pool.acquire(3 * kMiB);
    CHECK(z.data() == mid);
    HostBuffer w = pool.acquire(3 * kMiB);  // only the 8 MiB block is left
    CHECK(w.data() == big);
    CHECK(pool.stats().reuses == 3);

    // Moving a buffer moves ownership: given back once.
    HostBuffer moved = std::move(w);
    CHECK(w.empty());
    CHECK(moved.data() == big);
    moved.reset();
    CHECK(pool.stats().in_use == 2);

    // trim() frees the kept blocks (pinned through the device), not those in use.
    pool.trim();
    CHECK(dev.freed[big] == 1);
    CHECK(pool.stats().pinned_bytes == 2 * kMiB + 3 * kMiB);
  }
  CHECK(dev.all_freed_once());
  CHECK(dev.unexpected == 0);
}

TEST_CASE("gpu pool: a pinned block is preferred to a closer pageable one") {
  FakeDevice dev;
  Captured log;
  HostBufferPool pool(&dev, log.options(5 * kMiB));
  void* pinned_p = nullptr;
  void* pageable_p = nullptr;
  {
    HostBuffer a = pool.acquire(4 * kMiB);  // pinned
    HostBuffer b = pool.acquire(2 * kMiB);  // over the cap: pageable
    REQUIRE(a.pinned());
    REQUIRE_FALSE(b.pinned());
    pinned_p = a.data();
    pageable_p = b.data();
  }
  HostBuffer c = pool.acquire(2 * kMiB);
  CHECK(c.data() == pinned_p);
  CHECK(c.pinned());
  HostBuffer d = pool.acquire(2 * kMiB);
  CHECK(d.data() == pageable_p);
  CHECK(pool.stats().reuses == 2);
}

TEST_CASE("gpu pool: every pinned pointer is freed exactly once at destruction") {
  FakeDevice dev;
  Captured log;
  {
    HostBufferPool pool(&dev, log.options(64 * kMiB));
    std::vector<HostBuffer> held;
    for (int round = 0; round < 5; ++round) {
      std::vector<HostBuffer> bufs;
      bufs.reserve(6);
      for (int i = 0; i < 6; ++i) bufs.push_back(pool.acquire(static_cast<size_t>(i + 1) * 65536));
      held.push_back(std::move(bufs[static_cast<size_t>(round)]));  // some stay in use a while
    }
    held.clear();
  }
  CHECK(dev.handed_out.size() == static_cast<size_t>(dev.alloc_calls));
  CHECK(dev.alloc_calls >= 6);
  CHECK(dev.all_freed_once());
  CHECK(dev.unexpected == 0);
}

TEST_CASE("gpu pool: NAME_MATCHER_DISABLE_PINNED_MEMORY parsing") {
  const char* kVar = "NAME_MATCHER_DISABLE_PINNED_MEMORY";
  {
    ScopedEnv e(kVar, nullptr);
    CHECK_FALSE(HostBufferPool::pinned_disabled_by_env());
  }
  {
    ScopedEnv e(kVar, "");
    CHECK_FALSE(HostBufferPool::pinned_disabled_by_env());
  }
  {
    ScopedEnv e(kVar, "0");
    CHECK_FALSE(HostBufferPool::pinned_disabled_by_env());
  }
  {
    ScopedEnv e(kVar, "1");
    CHECK(HostBufferPool::pinned_disabled_by_env());
  }
  {
    ScopedEnv e(kVar, "yes");
    CHECK(HostBufferPool::pinned_disabled_by_env());
  }
}
