#include "jobs/generate/people.hpp"

#include <algorithm>
#include <utility>

namespace nm::jobs::generator {
namespace {

inline bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

void set_birthdate(Person& p, int year, Rng& rng) {
  p.year = static_cast<uint16_t>(year);
  if (rng.chance(0.0275)) {  // registries' "unknown day" convention
    p.month = p.day = 1;
    return;
  }
  int doy = static_cast<int>(rng.below(leap(year) ? 366 : 365));
  int m = 1;
  while (doy >= days_in_month(year, m)) doy -= days_in_month(year, m++);
  p.month = static_cast<uint8_t>(m);
  p.day = static_cast<uint8_t>(doy + 1);
}

// Feminine form of a Polish / Czech / Russian surname.
std::string feminine(std::string_view last) {
  static const std::pair<std::string_view, std::string_view> kExplicit[] = {
      {"Novák", "Nováková"},    {"Dvořák", "Dvořáková"},      {"Horák", "Horáková"},
      {"Svoboda", "Svobodová"}, {"Procházka", "Procházková"}, {"Kučera", "Kučerová"}};
  for (const auto& [m, f] : kExplicit)
    if (last == m) return std::string(f);
  std::string s(last);
  auto ends = [&](std::string_view suf) { return s.size() >= suf.size() && s.ends_with(suf); };
  if (ends("ski") || ends("cki")) {
    s.back() = 'a';
  } else if (ends("ý")) {
    s.resize(s.size() - 2);
    s += "á";
  } else if (ends("ov") || ends("ev")) {
    s += 'a';
  }
  return s;
}

}  // namespace

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

size_t PeopleMaker::household_size() {
  static constexpr double kCum[] = {0.28, 0.59, 0.75, 0.89, 0.96, 1.0};
  double u = rng_.uniform();
  size_t s = 0;
  while (s < 5 && u >= kCum[s]) ++s;
  return s + 1;
}

size_t PeopleMaker::origin() { return n_.origin_alias.sample(rng_); }

// A surname for a family of origin `o`; may be a compound.
void PeopleMaker::family_surname(size_t o, Person& p) {
  const Origin& org = n_.origins[o];
  size_t i = org.last.alias.sample(rng_);
  p.last = org.last.names[i];
  p.last_group = org.last.group[i];
  p.compound_at = 0;
  const bool spanish = org.code == "es";
  if ((spanish && rng_.chance(0.25)) || (!spanish && rng_.chance(0.02))) {
    size_t j = org.last.alias.sample(rng_);
    if (j != i && org.last.names[j].find(' ') == std::string_view::npos &&
        p.last.find(' ') == std::string::npos) {
      p.compound_at = static_cast<uint8_t>(p.last.size());
      p.last += spanish ? ' ' : '-';
      p.last += org.last.names[j];
      p.last_group = -1;
    }
  }
}

void PeopleMaker::first_name(size_t o, Person& p, std::string_view avoid) {
  size_t src = rng_.chance(0.78) ? o : (rng_.chance(0.5) ? n_.en : origin());
  for (int tries = 0; tries < 4; ++tries) {
    const Pool& pool = p.female ? n_.origins[src].female : n_.origins[src].male;
    size_t i = pool.alias.sample(rng_);
    if (pool.names[i] == avoid) continue;
    p.first = pool.names[i];
    p.first_group = pool.group[i];
    return;
  }
}

void PeopleMaker::middle_name(size_t o, Person& p) {
  const Origin& org = n_.origins[o];
  p.middle.clear();
  if (!rng_.chance(org.middle_rate)) return;
  const Pool& mid = p.female ? org.female_middle : org.male_middle;
  if (!mid.empty()) {
    p.middle = mid.names[mid.alias.sample(rng_)];
    return;
  }
  const Pool& pool = p.female ? org.female : org.male;
  for (int tries = 0; tries < 4; ++tries) {
    std::string_view m = pool.names[pool.alias.sample(rng_)];
    if (m != p.first) {
      p.middle = m;
      return;
    }
  }
}

// One person of origin o, with the family's surname from `fam`.
Person PeopleMaker::person(size_t o, bool female, const Person& fam, int year) {
  Person p;
  p.origin = static_cast<uint8_t>(o);
  p.female = female;
  p.last = female && n_.origins[o].slavic && fam.compound_at == 0 ? feminine(fam.last) : fam.last;
  p.last_group = p.last == fam.last ? fam.last_group : -1;
  p.compound_at = fam.compound_at;
  first_name(o, p);
  middle_name(o, p);
  if (rng_.chance(0.004))
    p.year = 0;
  else
    set_birthdate(p, year, rng_);
  return p;
}

Person PeopleMaker::single(size_t o) {
  Person fam;
  family_surname(o, fam);
  int year = 1930 + static_cast<int>((rng_.uniform() + rng_.uniform()) * 0.5 * 75);
  Person p = person(o, rng_.chance(0.5), fam, std::min(year, 2004));
  maybe_suffix(p);
  return p;
}

void PeopleMaker::maybe_suffix(Person& p) {
  if (p.female || n_.origins[p.origin].code != "en" || !rng_.chance(0.012)) return;
  static constexpr const char* kSuffix[] = {"Jr.", "Jr.", "Jr.", "Sr.", "II", "III"};
  p.suffix = kSuffix[rng_.below(6)];
  p.suffix_comma = rng_.chance(0.35);
}

// Appends a household of exactly `size` people.
void PeopleMaker::household(size_t size, std::vector<Person>& out) {
  const size_t o = origin();
  if (size == 1) {
    out.push_back(single(o));
    return;
  }
  Person fam;
  family_surname(o, fam);
  const bool couple = rng_.chance(0.78);
  if (!couple && size == 2 && rng_.chance(0.5)) {  // flatmates or siblings
    out.push_back(single(o));
    if (rng_.chance(0.4)) {
      const bool sister = rng_.chance(0.5);
      const int year = std::clamp(out.back().year + rng_.range(-6, 6), 1930, 2004);
      Person sib = person(o, sister, fam, year);
      if (out.back().year == 0) sib.year = 0;
      sib.last = out.back().last;
      sib.last_group = out.back().last_group;
      sib.compound_at = out.back().compound_at;
      out.push_back(std::move(sib));
    } else {
      out.push_back(single(origin()));
    }
    return;
  }
  const bool head_female = couple ? rng_.chance(0.1) : rng_.chance(0.6);
  const int head_year = size >= 3 ? rng_.range(1940, 1995) : rng_.range(1930, 2000);
  Person head = person(o, head_female, fam, head_year);
  maybe_suffix(head);
  out.push_back(head);
  int mother_year = head_female ? head_year : 0;
  std::string mother_last = head_female ? head.last : std::string();
  size_t adults = 1;
  if (couple) {
    const bool partner_female = rng_.chance(0.96) ? !head_female : head_female;
    int py = std::clamp(head_year + rng_.range(-4, 4) + rng_.range(-4, 4), 1930, 1999);
    Person partner;
    if (rng_.chance(0.72)) {
      partner = person(o, partner_female, fam, py);
    } else {
      Person maiden;
      family_surname(rng_.chance(0.8) ? o : origin(), maiden);
      partner = person(o, partner_female, maiden, py);
      if (rng_.chance(0.07) && maiden.compound_at == 0 && fam.compound_at == 0) {
        partner.compound_at = static_cast<uint8_t>(fam.last.size());
        partner.last = fam.last + "-" + partner.last;
        partner.last_group = -1;
      }
    }
    if (partner_female && !head_female) {
      mother_year = py;
      mother_last = partner.last;
    }
    out.push_back(std::move(partner));
    adults = 2;
  }
  if (mother_year == 0) mother_year = head_year;
  size_t rest = size - adults;
  if (rest >= 2 && head_year >= 1955 && rng_.chance(0.1)) {  // a grandparent lives with them
    int gy = std::max(1930, head_year - rng_.range(22, 34));
    out.push_back(person(o, rng_.chance(0.65), fam, gy));
    --rest;
  }
  const int lo = mother_year + 19, hi = std::min(mother_year + 45, 2020);
  bool named_junior = false;
  for (size_t k = 0; k < rest; ++k) {
    const bool girl = rng_.chance(0.49);
    Person child = person(o, girl, fam, lo <= hi ? rng_.range(lo, hi) : 2020);
    const Person& prev = out.back();
    if (k > 0 && prev.year != 0 && prev.year >= lo && rng_.chance(0.03)) {  // twins
      child.year = prev.year;
      child.month = prev.month;
      child.day = prev.day;
      first_name(o, child, prev.first);
    }
    if (!girl && !head_female && !named_junior && rng_.chance(0.03)) {  // named after father
      named_junior = true;
      child.first = head.first;
      child.first_group = head.first_group;
      if (n_.origins[o].code == "en") {
        child.suffix = "Jr.";
        child.suffix_comma = rng_.chance(0.35);
      }
    }
    double u = rng_.uniform();
    if (u < 0.05 && !mother_last.empty() && mother_last != fam.last && fam.compound_at == 0 &&
        mother_last.find('-') == std::string::npos) {
      child.compound_at = static_cast<uint8_t>(child.last.size());
      child.last += "-" + mother_last;
      child.last_group = -1;
    } else if (u < 0.12 && !mother_last.empty()) {
      child.last = girl || !n_.origins[o].slavic ? mother_last : fam.last;
      child.last_group = -1;
      child.compound_at = 0;
    }
    out.push_back(std::move(child));
  }
}

// A new household member who does not appear in the left table (a baby, a new partner).
Person PeopleMaker::newcomer(const Person& like) {
  Person fam;
  fam.last = like.last;
  fam.last_group = like.last_group;
  fam.compound_at = like.compound_at;
  const bool baby = rng_.chance(0.6);
  int year = baby ? rng_.range(2015, 2020)
                  : std::clamp(like.year == 0 ? 1970 : like.year + rng_.range(-6, 6), 1930, 2004);
  if (!baby) family_surname(like.origin, fam);
  return person(like.origin, rng_.chance(0.5), fam, year);
}

const std::vector<std::string_view>& PeopleMaker::first_variants(int g) const {
  return n_.first_groups[static_cast<size_t>(g)];
}

const std::vector<std::string_view>& PeopleMaker::last_variants(int g) const {
  return n_.last_groups[static_cast<size_t>(g)];
}

std::string_view PeopleMaker::random_surname(bool female) {
  size_t o = origin();
  std::string_view s = n_.origins[o].last.names[n_.origins[o].last.alias.sample(rng_)];
  if (female && n_.origins[o].slavic) {
    scratch_ = feminine(s);
    return scratch_;
  }
  return s;
}

}  // namespace nm::jobs::generator
