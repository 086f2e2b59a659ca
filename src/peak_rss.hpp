// The process's peak resident memory, as reported in summaries and benchmarks.
#pragma once
#include <sys/resource.h>

#include <cstdint>

namespace nm {

// Bytes (Linux reports ru_maxrss in KiB); 0 when the system does not say.
inline uint64_t peak_rss_bytes() {
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;
}

}  // namespace nm
