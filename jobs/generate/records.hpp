// How a person is written in each table: the table-1 record (almost clean),
// a table-2 record of someone else, and the corrupted table-2 copy of a
// table-1 person (spelling variants, typos, folding, case, missing, swapped
// and merged fields, birthdate errors). The rates are listed in generate.cpp.
#pragma once
#include <cstdint>
#include <string>

#include "jobs/generate/people.hpp"
#include "jobs/generate/rng.hpp"

namespace nm::jobs::generator {

// Middle-name forms.
enum MiddleForm : uint8_t { kFull = 0, kInitial, kInitialDot, kNoMiddle };

// Per left person: the choices its table-1 record made, so that a table-2 copy
// can keep some of them.
struct LeftMeta {
  MiddleForm middle = kFull;
};

struct Fields {
  std::string first, middle, last;
  uint16_t year = 0;
  uint8_t month = 0, day = 0;
};

// A table-1 record of p; meta keeps the choices a copy may repeat.
void render_left(const Person& p, LeftMeta& meta, PeopleMaker& pm, Rng& rng, Fields& f);
// A table-2 record of a person who is not a copy.
void render_other(const Person& p, Rng& rng, Fields& f);
// A table-2 copy of a left person, corrupted.
void render_copy(const Person& p, const LeftMeta& meta, PeopleMaker& pm, Rng& rng, Fields& f);

}  // namespace nm::jobs::generator
