#include "src/gpu/selftest.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <random>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "fmt/format.h"
#include "jobs/cli.hpp"
#include "src/gpu/backend.hpp"
#include "src/gpu/emulated_device.hpp"
#include "src/parallel.hpp"

namespace nm::gpu {
namespace {

using Clock = std::chrono::steady_clock;

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

// One random edit of an ASCII letter (insert, delete, substitute, swap).
std::string typo(std::mt19937_64& rng, std::string s) {
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

struct Person {
  std::string first, middle, last;
  int32_t date;
};

Person person_of(const RawTable& t, size_t r) {
  return {std::string(t.get(r, Field::kFirst)), std::string(t.get(r, Field::kMiddle)),
          std::string(t.get(r, Field::kLast)), t.birthdate[r]};
}

}  // namespace

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
      if (u(rng) < 0.6) p.first = typo(rng, p.first);
      if (u(rng) < 0.4) p.last = typo(rng, p.last);
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
  std::vector<RectJob> jobs(1);
  jobs[0] = whole_table_job(prep, opt.tile_pairs, threads);
  jobs[0].tag = 7;
  const PairOrder order{same, nullptr, nullptr};

  std::vector<ScoredPair> cpu, dev;
  auto t0 = Clock::now();
  c.cpu_pairs_scored = score_jobs(prep, jobs, order, threads, cpu, {}, nullptr, &c.cpu_hist);
  c.cpu_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const auto before = scorer.counters();
  t0 = Clock::now();
  c.device_pairs_scored = score_jobs(prep, jobs, order, threads, dev, {}, &scorer, nullptr);
  c.device_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
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

int gpu_selftest_main(const std::vector<std::string>& args) {
  return jobs::run_guarded("gpu-selftest", [&]() -> int {
    namespace po = boost::program_options;
    bool emulate = false, as_json = false;
    size_t rows = 20000;
    uint64_t seed = 1;
    unsigned threads = default_threads();
    po::options_description desc(
        "name_matcher gpu-selftest: random tiles through the fused kernel, compared with the "
        "CPU backend (exit 0 pass, 1 mismatch, 2 no CUDA device)");
    desc.add_options()("help,h", "show this help")(
        "emulate", po::bool_switch(&emulate),
        "run the kernel on the CPU emulation instead of a GPU (checks the host side here)")(
        "rows", jobs::number_option("gpu-selftest", "rows", &rows, size_t{1}, size_t{10000000}),
        "records per table and round, 1..10000000")(
        "seed", jobs::number_option("gpu-selftest", "seed", &seed, uint64_t{0}, ~uint64_t{0}),
        "random seed")(
        "threads,t",
        jobs::number_option("gpu-selftest", "threads", &threads, 1u, jobs::kMaxThreads),
        "CPU threads, 1..1024")("json", po::bool_switch(&as_json), "print the result as JSON");
    po::variables_map vm;
    if (!jobs::parse_command_line(args, desc, vm)) return 0;

    std::unique_ptr<DeviceApi> device;
    if (emulate) {
      EmulatedDevice::Options eo;
      eo.threads = threads;
      device = std::make_unique<EmulatedDevice>(eo);
    } else {
      std::string why;
      const int n = cuda_device_count(&why);
      if (n <= 0) {
        std::cerr << "gpu-selftest: no CUDA device (" << why << ")\n";
        return 2;
      }
      device = open_cuda_device(local_rank() % n);
    }
    const DeviceInfo info = device->info();
    HostBufferPool::Options po_;
    po_.allow_pinned = !HostBufferPool::pinned_disabled_by_env();
    HostBufferPool pool(device.get(), po_);
    GpuOptions go;
    go.batch_pairs = 1 << 16;  // several batches per round: the stream schedule is exercised
    auto say = [](const std::string& m) { std::cerr << m << "\n"; };
    // Rounds alternate between the right table resident on the device and
    // right records sent with each batch.
    GpuScorer resident_scorer(*device, pool, go, say);
    go.resident_right_bytes = 0;
    GpuScorer batch_scorer(*device, pool, go, say);

    // Rounds: A3 and A4 at the default threshold (shortcut keys), A4 at 0.7
    // (birthdate blocks) and exhaustive, a dedupe round.
    struct Round {
      int algorithm;
      float threshold;
      bool exhaustive, dedupe;
    };
    const Round rounds[] = {{3, 0.95f, false, false}, {4, 0.95f, false, false},
                            {4, 0.70f, false, false}, {3, 0.85f, true, false},
                            {4, 0.80f, false, true}};
    nlohmann::json jr = nlohmann::json::array();
    bool pass = true;
    uint64_t pairs = 0;
    double dev_s = 0, cpu_s = 0;
    int k = 0;
    for (const Round& r : rounds) {
      RandomTableOptions o;
      o.rows = rows;
      o.dates = std::max<int>(1, static_cast<int>(rows / 400));
      const RawTable left = random_table(seed * 10 + static_cast<uint64_t>(k), o);
      const RawTable right = random_table(seed * 10 + static_cast<uint64_t>(k) + 5, o, &left);
      MatchOptions m;
      m.algorithm = r.algorithm;
      m.threshold = r.threshold;
      m.exhaustive = r.exhaustive;
      m.dedupe = r.dedupe;
      m.threads = threads;
      m.tile_pairs = 1 << 14;
      GpuScorer& scorer = k % 2 == 0 ? resident_scorer : batch_scorer;
      const BackendComparison c = compare_backends(left, right, m, scorer, threads);
      pass = pass && c.equal;
      pairs += c.device_pairs_scored;
      dev_s += c.device_seconds;
      cpu_s += c.cpu_seconds;
      jr.push_back({{"algorithm", r.algorithm},
                    {"threshold", r.threshold},
                    {"exhaustive", r.exhaustive},
                    {"dedupe", r.dedupe},
                    {"right_table_resident", k % 2 == 0},
                    {"pairs_scored", c.device_pairs_scored},
                    {"pairs_kept", c.device_kept},
                    {"equal", c.equal},
                    {"difference", c.first_difference},
                    {"device_seconds", c.device_seconds},
                    {"cpu_seconds", c.cpu_seconds}});
      ++k;
    }
    const double dev_rate = dev_s > 0 ? static_cast<double>(pairs) / dev_s : 0;
    const double cpu_rate = cpu_s > 0 ? static_cast<double>(pairs) / cpu_s : 0;
    GpuStats st = resident_scorer.stats();
    st.batches += batch_scorer.stats().batches;
    st.launches += batch_scorer.stats().launches;
    if (as_json) {
      nlohmann::json j{{"result", pass ? "pass" : "fail"},
                       {"device",
                        {{"name", info.name},
                         {"index", info.index},
                         {"sm_count", info.sm_count},
                         {"compute_capability", fmt::format("{}.{}", info.cc_major, info.cc_minor)},
                         {"emulated", info.emulated}}},
                       {"pairs_scored", pairs},
                       {"device_pairs_per_second", dev_rate},
                       {"cpu_pairs_per_second", cpu_rate},
                       {"cpu_threads", threads},
                       {"batches", st.batches},
                       {"launches", st.launches},
                       {"host_buffers", pool.describe()},
                       {"rounds", jr}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << fmt::format("device: {} (index {}, {} SMs, compute {}.{}){}\n", info.name,
                               info.index, info.sm_count, info.cc_major, info.cc_minor,
                               info.emulated ? " [emulated on the CPU]" : "");
      for (const auto& r : jr)
        std::cout << fmt::format("  A{} threshold {:.2f}{}{}{}: {} pairs, {} kept: {}{}\n",
                                 r["algorithm"].get<int>(), r["threshold"].get<double>(),
                                 r["exhaustive"].get<bool>() ? " exhaustive" : "",
                                 r["dedupe"].get<bool>() ? " dedupe" : "",
                                 r["right_table_resident"].get<bool>() ? " (right table resident)"
                                                                       : "",
                                 r["pairs_scored"].get<uint64_t>(), r["pairs_kept"].get<uint64_t>(),
                                 r["equal"].get<bool>() ? "same as CPU" : "DIFFERENT: ",
                                 r["difference"].get<std::string>());
      std::cout << fmt::format("{}: {} pairs; device {:.3g} pairs/s, CPU ({} threads) {:.3g} pairs/s\n",
                               pass ? "PASS" : "FAIL", pairs, dev_rate, threads, cpu_rate);
    }
    return pass ? 0 : 1;
  });
}

}  // namespace nm::gpu
