// The levelled logger every layer writes its notices through (stderr,
// "name_matcher: warning: ..."), and the UTC timestamp of summaries.
#pragma once
#include <string>

namespace nm {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };
LogLevel parse_log_level(const std::string& s);  // throws InputError
void set_log_level(LogLevel level);
LogLevel log_level();
void log(LogLevel level, const std::string& message);

// The current time as 2026-11-24T10:00:00Z (summaries, workbooks).
std::string utc_timestamp();

}  // namespace nm
