// Synthetic registries with known truth (see generate.hpp).
//
// The model
// ---------
// People live in households of 1-6 (weights 28/31/16/14/7/4 %). A household has
// an origin (English, Hispanic, German, French, Polish/Czech/Russian, Vietnamese,
// Arabic, Italian, South Asian, East Asian, Nordic, Turkish, African, Hungarian)
// that drives the surname and, 78 % of the time, each member's first name. Name
// pools are Zipf-weighted by list position (w = 1 / (rank + 2)^0.8), so common
// names repeat and birthdate blocks collide the way real ones do. Families: a
// head, usually a partner (72 % share the surname; Polish/Czech/Russian
// surnames take the feminine form), children born 19-45 years after the mother
// (3 % twins), sometimes a grandparent; Spanish compound surnames ("García
// López"), hyphenated double surnames, "Jr."/"III" suffixes (some written
// "Smith, Jr.", which needs CSV quoting), sons named after their father.
// Birthdates: years 1930-2020, 2.75 % forced to January 1 (about 3 % in total
// with the natural 1/365), 0.4 % missing. With --skew F, a fraction F of all
// persons (left persons and right-only persons alike, whatever their date)
// are written with 1970-01-01 in both tables (and no date corruption), drawn
// from a separate RNG stream per chunk so that nothing else changes.
//
// Table 1 (left) renders each person almost cleanly: 12 % of records are folded
// to ASCII (José -> Jose, Müller -> Muller or Mueller), 2 % are ALL CAPS, 1.5 %
// use a nickname; the middle name is written in full, as an initial ("M" or
// "M."), or not at all. The household key `uuid` is a random UUID per
// household (0.3 % of households have none).
//
// Table 2 (right): `overlap` of its rows are copies of left persons, taken
// household by household (92 % of a household's members; 6 % of copied
// households have a member who moved to their own household; 5 % gain a new
// member; 0.4 % of copies appear twice). The rest are other people. Each copy is
// re-rendered from the person and then corrupted:
//   ASCII folding 35 % of records, ALL CAPS 6 %, lower case 1 %, one field's case
//   mangled 0.4 %; nickname / spelling variant of the first name 5 % (Catherine/
//   Katherine, Jon/John, Steven/Stephen, Mohammed/Muhammad, Bob/Robert ...), of
//   the surname 2.5 % (Smith/Smyth, Meyer/Meier, MacDonald/McDonald ...);
//   typos (substitution by a keyboard neighbour or sound-alike, insertion,
//   deletion, adjacent transposition; 10 % of them double) in 3 % of first
//   names, 3 % of surnames, 1 % of middle names; middle name re-rendered 30 %
//   (full <-> initial <-> missing); missing first name 0.4 %, surname 0.3 %;
//   first/last swapped 0.2 %; first and middle in one field 0.5 %; compound
//   surnames shortened or re-joined 30 %; suffix dropped 40 %; women's surname
//   changed 1.2 %; stray space 0.3 %; a quoted nickname (`William "Bill"`)
//   0.1 %. Birthdate: day/month swapped (1.2 % when the swap is a real date),
//   missing 0.5 %, year off by one 0.3 %, day off by one 0.3 % -- about 1.6 % of
//   true pairs have different birthdates and cannot be matched by design; they
//   are still in truth.csv.
// Right households: hh_id is 4000000000 + the 1-based row of the household's
// first member; 30 % of one-person households and 1.5 % of other members have
// no hh_id (the id stands in).
//
// Determinism and speed: rows are made in chunks of kChunkRows. Chunk c makes
// left rows [c*K, c*K+n) and right rows [c*K, c*K+n), the right copies coming
// from the same chunk's left rows, with an RNG seeded from (seed, c) only. Worker
// threads format chunks into byte buffers; the calling thread writes them in
// chunk order with fwrite.
#include "io/safe_output.hpp"
#include "jobs/generate/generate.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <boost/program_options.hpp>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>

#include "io/csv_writer.hpp"
#include "jobs/cli.hpp"
#include "src/errors.hpp"

namespace nm::jobs {
namespace {

constexpr uint64_t kChunkRows = 1 << 15;
constexpr uint64_t kHouseholdBase = 4000000000ULL;

// ---------------------------------------------------------------- RNG

inline uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// xoshiro256**, seeded from (seed, stream) through splitmix64.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ 0x6A09E667F3BCC909ULL;
    uint64_t a = splitmix64(x);
    x = a ^ ((stream + 0x632BE59BD9B4E019ULL) * 0xD1B54A32D192ED03ULL);
    for (auto& s : s_) s = splitmix64(x);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }
  int range(int lo, int hi) {
    return lo + static_cast<int>(below(static_cast<uint64_t>(hi - lo + 1)));
  }
  bool chance(double p) { return uniform() < p; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::array<uint64_t, 4> s_;
};

// Walker/Vose alias table: O(1) weighted sampling.
class Alias {
 public:
  Alias() = default;
  explicit Alias(const std::vector<double>& w) {
    const size_t n = w.size();
    prob_.assign(n, 0);
    alias_.assign(n, 0);
    double total = 0;
    for (double x : w) total += x;
    std::vector<double> p(n);
    std::vector<uint32_t> small, large;
    for (size_t i = 0; i < n; ++i) {
      p[i] = w[i] * static_cast<double>(n) / total;
      (p[i] < 1 ? small : large).push_back(static_cast<uint32_t>(i));
    }
    while (!small.empty() && !large.empty()) {
      uint32_t s = small.back(), l = large.back();
      small.pop_back();
      prob_[s] = p[s];
      alias_[s] = l;
      p[l] = (p[l] + p[s]) - 1;
      if (p[l] < 1) {
        large.pop_back();
        small.push_back(l);
      }
    }
    for (uint32_t i : large) prob_[i] = 1;
    for (uint32_t i : small) prob_[i] = 1;
  }
  size_t sample(Rng& rng) const {
    size_t i = rng.below(prob_.size());
    return rng.uniform() < prob_[i] ? i : alias_[i];
  }
  size_t size() const { return prob_.size(); }

 private:
  std::vector<double> prob_;
  std::vector<uint32_t> alias_;
};

// ---------------------------------------------------------------- characters
// The accented letters used in the pools: lower, upper, ASCII folding, and the
// German/Scandinavian folding (ü -> ue, ø -> oe, å -> aa) where one exists.
struct AccentSpec {
  const char* lower;
  const char* upper;
  const char* ascii;
  const char* alt;
};
constexpr AccentSpec kAccentSpecs[] = {
    {"á", "Á", "a", ""},   {"à", "À", "a", ""},   {"â", "Â", "a", ""},   {"ä", "Ä", "a", "ae"},
    {"ã", "Ã", "a", ""},   {"å", "Å", "a", "aa"}, {"ā", "Ā", "a", ""},   {"ą", "Ą", "a", ""},
    {"ă", "Ă", "a", ""},   {"ạ", "Ạ", "a", ""},   {"ả", "Ả", "a", ""},   {"ấ", "Ấ", "a", ""},
    {"ầ", "Ầ", "a", ""},   {"ắ", "Ắ", "a", ""},   {"ằ", "Ằ", "a", ""},   {"ặ", "Ặ", "a", ""},
    {"æ", "Æ", "ae", ""},  {"ç", "Ç", "c", ""},   {"č", "Č", "c", ""},   {"ć", "Ć", "c", ""},
    {"đ", "Đ", "d", ""},   {"ð", "Ð", "d", ""},   {"é", "É", "e", ""},   {"è", "È", "e", ""},
    {"ê", "Ê", "e", ""},   {"ë", "Ë", "e", ""},   {"ě", "Ě", "e", ""},   {"ę", "Ę", "e", ""},
    {"ễ", "Ễ", "e", ""},   {"ế", "Ế", "e", ""},   {"ệ", "Ệ", "e", ""},   {"ğ", "Ğ", "g", ""},
    {"í", "Í", "i", ""},   {"ì", "Ì", "i", ""},   {"î", "Î", "i", ""},   {"ï", "Ï", "i", ""},
    {"ị", "Ị", "i", ""},   {"ı", "I", "i", ""},   {"i", "İ", "i", ""},   {"ł", "Ł", "l", ""},
    {"ñ", "Ñ", "n", ""},   {"ń", "Ń", "n", ""},   {"ň", "Ň", "n", ""},   {"ó", "Ó", "o", ""},
    {"ò", "Ò", "o", ""},   {"ô", "Ô", "o", ""},   {"ö", "Ö", "o", "oe"}, {"õ", "Õ", "o", ""},
    {"ø", "Ø", "o", "oe"}, {"ő", "Ő", "o", ""},   {"ō", "Ō", "o", ""},   {"ơ", "Ơ", "o", ""},
    {"ọ", "Ọ", "o", ""},   {"ố", "Ố", "o", ""},   {"ồ", "Ồ", "o", ""},   {"ỗ", "Ỗ", "o", ""},
    {"ờ", "Ờ", "o", ""},   {"ř", "Ř", "r", ""},   {"ś", "Ś", "s", ""},   {"š", "Š", "s", ""},
    {"ş", "Ş", "s", ""},   {"ß", "SS", "ss", ""}, {"ú", "Ú", "u", ""},   {"ù", "Ù", "u", ""},
    {"û", "Û", "u", ""},   {"ü", "Ü", "u", "ue"}, {"ů", "Ů", "u", ""},   {"ű", "Ű", "u", ""},
    {"ũ", "Ũ", "u", ""},   {"ū", "Ū", "u", ""},   {"ư", "Ư", "u", ""},   {"ứ", "Ứ", "u", ""},
    {"ữ", "Ữ", "u", ""},   {"ủ", "Ủ", "u", ""},   {"ý", "Ý", "y", ""},   {"ỳ", "Ỳ", "y", ""},
    {"ỹ", "Ỹ", "y", ""},   {"ž", "Ž", "z", ""},   {"ź", "Ź", "z", ""},   {"ż", "Ż", "z", ""},
    {"þ", "Þ", "th", ""},
};

// Decodes the code point at s[i] (input is valid UTF-8 made by this file).
inline size_t cp_len(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }
inline uint32_t decode_cp(std::string_view s, size_t i, size_t len) {
  auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[i + k])); };
  switch (len) {
    case 1:
      return b(0);
    case 2:
      return ((b(0) & 0x1F) << 6) | (b(1) & 0x3F);
    case 3:
      return ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
    default:
      return ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
  }
}

struct AccentEntry {
  uint32_t cp;
  bool is_upper;
  std::string_view lower, upper;
  std::string ascii, alt;  // in the case of `cp` (Title-style for multi-letter: "Ae", "Th")
};

class Accents {
 public:
  Accents() {
    auto add = [&](std::string_view form, bool upper, const AccentSpec& s) {
      if (static_cast<unsigned char>(form[0]) < 0x80) return;  // ASCII side: nothing to map
      AccentEntry e;
      e.cp = decode_cp(form, 0, cp_len(static_cast<unsigned char>(form[0])));
      e.is_upper = upper;
      e.lower = s.lower;
      e.upper = s.upper;
      e.ascii = s.ascii;
      e.alt = *s.alt ? s.alt : s.ascii;
      if (upper) {
        e.ascii[0] = static_cast<char>(e.ascii[0] - 'a' + 'A');
        e.alt[0] = static_cast<char>(e.alt[0] - 'a' + 'A');
      }
      entries_.push_back(std::move(e));
    };
    for (const auto& s : kAccentSpecs) {
      add(s.lower, false, s);
      add(s.upper, true, s);
    }
    std::sort(entries_.begin(), entries_.end(),
              [](const AccentEntry& a, const AccentEntry& b) { return a.cp < b.cp; });
  }
  const AccentEntry* find(uint32_t cp) const {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), cp,
                               [](const AccentEntry& e, uint32_t c) { return e.cp < c; });
    return it != entries_.end() && it->cp == cp ? &*it : nullptr;
  }

 private:
  std::vector<AccentEntry> entries_;
};

const Accents& accents() {
  static const Accents a;
  return a;
}

inline bool has_non_ascii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

enum class Fold : uint8_t { kNone, kPlain, kAlt };
enum class Case : uint8_t { kAsIs, kUpper, kLower };

// Applies ASCII folding, then a case change.
void transform(std::string& s, Fold fold, Case cas) {
  if (s.empty() || (fold == Fold::kNone && cas == Case::kAsIs)) return;
  const Accents& acc = accents();
  if (!has_non_ascii(s)) {
    if (cas == Case::kUpper)
      for (char& c : s) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
    else if (cas == Case::kLower)
      for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    return;
  }
  std::string out;
  out.reserve(s.size() + 4);
  for (size_t i = 0; i < s.size();) {
    const size_t len = cp_len(static_cast<unsigned char>(s[i]));
    const AccentEntry* e = len > 1 ? acc.find(decode_cp(s, i, len)) : nullptr;
    if (e == nullptr) {
      char c = s[i];
      if (len == 1 && cas == Case::kUpper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      if (len == 1 && cas == Case::kLower && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      if (len == 1)
        out.push_back(c);
      else
        out.append(s, i, len);
    } else if (fold != Fold::kNone) {
      std::string_view a = fold == Fold::kAlt ? e->alt : e->ascii;
      for (char c : a) {
        if (cas == Case::kUpper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
        if (cas == Case::kLower && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        out.push_back(c);
      }
    } else if (cas == Case::kUpper) {
      out.append(e->upper);
    } else if (cas == Case::kLower) {
      out.append(e->lower);
    } else {
      out.append(s, i, len);
    }
    i += len;
  }
  s.swap(out);
}

// ---------------------------------------------------------------- name pools
// Per origin: weight in the registry, rate of people with a middle name, then
// '|'-separated male first names, female first names, surnames (most common
// first), and optional middle-name pools (otherwise first names are used).
struct OriginSpec {
  const char* code;
  double weight;
  double middle_rate;
  const char* male;
  const char* female;
  const char* last;
  const char* male_middle;
  const char* female_middle;
};

constexpr OriginSpec kOrigins[] = {
    {"en", 0.40, 0.75,
     "James|John|Robert|Michael|William|David|Richard|Joseph|Thomas|Charles|Christopher|Daniel|"
     "Matthew|Anthony|Mark|Donald|Steven|Paul|Andrew|Joshua|Kenneth|Kevin|Brian|George|Timothy|"
     "Ronald|Edward|Jason|Jeffrey|Ryan|Jacob|Gary|Nicholas|Eric|Jonathan|Stephen|Larry|Justin|"
     "Scott|Brandon|Benjamin|Samuel|Gregory|Alexander|Frank|Patrick|Raymond|Jack|Dennis|Jerry|"
     "Tyler|Aaron|Henry|Douglas|Peter|Walter|Nathan|Zachary|Kyle|Noah|Ethan|Sean|Christian|"
     "Austin|Philip|Wayne|Dylan|Logan|Mason|Liam",
     "Mary|Patricia|Jennifer|Linda|Elizabeth|Barbara|Susan|Jessica|Sarah|Karen|Lisa|Nancy|Betty|"
     "Margaret|Sandra|Ashley|Kimberly|Emily|Donna|Michelle|Carol|Amanda|Dorothy|Melissa|Deborah|"
     "Stephanie|Rebecca|Sharon|Laura|Cynthia|Kathleen|Amy|Angela|Shirley|Anna|Brenda|Pamela|Emma|"
     "Nicole|Helen|Samantha|Katherine|Christine|Debra|Rachel|Carolyn|Janet|Catherine|Heather|"
     "Megan|Olivia|Ava|Allison|Ann|Kristen|Caitlin|Teresa|Isabel|Abigail|Madison|Hannah|Grace|"
     "Chloe|Evelyn|Judith|Joan|Alice|Julie|Diana|Victoria",
     "Smith|Johnson|Williams|Brown|Jones|Miller|Davis|Wilson|Anderson|Taylor|Thomas|Moore|Jackson|"
     "Martin|Lee|Thompson|White|Harris|Clark|Lewis|Robinson|Walker|Young|Allen|King|Wright|Scott|"
     "Hill|Green|Adams|Baker|Nelson|Carter|Mitchell|Roberts|Turner|Phillips|Campbell|Parker|Evans|"
     "Edwards|Collins|Stewart|Morris|Murphy|Cook|Rogers|Morgan|Peterson|Cooper|Reed|Bailey|Bell|"
     "Kelly|Howard|Ward|Cox|Richardson|Wood|Watson|Brooks|Bennett|Gray|James|Hughes|Price|Sanders|"
     "Myers|Long|Ross|Foster|Powell|Jenkins|Perry|Russell|Sullivan|O'Brien|O'Connor|McDonald|"
     "MacDonald|Fitzgerald|Gallagher|Murray|Reid|Stuart|Graham|Hamilton",
     nullptr, nullptr},
    {"es", 0.17, 0.40,
     "José|Juan|Luis|Carlos|Jesús|Jorge|Miguel|Francisco|Antonio|Alejandro|Manuel|Pedro|Ricardo|"
     "Fernando|Javier|Roberto|Andrés|Rafael|Sergio|Eduardo|Raúl|Ramón|Héctor|Diego|Óscar|"
     "Guillermo|Julián|Martín|Joaquín|Iván|Tomás|Adrián|Ángel|Emilio|Gonzalo|Mateo|Santiago|"
     "Sebastián|Nicolás|Rubén",
     "María|Guadalupe|Ana|Rosa|Carmen|Juana|Sofía|Lucía|Isabel|Laura|Patricia|Verónica|Elena|"
     "Marta|Teresa|Gabriela|Daniela|Valentina|Camila|Mónica|Adriana|Claudia|Alejandra|Silvia|"
     "Beatriz|Inés|Raquel|Natalia|Paula|Leticia|Araceli|Yolanda|Dolores|Pilar|Ximena|Marisol|"
     "Andrea|Noemí|Begoña|Itziar",
     "García|Rodríguez|Martínez|Hernández|López|González|Pérez|Sánchez|Ramírez|Torres|Flores|"
     "Rivera|Gómez|Díaz|Cruz|Morales|Reyes|Gutiérrez|Ortiz|Chávez|Ramos|Ruiz|Álvarez|Mendoza|"
     "Vásquez|Castillo|Jiménez|Moreno|Romero|Herrera|Medina|Aguilar|Vargas|Guzmán|Muñoz|Núñez|"
     "Peña|Domínguez|Castañeda|Ibáñez|Fernández|Suárez|Delgado|Navarro|Rojas|Soto|Contreras|"
     "De la Cruz|Dela Cruz|Santos|Villanueva",
     nullptr, nullptr},
    {"de", 0.05, 0.45,
     "Hans|Peter|Klaus|Jürgen|Wolfgang|Michael|Stefan|Andreas|Thomas|Frank|Uwe|Günter|Dieter|"
     "Horst|Manfred|Helmut|Matthias|Markus|Sebastian|Tobias|Lukas|Jörg|Rüdiger|Björn|Maximilian|"
     "Felix|Jonas|Lars|Dirk|Heinz",
     "Ursula|Monika|Petra|Sabine|Renate|Helga|Karin|Brigitte|Ingrid|Gisela|Andrea|Susanne|Birgit|"
     "Claudia|Jutta|Käthe|Anja|Katrin|Sandra|Stefanie|Julia|Lena|Leonie|Hannelore|Gerda|Erika|"
     "Bärbel|Jana|Annika|Franziska|Doris|Elke",
     "Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schulz|Hoffmann|Schäfer|Koch|"
     "Bauer|Richter|Klein|Wolf|Schröder|Neumann|Schwarz|Zimmermann|Braun|Krüger|Hofmann|Hartmann|"
     "Lange|Schmitt|Werner|Schmitz|Krause|Meier|Lehmann|Köhler|Weiß|Jäger|Groß|Fuchs|Vogel|"
     "Keller|Günther|Frank|Berger|Kaiser|Huber|Mayer|Maier",
     nullptr, nullptr},
    {"fr", 0.04, 0.45,
     "Jean|Pierre|Michel|André|Philippe|François|Jacques|Bernard|Alain|Nicolas|Christophe|"
     "Stéphane|Frédéric|Olivier|Sébastien|Laurent|Julien|Thierry|Didier|Éric|Jérôme|Gérard|Rémi|"
     "Benoît|Hugo|Théo|Mathis|Noël|Clément|Aurélien",
     "Marie|Jeanne|Françoise|Monique|Catherine|Nathalie|Isabelle|Sylvie|Christine|Martine|Sophie|"
     "Céline|Valérie|Sandrine|Stéphanie|Hélène|Émilie|Chloé|Léa|Manon|Camille|Amélie|Océane|Anaïs|"
     "Zoë|Renée|Mélanie|Aurélie|Geneviève|Brigitte|Agnès|Josée|Noémie",
     "Martin|Bernard|Dubois|Thomas|Robert|Richard|Petit|Durand|Leroy|Moreau|Simon|Laurent|Lefèvre|"
     "Michel|David|Bertrand|Roux|Vincent|Fournier|Morel|Girard|André|Lefebvre|Mercier|Dupont|"
     "Lambert|Bonnet|François|Légaré|Gagnon|Côté|Bouchard|Gauthier|Tremblay|Bélanger|Lévesque|"
     "Pelletier|Bérubé|Thériault|Desrosiers|Beaulieu|Chevalier|Rousseau|Benoît|Lemieux",
     nullptr, nullptr},
    {"pl", 0.04, 0.30,
     "Piotr|Krzysztof|Andrzej|Tomasz|Paweł|Jan|Michał|Marcin|Jakub|Łukasz|Grzegorz|Mateusz|Adam|"
     "Marek|Wojciech|Stanisław|Zbigniew|Jerzy|Tadeusz|Mariusz|Kamil|Dariusz|Rafał|Jacek|Sławomir|"
     "Jiří|Tomáš|Václav|Dmitri|Sergei|Aleksandr|Vladimir|Ivan|Oleksandr|Yuri|Mykola",
     "Anna|Maria|Katarzyna|Małgorzata|Agnieszka|Barbara|Ewa|Krystyna|Elżbieta|Magdalena|Joanna|"
     "Zofia|Aleksandra|Monika|Teresa|Danuta|Natalia|Karolina|Marta|Beata|Dorota|Halina|Jadwiga|"
     "Irena|Bożena|Grażyna|Jana|Petra|Lucie|Věra|Olga|Tatiana|Svetlana|Irina|Natalya|Oksana|"
     "Ludmila",
     "Nowak|Kowalski|Wiśniewski|Wójcik|Kowalczyk|Kamiński|Lewandowski|Zieliński|Szymański|"
     "Woźniak|Dąbrowski|Kozłowski|Jankowski|Mazur|Kwiatkowski|Krawczyk|Piotrowski|Grabowski|"
     "Nowakowski|Pawłowski|Michalski|Król|Wieczorek|Jabłoński|Wróbel|Novák|Svoboda|Novotný|"
     "Dvořák|Černý|Procházka|Kučera|Veselý|Horák|Ivanov|Petrov|Smirnov|Kuznetsov|Popov|Sokolov|"
     "Shevchenko|Kovalenko|Bondarenko",
     nullptr, nullptr},
    {"vi", 0.035, 0.90,
     "Minh|Hùng|Dũng|Tuấn|Quang|Đức|Hải|Nam|Long|Thành|Huy|Phúc|Khoa|Bảo|Trung|Cường|Hiếu|Vinh|"
     "Sơn|Thắng|Tâm|Hoàng|Việt|Duy|Phong",
     "Linh|Anh|Thảo|Hương|Ngọc|Phương|Lan|Mai|Hoa|Trang|Hạnh|Thu|Hằng|Nhung|Vy|Nga|Hà|Thủy|Yến|"
     "Dung|Loan|Quỳnh|Trâm|My|Tuyết",
     "Nguyễn|Trần|Lê|Phạm|Hoàng|Huỳnh|Phan|Vũ|Võ|Đặng|Bùi|Đỗ|Hồ|Ngô|Dương|Lý|Đinh|Lương|Trương|"
     "Mai|Tô|Đoàn|Lâm|Cao|Châu",
     "Văn|Đức|Minh|Quốc|Hữu|Thanh|Công", "Thị|Ngọc|Thu|Thanh|Kim|Mỹ"},
    {"ar", 0.05, 0.35,
     "Mohammed|Ahmed|Ali|Omar|Mahmoud|Hassan|Hussein|Youssef|Ibrahim|Khalid|Abdullah|Mustafa|"
     "Tariq|Karim|Samir|Walid|Bilal|Hamza|Amir|Rashid|Nabil|Faisal|Jamal|Said|Anwar|Imran|Zain|"
     "Adnan",
     "Fatima|Aisha|Mariam|Layla|Noor|Zainab|Amina|Khadija|Huda|Yasmin|Salma|Rania|Hana|Leila|"
     "Samira|Nadia|Farah|Dina|Lina|Reem|Sara|Iman|Maha|Soraya|Jamila",
     "Mohammed|Ahmed|Ali|Hassan|Hussein|Ibrahim|Khan|Abdullah|Mahmoud|Saleh|Haddad|Khalil|Nasser|"
     "Mansour|Hamdan|Aziz|Rahman|Qureshi|Siddiqui|Malik|Sheikh|Haidar|Al-Sayed|El-Amin|Abu-Bakr|"
     "Farouk|Yousef|Othman|Shah|Chaudhry|Hussain|Rashid|Darwish|Barakat",
     nullptr, nullptr},
    {"it", 0.035, 0.30,
     "Giuseppe|Giovanni|Antonio|Mario|Luigi|Francesco|Angelo|Vincenzo|Pietro|Salvatore|Carlo|"
     "Franco|Domenico|Bruno|Paolo|Michele|Giorgio|Aldo|Sergio|Luca|Marco|Alessandro|Matteo|"
     "Lorenzo|Niccolò|Andrea|Stefano|Roberto|Fabrizio|Nicolò",
     "Maria|Anna|Giuseppina|Rosa|Angela|Giovanna|Teresa|Lucia|Carmela|Caterina|Francesca|"
     "Antonietta|Carla|Elena|Concetta|Rita|Margherita|Franca|Paola|Giulia|Chiara|Federica|Alessia|"
     "Martina|Sara|Valentina|Silvia|Simona|Roberta|Ilaria",
     "Rossi|Russo|Ferrari|Esposito|Bianchi|Romano|Colombo|Ricci|Marino|Greco|Bruno|Gallo|Conti|"
     "De Luca|Mancini|Costa|Giordano|Rizzo|Lombardi|Moretti|Barbieri|Fontana|Santoro|Mariani|"
     "Rinaldi|Caruso|Ferrara|Galli|Martini|Leone|Longo|Gentile|Martinelli|Vitale|Lombardo|Serra|"
     "Coppola|De Santis|D'Angelo|D'Amico|Cannavò|Pagano|Fabbri|Sorrentino",
     nullptr, nullptr},
    {"in", 0.04, 0.35,
     "Rahul|Amit|Raj|Sanjay|Vikram|Arjun|Rohan|Anil|Sunil|Ravi|Suresh|Ramesh|Vijay|Ajay|Deepak|"
     "Manoj|Arun|Kiran|Pradeep|Nikhil|Aditya|Siddharth|Harpreet|Gurpreet|Mohan|Krishna|Ashok|"
     "Rajesh",
     "Priya|Anjali|Pooja|Neha|Sunita|Kavita|Deepa|Lakshmi|Anita|Meera|Sita|Divya|Shreya|Asha|"
     "Rekha|Swati|Nisha|Aarti|Jyoti|Radha|Sneha|Geeta|Shanti|Usha|Manpreet|Simran",
     "Patel|Sharma|Singh|Kumar|Gupta|Shah|Mehta|Joshi|Reddy|Rao|Iyer|Nair|Desai|Verma|Agarwal|"
     "Chopra|Kapoor|Malhotra|Bhatt|Pillai|Menon|Chauhan|Yadav|Mishra|Pandey|Trivedi|Banerjee|"
     "Chatterjee|Mukherjee|Das|Bose|Ghosh|Sinha|Saxena|Khanna|Sethi|Gill|Sandhu|Dhillon",
     "Kumar|Singh|Prasad|Lal|Chand", "Devi|Kaur|Kumari|Rani"},
    {"ea", 0.045, 0.20,
     "Wei|Jun|Hao|Jie|Lei|Ming|Yang|Tao|Bin|Feng|Qiang|Zhiwei|Jian|Hiroshi|Takashi|Kenji|Satoshi|"
     "Daisuke|Haruto|Kazuo|Ryo|Shōta|Yūto|Kōji|Min-jun|Ji-hoon|Seo-jun|Hyun-woo|Sung-min",
     "Li|Mei|Xiu|Ying|Hui|Jing|Yan|Fang|Xin|Lan|Yuki|Sakura|Yui|Aiko|Haruka|Keiko|Yoko|Emi|Naoko|"
     "Yūko|Kyōko|Ji-woo|Seo-yeon|Min-seo|Ha-eun|Soo-jin|Eun-ji|Hye-jin",
     "Wang|Li|Zhang|Liu|Chen|Yang|Huang|Zhao|Wu|Zhou|Xu|Sun|Ma|Zhu|Hu|Guo|Lin|He|Gao|Luo|Kim|Lee|"
     "Park|Choi|Jung|Kang|Cho|Yoon|Jang|Lim|Sato|Suzuki|Takahashi|Tanaka|Watanabe|Ito|Yamamoto|"
     "Nakamura|Kobayashi|Katō|Saitō|Yoshida|Wong|Chan|Leung|Ng|Cheung|Lau",
     nullptr, nullptr},
    {"no", 0.02, 0.45,
     "Lars|Anders|Johan|Erik|Nils|Per|Jan|Ole|Søren|Bjørn|Mikael|Henrik|Magnus|Kristian|Jens|"
     "Håkan|Göran|Åke|Jörgen|Mats|Sven|Niels|Rasmus|Emil|Oskar|Axel|Eirik|Øyvind|Pål|Sigurður",
     "Anna|Kristina|Ingrid|Karin|Birgitta|Sofia|Maja|Elsa|Astrid|Sigrid|Linnéa|Åsa|Märta|Solveig|"
     "Signe|Freja|Ida|Emma|Mette|Kirsten|Helle|Hanne|Liv|Ragnhild|Tove|Maren|Björk|Guðrún|Þóra",
     "Andersson|Johansson|Karlsson|Nilsson|Eriksson|Larsson|Olsson|Persson|Svensson|Gustafsson|"
     "Hansen|Johansen|Olsen|Larsen|Andersen|Pedersen|Nielsen|Jensen|Christensen|Sørensen|"
     "Rasmussen|Jørgensen|Petersen|Madsen|Kristiansen|Berg|Haugen|Hagen|Lindqvist|Lindström|"
     "Bergström|Sjöberg|Åberg|Öberg|Ekström|Håkansson|Jónsson|Guðmundsson|Virtanen|Korhonen|"
     "Mäkinen|Nieminen|Hämäläinen",
     nullptr, nullptr},
    {"tr", 0.015, 0.15,
     "Mehmet|Mustafa|Ahmet|Ali|Hüseyin|Hasan|İbrahim|İsmail|Osman|Yusuf|Murat|Ömer|Ramazan|Halil|"
     "Süleyman|Abdullah|Mahmut|Recep|Emre|Burak|Can|Çağlar|Oğuz|Serkan|Gökhan",
     "Fatma|Ayşe|Emine|Hatice|Zeynep|Elif|Meryem|Şerife|Zehra|Sultan|Hanife|Merve|Özlem|Esra|"
     "Büşra|Gül|Derya|Sibel|Yasemin|Ebru|Nur|Şule|Gülşen|Hülya|Tuğba",
     "Yılmaz|Kaya|Demir|Şahin|Çelik|Yıldız|Yıldırım|Öztürk|Aydın|Özdemir|Arslan|Doğan|Kılıç|"
     "Aslan|Çetin|Kara|Koç|Kurt|Özkan|Şimşek|Polat|Korkmaz|Erdoğan|Güneş|Akın",
     nullptr, nullptr},
    {"af", 0.025, 0.40,
     "Oluwaseun|Chinedu|Emeka|Tunde|Kwame|Kofi|Yaw|Abdoulaye|Mamadou|Moussa|Ibrahima|Chukwuemeka|"
     "Obinna|Olumide|Babajide|Themba|Sipho|Thabo|Kagiso|Tendai|Tafadzwa|Jabari|Amadou|Oumar|Sékou|"
     "Chidi",
     "Ngozi|Chiamaka|Adaeze|Funmilayo|Folake|Yetunde|Amara|Ama|Akosua|Abena|Fatoumata|Aminata|"
     "Mariama|Awa|Aïssatou|Nomvula|Thandiwe|Zanele|Lindiwe|Nandi|Chipo|Rudo|Wanjiru|Akinyi|Njeri|"
     "Ifeoma",
     "Okafor|Okonkwo|Adeyemi|Ogunleye|Eze|Nwosu|Olawale|Balogun|Adebayo|Oyelaran|Mensah|Owusu|"
     "Boateng|Asante|Appiah|Diallo|Traoré|Koné|Touré|Sow|Ba|Ndiaye|Diop|Cissé|Camara|Dlamini|"
     "Nkosi|Ndlovu|Khumalo|Mokoena|Moyo|Kamau|Otieno|Mwangi|Wanjiku|Ochieng",
     nullptr, nullptr},
    {"hu", 0.01, 0.25,
     "László|István|József|János|Zoltán|Sándor|Ferenc|Gábor|Attila|Péter|Tamás|Zsolt|Balázs|"
     "Csaba|Gyula|Lajos",
     "Mária|Erzsébet|Katalin|Ilona|Éva|Anna|Zsuzsanna|Margit|Judit|Ágnes|Andrea|Erika|Krisztina|"
     "Zsófia|Réka|Dóra",
     "Nagy|Kovács|Tóth|Szabó|Horváth|Varga|Kiss|Molnár|Németh|Farkas|Balogh|Papp|Takács|Juhász|"
     "Lakatos|Mészáros|Oláh|Simon|Rácz|Fekete|Szilágyi|Török|Fehér|Balázs",
     nullptr, nullptr},
};

// Spellings a registrar might use for the same person: groups separated by ';',
// members by '|'. A member need not be in the pools (nicknames).
constexpr const char* kFirstNameGroups =
    "Catherine|Katherine|Kathryn|Katharine|Cathy|Kathy|Kate|Katie;John|Jon|Johnny|Jack;"
    "Jonathan|Johnathan|Jonathon|Jon;Steven|Stephen|Steve;Mohammed|Muhammad|Mohamed|Mohammad|"
    "Muhammed;Robert|Bob|Rob|Bobby|Robbie;William|Bill|Will|Billy;Richard|Rick|Rich|Dick|Ricky;"
    "Elizabeth|Elisabeth|Liz|Beth|Betty|Eliza;Margaret|Maggie|Peggy|Meg;Michael|Mike|Micheal;"
    "Christopher|Chris|Kristopher;Jennifer|Jen|Jenny|Jenifer;Alexander|Alex|Alexandre|"
    "Aleksander;Sarah|Sara;Ann|Anne|Annie;Anna|Ana|Anya;Jeffrey|Geoffrey|Jeff|Jeffery;"
    "Sean|Shawn|Shaun;Brian|Bryan;Eric|Erik;Mark|Marc;Philip|Phillip|Phil;Matthew|Matt|Mathew;"
    "Daniel|Dan|Danny;Joseph|Joe|Joey;Thomas|Tom|Tommy;James|Jim|Jimmy|Jamie;Anthony|Tony|"
    "Antony;Nicholas|Nick|Nicolas|Nikolas;Zachary|Zach|Zack|Zachery;Isabel|Isabelle|Isobel|"
    "Izabel|Isabella;Teresa|Theresa|Tereza;Ashley|Ashleigh|Ashlee;Allison|Alison|Alyson|Allyson;"
    "Megan|Meghan|Meagan;Kristen|Kirsten|Kristin;Caitlin|Kaitlyn|Katelyn|Caitlyn;"
    "Aleksandr|Alexandr|Alexander|Sasha;Sergei|Sergey;Dmitri|Dmitry|Dimitri;Yuri|Yury|Yuriy;"
    "Natalia|Natalya|Natalie|Nathalie;Katarzyna|Kasia;Małgorzata|Gosia;Francisco|Paco|Pancho;"
    "José|Pepe;Jesús|Chuy;Guillermo|Memo;Ahmed|Ahmad|Ahmet;Youssef|Yusuf|Yousef|Yusef;"
    "Hussein|Hussain|Husain|Hüseyin;Fatima|Fatimah|Fatma;Aisha|Ayesha|Aysha|Ayşe;"
    "Mariam|Maryam|Miriam|Meryem;Layla|Leila|Laila|Leyla;Omar|Umar|Ömer;Khalid|Khaled;"
    "Mahmoud|Mahmud|Mahmut;Mustafa|Mostafa|Moustafa;Ibrahim|Ebrahim|İbrahim;"
    "Yasmin|Yasmine|Yasemin;Noor|Nour|Nur;Zainab|Zaynab|Zeynep;Amina|Aminah|Emine;"
    "Khadija|Khadijah;Deborah|Debra|Debbie|Debora;Rebecca|Rebekah|Becky|Becca;"
    "Susan|Sue|Susie;Kimberly|Kim|Kimberley;Pamela|Pam;Patricia|Pat|Patty|Trish;"
    "Jessica|Jess|Jessie;Samantha|Sam|Sammy;Samuel|Sam|Sammy;Benjamin|Ben|Benny;"
    "Andrew|Andy|Drew;Timothy|Tim|Timmy;Kenneth|Ken|Kenny;Gregory|Greg;Edward|Ed|Eddie|Ted;"
    "Donald|Don|Donnie;Ronald|Ron|Ronnie;Raymond|Ray;Larry|Lawrence;Dennis|Denis;Peter|Pete;"
    "Henry|Harry|Hank;Douglas|Doug;Patrick|Pat|Paddy;Frank|Frankie|Francis;Walter|Walt;"
    "Jacob|Jake|Jakob;Joshua|Josh;Nathan|Nate;Dorothy|Dottie|Dorothea;Carolyn|Caroline;"
    "Judith|Judy;Victoria|Vicky|Tori;Abigail|Abby|Abbie;Christine|Kristine|Christina;"
    "Hannah|Hanna;Chloe|Chloé;Evelyn|Evelynn|Eveline;Diana|Diane|Dianna;Emily|Emilie;"
    "Luis|Luiz;Giuseppe|Beppe|Peppe;Giovanni|Gianni;Łukasz|Lukas|Lucas;Jakub|Kuba;"
    "Wojciech|Wojtek;Krzysztof|Krzys;Aleksandra|Alexandra|Ola;Zofia|Zosia;Sofía|Sofia|Sophia;"
    "Kristina|Christina|Kristin;Bjørn|Björn;Lars|Lasse;Niccolò|Nicolò|Nicola";

constexpr const char* kLastNameGroups =
    "Smith|Smyth|Smithe;Thompson|Thomson|Tompson;Johnson|Jonson|Johnsen;"
    "Anderson|Andersen|Andersson;Peterson|Petersen|Pedersen|Pettersson;"
    "Meyer|Meier|Mayer|Maier;Schmidt|Schmitt|Schmid|Smidt;Hernández|Hernandes;"
    "González|Gonzales;Vásquez|Vázquez|Vasques;Rodríguez|Rodrigues;"
    "MacDonald|McDonald|Macdonald|Mcdonald;O'Brien|OBrien|O Brien|O'Bryan;"
    "O'Connor|OConnor|O'Conner;Reid|Reed|Read;Gray|Grey;Clark|Clarke;Stewart|Stuart;"
    "Phillips|Philips;Nielsen|Nielson|Neilson;Hansen|Hanson;Olsen|Olson|Olsson;"
    "Larsen|Larson|Larsson;Jensen|Jenson;Christensen|Christiansen|Kristensen;"
    "Mohammed|Muhammad|Mohamed|Mohammad;Ahmed|Ahmad;Hussein|Hussain|Husain;Hassan|Hasan;"
    "Yousef|Youssef|Yusuf;Khan|Kahn;Abdullah|Abdallah;Rahman|Rehman;"
    "Chaudhry|Chaudhary|Choudhury;Qureshi|Kureshi;Lee|Leigh;Zhang|Chang;Nguyễn|Ngyuen;"
    "Kim|Gim;Park|Pak|Bak;Choi|Choe;Jung|Chung|Jeong;Lim|Im;"
    "De la Cruz|Dela Cruz|Delacruz|De La Cruz;De Luca|DeLuca|Deluca;De Santis|DeSantis;"
    "D'Angelo|DAngelo|Dangelo|D Angelo;D'Amico|DAmico|Damico;Al-Sayed|Al Sayed|Alsayed|El-Sayed;"
    "El-Amin|El Amin|Elamin;Abu-Bakr|Abu Bakr|Abubakar;Ivanov|Ivanoff|Iwanow;Petrov|Petroff;"
    "Nowak|Novak|Novák;Popov|Popoff;Singh|Sing;Reddy|Reddi;Sørensen|Sorenson;"
    "Leroy|LeRoy|Le Roy;Lefebvre|Lefèvre|Lefevre;Dupont|Du Pont|DuPont;Dubois|Du Bois|DuBois;"
    "Weiß|Weiss|Weis;Groß|Gross|Gros;Fischer|Fisher;Schneider|Snyder|Schnieder;Flores|Florez;"
    "Ruiz|Ruis;Díaz|Dias;Esposito|Exposito;Diallo|Jallow|Djalo;Touré|Ture;Ndiaye|N'Diaye|Njie";

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

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(
        s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) break;
    start = p + 1;
  }
  return out;
}

struct Names {
  std::vector<Origin> origins;
  Alias origin_alias;
  std::vector<std::vector<std::string_view>> first_groups, last_groups;
  size_t en = 0;
};

void check_chars(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t len = cp_len(static_cast<unsigned char>(s[i]));
    if (len > 1 && accents().find(decode_cp(s, i, len)) == nullptr)
      throw std::logic_error("generate: name pool character missing from the accent table: " +
                             std::string(s));
    i += len;
  }
}

Names build_names() {
  Names n;
  auto build_groups = [](const char* text, std::vector<std::vector<std::string_view>>& groups,
                         std::unordered_map<std::string_view, int>& index) {
    for (std::string_view g : split(text, ';')) {
      groups.push_back(split(g, '|'));
      for (std::string_view m : groups.back()) {
        check_chars(m);
        index.emplace(m, static_cast<int>(groups.size() - 1));  // first group wins
      }
    }
  };
  std::unordered_map<std::string_view, int> first_index, last_index;
  build_groups(kFirstNameGroups, n.first_groups, first_index);
  build_groups(kLastNameGroups, n.last_groups, last_index);
  auto make_pool = [](const char* text, const std::unordered_map<std::string_view, int>& index) {
    Pool p;
    if (text == nullptr) return p;
    p.names = split(text, '|');
    std::vector<double> w;
    for (size_t i = 0; i < p.names.size(); ++i) {
      check_chars(p.names[i]);
      auto it = index.find(p.names[i]);
      p.group.push_back(it == index.end() ? -1 : it->second);
      w.push_back(1.0 / std::pow(static_cast<double>(i) + 2.0, 0.8));
    }
    p.alias = Alias(w);
    return p;
  };
  std::vector<double> ow;
  for (const auto& s : kOrigins) {
    Origin o;
    o.code = s.code;
    o.middle_rate = s.middle_rate;
    o.slavic = o.code == "pl";
    o.male = make_pool(s.male, first_index);
    o.female = make_pool(s.female, first_index);
    o.last = make_pool(s.last, last_index);
    o.male_middle = make_pool(s.male_middle, first_index);
    o.female_middle = make_pool(s.female_middle, first_index);
    if (o.code == "en") n.en = n.origins.size();
    n.origins.push_back(std::move(o));
    ow.push_back(s.weight);
  }
  n.origin_alias = Alias(ow);
  return n;
}

const Names& names() {
  static const Names n = build_names();
  return n;
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

// ---------------------------------------------------------------- people

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

inline bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }
inline int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[m - 1];
}

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

class PeopleMaker {
 public:
  explicit PeopleMaker(Rng& rng) : rng_(rng), n_(names()) {}

  size_t household_size() {
    static constexpr double kCum[] = {0.28, 0.59, 0.75, 0.89, 0.96, 1.0};
    double u = rng_.uniform();
    size_t s = 0;
    while (s < 5 && u >= kCum[s]) ++s;
    return s + 1;
  }

  size_t origin() { return n_.origin_alias.sample(rng_); }

  // A surname for a family of origin `o`; may be a compound.
  void family_surname(size_t o, Person& p) {
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

  void first_name(size_t o, Person& p, std::string_view avoid = {}) {
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

  void middle_name(size_t o, Person& p) {
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
  Person person(size_t o, bool female, const Person& fam, int year) {
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

  Person single(size_t o) {
    Person fam;
    family_surname(o, fam);
    int year = 1930 + static_cast<int>((rng_.uniform() + rng_.uniform()) * 0.5 * 75);
    Person p = person(o, rng_.chance(0.5), fam, std::min(year, 2004));
    maybe_suffix(p);
    return p;
  }

  void maybe_suffix(Person& p) {
    if (p.female || n_.origins[p.origin].code != "en" || !rng_.chance(0.012)) return;
    static constexpr const char* kSuffix[] = {"Jr.", "Jr.", "Jr.", "Sr.", "II", "III"};
    p.suffix = kSuffix[rng_.below(6)];
    p.suffix_comma = rng_.chance(0.35);
  }

  // Appends a household of exactly `size` people.
  void household(size_t size, std::vector<Person>& out) {
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
  Person newcomer(const Person& like) {
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

  const std::vector<std::string_view>& first_variants(int g) const {
    return n_.first_groups[static_cast<size_t>(g)];
  }
  const std::vector<std::string_view>& last_variants(int g) const {
    return n_.last_groups[static_cast<size_t>(g)];
  }
  std::string_view random_surname(bool female) {
    size_t o = origin();
    std::string_view s = n_.origins[o].last.names[n_.origins[o].last.alias.sample(rng_)];
    if (female && n_.origins[o].slavic) {
      scratch_ = feminine(s);
      return scratch_;
    }
    return s;
  }

 private:
  Rng& rng_;
  const Names& n_;
  std::string scratch_;
};

// ---------------------------------------------------------------- corruption

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

// One typing error: adjacent transposition, substitution, deletion or insertion,
// on code points (never splits a UTF-8 sequence). The first letter is rarely hit.
void typo(std::string& s, Rng& rng) {
  std::array<uint16_t, 65> starts;
  size_t n = 0;
  for (size_t i = 0; i < s.size() && n < 64; i += cp_len(static_cast<unsigned char>(s[i])))
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

std::string_view pick_variant(const std::vector<std::string_view>& group, std::string_view cur,
                              Rng& rng) {
  for (int tries = 0; tries < 4; ++tries) {
    std::string_view v = group[rng.below(group.size())];
    if (v != cur) return v;
  }
  return cur;
}

// Middle-name forms.
enum MiddleForm : uint8_t { kFull = 0, kInitial, kInitialDot, kNoMiddle };

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
  out.assign(p.middle, 0, cp_len(static_cast<unsigned char>(p.middle[0])));
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

// ---------------------------------------------------------------- formatting

// CSV quoting is io::append_csv_field's (only when a field needs it).
using io::append_csv_field;

inline void append_uint(std::string& buf, uint64_t v, int min_width = 0) {
  char tmp[24];
  char* end = tmp + sizeof tmp;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (end - p < min_width) *--p = '0';
  buf.append(p, static_cast<size_t>(end - p));
}

inline void append_left_id(std::string& buf, uint64_t row) {
  buf.push_back('L');
  append_uint(buf, row + 1, 8);
}

inline void append_date(std::string& buf, const Fields& f) {
  if (f.year == 0) return;
  append_uint(buf, f.year, 4);
  buf.push_back('-');
  append_uint(buf, f.month, 2);
  buf.push_back('-');
  append_uint(buf, f.day, 2);
}

void append_uuid(std::string& buf, Rng& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t a = rng.next(), b = rng.next();
  a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char out[36];
  int k = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out[k++] = '-';
    const uint64_t word = i < 16 ? a : b;
    out[k++] = kHex[(word >> (60 - 4 * (i % 16))) & 0xF];
  }
  buf.append(out, 36);
}

void append_record(std::string& buf, std::string_view id, std::string_view uuid, const Fields& f,
                   std::string_view hh) {
  append_csv_field(buf, id);
  buf.push_back(',');
  append_csv_field(buf, uuid);
  buf.push_back(',');
  append_csv_field(buf, f.first);
  buf.push_back(',');
  append_csv_field(buf, f.middle);
  buf.push_back(',');
  append_csv_field(buf, f.last);
  buf.push_back(',');
  append_date(buf, f);
  buf.push_back(',');
  append_csv_field(buf, hh);
  buf.push_back('\n');
}

// ---------------------------------------------------------------- chunks

struct ChunkOut {
  std::string left, right, truth;
  uint64_t pairs = 0;
  bool ready = false;
};

// --skew: marks the persons whose date is unknown (see write_unknown_date),
// drawing from the skew stream only.
void apply_skew(std::vector<Person>& people, double skew, Rng& rng) {
  for (Person& p : people) p.unknown_date = rng.chance(skew);
}

struct RMember {
  uint32_t index;  // into left persons (copy) or right persons (other)
  bool copy;
};

void generate_chunk(const GenerateOptions& o, uint64_t chunk, ChunkOut& out) {
  const uint64_t base = chunk * kChunkRows;
  const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunkRows, o.rows - base));
  Rng rng(o.seed, chunk);
  PeopleMaker pm(rng);
  // Its own stream (chunk streams count up from 0), so the main one is untouched.
  Rng skew_rng(o.seed, ~chunk);

  // Table 1: households until n rows (the last one cut to fit).
  std::vector<Person> left;
  left.reserve(n + 8);
  std::vector<std::pair<uint32_t, uint32_t>> households;  // [begin, end) in `left`
  while (left.size() < n) {
    const size_t begin = left.size();
    pm.household(std::min(pm.household_size(), n - begin), left);
    if (left.size() > n) left.resize(n);
    households.emplace_back(static_cast<uint32_t>(begin), static_cast<uint32_t>(left.size()));
  }
  if (o.skew > 0) apply_skew(left, o.skew, skew_rng);
  std::vector<LeftMeta> meta(n);
  out.left.reserve(n * 96);
  Fields f;
  std::string id;
  for (const auto& [b, e] : households) {
    std::string uuid;
    if (!rng.chance(0.003)) append_uuid(uuid, rng);  // a few rows without a household key
    for (uint32_t i = b; i < e; ++i) {
      render_left(left[i], meta[i], pm, rng, f);
      id.clear();
      append_left_id(id, base + i);
      append_record(out.left, id, uuid, f, {});
    }
  }

  // Table 2: copies of left households (mostly kept together), then other people.
  const size_t target = static_cast<size_t>(std::llround(o.overlap * static_cast<double>(n)));
  size_t copies = 0, others = n - target;
  std::vector<Person> right;  // people not in table 1
  right.reserve(others + 8);
  std::vector<std::vector<RMember>> groups;
  std::vector<uint8_t> copied(n, 0);
  std::vector<uint32_t> order(households.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<uint32_t>(i);
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
  std::vector<uint32_t> chosen;
  for (uint32_t h : order) {
    if (copies >= target) break;
    const auto [b, e] = households[h];
    chosen.clear();
    for (uint32_t i = b; i < e; ++i)
      if (rng.chance(0.92)) chosen.push_back(i);
    if (chosen.empty()) chosen.push_back(b + static_cast<uint32_t>(rng.below(e - b)));
    if (chosen.size() > target - copies) chosen.resize(target - copies);
    std::vector<RMember> g;
    for (uint32_t i : chosen) {
      if (copies >= target) break;
      g.push_back({i, true});
      copied[i] = 1;
      ++copies;
      if (copies < target && rng.chance(0.004)) {  // listed twice in table 2
        g.push_back({i, true});
        ++copies;
      }
    }
    if (g.size() >= 2 && rng.chance(0.06)) {  // someone moved out
      groups.push_back({g.back()});
      g.pop_back();
    }
    if (others > 0 && rng.chance(0.05)) {
      right.push_back(pm.newcomer(left[g.front().index]));
      g.push_back({static_cast<uint32_t>(right.size() - 1), false});
      --others;
    }
    groups.push_back(std::move(g));
  }
  for (uint32_t i = 0; i < n && copies < target; ++i)  // overlap close to 1: everyone left
    if (!copied[i]) {
      groups.push_back({{i, true}});
      ++copies;
    }
  while (others > 0) {
    const size_t begin = right.size();
    pm.household(std::min(pm.household_size(), others), right);
    std::vector<RMember> g;
    for (size_t i = begin; i < right.size(); ++i) g.push_back({static_cast<uint32_t>(i), false});
    others -= right.size() - begin;
    groups.push_back(std::move(g));
  }
  if (o.skew > 0) apply_skew(right, o.skew, skew_rng);
  for (size_t i = groups.size(); i > 1; --i) std::swap(groups[i - 1], groups[rng.below(i)]);

  out.right.reserve(n * 64);
  std::vector<std::pair<uint32_t, uint32_t>> pairs;  // (left index, right index) in the chunk
  pairs.reserve(copies);
  std::string hh;
  uint64_t row = base;
  for (const auto& g : groups) {
    hh.clear();
    const bool group_hh = g.size() > 1 || !rng.chance(0.3);
    if (group_hh) append_uint(hh, kHouseholdBase + row + 1);
    for (const RMember& m : g) {
      if (m.copy) {
        render_copy(left[m.index], meta[m.index], pm, rng, f);
        pairs.emplace_back(m.index, static_cast<uint32_t>(row - base));
      } else {
        render_other(right[m.index], rng, f);
      }
      id.clear();
      append_uint(id, row + 1);
      const bool missing_hh = g.size() > 1 && rng.chance(0.015);
      append_record(out.right, id, {}, f, missing_hh ? std::string_view() : std::string_view(hh));
      ++row;
    }
  }

  std::sort(pairs.begin(), pairs.end());
  out.truth.reserve(pairs.size() * 20);
  for (const auto& [l, r] : pairs) {
    append_left_id(out.truth, base + l);
    out.truth.push_back(',');
    append_uint(out.truth, base + r + 1);
    out.truth.push_back('\n');
  }
  out.pairs = pairs.size();
}

// ---------------------------------------------------------------- files

// One generated file: written under a unique temporary name beside its
// final name and renamed into place only when complete (io/safe_output.hpp).
class OutFile {
 public:
  explicit OutFile(const std::filesystem::path& final_path) : file_(final_path.string()) {
    std::setvbuf(file_.stream(), nullptr, _IOFBF, 1 << 20);
  }
  void write(std::string_view s) { file_.write(s); }
  void commit() { file_.commit(); }

 private:
  io::StagedFile file_;
};

}  // namespace

GenerateStats generate_dataset(const GenerateOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.out_dir.empty()) throw InputError("generate: --out-dir is required");
  if (!(o.overlap >= 0.0 && o.overlap <= 1.0))
    throw InputError(fmt::format("generate: --overlap must be in [0, 1], got {}", o.overlap));
  if (!(o.skew >= 0.0 && o.skew <= 1.0))
    throw InputError(fmt::format("generate: --skew must be in [0, 1], got {}", o.skew));
  (void)names();  // build the pools before the threads start
  std::filesystem::path dir(o.out_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw InputError(fmt::format("{}: cannot create output directory: {}", o.out_dir,
                                 ec ? ec.message() : "not a directory"));

  static constexpr std::string_view kHeader =
      "id,uuid,first_name,middle_name,last_name,birthdate,hh_id\n";
  io::check_output_paths({}, {{(dir / "left.csv").string(), "generate output"},
                              {(dir / "right.csv").string(), "generate output"},
                              {(dir / "truth.csv").string(), "generate output"}});
  OutFile left(dir / "left.csv"), right(dir / "right.csv"), truth(dir / "truth.csv");
  left.write(kHeader);
  right.write(kHeader);
  truth.write("left_id,right_id\n");

  const uint64_t chunks = (o.rows + kChunkRows - 1) / kChunkRows;
  unsigned threads = o.threads != 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::max<uint64_t>(1, std::min<uint64_t>(threads, chunks)));
  const size_t window = 2 * static_cast<size_t>(threads);

  std::vector<ChunkOut> slots(window);
  std::mutex mu;
  std::condition_variable cv;
  uint64_t next_chunk = 0, written = 0;
  bool abort = false;
  std::exception_ptr error;

  auto worker = [&] {
    for (;;) {
      uint64_t c;
      {
        std::unique_lock lock(mu);
        cv.wait(lock,
                [&] { return abort || next_chunk >= chunks || next_chunk < written + window; });
        if (abort || next_chunk >= chunks) return;
        c = next_chunk++;
      }
      ChunkOut result;
      try {
        generate_chunk(o, c, result);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!error) error = std::current_exception();
        abort = true;
        cv.notify_all();
        return;
      }
      {
        std::lock_guard lock(mu);
        result.ready = true;
        slots[c % window] = std::move(result);
      }
      cv.notify_all();
    }
  };

  GenerateStats stats;
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned i = 0; i < threads && chunks > 0; ++i) pool.emplace_back(worker);
  try {
    for (uint64_t c = 0; c < chunks; ++c) {
      ChunkOut chunk;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return abort || slots[c % window].ready; });
        if (abort) break;
        chunk = std::move(slots[c % window]);
        slots[c % window] = ChunkOut{};
      }
      left.write(chunk.left);
      right.write(chunk.right);
      truth.write(chunk.truth);
      stats.true_pairs += chunk.pairs;
      {
        std::lock_guard lock(mu);
        ++written;
      }
      cv.notify_all();
    }
  } catch (...) {
    {
      std::lock_guard lock(mu);
      abort = true;
      if (!error) error = std::current_exception();
    }
    cv.notify_all();
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);

  left.commit();
  right.commit();
  truth.commit();
  stats.left_rows = o.rows;
  stats.right_rows = o.rows;
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return stats;
}

int generate_main(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description desc(
      "Usage: name_matcher generate --out-dir DIR [--rows N] [--seed S] [--overlap F] [--skew F]\n"
      "       [--threads N] [--quiet]\n"
      "Writes DIR/left.csv, DIR/right.csv (N synthetic person records each) and DIR/truth.csv\n"
      "(left_id,right_id of every true pair). The same options give byte-identical files.\n"
      "Options");
  GenerateOptions o;
  desc.add_options()("help,h", "show this help")(
      "rows", number_option("generate", "rows", &o.rows, uint64_t{0}, kMaxRows), "rows per table")(
      "seed", number_option("generate", "seed", &o.seed, uint64_t{0}, ~uint64_t{0}), "random seed")(
      "out-dir", po::value(&o.out_dir), "output directory (created if missing)")(
      "overlap", number_option("generate", "overlap", &o.overlap, 0.0, 1.0),
      "fraction of right rows that are copies of left persons, 0..1")(
      "skew", number_option("generate", "skew", &o.skew, 0.0, 1.0),
      "fraction of persons born 1970-01-01 (an unknown date recorded as 1 January), 0..1;\n"
      "a person and their copy keep the same date")(
      "threads", number_option("generate", "threads", &o.threads, 0u, kMaxThreads),
      "worker threads, 0..1024, 0 = all cores")("quiet,q", "no summary line");
  return run_guarded("generate", [&]() -> int {
    po::variables_map vm;
    if (!parse_command_line(args, desc, vm)) return 0;
    const GenerateStats s = generate_dataset(o);
    if (!vm.count("quiet"))
      std::cerr << fmt::format(
          "generate: {} left rows, {} right rows, {} true pairs -> {} ({:.2f} s)\n", s.left_rows,
          s.right_rows, s.true_pairs, o.out_dir, s.seconds);
    return 0;
  });
}

}  // namespace nm::jobs
