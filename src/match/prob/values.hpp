// The one normalisation of a compared or blocked value in the probabilistic
// mode (names, --compare and --block columns).
#pragma once
#include <string>
#include <string_view>

namespace nm::prob {

// normalize_simple(normalize_text(x)) with surrounding spaces removed; blank
// (only White_Space) gives "" = missing.
std::string normalized_value(std::string_view raw);

}  // namespace nm::prob
