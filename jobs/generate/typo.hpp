// Typing errors of a registrar, for the generator's corrupted copies.
#pragma once
#include <string>

#include "jobs/generate/rng.hpp"

namespace nm::jobs::generator {

// One typing error: adjacent transposition, substitution, deletion or insertion,
// on code points (never splits a UTF-8 sequence). The first letter is rarely hit.
void typo(std::string& s, Rng& rng);

}  // namespace nm::jobs::generator
