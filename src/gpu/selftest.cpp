#include "src/gpu/selftest.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>

#include "fmt/format.h"
#include "src/gpu/backend.hpp"
#include "src/gpu/emulated_device.hpp"
#include "src/parallel.hpp"
#include "src/stopwatch.hpp"

namespace nm::gpu {
namespace {


// Name pools: plain ASCII, Latin with diacritics, other scripts.
constexpr const char* kAscii[] = {
    "JOHN",   "JON",     "MARY",     "MARIE",   "ROBERT",  "ROBERTO", "ANNA",    "ANA",
    "SMITH",  "SMYTH",   "JOHNSON",  "JONSON",  "GARCIA",  "GARCIAS", "LEE",     "LI",
    "PETER",  "PIETER",  "ELIZABETH", "ELISABETH", "CATHERINE", "KATHERINE", "MUELLER",
    "MILLER", "O'BRIEN", "DE LA CRUZ", "VAN DYKE", "ST. JOHN", "ANNE-MARIE", "JEAN"};
constexpr const char* kNonAscii[] = {"José",   "Jose",    "Łukasz", "Lukasz", "Nguyễn",
                                     "Nguyen", "Müller",  "Mueller", "王小明", "王晓明",
                                     "Zoë",    "Zoe",     "François", "Søren", "Ólafur",
                                     "Đặng",   "Дмитрий", "Ελένη"};

std::string pick(std::mt19937_64& rng, double non_ascii) {
  std::uniform_real_distribution<double> u(0, 1);
  if (u(rng) < non_ascii)
    return kNonAscii[rng() % (sizeof kNonAscii / sizeof kNonAscii[0])];
  return kAscii[rng() % (sizeof kAscii / sizeof kAscii[0])];
}

struct Person {
  std::string first, middle, last;
  int32_t date;
};

Person person_of(const RawTable& t, size_t r) {
  return {std::string(t.get(r, Field::kFirst)), std::string(t.get(r, Field::kMiddle)),
          std::string(t.get(r, Field::kLast)), t.birthdate[r]};
}

}  // namespace

std::string random_typo(std::mt19937_64& rng, std::string s) {
  if (s.empty()) return s;
  const size_t i = rng() % s.size();
  if (static_cast<unsigned char>(s[i]) >= 0x80) return s;
  const char c = static_cast<char>('A' + rng() % 26);
  switch (rng() % 4) {
    case 0:
      s = s.substr(0, i) + c + s.substr(i);
      break;
    case 1:
      s.erase(i, 1);
      break;
    case 2:
      s[i] = c;
      break;
    default:
      if (i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) < 0x80) std::swap(s[i], s[i + 1]);
  }
  return s;
}

RawTable random_table(uint64_t seed, const RandomTableOptions& o, const RawTable* base) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 1);
  std::uniform_real_distribution<double> u(0, 1);
  RawTable t;
  t.source = "random(" + std::to_string(seed) + ")";
  std::vector<Person> made;
  for (size_t r = 0; r < o.rows; ++r) {
    Person p;
    const RawTable* from = base != nullptr && base->size() > 0 ? base : nullptr;
    if (u(rng) < o.near_copy && (from != nullptr || !made.empty())) {
      p = from != nullptr ? person_of(*from, rng() % from->size()) : made[rng() % made.size()];
      if (u(rng) < 0.6) p.first = random_typo(rng, p.first);
      if (u(rng) < 0.4) p.last = random_typo(rng, p.last);
      if (u(rng) < 0.2) p.middle = p.middle.empty() ? pick(rng, o.non_ascii) : std::string();
    } else {
      p.first = pick(rng, o.non_ascii);
      p.middle = u(rng) < 0.3 ? pick(rng, o.non_ascii) : std::string();
      p.last = pick(rng, o.non_ascii);
      p.date = 7000 + static_cast<int32_t>(rng() % static_cast<uint64_t>(std::max(1, o.dates)));
    }
    if (u(rng) < o.long_names) {
      // Over 64 code points once joined: the kernel's exact (non bit-parallel) path.
      std::string longer = p.last;
      while (longer.size() < 70) {
        longer += ' ';
        longer += pick(rng, 0.3);
      }
      p.last = longer;
    }
    if (u(rng) < o.empty_names) (rng() % 2 ? p.first : p.last).clear();
    made.push_back(p);
    const std::string id = std::to_string(r + 1);
    t.push({id, "", p.first, p.middle, p.last, ""}, p.date, r + 2);
  }
  return t;
}

BackendComparison compare_backends(const RawTable& left, const RawTable& right,
                                   const MatchOptions& opt, GpuScorer& scorer, unsigned threads) {
  BackendComparison c;
  const bool same = opt.dedupe;
  const PreparedTables prep(left, same ? left : right, opt, same, threads);
  std::vector<ScoreJob> jobs(1);
  jobs[0] = whole_table_job(prep, opt.tile_pairs, threads);
  jobs[0].tag = 7;
  const PairOrder order{same, nullptr, nullptr};

  std::vector<ScoredPair> cpu, dev;
  Stopwatch t0;
  c.cpu_pairs_scored = score_jobs(prep, jobs, order, threads, cpu, {}, nullptr, &c.cpu_hist);
  c.cpu_seconds = t0.seconds();
  const auto before = scorer.counters();
  t0.restart();
  c.device_pairs_scored = score_jobs(prep, jobs, order, threads, dev, {}, &scorer, nullptr);
  c.device_seconds = t0.seconds();
  const auto after = scorer.counters();
  for (size_t b = 0; b < c.device_hist.size(); ++b) c.device_hist[b] = after[2 + b] - before[2 + b];
  c.cpu_kept = cpu.size();
  c.device_kept = dev.size();

  auto by_rows = [](const ScoredPair& a, const ScoredPair& b) {
    return a.left != b.left ? a.left < b.left : a.right < b.right;
  };
  std::sort(cpu.begin(), cpu.end(), by_rows);
  std::sort(dev.begin(), dev.end(), by_rows);
  auto describe = [&](const ScoredPair& p) {
    return fmt::format("({}, {}) tile {} label {} confidence {:.9g} lev {:.9g} jw {:.9g} mp {:.9g}",
                       p.left, p.right, p.tile, p.label, p.confidence, p.lev, p.jw, p.mp);
  };
  if (c.cpu_pairs_scored != c.device_pairs_scored) {
    c.first_difference = fmt::format("pairs scored: cpu {} device {}", c.cpu_pairs_scored,
                                     c.device_pairs_scored);
  } else if (cpu.size() != dev.size()) {
    c.first_difference = fmt::format("kept pairs: cpu {} device {}", cpu.size(), dev.size());
    for (size_t i = 0; i < std::min(cpu.size(), dev.size()); ++i)
      if (by_rows(cpu[i], dev[i]) || by_rows(dev[i], cpu[i])) {
        c.first_difference += "; first differing: cpu " + describe(cpu[i]) + " device " +
                              describe(dev[i]);
        break;
      }
  } else {
    for (size_t i = 0; i < cpu.size(); ++i) {
      const ScoredPair& a = cpu[i];
      const ScoredPair& b = dev[i];
      const bool same_bits = a.left == b.left && a.right == b.right && a.tile == b.tile &&
                             a.label == b.label &&
                             std::memcmp(&a.confidence, &b.confidence, sizeof(float)) == 0 &&
                             std::memcmp(&a.lev, &b.lev, sizeof(float)) == 0 &&
                             std::memcmp(&a.jw, &b.jw, sizeof(float)) == 0 &&
                             std::memcmp(&a.mp, &b.mp, sizeof(float)) == 0;
      if (!same_bits) {
        c.first_difference = "cpu " + describe(a) + " device " + describe(b);
        break;
      }
    }
  }
  if (c.first_difference.empty() && c.cpu_hist != c.device_hist)
    c.first_difference = "score histograms differ";
  c.equal = c.first_difference.empty();
  return c;
}

}  // namespace nm::gpu
