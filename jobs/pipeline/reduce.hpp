// The reduce stage: sorted runs of pairs (a rank's buffer or spill file,
// another rank's stream, the pieces of a pair file) merged into the
// canonical order and written as the user's output. Memory is bounded by a
// fixed buffer and a small read buffer per run, never by the number of pairs
// (docs/DISTRIBUTED.md, "Memory").
#pragma once
#include <mpi.h>

#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/pair_file.hpp"
#include "io/safe_output.hpp"

namespace nm::jobs {

using HouseholdSizes = std::map<std::string, uint64_t, std::less<>>;

// The exit code an error ends the job with: InputError 1, UsageError and
// PeerFailed their own, anything else 3 (an internal error).
int exit_code_of(const std::exception_ptr& e);

// A run of pairs sorted by (left, right), handed out in batches.
class PairRun {
 public:
  virtual ~PairRun() = default;
  // Replaces `out` and `payload` with the next batch; out[i].payload_offset is
  // relative to `payload`. Returns false (and an empty batch) at the end.
  virtual bool next_batch(std::vector<io::PairRecord>& out, std::string& payload) = 0;
};

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

// The sorted pairs of another rank, pulled in batches of at most about
// batch_bytes; that rank runs serve_pairs() at the same time. Dropped before
// its end (an error on this rank), it tells the server to stop. A server's
// error arrives here in place of a batch and is thrown, as "rank N: ...".
std::unique_ptr<PairRun> remote_run(MPI_Comm comm, int from, uint64_t batch_bytes);
// Serves the merge of make()'s runs to rank `to` until it has them all or
// asks to stop. An error here (in make(), or reading a run) is sent to `to`
// in place of the next batch and rethrown: neither side is left waiting.
void serve_pairs(MPI_Comm comm, int to,
                 const std::function<std::vector<std::unique_ptr<PairRun>>()>& make);
// One piece of a pair file, keeping only pairs whose tile was finished by
// the attempt that wrote them (done[tile] == gen); read batch_pairs at a time.
std::unique_ptr<PairRun> file_piece_run(const io::PairFileReader& file,
                                        const io::PieceRecord& piece,
                                        const std::vector<uint32_t>& done, uint64_t batch_pairs);

struct OutputSpec {
  std::string path;
  int algorithm = 1;     // 1..6
  float min_confidence;  // A1–A4: the fuzzy threshold; A5/A6: the household threshold
  const HouseholdSizes* sizes = nullptr;  // A5: table-1 uuid sizes; A6: table-2 household sizes
  io::CommitGroup* group = nullptr;  // stage the output here (null: renamed into place at once)
};
struct OutputResult {
  uint64_t pairs_in = 0;  // pairs merged
  uint64_t rows = 0;      // output rows
  uint64_t bytes = 0;
};
OutputResult merge_and_write(std::vector<std::unique_ptr<PairRun>>& runs, const OutputSpec& spec);

// Rebuilds outputs from a finished pair file (the `reduce` command and
// run --pairs). Throws InputError if the file is incomplete or cannot give
// what is asked (a threshold below what was stored, households from A1–A3).
struct ReduceRequest {
  std::string pairs_path, out;
  int algorithm = 0;     // 0: the file's own
  float threshold = -1;  // < 0: the file's own
  float household_threshold = -1;
  io::CommitGroup* group = nullptr;  // as OutputSpec::group
};
OutputResult reduce_pair_file(const ReduceRequest& req);

int reduce_main(const std::vector<std::string>& args);

}  // namespace nm::jobs
