// Host staging buffers of the GPU backend, pooled.
//
// Copies between host and device only overlap with work when the host side
// is page-locked ("pinned"), but pinned memory is taken away from the rest of
// the system and a large request can be refused. The pool hands out pinned
// buffers while the pinned memory it holds stays under a cap (default: 25 %
// of physical RAM) and the system agrees; otherwise it falls back to ordinary
// (pageable, 256-byte aligned) memory — slower copies, same results. The first
// fallback is logged once with its reason; later ones are only counted.
//
// Buffers given back are kept for reuse (best fit, pinned preferred) until
// trim() or the pool's destruction.
//
// Lifetime: the pool must outlive every HostBuffer it handed out (a buffer
// gives its memory back to the pool when destroyed). The destructor asserts it.
//
// Thread-safe: acquire(), buffer destruction, trim(), stats() and describe()
// may be called from any thread.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace nm::gpu {

class DeviceApi;
class HostBufferPool;

// One buffer from a HostBufferPool (move-only). size() is the number of bytes
// asked for; capacity() >= size() is the block's real size (a reused block can
// be larger).
class HostBuffer {
 public:
  HostBuffer() = default;
  HostBuffer(HostBuffer&& o) noexcept;
  HostBuffer& operator=(HostBuffer&& o) noexcept;
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;
  ~HostBuffer() { reset(); }

  // Gives the memory back to the pool now; the buffer becomes empty.
  void reset() noexcept;

  void* data() const { return p_; }
  template <class T>
  T* as() const {
    return static_cast<T*>(p_);
  }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool pinned() const { return pinned_; }
  bool empty() const { return p_ == nullptr; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  friend class HostBufferPool;
  HostBuffer(HostBufferPool* pool, void* p, size_t size, size_t capacity, bool pinned)
      : pool_(pool), p_(p), size_(size), capacity_(capacity), pinned_(pinned) {}

  HostBufferPool* pool_ = nullptr;
  void* p_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  bool pinned_ = false;
};

class HostBufferPool {
 public:
  struct Options {
    // Most pinned bytes the pool holds at once (in use + kept for reuse);
    // 0 = default_pinned_cap() (25 % of physical RAM).
    size_t pinned_cap_bytes = 0;
    // The caller sets false when pinned_disabled_by_env() (the pool does not
    // read the environment itself).
    bool allow_pinned = true;
    // Receives the one-line fallback notice; empty = nm::log at kInfo.
    std::function<void(const std::string&)> log;
  };

  struct Stats {
    size_t pinned_bytes = 0;     // pinned bytes held now (in use + free)
    size_t pageable_bytes = 0;   // pageable bytes held now (in use + free)
    uint64_t pinned_allocs = 0;  // successful pinned allocations, ever
    uint64_t pageable_allocs = 0;
    uint64_t reuses = 0;     // acquire() served by a kept buffer
    uint64_t fallbacks = 0;  // pageable allocations made because pinned was not possible
    size_t cap_bytes = 0;    // the pinned cap in force
    size_t in_use = 0;       // buffers handed out and not yet given back
  };

  // dev may be nullptr: every buffer is pageable then (not counted as a
  // fallback, nothing logged).
  HostBufferPool(DeviceApi* dev, Options options);
  explicit HostBufferPool(DeviceApi* dev) : HostBufferPool(dev, Options{}) {}
  ~HostBufferPool();
  HostBufferPool(const HostBufferPool&) = delete;
  HostBufferPool& operator=(const HostBufferPool&) = delete;

  // A buffer of at least `bytes` bytes (0 is treated as 1). Throws
  // std::bad_alloc only when pageable memory cannot be had either.
  HostBuffer acquire(size_t bytes);

  // Frees every buffer kept for reuse (buffers in use are not touched).
  void trim();

  Stats stats() const;
  // One line for the run summary, e.g.
  // "host buffers: pinned 64.0 MiB (3 allocs, cap 4096.0 MiB), pageable 0.0 MiB (0 allocs), 12 reuses, 0 fallbacks"
  std::string describe() const;

  // 25 % of physical RAM (sysconf _SC_PHYS_PAGES * _SC_PAGE_SIZE / 4); 1 GiB
  // when sysconf cannot tell.
  static size_t default_pinned_cap();
  // NAME_MATCHER_DISABLE_PINNED_MEMORY is set to something other than "" or "0".
  static bool pinned_disabled_by_env();

  static constexpr size_t kPageableAlignment = 256;

 private:
  friend class HostBuffer;
  struct Block {
    void* p;
    size_t bytes;
    bool pinned;
  };
  void give_back(void* p, size_t capacity, bool pinned) noexcept;
  void free_block(const Block& b) noexcept;  // the memory only: the caller does the accounting

  DeviceApi* dev_;
  size_t cap_;
  bool allow_pinned_;
  std::function<void(const std::string&)> log_;

  mutable std::mutex mu_;
  std::vector<Block> free_;  // kept for reuse
  Stats st_;
  bool fallback_logged_ = false;
};

}  // namespace nm::gpu
