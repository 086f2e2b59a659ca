// The name pools of the generator: per origin (English, Hispanic, German, ...)
// its weight in the registry, its rate of middle names and its Zipf-weighted
// first-name and surname pools; and the groups of spellings a registrar might
// use for the same name (Catherine/Katherine, Smith/Smyth). The tables are in
// name_pools.cpp.
#pragma once
#include <cstddef>
#include <string_view>
#include <vector>

#include "jobs/generate/rng.hpp"

namespace nm::jobs::generator {

struct Pool {
  std::vector<std::string_view> names;
  std::vector<int> group;  // variant group of each name, -1 if none
  Alias alias;
  bool empty() const { return names.empty(); }
};

struct Origin {
  std::string_view code;
  double middle_rate;
  bool slavic;  // surnames take a feminine form
  Pool male, female, last, male_middle, female_middle;
};

struct Names {
  std::vector<Origin> origins;
  Alias origin_alias;
  std::vector<std::vector<std::string_view>> first_groups, last_groups;
  size_t en = 0;
};

// The pools, built on first use (thread-safe) and kept for the process.
const Names& names();

}  // namespace nm::jobs::generator
