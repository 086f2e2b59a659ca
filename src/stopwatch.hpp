// The one stopwatch: wall time since it was started, in seconds, on the
// monotonic clock (a stage's time never goes backwards when the system clock
// is set).
#pragma once
#include <chrono>

namespace nm {

class Stopwatch {
 public:
  using Clock = std::chrono::steady_clock;
  Stopwatch() : start_(Clock::now()) {}
  void restart() { start_ = Clock::now(); }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  Clock::time_point start_;
};

}  // namespace nm
