// Boolean switches from the environment (the rollback switches, test hooks,
// NAME_MATCHER_DIRECT_FUZZY_NORMALIZATION): the one reader of their values.
#pragma once
#include <cctype>
#include <cstdlib>
#include <string>

namespace nm {

// Set means present with the value 1, true, yes or on (in any case), as the
// docs write them ("NAME_MATCHER_DISABLE_SIMD=1"); anything else, "0",
// "false", "off", "2" or empty, is not set.
inline bool env_flag_set(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return false;
  std::string s(v);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "1" || s == "true" || s == "yes" || s == "on";
}

}  // namespace nm
