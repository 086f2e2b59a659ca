#include "jobs/generate/typo.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <utility>

#include "jobs/generate/accents.hpp"
#include "src/text/utf8.hpp"

namespace nm::jobs::generator {
namespace {

inline bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A keyboard neighbour or a sound-alike of the ASCII letter c (lower case).
char neighbour(char c, Rng& rng) {
  static constexpr const char* kKeys[26] = {
      "qwsz",   "vghn",  "xdfv", "serfcx", "wsdr", "drtgvc", "ftyhbv", "gyujnb", "ujko",
      "huikmn", "jiolm", "kop",  "njk",    "bhjm", "iklp",   "ol",     "wa",     "edft",
      "awedxz", "rfgy",  "yhji", "cfgb",   "qase", "zsdc",   "tghu",   "asx"};
  static constexpr std::pair<char, char> kSound[] = {
      {'a', 'e'}, {'e', 'a'}, {'i', 'y'}, {'y', 'i'}, {'o', 'u'}, {'u', 'o'},
      {'c', 'k'}, {'k', 'c'}, {'s', 'z'}, {'z', 's'}, {'f', 'v'}, {'v', 'f'}};
  if (c < 'a' || c > 'z') c = 'e';
  if (rng.chance(0.3))
    for (const auto& [from, to] : kSound)
      if (from == c) return to;
  const char* keys = kKeys[c - 'a'];
  return keys[rng.below(std::strlen(keys))];
}

}  // namespace

// One typing error: adjacent transposition, substitution, deletion or insertion,
// on code points (never splits a UTF-8 sequence). The first letter is rarely hit.
void typo(std::string& s, Rng& rng) {
  std::array<uint16_t, 65> starts;
  size_t n = 0;
  for (size_t i = 0; i < s.size() && n < 64; i += decode_utf8_at(s, i, Utf8Policy::kTrusted).length)
    starts[n++] = static_cast<uint16_t>(i);
  if (n < 2) return;
  starts[n] = static_cast<uint16_t>(s.size());
  auto span = [&](size_t k) {
    return std::string(s, starts[k], static_cast<size_t>(starts[k + 1] - starts[k]));
  };
  size_t pos = rng.chance(0.1) ? 0 : 1 + rng.below(n - 1);
  const double u = rng.uniform();
  if (u < 0.3) {  // transpose pos and pos+1
    if (pos + 1 >= n) pos = n - 2;
    if (pos == 0 && n >= 3) pos = 1;
    std::string a = span(pos), b = span(pos + 1);
    s.replace(starts[pos], a.size() + b.size(), b + a);
  } else if (u < 0.6) {  // substitute
    std::string cur = span(pos);
    char base = cur.size() == 1 ? cur[0] : 'e';
    if (cur.size() > 1) {
      std::string folded = cur;
      transform(folded, Fold::kPlain, Case::kAsIs);
      base = folded[0];
    }
    if (!is_ascii_letter(base)) {  // a space, hyphen or apostrophe: drop it instead
      s.erase(starts[pos], cur.size());
      return;
    }
    const bool upper = base >= 'A' && base <= 'Z';
    char r = neighbour(upper ? static_cast<char>(base + 32) : base, rng);
    if (upper) r = static_cast<char>(r - 32);
    s.replace(starts[pos], cur.size(), 1, r);
  } else if (u < 0.8) {  // delete
    s.erase(starts[pos], static_cast<size_t>(starts[pos + 1] - starts[pos]));
  } else {  // insert: a doubled letter or a neighbour key after pos
    std::string cur = span(pos);
    if (rng.chance(0.5) || cur.size() > 1 || !is_ascii_letter(cur[0])) {
      s.insert(starts[pos + 1], cur);
    } else {
      char c = cur[0];
      const bool upper = c >= 'A' && c <= 'Z';
      char r = neighbour(upper ? static_cast<char>(c + 32) : c, rng);
      s.insert(starts[pos + 1], 1, r);
    }
  }
}

}  // namespace nm::jobs::generator
