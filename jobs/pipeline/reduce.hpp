// The reduce stage's machinery: sorted runs of pairs (a rank's buffer or spill file,
// another rank's stream, the pieces of a pair file) merged into the
// canonical order and written as the user's output. Memory is bounded by a
// fixed buffer and a small read buffer per run, never by the number of pairs
// (docs/DISTRIBUTED.md, "Memory").
#pragma once
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/pair_file.hpp"
#include "io/safe_output.hpp"
#include "jobs/pipeline/merge.hpp"
#include "jobs/pipeline/remote_run.hpp"
#include "jobs/pipeline/spill.hpp"

namespace nm::jobs {

using HouseholdSizes = std::map<std::string, uint64_t, std::less<>>;

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

// Throws InputError "<path>: the run that wrote this pair file did not
// finish ...; finish it with `run ... --pairs <path> --resume`" unless the
// file is marked complete.
void require_complete(const io::PairFileReader& file, const std::string& path);

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

}  // namespace nm::jobs
