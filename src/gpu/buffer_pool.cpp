#include "src/gpu/buffer_pool.hpp"

#include "src/env_flag.hpp"

#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <utility>

#include "src/log.hpp"
#include "src/gpu/device_api.hpp"

namespace nm::gpu {

namespace {

constexpr std::align_val_t kAlign{HostBufferPool::kPageableAlignment};

std::string mib(size_t bytes) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

enum class Fallback { kNone, kDisabled, kCap, kRefused };

}  // namespace

// ---- HostBuffer ---------------------------------------------------------------

HostBuffer::HostBuffer(HostBuffer&& o) noexcept
    : pool_(std::exchange(o.pool_, nullptr)),
      p_(std::exchange(o.p_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      capacity_(std::exchange(o.capacity_, 0)),
      pinned_(std::exchange(o.pinned_, false)) {}

HostBuffer& HostBuffer::operator=(HostBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    pool_ = std::exchange(o.pool_, nullptr);
    p_ = std::exchange(o.p_, nullptr);
    size_ = std::exchange(o.size_, 0);
    capacity_ = std::exchange(o.capacity_, 0);
    pinned_ = std::exchange(o.pinned_, false);
  }
  return *this;
}

void HostBuffer::reset() noexcept {
  if (p_ != nullptr) pool_->give_back(p_, capacity_, pinned_);
  pool_ = nullptr;
  p_ = nullptr;
  size_ = capacity_ = 0;
  pinned_ = false;
}

// ---- HostBufferPool -----------------------------------------------------------

size_t HostBufferPool::default_pinned_cap() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return size_t{1} << 30;
  return static_cast<size_t>(pages) * static_cast<size_t>(page) / 4;
}

bool HostBufferPool::pinned_disabled_by_env() {
  return env_flag_set("NAME_MATCHER_DISABLE_PINNED_MEMORY");
}

HostBufferPool::HostBufferPool(DeviceApi* dev, Options options)
    : dev_(dev),
      cap_(options.pinned_cap_bytes != 0 ? options.pinned_cap_bytes : default_pinned_cap()),
      allow_pinned_(options.allow_pinned),
      log_(std::move(options.log)) {
  if (!log_) log_ = [](const std::string& m) { nm::log(LogLevel::kInfo, m); };
  st_.cap_bytes = cap_;
}

HostBufferPool::~HostBufferPool() {
  std::lock_guard<std::mutex> lock(mu_);
  // Every HostBuffer must be destroyed (or reset) before its pool.
  assert(st_.in_use == 0 && "HostBufferPool destroyed while buffers are in use");
  for (const Block& b : free_) free_block(b);
  free_.clear();
}

void HostBufferPool::free_block(const Block& b) noexcept {
  if (b.pinned)
    dev_->host_free_pinned(b.p);
  else
    ::operator delete(b.p, kAlign);
}

HostBuffer HostBufferPool::acquire(size_t bytes) {
  bytes = std::max<size_t>(bytes, 1);
  Fallback why = Fallback::kNone;
  bool try_pinned = false;
  std::vector<Block> evicted;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Reuse: the smallest kept block that fits, a pinned one if there is one.
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if (it->bytes < bytes) continue;
      if (best == free_.end() || (it->pinned && !best->pinned) ||
          (it->pinned == best->pinned && it->bytes < best->bytes))
        best = it;
    }
    if (best != free_.end()) {
      Block b = *best;
      free_.erase(best);
      ++st_.reuses;
      ++st_.in_use;
      return HostBuffer(this, b.p, bytes, b.bytes, b.pinned);
    }
    if (dev_ != nullptr) {
      if (!allow_pinned_) {
        why = Fallback::kDisabled;
      } else {
        auto fits = [&] { return bytes <= cap_ && st_.pinned_bytes <= cap_ - bytes; };
        if (!fits()) {
          // Kept pinned blocks are all too small for this request (else one
          // was reused above); if dropping them makes room, drop them,
          // largest first, rather than fall back to pageable memory.
          size_t kept_pinned = 0;
          for (const Block& b : free_)
            if (b.pinned) kept_pinned += b.bytes;
          if (bytes <= cap_ && st_.pinned_bytes - kept_pinned <= cap_ - bytes) {
            std::vector<Block> pinned_free;
            std::vector<Block> rest;
            for (const Block& b : free_) (b.pinned ? pinned_free : rest).push_back(b);
            std::sort(pinned_free.begin(), pinned_free.end(),
                      [](const Block& a, const Block& b) { return a.bytes > b.bytes; });
            size_t i = 0;
            while (!fits()) {
              st_.pinned_bytes -= pinned_free[i].bytes;
              evicted.push_back(pinned_free[i++]);
            }
            rest.insert(rest.end(), pinned_free.begin() + static_cast<std::ptrdiff_t>(i),
                        pinned_free.end());
            free_ = std::move(rest);
          }
        }
        if (fits()) {
          st_.pinned_bytes += bytes;  // reserved while allocating without the lock
          try_pinned = true;
        } else {
          why = Fallback::kCap;
        }
      }
    }
  }
  for (const Block& b : evicted) free_block(b);

  if (try_pinned) {
    void* p = dev_->host_alloc_pinned(bytes);
    std::lock_guard<std::mutex> lock(mu_);
    if (p != nullptr) {
      ++st_.pinned_allocs;
      ++st_.in_use;
      return HostBuffer(this, p, bytes, bytes, true);
    }
    st_.pinned_bytes -= bytes;
    why = Fallback::kRefused;
  }

  void* p = ::operator new(bytes, kAlign);  // throws std::bad_alloc
  std::string line;
  {
    std::lock_guard<std::mutex> lock(mu_);
    st_.pageable_bytes += bytes;
    ++st_.pageable_allocs;
    ++st_.in_use;
    if (why != Fallback::kNone) {
      ++st_.fallbacks;
      if (!fallback_logged_) {
        fallback_logged_ = true;
        const std::string tail = "; host buffers are pageable from now on (slower host-device copies)";
        switch (why) {
          case Fallback::kDisabled:
            line = "pinned host memory disabled by NAME_MATCHER_DISABLE_PINNED_MEMORY" + tail;
            break;
          case Fallback::kCap:
            line = "pinned host memory cap of " + mib(cap_) + " reached (" + mib(st_.pinned_bytes) +
                   " held, " + mib(bytes) + " asked)" + tail;
            break;
          case Fallback::kRefused:
            line = "the system refused " + mib(bytes) + " of pinned host memory" + tail;
            break;
          case Fallback::kNone:
            break;
        }
      }
    }
  }
  HostBuffer buf(this, p, bytes, bytes, false);
  if (!line.empty()) log_(line);
  return buf;
}

void HostBufferPool::give_back(void* p, size_t capacity, bool pinned) noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  assert(st_.in_use > 0);
  --st_.in_use;
  try {
    free_.push_back(Block{p, capacity, pinned});
  } catch (...) {  // no memory to keep it: free it instead
    free_block(Block{p, capacity, pinned});
    (pinned ? st_.pinned_bytes : st_.pageable_bytes) -= capacity;
  }
}

void HostBufferPool::trim() {
  std::vector<Block> blocks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    blocks.swap(free_);
    for (const Block& b : blocks) (b.pinned ? st_.pinned_bytes : st_.pageable_bytes) -= b.bytes;
  }
  for (const Block& b : blocks) free_block(b);
}

HostBufferPool::Stats HostBufferPool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return st_;
}

std::string HostBufferPool::describe() const {
  const Stats s = stats();
  std::string out = "host buffers: pinned " + mib(s.pinned_bytes) + " (" +
                    std::to_string(s.pinned_allocs) + " allocs, cap " + mib(s.cap_bytes) +
                    "), pageable " + mib(s.pageable_bytes) + " (" +
                    std::to_string(s.pageable_allocs) + " allocs), " + std::to_string(s.reuses) +
                    " reuses, " + std::to_string(s.fallbacks) + " fallbacks";
  if (dev_ == nullptr)
    out += " (no device)";
  else if (!allow_pinned_)
    out += " (pinned disabled)";
  return out;
}

}  // namespace nm::gpu
