// The probabilistic mode's outputs: where they go, the pairs CSV, the
// clusters CSV, the model and the summary JSON (docs/PROBABILISTIC.md,
// "Outputs").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "io/safe_output.hpp"
#include "io/table_loader.hpp"
#include "jobs/prob/prob_run.hpp"
#include "src/match/prob/linker.hpp"

namespace nm::jobs {

class ProbEngine;

struct ProbPaths {
  std::string out, clusters, model, summary, rejects;  // empty: not written
};
// The output paths, resolved and checked: none is an input or another
// output (io::check_output_paths).
ProbPaths prob_paths(const ProbConfig& cfg);

// Writes `text` to `path` through the commit group (renamed into place at
// the end of the run).
void write_text_output(const std::string& path, const std::string& text, io::CommitGroup& group,
                       io::CommitKind kind);

// --one-to-one: keeps each record in at most one pair, best weight first.
void keep_one_to_one(std::vector<prob::ScoredLink>& links);

struct ProbWritten {
  uint64_t pairs = 0, bytes = 0, clusters = 0, clustered_records = 0;
};
ProbWritten write_prob_outputs(const ProbConfig& cfg, const ProbPaths& paths,
                               const prob::Model& model, const prob::LinkData& d,
                               const RawTable& left, const RawTable& right,
                               const std::vector<prob::ScoredLink>& links,
                               io::CommitGroup& group);

struct ProbSummary {
  const ProbConfig* cfg = nullptr;
  const prob::Model* model = nullptr;
  const prob::LinkData* data = nullptr;
  const prob::LinkFigures *train = nullptr, *link = nullptr;
  const ProbWritten* written = nullptr;
  const ProbEngine* engine = nullptr;  // the device (null: none reported)
  const io::LoadStats *left_stats = nullptr, *right_stats = nullptr;
  struct {
    double prepare = 0, train = 0, link = 0;
  } seconds;
  uint64_t rejected = 0;
  std::string rejects_path;
  uint64_t peak_rss = 0;
};
std::string prob_summary_json(const ProbSummary& s);

}  // namespace nm::jobs
