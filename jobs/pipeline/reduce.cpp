#include "jobs/pipeline/reduce.hpp"

#include <algorithm>

#include "io/match_writer.hpp"
#include "jobs/cli.hpp"
#include "jobs/pipeline/agreement.hpp"
#include "jobs/pipeline/stages.hpp"
#include "src/errors.hpp"
#include "src/match/algorithm.hpp"
#include "src/match/households.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::jobs {
namespace {

class FilePieceRun final : public PairRun {
 public:
  FilePieceRun(const io::PairFileReader& file, const io::PieceRecord& piece,
               const std::vector<uint32_t>& done, uint64_t batch_pairs)
      : file_(file), piece_(piece), done_(done), batch_(std::max<uint64_t>(batch_pairs, 1)) {}
  bool next_batch(std::vector<io::PairRecord>& out, std::string& payload) override {
    for (;;) {
      out.clear();
      payload.clear();
      if (next_ >= piece_.count) {
        std::vector<io::PairRecord>().swap(buf_);
        std::string().swap(raw_);
        return false;
      }
      const uint64_t n = std::min<uint64_t>(batch_, piece_.count - next_);
      uint64_t base = 0;
      file_.read_pairs(piece_.first + next_, n, buf_, raw_, &base);
      next_ += n;
      // Keep pairs of tiles that the attempt which wrote them finished; pairs
      // of a tile redone after a crash are kept once, from the finishing attempt.
      for (const io::PairRecord& p : buf_) {
        if (p.tile >= done_.size() || done_[p.tile] != p.gen) continue;
        if (p.payload_offset < base || p.payload_offset - base + p.payload_len > raw_.size())
          throw InputError("pair file: a pair's payload lies outside its piece (corrupt file)");
        io::PairRecord q = p;
        q.payload_offset = payload.size();
        payload.append(raw_, p.payload_offset - base, p.payload_len);
        out.push_back(q);
      }
      if (!out.empty()) return true;
    }
  }

 private:
  const io::PairFileReader& file_;
  io::PieceRecord piece_;
  const std::vector<uint32_t>& done_;
  uint64_t batch_;
  uint64_t next_ = 0;
  std::vector<io::PairRecord> buf_;
  std::string raw_;
};

}  // namespace

std::unique_ptr<PairRun> file_piece_run(const io::PairFileReader& file,
                                        const io::PieceRecord& piece,
                                        const std::vector<uint32_t>& done, uint64_t batch_pairs) {
  return std::make_unique<FilePieceRun>(file, piece, done, batch_pairs);
}

OutputResult merge_and_write(std::vector<std::unique_ptr<PairRun>>& runs, const OutputSpec& spec) {
  Merger merger(std::move(runs));
  runs.clear();
  OutputResult res;
  const bool households = algorithm_traits(spec.algorithm).households;
  std::unique_ptr<io::MatchCsvWriter> csv;
  std::unique_ptr<HouseholdAggregator> agg;
  if (households)
    agg = std::make_unique<HouseholdAggregator>(algorithm_traits(spec.algorithm).table2_households);
  else
    csv = std::make_unique<io::MatchCsvWriter>(spec.path, spec.algorithm, spec.group);
  const io::PairRecord* p = nullptr;
  std::string_view bytes;
  while (merger.next(p, bytes)) {
    ++res.pairs_in;
    if (p->confidence >= spec.min_confidence) {
      const io::PairPayload pl = io::parse_payload(bytes);
      if (households)
        agg->add(p->left, p->right, p->confidence, pl.hh1, pl.hh2);
      else
        csv->add(pl, p->confidence, p->label);
    }
  }
  if (households) {
    static const HouseholdSizes kNone;
    const auto rows = agg->finish(spec.sizes ? *spec.sizes : kNone);
    res.bytes = io::write_households(spec.path, rows, spec.group);
    res.rows = rows.size();
  } else {
    res.rows = csv->rows();
    res.bytes = csv->close();
  }
  return res;
}

void require_complete(const io::PairFileReader& file, const std::string& path) {
  if (!file.complete())
    throw InputError(path +
                     ": the run that wrote this pair file did not finish (it is not marked "
                     "complete); finish it with `run ... --pairs " +
                     path + " --resume`");
}

OutputResult reduce_pair_file(const ReduceRequest& req) {
  io::PairFileReader file(req.pairs_path);
  const io::PairFileMeta& m = file.meta();
  require_complete(file, req.pairs_path);
  const int algo = req.algorithm == 0 ? m.algorithm : req.algorithm;
  check_algorithm(algo);
  const AlgorithmTraits traits = algorithm_traits(algo);
  const bool a4_family = algorithm_traits(m.algorithm).a4_family;  // files of A4 person pairs
  if (algo != m.algorithm && !(a4_family && traits.a4_family))
    throw InputError(req.pairs_path + " holds algorithm " + std::to_string(m.algorithm) +
                     " pairs; it can be reduced " +
                     (a4_family ? std::string("as algorithm 4, 5 or 6")
                                : "only as algorithm " + std::to_string(m.algorithm)));
  if (traits.households && m.dedupe)
    throw InputError("algorithms 5 and 6 need two tables; this pair file is a --dedupe run");
  float min_conf = traits.households ? (req.household_threshold >= 0 ? req.household_threshold
                                                                     : m.household_threshold)
                                     : (req.threshold >= 0 ? req.threshold : m.threshold);
  if (traits.exact) min_conf = 0;  // exact matches: confidence 1, no threshold
  if (traits.fuzzy && min_conf < m.min_confidence)
    throw InputError(req.pairs_path +
                     " keeps pairs of confidence >= " + std::to_string(m.min_confidence) +
                     " only; cannot reduce at " + std::to_string(min_conf));
  HouseholdSizes sizes;
  if (traits.households) {
    const auto kc = file.read_key_counts(traits.table2_households ? "t2_household_sizes"
                                                                  : "t1_household_sizes");
    for (const auto& [k, n] : kc) sizes[k] = n;
  }
  const std::vector<uint32_t> done = file.done_marks();
  // A run per piece, read a few thousand pairs at a time; more pieces than
  // the fan-in are merged in passes through spill files first.
  const SpillOptions so = SpillOptions::from_environment();
  const uint64_t batch_pairs = std::max<uint64_t>(256, so.read_bytes() / 256);
  std::vector<std::unique_ptr<PairRun>> runs;
  for (const io::PieceRecord& piece : file.pieces())
    if (piece.count > 0) runs.push_back(file_piece_run(file, piece, done, batch_pairs));
  runs = limit_fan_in(std::move(runs), so);
  OutputSpec spec{req.out, algo, min_conf, traits.households ? &sizes : nullptr, req.group};
  return merge_and_write(runs, spec);
}

// The reduce stage of a run: rank 0 writes the CSV in canonical order, from
// the pair file or, without one, from its own runs and the other ranks'
// streams. The CSV is staged in run.outputs, renamed into place by the summary.
void reduce_outputs(RunContext& run, ScoreOutcome& scored, const HouseholdCounts& households) {
  const Stopwatch write_time;
  const RunConfig& cfg = run.cfg;
  if (cfg.out_is_temporary)
    run.outputs.set_staging(cfg.out, "the CSV staging file for " +
                                         (!cfg.out_xlsx.empty() ? cfg.out_xlsx : cfg.out_db));
  OutputResult out;
  PairSpill& spill = *scored.spill;
  stage(run.comm, [&] {
    if (!cfg.pairs.empty()) {
      if (run.root) {
        ReduceRequest req;
        req.pairs_path = cfg.pairs;
        req.out = cfg.out;
        req.group = &run.outputs;
        out = reduce_pair_file(req);
      }
      return;
    }
    // Without a pair file: rank 0 merges its own runs and the other ranks'
    // streams. Their remote runs are made first: if anything here fails,
    // dropping them tells their servers to stop, so no rank waits forever.
    if (run.root) {
      std::vector<std::unique_ptr<PairRun>> runs;
      const uint64_t batch =
          scored.spill_options.remote_batch_bytes(static_cast<size_t>(run.ranks - 1));
      for (int r = 1; r < run.ranks; ++r) runs.push_back(remote_run(run.comm, r, batch));
      for (auto& pair_run : spill.finish()) runs.push_back(std::move(pair_run));
      const AlgorithmTraits traits = algorithm_traits(run.algorithm);
      OutputSpec spec{cfg.out, run.algorithm,
                      traits.households ? cfg.match.household_threshold : 0.0f,
                      !traits.households        ? nullptr
                      : traits.table2_households ? &households.table2
                                                 : &households.table1};
      spec.group = &run.outputs;
      out = merge_and_write(runs, spec);
    } else {
      serve_pairs(run.comm, 0, [&] { return spill.finish(); });
    }
  });
  if (spill.runs_spilled() > 0)
    log(LogLevel::kDebug, "rank " + std::to_string(run.rank) + ": " +
                              std::to_string(spill.runs_spilled()) + " runs (" +
                              std::to_string(spill.bytes_spilled()) + " bytes) spilled to " +
                              scored.spill_options.dir);
  if (cfg.out_to_stdout && run.root) copy_to_stdout(run.outputs.current_path(cfg.out));
  run.stats.write_s += write_time.seconds();
  run.result.write_s = run.stats.write_s;
  run.result.output_rows = out.rows;
  run.result.output_bytes = out.bytes;
}

}  // namespace nm::jobs
