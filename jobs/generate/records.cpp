#include "jobs/generate/records.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <string_view>
#include <utility>
#include <vector>

#include "jobs/generate/accents.hpp"
#include "jobs/generate/typo.hpp"
#include "src/text/utf8.hpp"

namespace nm::jobs::generator {
namespace {

std::string_view pick_variant(const std::vector<std::string_view>& group, std::string_view cur,
                              Rng& rng) {
  for (int tries = 0; tries < 4; ++tries) {
    std::string_view v = group[rng.below(group.size())];
    if (v != cur) return v;
  }
  return cur;
}

MiddleForm middle_form(Rng& rng) {
  double u = rng.uniform();
  return u < 0.60 ? kFull : u < 0.78 ? kInitial : u < 0.85 ? kInitialDot : kNoMiddle;
}

void render_middle(const Person& p, MiddleForm form, std::string& out) {
  out.clear();
  if (p.middle.empty() || form == kNoMiddle) return;
  if (form == kFull) {
    out = p.middle;
    return;
  }
  out.assign(p.middle, 0, decode_utf8_at(p.middle, 0, Utf8Policy::kTrusted).length);
  if (form == kInitialDot) out += '.';
}

void render_last(const Person& p, bool with_suffix, std::string& out) {
  out = p.last;
  if (with_suffix && !p.suffix.empty()) {
    out += p.suffix_comma ? ", " : " ";
    out += p.suffix;
  }
}

Fold pick_fold(Rng& rng, double p) {
  if (!rng.chance(p)) return Fold::kNone;
  return rng.chance(0.25) ? Fold::kAlt : Fold::kPlain;
}

Case pick_case(Rng& rng, double upper, double lower) {
  double u = rng.uniform();
  return u < upper ? Case::kUpper : u < upper + lower ? Case::kLower : Case::kAsIs;
}

// --skew: an unknown date is written as 1970-01-01. Applied last, after every
// random choice of the record (some depend on the real year), so the rest of
// the record is what it would be without --skew, and a copy keeps the date.
void write_unknown_date(const Person& p, Fields& f) {
  if (!p.unknown_date) return;
  f.year = 1970;
  f.month = f.day = 1;
}

// Spelling fold and case applied to every name; the person's birthdate as is.
void finish_fields(const Person& p, Fold fold, Case cas, Fields& f) {
  transform(f.first, fold, cas);
  transform(f.middle, fold, cas);
  transform(f.last, fold, cas);
  f.year = p.year;
  f.month = p.month;
  f.day = p.day;
  write_unknown_date(p, f);
}

}  // namespace

void render_left(const Person& p, LeftMeta& meta, PeopleMaker& pm, Rng& rng, Fields& f) {
  f.first = p.first;
  if (p.first_group >= 0 && rng.chance(0.015))
    f.first = pick_variant(pm.first_variants(p.first_group), p.first, rng);
  meta.middle = middle_form(rng);
  render_middle(p, meta.middle, f.middle);
  render_last(p, rng.chance(0.9), f.last);
  const Fold fold = pick_fold(rng, 0.12);
  const Case cas = pick_case(rng, 0.02, 0.003);
  finish_fields(p, fold, cas, f);
}

// A table-2 record of a person who is not a copy.
void render_other(const Person& p, Rng& rng, Fields& f) {
  f.first = p.first;
  render_middle(p, middle_form(rng), f.middle);
  render_last(p, rng.chance(0.7), f.last);
  const Fold fold = pick_fold(rng, 0.35);
  const Case cas = pick_case(rng, 0.06, 0.01);
  finish_fields(p, fold, cas, f);
}

// A table-2 copy of a left person, corrupted.
void render_copy(const Person& p, const LeftMeta& meta, PeopleMaker& pm, Rng& rng, Fields& f) {
  // Spelling: nickname / variant, quoted nickname.
  f.first = p.first;
  if (p.first_group >= 0) {
    if (rng.chance(0.05)) {
      f.first = pick_variant(pm.first_variants(p.first_group), p.first, rng);
    } else if (rng.chance(0.001)) {
      std::string_view nick = pick_variant(pm.first_variants(p.first_group), p.first, rng);
      if (nick != p.first) f.first = fmt::format("{} \"{}\"", p.first, nick);
    }
  }
  render_middle(p, rng.chance(0.7) ? meta.middle : middle_form(rng), f.middle);
  render_last(p, rng.chance(0.6), f.last);
  if (p.compound_at > 0 && p.compound_at < p.last.size() && rng.chance(0.3)) {
    const std::string a = p.last.substr(0, p.compound_at), b = p.last.substr(p.compound_at + 1);
    const double u = rng.uniform();
    f.last = u < 0.55   ? a
             : u < 0.7  ? b
             : u < 0.85 ? a + (p.last[p.compound_at] == ' ' ? "-" : " ") + b
                        : a + b;
  } else if (p.last_group >= 0 && rng.chance(0.025)) {
    f.last = pick_variant(pm.last_variants(p.last_group), p.last, rng);
  } else if (p.female && p.year != 0 && p.year <= 2002 && rng.chance(0.012)) {
    f.last = pm.random_surname(true);  // married / divorced
  }
  // Typing errors.
  auto typos = [&](std::string& s, double p_typo) {
    if (s.empty() || !rng.chance(p_typo)) return;
    typo(s, rng);
    if (rng.chance(0.1)) typo(s, rng);
  };
  const Fold fold = pick_fold(rng, 0.35);
  transform(f.first, fold, Case::kAsIs);
  transform(f.middle, fold, Case::kAsIs);
  transform(f.last, fold, Case::kAsIs);
  typos(f.first, 0.03);
  if (f.middle.size() > 2) typos(f.middle, 0.01);
  typos(f.last, 0.03);
  // Structure: missing, swapped, merged fields.
  if (rng.chance(0.004)) f.first.clear();
  if (rng.chance(0.003)) f.last.clear();
  if (rng.chance(0.002)) std::swap(f.first, f.last);
  if (f.middle.size() > 2 && rng.chance(0.005)) {
    f.first += ' ';
    f.first += f.middle;
    f.middle.clear();
  }
  // Case and stray spaces.
  const Case cas = pick_case(rng, 0.06, 0.01);
  transform(f.first, Fold::kNone, cas);
  transform(f.middle, Fold::kNone, cas);
  transform(f.last, Fold::kNone, cas);
  if (rng.chance(0.004)) {
    std::string& s = rng.chance(0.5) ? f.first : f.last;
    transform(s, Fold::kNone, rng.chance(0.5) ? Case::kUpper : Case::kLower);
  }
  if (rng.chance(0.003)) {
    if (rng.chance(0.5))
      f.first += ' ';
    else
      f.last.insert(0, 1, ' ');
  }
  // Birthdate.
  f.year = p.year;
  f.month = p.month;
  f.day = p.day;
  if (f.year != 0) {
    const double u = rng.uniform();
    if (u < 0.012) {
      if (f.day <= 12 && f.day != f.month) std::swap(f.day, f.month);
    } else if (u < 0.017) {
      f.year = 0;
    } else if (u < 0.020) {
      f.year =
          static_cast<uint16_t>(f.year >= 2020 ? f.year - 1 : f.year + (rng.chance(0.5) ? 1 : -1));
      f.day = static_cast<uint8_t>(std::min<int>(f.day, days_in_month(f.year, f.month)));
    } else if (u < 0.023) {
      f.day = static_cast<uint8_t>(f.day > 1 ? f.day - 1 : f.day + 1);
    }
  }
  write_unknown_date(p, f);
}

}  // namespace nm::jobs::generator
