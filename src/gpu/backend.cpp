#include "src/gpu/backend.hpp"

#include <cstdlib>
#include <string_view>

#include "fmt/format.h"
#include "src/log.hpp"
#include "src/env_flag.hpp"
#include "src/errors.hpp"
#include "src/gpu/emulated_device.hpp"

namespace nm::gpu {
DeviceChoice parse_device(const std::string& s) {
  if (s == "auto") return DeviceChoice::kAuto;
  if (s == "cpu") return DeviceChoice::kCpu;
  if (s == "gpu") return DeviceChoice::kGpu;
  if (s == "emulate") return DeviceChoice::kEmulate;
  throw InputError("--device: expected auto, cpu, gpu or emulate, got '" + s + "'");
}

const char* device_choice_name(DeviceChoice d) {
  switch (d) {
    case DeviceChoice::kAuto:
      return "auto";
    case DeviceChoice::kCpu:
      return "cpu";
    case DeviceChoice::kGpu:
      return "gpu";
    case DeviceChoice::kEmulate:
      return "emulate";
  }
  return "?";
}

RollbackSwitches RollbackSwitches::from_env() {
  RollbackSwitches r;
  r.disable_fused_kernel = env_flag_set("NAME_MATCHER_DISABLE_FUSED_KERNEL");
  r.disable_pinned_memory = HostBufferPool::pinned_disabled_by_env();
  r.disable_simd = env_flag_set("NAME_MATCHER_DISABLE_SIMD");
  return r;
}

nlohmann::json RollbackSwitches::to_json() const {
  return {{"NAME_MATCHER_DISABLE_FUSED_KERNEL", disable_fused_kernel},
          {"NAME_MATCHER_DISABLE_PINNED_MEMORY", disable_pinned_memory},
          {"NAME_MATCHER_DISABLE_SIMD", disable_simd}};
}

int local_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID",
                           "PMI_LOCAL_RANK", "PALS_LOCAL_RANKID"}) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') {
      char* end = nullptr;
      const long r = std::strtol(v, &end, 10);
      if (end != v && *end == '\0' && r >= 0) return static_cast<int>(r);
    }
  }
  return 0;
}

nlohmann::json device_info_json(const DeviceInfo& info) {
  return {{"index", info.index},
          {"name", info.name},
          {"sm_count", info.sm_count},
          {"compute_capability", fmt::format("{}.{}", info.cc_major, info.cc_minor)},
          {"memory_bytes", info.total_mem},
          {"emulated", info.emulated}};
}

std::string device_line(const Backend& b) {
  if (b.requested == DeviceChoice::kCpu && b.used == "cpu") return {};
  const bool on_device = b.device != nullptr && b.used != "cpu";
  return "device: " + b.used + " (" + b.reason + ")" + (on_device ? ", " + b.info.name : "");
}

nlohmann::json Backend::to_json() const {
  nlohmann::json j;
  j["requested"] = device_choice_name(requested);
  j["used"] = used;
  j["reason"] = reason;
  j["rollback_switches"] = switches.to_json();
  j["built_with_cuda"] = built_with_cuda();
  if (scorer) {
    j["device"] = device_info_json(info);
    const GpuStats& s = scorer->stats();
    j["gpu"] = {{"batches", s.batches},
                {"launches", s.launches},
                {"oom_halvings", s.oom_halvings},
                {"overflow_reruns", s.overflow_reruns},
                {"bytes_to_device", s.bytes_to_device},
                {"bytes_to_host", s.bytes_to_host},
                {"candidate_pairs", s.candidate_pairs},
                {"survivors", s.survivors},
                {"resident_right_uploads", s.resident_uploads},
                {"resident_right_bytes", s.resident_bytes},
                {"batch_pairs", scorer->options().batch_pairs},
                {"streams", scorer->options().streams}};
    if (pool) j["host_buffers"] = pool->describe();
  }
  return j;
}

std::unique_ptr<Backend> open_device(DeviceChoice choice, unsigned threads) {
  auto b = std::make_unique<Backend>();
  b->requested = choice;
  b->switches = RollbackSwitches::from_env();
  if (choice == DeviceChoice::kCpu) {
    b->reason = "--device cpu";
    return b;
  }
  if (choice == DeviceChoice::kEmulate && b->switches.disable_fused_kernel) {
    b->reason = "NAME_MATCHER_DISABLE_FUSED_KERNEL is set: scoring on the CPU";
    return b;
  }
  if (choice == DeviceChoice::kEmulate) {
    EmulatedDevice::Options eo;
    eo.threads = threads;
    b->device = std::make_unique<EmulatedDevice>(eo);
    b->used = "emulate";
    b->reason = "--device emulate: the GPU backend with the kernel run on the CPU";
  } else {
    std::string why;
    const int n = cuda_device_count(&why);
    if (n <= 0) {
      if (choice == DeviceChoice::kGpu)
        throw InputError("--device gpu: no CUDA device: " + why);
      b->reason = "no CUDA device (" + why + "): scoring on the CPU";
      return b;
    }
    if (b->switches.disable_fused_kernel) {
      b->reason =
          "NAME_MATCHER_DISABLE_FUSED_KERNEL is set: scoring on the CPU although a GPU is present";
      return b;
    }
    const int index = local_rank() % n;
    try {
      b->device = open_cuda_device(index);
    } catch (const DeviceError& e) {
      // A device that cannot be used (no kernel image for its architecture,
      // exclusive mode, a broken driver): auto falls back, gpu is an error.
      if (choice == DeviceChoice::kGpu)
        throw InputError(std::string("--device gpu: cannot use CUDA device ") +
                         std::to_string(index) + ": " + e.what());
      b->reason = std::string("CUDA device ") + std::to_string(index) + " cannot be used (" +
                  e.what() + "): scoring on the CPU";
      return b;
    }
    b->used = "gpu";
    b->reason = choice == DeviceChoice::kGpu ? "--device gpu" : "a CUDA device was found";
  }
  b->info = b->device->info();
  return b;
}

std::unique_ptr<Backend> open_backend(DeviceChoice choice, bool fuzzy, unsigned threads,
                                      GpuOptions opt) {
  if (!fuzzy && (choice == DeviceChoice::kAuto || choice == DeviceChoice::kGpu)) {
    // The fuzzy kernel is the GPU's work; algorithms 1/2 are hash joins:
    // no device is opened (no CUDA context on any rank).
    auto b = std::make_unique<Backend>();
    b->requested = choice;
    b->switches = RollbackSwitches::from_env();
    b->reason = "algorithms 1 and 2 are hash joins and run on the CPU";
    return b;
  }
  std::unique_ptr<Backend> b = open_device(choice, threads);
  if (b->device == nullptr) return b;
  if (!fuzzy) {
    b->reason += "; algorithms 1 and 2 are hash joins and run on the CPU";
    b->used = "cpu";
    return b;
  }
  HostBufferPool::Options po;
  po.allow_pinned = !b->switches.disable_pinned_memory;
  b->pool = std::make_unique<HostBufferPool>(b->device.get(), po);
  b->scorer = std::make_unique<GpuScorer>(*b->device, *b->pool, opt, [](const std::string& m) {
    nm::log(LogLevel::kWarn, m);
  });
  return b;
}

}  // namespace nm::gpu
