// Progress on stderr for long runs (only when stderr is a terminal) and a
// small levelled logger.
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace nm::jobs {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };
LogLevel parse_log_level(const std::string& s);  // throws InputError
void set_log_level(LogLevel level);
LogLevel log_level();
void log(LogLevel level, const std::string& message);

// The current time as 2026-11-24T10:00:00Z (summaries, workbooks).
std::string utc_timestamp();

class Progress {
 public:
  explicit Progress(bool enabled);
  ~Progress();
  // Thread-safe; prints at most a few times a second. total = 0 if unknown.
  void update(const char* stage, uint64_t done, uint64_t total, const char* unit);
  void finish();  // clears the progress line

 private:
  bool enabled_;
  bool shown_ = false;
  std::mutex mu_;
  std::chrono::steady_clock::time_point start_, last_;
  std::string stage_;
};

}  // namespace nm::jobs
