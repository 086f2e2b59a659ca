#include "jobs/commands/gpu_selftest.hpp"

#include <algorithm>
#include <iostream>
#include <memory>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "fmt/format.h"
#include "jobs/cli.hpp"
#include "src/gpu/backend.hpp"
#include "src/gpu/emulated_device.hpp"
#include "src/gpu/selftest.hpp"
#include "src/parallel.hpp"

namespace nm::jobs {

using namespace nm::gpu;

int gpu_selftest_main(const std::vector<std::string>& args) {
  return run_guarded("gpu-selftest", [&]() -> int {
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
        "rows", number_option("gpu-selftest", "rows", &rows, size_t{1}, size_t{10000000}),
        "records per table and round, 1..10000000")(
        "seed", number_option("gpu-selftest", "seed", &seed, uint64_t{0}, ~uint64_t{0}),
        "random seed")(
        "threads,t",
        number_option("gpu-selftest", "threads", &threads, 1u, kMaxThreads),
        "CPU threads, 1..1024")("json", po::bool_switch(&as_json), "print the result as JSON");
    po::variables_map vm;
    if (!parse_command_line(args, desc, vm)) return 0;

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

}  // namespace nm::jobs
