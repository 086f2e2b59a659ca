#include "src/log.hpp"

#include <cstdio>
#include <ctime>

#include "src/errors.hpp"

namespace nm {
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

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace nm
