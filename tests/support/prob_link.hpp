// A probabilistic link on random person tables, prepared as `run --algorithm
// prob` prepares it (comparisons, frequencies, blocking and training rules),
// with a hand-made model whose better levels weigh for a match: what the
// probabilistic GPU tests score on the CPU and on the emulated device.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "src/match/prob/linker.hpp"
#include "src/match/prob/model.hpp"
#include "src/match/table.hpp"

namespace nm::test {

struct Link {
  RawTable left, right;
  prob::LinkData d;
  prob::Model model;
};

// Dense birthdate blocks (4 dates), some birthdates missing or moved by a day
// or a year, long and empty names; the right table copies left rows with
// typos. dedupe: one table (right_rows unused). Rules: birthdate, dm(first) +
// dm(last), swap(first, last), last + year(birthdate), for both scoring and
// training.
std::unique_ptr<Link> make_link(uint64_t seed, size_t left_rows, size_t right_rows, bool dedupe);

// Equal field for field: kept pairs (rows, weight, pattern), pattern counts.
bool same_links(const std::vector<prob::ScoredLink>& a, const std::vector<prob::ScoredLink>& b);
bool same_counts(const std::vector<prob::PatternCount>& a,
                 const std::vector<prob::PatternCount>& b);

}  // namespace nm::test
