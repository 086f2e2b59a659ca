// The write stage's pair file (--pairs, docs/PAIR_FILE.md): created with the
// plan (or reopened for --resume) before scoring, and finished after it with
// every rank's statistics, the household sizes and the completion mark. The
// pieces themselves are appended while scoring (score.cpp).
#include "jobs/pipeline/agreement.hpp"
#include "jobs/pipeline/pair_file_run.hpp"
#include "jobs/pipeline/stages.hpp"
#include "src/errors.hpp"
#include "src/match/algorithm.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::jobs {

void check_resume_meta(const io::PairFileMeta& have, const io::PairFileMeta& want,
                       const std::string& path) {
  auto differs = [&](const char* what, auto a, auto b) {
    if (a != b)
      throw InputError("--resume: " + path + " was written by a different run (" + what +
                       " differs); start again without --resume");
  };
  differs("algorithm", have.algorithm, want.algorithm);
  differs("threshold", have.threshold, want.threshold);
  differs("household threshold", have.household_threshold, want.household_threshold);
  differs("dedupe", have.dedupe, want.dedupe);
  differs("fuzzy normalization", have.fuzzy_normalization, want.fuzzy_normalization);
  differs("exhaustive", have.exhaustive, want.exhaustive);
  differs("number of ranks", have.ranks, want.ranks);
  differs("left input", have.left_checksum, want.left_checksum);
  differs("left input size", have.left_bytes, want.left_bytes);
  differs("right input", have.right_checksum, want.right_checksum);
  differs("right input size", have.right_bytes, want.right_bytes);
  differs("partition plan", have.plan_hash, want.plan_hash);
}

namespace {

// What the file says about the run: a --resume must find the same.
io::PairFileMeta run_meta(const RunContext& run, const LoadedTables& loaded, const Plan& plan) {
  const RunConfig& cfg = run.cfg;
  const AlgorithmTraits traits = algorithm_traits(run.algorithm);
  io::PairFileMeta meta;
  meta.program_version = NM_VERSION;
  meta.algorithm = run.algorithm;
  meta.threshold = cfg.match.threshold;
  meta.household_threshold = cfg.match.household_threshold;
  meta.min_confidence = traits.households ? cfg.match.household_threshold
                        : traits.fuzzy    ? cfg.match.threshold
                                          : 1.0f;
  meta.dedupe = run.dedupe;
  meta.fuzzy_normalization = cfg.match.fuzzy_normalization;
  meta.exhaustive = cfg.match.exhaustive;
  meta.ranks = static_cast<uint32_t>(run.ranks);
  meta.left_path = cfg.left;
  meta.right_path = run.dedupe ? cfg.left : cfg.right;
  const io::RankSplit& right_split = run.dedupe ? loaded.left_split : loaded.right_split;
  meta.left_bytes = loaded.left_split.size;
  meta.left_checksum = loaded.left_split.checksum;
  meta.right_bytes = right_split.size;
  meta.right_checksum = right_split.checksum;
  meta.left_rows = run.result.left_rows;
  meta.right_rows = run.result.right_rows;
  meta.plan_hash = plan_hash(plan);
  return meta;
}

std::vector<io::TileRow> tile_rows(const Plan& plan) {
  std::vector<io::TileRow> tiles(plan.tiles.size());
  for (size_t t = 0; t < plan.tiles.size(); ++t) {
    const Tile& p = plan.tiles[t];
    tiles[t] = io::TileRow{
        plan.blocks[p.block].key, p.l_begin, p.l_end, p.r_begin, p.r_end, p.cost, p.rank};
  }
  return tiles;
}

}  // namespace

PairFileOutput open_pair_file(RunContext& run, const LoadedTables& loaded, const Plan& plan) {
  const RunConfig& cfg = run.cfg;
  PairFileOutput out;
  out.done.assign(plan.tiles.size(), 0);
  if (cfg.pairs.empty()) return out;
  const io::PairFileMeta meta = run_meta(run, loaded, plan);
  bool already_complete = false;
  stage(run.comm, [&] {
    if (cfg.resume && run.root) {  // a finished file needs no writer: only the reduce
      io::PairFileReader check(cfg.pairs);
      check_resume_meta(check.meta(), meta, cfg.pairs);
      already_complete = check.complete();
    }
  });
  int complete_flag = already_complete ? 1 : 0;
  mpi::check(MPI_Bcast(&complete_flag, 1, MPI_INT, 0, run.comm), "MPI_Bcast");
  if (complete_flag != 0) {
    std::fill(out.done.begin(), out.done.end(), 1u);
    return out;
  }
  stage(run.comm, [&] {
    if (cfg.resume) {
      out.writer.emplace(io::PairFileWriter::open_for_resume(run.comm, cfg.pairs));
      out.done = out.writer->done_marks();
    } else {
      out.writer.emplace(io::PairFileWriter::create(run.comm, cfg.pairs, meta, tile_rows(plan)));
    }
  });
  return out;
}

void finish_pair_file(RunContext& run, PairFileOutput& pairs, const HouseholdCounts& households) {
  const Stopwatch write_time;
  if (pairs.writer) {
    stage(run.comm, [&] {
      io::PairFileWriter& pf = *pairs.writer;
      pf.write_rank_stats(run.stats);
      if (algorithm_traits(run.algorithm).a4_family && !run.dedupe) {  // reducible as A4, A5 or A6
        std::vector<std::string> k1, k2;
        std::vector<uint64_t> c1, c2;
        for (const auto& [k, c] : households.table1) {
          k1.push_back(k);
          c1.push_back(c);
        }
        for (const auto& [k, c] : households.table2) {
          k2.push_back(k);
          c2.push_back(c);
        }
        pf.write_key_counts("t1_household_sizes", k1, c1, 0);
        pf.write_key_counts("t2_household_sizes", k2, c2, 0);
      }
      pf.mark_complete();
      pairs.writer.reset();
    });
  }
  run.stats.write_s = write_time.seconds();
}

}  // namespace nm::jobs
