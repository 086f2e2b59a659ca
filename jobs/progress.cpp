#include "jobs/progress.hpp"

#include <unistd.h>

#include <cstdio>


namespace nm::jobs {
Progress::Progress(bool enabled)
    : enabled_(enabled && isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(const char* stage, uint64_t done, uint64_t total, const char* unit) {
  if (!enabled_) return;
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;
  const auto now = std::chrono::steady_clock::now();
  if (stage_ != stage) {
    stage_ = stage;
    start_ = now;
  } else if (now - last_ < std::chrono::milliseconds(250)) {
    return;
  }
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? static_cast<double>(done) / secs : 0.0;
  char eta[48] = "";
  if (total > 0 && rate > 0 && done < total)
    std::snprintf(eta, sizeof eta, ", ETA %.0f s", static_cast<double>(total - done) / rate);
  if (total > 0)
    std::fprintf(stderr, "\r\033[K%s: %llu / %llu %s (%.3g/s%s)", stage,
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                 unit, rate, eta);
  else
    std::fprintf(stderr, "\r\033[K%s: %llu %s (%.3g/s)", stage,
                 static_cast<unsigned long long>(done), unit, rate);
  shown_ = true;
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (shown_) std::fprintf(stderr, "\r\033[K");
  shown_ = false;
}

}  // namespace nm::jobs
