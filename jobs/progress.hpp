// Progress on stderr for long runs (only when stderr is a terminal).
#pragma once
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "src/log.hpp"

namespace nm::jobs {

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
