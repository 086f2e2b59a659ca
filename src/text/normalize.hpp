// The contract's three normalisers (matching.md section 2). Pure functions of
// one UTF-8 string; the input must be valid UTF-8 (the readers reject rows
// that are not).
#pragma once
#include <string>
#include <string_view>

namespace nm {

// NFD, drop marks (Mn/Mc/Me), full lowercase with context (final sigma), trim
// Unicode White_Space.
std::string normalize_text(std::string_view s);

// Trim White_Space, then per code point: '.' dropped, '-' -> ' ', anything
// else its per-character full lowercase. No trim afterwards.
std::string normalize_simple(std::string_view s);

// Input of Double Metaphone: a-z plus single spaces, see the contract.
std::string normalize_for_phonetic(std::string_view s);

// True when s is empty or only Unicode White_Space.
bool is_blank(std::string_view s);

}  // namespace nm
