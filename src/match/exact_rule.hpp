// The rule of algorithms 1 and 2 (matching.md section 4) on prepared names
// (ExactKeys): the one place the engine's hash join and `explain` ask.
#pragma once
#include <string_view>

#include "src/match/prepare.hpp"

namespace nm {

// The name slots of ExactKeys::get.
inline constexpr int kExactFirst = 0, kExactMiddle = 1, kExactLast = 2;

// Whether one compared name passes: first and last must be present and equal
// on both sides; the middle name (A2) must be equal, or missing on both.
inline bool exact_name_passes(int slot, std::string_view a, std::string_view b) {
  return a == b && (slot == kExactMiddle || !a.empty());
}

// Whether a record can match at all: it has a first and a last name (its
// birthdate is checked with it, by the caller's candidate key).
inline bool exact_record_can_match(const ExactKeys& k, size_t row) {
  return !k.get(row, kExactFirst).empty() && !k.get(row, kExactLast).empty();
}

// The names of records la (of a) and lb (of b) match; birthdates are the
// caller's (equal and present).
inline bool exact_names_match(const ExactKeys& a, size_t la, const ExactKeys& b, size_t lb,
                              bool with_middle) {
  return exact_name_passes(kExactFirst, a.get(la, kExactFirst), b.get(lb, kExactFirst)) &&
         exact_name_passes(kExactLast, a.get(la, kExactLast), b.get(lb, kExactLast)) &&
         (!with_middle ||
          exact_name_passes(kExactMiddle, a.get(la, kExactMiddle), b.get(lb, kExactMiddle)));
}

}  // namespace nm
