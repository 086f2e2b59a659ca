// The probabilistic mode's outputs: where they go, the pairs CSV, the
// clusters CSV, the model and the summary JSON (docs/PROBABILISTIC.md,
// "Outputs").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/safe_output.hpp"
#include "io/table_loader.hpp"
#include "jobs/prob/prob_run.hpp"
#include "src/match/prob/linker.hpp"

namespace nm::jobs {

class ProbEngine;

struct ProbPaths {
  std::string out, clusters, model, summary, rejects;  // empty: not written
  std::string xlsx, table;  // the pairs also as a workbook, in a mysql:// table
};
// The output paths, resolved and checked: none is an input or another
// output (io::check_output_paths), the output table is no input table.
ProbPaths prob_paths(const ProbConfig& cfg);

// The pairs' columns, in the CSV's order: both records' id, names and
// birthdate, MatchWeight, MatchProbability, and Level_<column> per comparison.
std::vector<std::string> prob_pair_columns(const std::vector<prob::Comparison>& comparisons);

// --out mysql://: the output table checked before any work (io/db/db_writer.hpp:
// check_output_table, with the pairs' columns for these comparisons).
void check_prob_table_output(const ProbConfig& cfg, const ProbPaths& paths,
                             const std::vector<prob::Comparison>& comparisons);

// Writes `text` to `path` through the commit group (renamed into place at
// the end of the run).
void write_text_output(const std::string& path, const std::string& text, io::CommitGroup& group,
                       io::CommitKind kind);

// --one-to-one: keeps each record in at most one pair, best weight first.
void keep_one_to_one(std::vector<prob::ScoredLink>& links);

struct ProbWritten {
  uint64_t pairs = 0, bytes = 0, clusters = 0, clustered_records = 0;
  nlohmann::json sinks = nlohmann::json::object();  // the workbook and the table (summary "outputs")
};
// The pairs CSV (and, on standard output, the copy there) and the clusters.
ProbWritten write_prob_outputs(const ProbConfig& cfg, const ProbPaths& paths,
                               const prob::Model& model, const prob::LinkData& d,
                               const RawTable& left, const RawTable& right,
                               const std::vector<prob::ScoredLink>& links,
                               io::CommitGroup& group);

// What the workbook's Summary sheet shows besides the pairs.
struct ProbSheetFacts {
  uint64_t left_rows = 0, right_rows = 0, rejected = 0;
  double load_s = 0, score_s = 0, total_s = 0;
};
// The workbook and the table, made from the finished pairs CSV (staged in
// `group`); their entries go into w.sinks.
void write_prob_sinks(const ProbConfig& cfg, const ProbPaths& paths, const prob::Model& model,
                      const ProbSheetFacts& facts, io::CommitGroup& group, ProbWritten& w);

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
