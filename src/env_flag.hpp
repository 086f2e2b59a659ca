// Boolean switches from the environment (the rollback switches, test hooks).
#pragma once
#include <cstdlib>
#include <string_view>

namespace nm {

// Set means present and not "", "0", "false", "FALSE" or "no".
inline bool env_flag_set(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return false;
  const std::string_view s(v);
  return !(s.empty() || s == "0" || s == "false" || s == "FALSE" || s == "no");
}

}  // namespace nm
