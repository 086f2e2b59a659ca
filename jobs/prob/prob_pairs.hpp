// The probabilistic mode's pair file (run -a prob --pairs P.h5, --resume, and
// `reduce` of such a file): the same HDF5 file as algorithms 1-6
// (io/pair_file.hpp, docs/PAIR_FILE.md "The probabilistic mode"), whose unit
// of work (a "tile") is one chunk of the fixed (rule, chunk) order of
// prob::ScoringChunks. Each kept pair is a row with its weight and pattern as
// payload; the model, the run's options and both tables' output columns are
// key tables of the file, so that --resume scores with the identical model and
// `reduce` writes the pairs CSV and clusters without the inputs.
#pragma once
#include <mpi.h>

#include <optional>
#include <string>
#include <vector>

#include "io/pair_file.hpp"
#include "jobs/prob/prob_prepare.hpp"
#include "jobs/prob/prob_run.hpp"
#include "src/match/prob/linker.hpp"
#include "src/match/prob/model.hpp"

namespace nm::jobs {

class ProbRanks;

// What a --resume finds in the pair file before any work: the model to
// score with (the file's) and whether the run already finished. Throws
// InputError when the file is not a probabilistic-mode pair file, or was
// written with other options or another --model (naming what differs).
struct ProbResumeState {
  prob::Model model;
  bool complete = false;
};
ProbResumeState read_prob_resume(const ProbConfig& cfg, const std::optional<prob::Model>& given);

// Scores d's candidate pairs into cfg.pairs (created, or reopened with
// --resume: the chunks marked done are not scored again) and marks it
// complete. `figures` are those of every chunk of this rank, done now or by
// an earlier attempt. Collective over `ranks`.
void score_into_pair_file(const ProbConfig& cfg, const ProbTables& tables, const prob::LinkData& d,
                          const prob::Model& model, const prob::Scoring& scoring,
                          ProbRanks& ranks, bool resume_complete, prob::LinkFigures& figures,
                          Progress& progress);

// Every committed pair of a finished probabilistic-mode pair file, sorted by
// (left, right): what a direct run would have kept. One process.
std::vector<prob::ScoredLink> read_prob_links(const io::PairFileReader& file,
                                              const std::string& path);

// `reduce` of a probabilistic-mode pair file: the pairs CSV (out), the
// clusters (clusters, may be empty), --one-to-one. Returns the pairs written.
struct ProbReduceRequest {
  std::string pairs_path, out, clusters;
  bool one_to_one = false;
};
uint64_t reduce_prob_pair_file(const io::PairFileReader& file, const ProbReduceRequest& req);

// Whether a pair file holds the probabilistic mode's pairs.
bool is_prob_pair_file(const io::PairFileMeta& meta);

}  // namespace nm::jobs
