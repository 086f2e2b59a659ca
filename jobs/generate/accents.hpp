// The accented letters of the name pools, and the spelling changes a
// registrar makes with them: ASCII folding (José -> Jose, Müller -> Muller or
// Mueller) and case changes.
#pragma once
#include <cstdint>
#include <string>

namespace nm::jobs::generator {

enum class Fold : uint8_t { kNone, kPlain, kAlt };
enum class Case : uint8_t { kAsIs, kUpper, kLower };

// Applies ASCII folding, then a case change.
void transform(std::string& s, Fold fold, Case cas);

// Whether the accent table has the non-ASCII code point cp (the name pools
// may use no other non-ASCII letter: transform could not fold it).
bool in_accent_table(uint32_t cp);

}  // namespace nm::jobs::generator
