// A rank's kept pairs in a buffer of fixed size, spilled in sorted runs to
// temporary files when it is full (docs/DISTRIBUTED.md, "Memory").
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jobs/pipeline/merge.hpp"

namespace nm::jobs {

// How much memory the kept pairs may take, and where the rest goes.
// NAME_MATCHER_SPILL_BUFFER: bytes (a number, or with K, M or G), default
// 128M, at least 64K. NAME_MATCHER_SPILL_DIR: the folder of the temporary
// spill files, else $TMPDIR, else /tmp.
struct SpillOptions {
  uint64_t buffer_bytes = uint64_t{128} << 20;
  std::string dir = "/tmp";
  static SpillOptions from_environment();  // throws InputError on a bad value
  uint64_t read_bytes() const;             // one run's read buffer
  size_t fan_in() const;                   // runs merged at once (the rest in passes)
  uint64_t remote_batch_bytes(size_t remotes) const;  // one batch from each of `remotes` ranks
};

// A rank's kept pairs: held in a buffer of at most about buffer_bytes; when
// it is full it is sorted and written as a run to a temporary file (unique
// name, O_EXCL, unlinked at once: nothing is left behind, even by a crash).
class PairSpill {
 public:
  explicit PairSpill(SpillOptions options);
  ~PairSpill();
  PairSpill(const PairSpill&) = delete;
  PairSpill& operator=(const PairSpill&) = delete;
  // Adds one pair; `render(std::string&)` appends its payload.
  template <class Render>
  void add(const io::PairRecord& p, Render&& render) {
    io::PairRecord& q = pairs_.emplace_back(p);
    q.payload_offset = payload_.size();
    render(payload_);
    q.payload_len = static_cast<uint32_t>(payload_.size() - q.payload_offset);
    if (pairs_.size() * sizeof(io::PairRecord) + payload_.size() >= options_.buffer_bytes) spill();
  }
  // Everything added, as at most fan_in() sorted runs (merged in passes
  // through new spill files when there were more). The spill is empty after.
  std::vector<std::unique_ptr<PairRun>> finish();
  uint64_t runs_spilled() const { return runs_spilled_; }
  uint64_t bytes_spilled() const { return bytes_spilled_; }
  const SpillOptions& options() const { return options_; }

 private:
  void spill();
  struct State;
  SpillOptions options_;
  std::vector<io::PairRecord> pairs_;
  std::string payload_;
  std::unique_ptr<State> state_;
  uint64_t runs_spilled_ = 0, bytes_spilled_ = 0;
};

// At most options.fan_in() runs giving the same pairs: groups of runs merged
// into temporary spill files, pass after pass.
std::vector<std::unique_ptr<PairRun>> limit_fan_in(std::vector<std::unique_ptr<PairRun>> runs,
                                                   const SpillOptions& options);

}  // namespace nm::jobs
