// The reduce stage: sorted runs of pairs (from the ranks' memory or from a
// pair file) merged into the canonical order and written as the user's
// output. Memory is one batch per run plus the households, never all pairs.
#pragma once
#include <mpi.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/pair_file.hpp"
#include "io/safe_output.hpp"

namespace nm::jobs {

using HouseholdSizes = std::map<std::string, uint64_t, std::less<>>;

// A run of pairs sorted by (left, right), handed out in batches.
class PairRun {
 public:
  virtual ~PairRun() = default;
  // Replaces `out` and `payload` with the next batch; out[i].payload_offset is
  // relative to `payload`. Returns false (and an empty batch) at the end.
  virtual bool next_batch(std::vector<io::PairRecord>& out, std::string& payload) = 0;
};

// Pairs held in this process, already sorted; payload offsets relative to `payload`.
std::unique_ptr<PairRun> memory_run(std::vector<io::PairRecord> pairs, std::string payload);
// The sorted pairs of another rank, pulled batch by batch; that rank runs
// serve_pairs() at the same time.
std::unique_ptr<PairRun> remote_run(MPI_Comm comm, int from);
void serve_pairs(MPI_Comm comm, int to, const std::vector<io::PairRecord>& pairs,
                 const std::string& payload);
// One piece of a pair file, keeping only pairs whose tile was finished by
// the attempt that wrote them (done[tile] == gen).
std::unique_ptr<PairRun> file_piece_run(const io::PairFileReader& file,
                                        const io::PieceRecord& piece,
                                        const std::vector<uint32_t>& done);

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
