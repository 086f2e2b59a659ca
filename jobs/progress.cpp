#include <ctime>
#include "jobs/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "src/errors.hpp"

namespace nm::jobs {
namespace {
LogLevel g_level = LogLevel::kInfo;
const char* kNames[] = {"error", "warn", "info", "debug"};
}  // namespace

LogLevel parse_log_level(const std::string& s) {
  for (int i = 0; i < 4; ++i)
    if (s == kNames[i]) return static_cast<LogLevel>(i);
  if (s == "warning") return LogLevel::kWarn;
  throw InputError("--log-level must be one of error, warn, info, debug (got '" + s + "')");
}
void set_log_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }

void log(LogLevel level, const std::string& message) {
  if (level > g_level) return;
  std::fprintf(stderr, "name_matcher: %s%s\n",
               level == LogLevel::kError  ? "error: "
               : level == LogLevel::kWarn ? "warning: "
                                          : "",
               message.c_str());
}

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

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace nm::jobs
