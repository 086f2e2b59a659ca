// What every mode's run --pairs shares (algorithms 1-6: write.cpp and
// score.cpp; the probabilistic mode: jobs/prob/prob_pairs.cpp).
#pragma once
#include <cstdint>
#include <string>

#include "io/pair_file.hpp"

namespace nm::jobs {

// --resume: throws InputError "--resume: P was written by a different run
// (<what> differs); start again without --resume" when the file's run
// attributes (algorithm, thresholds, options, rank count, inputs, plan) are
// not those of this run.
void check_resume_meta(const io::PairFileMeta& have, const io::PairFileMeta& want,
                       const std::string& path);

// Test hook (docs/DISTRIBUTED.md): NAME_MATCHER_FAULT_KILL=RANK:PIECES makes
// rank RANK kill itself with SIGKILL after writing PIECES pieces.
void maybe_fault(int rank, uint64_t pieces_written);

}  // namespace nm::jobs
