// The people of the generated registries: households of 1-6 with an origin
// that drives the names, families (partners, children, grandparents, twins,
// sons named after their father) and birthdates. See generate.cpp for the
// model and its rates.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/generate/name_pools.hpp"
#include "jobs/generate/rng.hpp"

namespace nm::jobs::generator {

struct Person {
  std::string first, middle, last, suffix;
  int first_group = -1, last_group = -1;
  uint16_t year = 0;  // 0 = birthdate missing
  uint8_t month = 0, day = 0;
  uint8_t origin = 0;
  bool female = false;
  bool suffix_comma = false;
  uint8_t compound_at = 0;  // byte offset of the separator in a made-up compound surname, 0 if none
  bool unknown_date = false;  // --skew: written as 1970-01-01 in both tables
};

int days_in_month(int year, int month);

// Makes people from one RNG stream (the chunk's): the same calls in the same
// order make the same people.
class PeopleMaker {
 public:
  explicit PeopleMaker(Rng& rng) : rng_(rng), n_(names()) {}

  // A household size drawn from 1-6 (weights 28/31/16/14/7/4 %).
  size_t household_size();
  // Appends a household of exactly `size` people.
  void household(size_t size, std::vector<Person>& out);
  // A new household member who does not appear in the left table (a baby, a new partner).
  Person newcomer(const Person& like);

  // Spelling variants of a first name / surname group (Person::first_group, last_group).
  const std::vector<std::string_view>& first_variants(int g) const;
  const std::vector<std::string_view>& last_variants(int g) const;
  // Any surname of any origin (a woman's: its feminine form); valid until the next call.
  std::string_view random_surname(bool female);

 private:
  size_t origin();
  void family_surname(size_t o, Person& p);
  void first_name(size_t o, Person& p, std::string_view avoid = {});
  void middle_name(size_t o, Person& p);
  Person person(size_t o, bool female, const Person& fam, int year);
  Person single(size_t o);
  void maybe_suffix(Person& p);

  Rng& rng_;
  const Names& n_;
  std::string scratch_;
};

}  // namespace nm::jobs::generator
