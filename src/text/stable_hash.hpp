// A stable 64-bit hash of bytes (checksums, cross-process keys).
#pragma once
#include <cstdint>
#include <string_view>

namespace nm {

// A stable 64-bit hash (same value on every run and machine, unlike
// absl::Hash), used where keys may be stored or compared across processes.
uint64_t stable_hash(std::string_view bytes, uint64_t seed);

}  // namespace nm
