// The score stage: the records this rank received are normalised once, then
// its tiles are scored piece by piece on the rank's device. A piece's kept
// pairs go to the pair file (one collective append per piece, the unit of
// work a crash can lose) or, without one, to the rank's spill buffer.
// Finally the counters and the score histogram are summed over the ranks.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "io/match_writer.hpp"
#include "jobs/pipeline/agreement.hpp"
#include "jobs/pipeline/block_index.hpp"
#include "jobs/pipeline/pair_file_run.hpp"
#include "jobs/pipeline/stages.hpp"
#include "src/errors.hpp"
#include "src/gpu/gpu_scorer.hpp"
#include "src/match/engine.hpp"
#include "src/mpi/mpi_env.hpp"
#include "src/peak_rss.hpp"

namespace nm::jobs {

void maybe_fault(int rank, uint64_t pieces_written) {
  const char* v = std::getenv("NAME_MATCHER_FAULT_KILL");
  if (v == nullptr) return;
  int r = -1;
  unsigned long long k = 0;
  if (std::sscanf(v, "%d:%llu", &r, &k) == 2 && r == rank && pieces_written == k) {
    std::fflush(nullptr);
    std::raise(SIGKILL);
  }
}

namespace {

uint64_t fine_pairs(const std::vector<Chunk>& t, size_t b, size_t e) {
  uint64_t n = 0;
  for (size_t i = b; i < e; ++i) n += t[i].pairs();
  return n;
}

// How big a piece may be.
struct PieceLimits {
  uint64_t cost = 0;            // candidate pairs of its tiles (the plan's cost)
  size_t tiles = 8192;          // tiles
  uint64_t fine_cap = 0;        // pairs after the fine grouping (what is scored)
  uint64_t chunk_pairs = 0;     // the chunks a tile is cut into
};

// This rank's tiles, cut into pieces: whole tiles up to the limits, and a
// tile with more than fine_cap pairs over several pieces, a run of its
// chunks at a time.
class PieceCutter {
 public:
  PieceCutter(const ScoringRecords& records, const Plan& plan, const PreparedTables& prep,
              std::vector<uint32_t> tiles, PieceLimits limits)
      : records_(records), plan_(plan), prep_(prep), tiles_(std::move(tiles)), limits_(limits) {
    left_index_.build(records.left, plan.blocks.size());
    if (!records.right_is_left) right_index_.build(records.right, plan.blocks.size());
  }
  // The next piece's jobs and the tiles whose last chunks are in it; no
  // jobs when every tile is done.
  void next(std::vector<ScoreJob>& jobs, std::vector<uint32_t>& finished);
  size_t tiles_started() const { return next_; }
  size_t tiles() const { return tiles_.size(); }

 private:
  void start_tile(uint32_t id);
  const ScoringRecords& records_;
  const Plan& plan_;
  const PreparedTables& prep_;
  BlockIndex left_index_, right_index_;
  std::vector<uint32_t> tiles_;
  PieceLimits limits_;
  ScoreJob pending_;       // the tile whose chunks are being scored ...
  size_t pending_at_ = 0;  // ... from this one on
  bool have_pending_ = false;
  size_t next_ = 0;
};

void PieceCutter::start_tile(uint32_t id) {
  const Tile& t = plan_.tiles[id];
  const BlockIndex& right_index = records_.right_is_left ? left_index_ : right_index_;
  const std::vector<uint32_t> ls = left_index_.slice(records_.left, t.block, t.l_begin, t.l_end);
  const std::vector<uint32_t> rs =
      right_index.slice(records_.right_side(), t.block, t.r_begin, t.r_end);
  pending_ = ScoreJob{};
  pending_.left_rows = sort_rows_by_key(prep_.left_keys, ls.data(), ls.size());
  pending_.right_rows = sort_rows_by_key(prep_.right_keys, rs.data(), rs.size());
  pending_.chunk_plan = plan_chunks(pending_.left_rows, pending_.right_rows, limits_.chunk_pairs);
  pending_.tag = id;
  pending_at_ = 0;
  have_pending_ = true;
}

void PieceCutter::next(std::vector<ScoreJob>& jobs, std::vector<uint32_t>& finished) {
  uint64_t cost = 0, fine = 0;
  for (;;) {
    if (!have_pending_) {
      if (next_ >= tiles_.size() || cost >= limits_.cost || jobs.size() >= limits_.tiles ||
          (!jobs.empty() && fine >= limits_.fine_cap))
        break;
      const uint32_t id = tiles_[next_++];
      cost += plan_.tiles[id].cost;
      start_tile(id);
    }
    const std::vector<Chunk>& chunks = pending_.chunk_plan.chunks;
    if (pending_at_ == 0 && fine + fine_pairs(chunks, 0, chunks.size()) <= limits_.fine_cap) {
      fine += fine_pairs(chunks, 0, chunks.size());  // the whole tile fits
      finished.push_back(pending_.tag);
      jobs.push_back(std::move(pending_));
      have_pending_ = false;
      continue;
    }
    // Chunks up to the cap (at least one per piece).
    size_t e = pending_at_;
    uint64_t f = 0;
    while (e < chunks.size() &&
           (fine + f + chunks[e].pairs() <= limits_.fine_cap || (jobs.empty() && e == pending_at_)))
      f += chunks[e++].pairs();
    if (e == pending_at_) break;  // the next piece goes on with it
    ScoreJob part;
    part.left_rows = pending_.left_rows;
    part.right_rows = pending_.right_rows;
    part.chunk_plan.chunks.assign(chunks.begin() + static_cast<ptrdiff_t>(pending_at_),
                                  chunks.begin() + static_cast<ptrdiff_t>(e));
    part.chunk_plan.candidate_pairs = f;
    part.tag = pending_.tag;
    jobs.push_back(std::move(part));
    fine += f;
    pending_at_ = e;
    if (e == chunks.size()) {
      finished.push_back(pending_.tag);
      have_pending_ = false;
    }
  }
}

// One piece's kept pairs as the pair file stores them: records and their
// rendered payloads.
struct PieceOutput {
  std::vector<io::PairRecord> records;
  std::string payload;
  std::vector<uint64_t> offsets;
};

// Renders a piece's kept pairs (sorted here in (left, right) order: the
// records are then read in order while the payloads are rendered, much
// faster than at random, and the runs come out nearly sorted) into the spill
// or, with a pair file, into `out`.
void render_piece(const RunContext& run, const ScoringRecords& records,
                  std::vector<ScoredPair>& scored, PairSpill* spill, PieceOutput& out) {
  const SideRecords& left = records.left;
  const SideRecords& right = records.right_side();
  std::sort(scored.begin(), scored.end(), [&](const ScoredPair& a, const ScoredPair& b) {
    const uint64_t la = left.global[a.left], lb = left.global[b.left];
    return la != lb ? la < lb : right.global[a.right] < right.global[b.right];
  });
  // The stored form of a scored pair: global rows and its figures.
  auto record_of = [&](const ScoredPair& s) {
    io::PairRecord p{};
    p.left = left.global[s.left];
    p.right = right.global[s.right];
    p.tile = s.tile;
    p.confidence = s.confidence;
    p.lev = s.lev;
    p.jw = s.jw;
    p.mp = s.mp;
    p.label = s.label;
    return p;
  };
  if (spill != nullptr) {
    for (const ScoredPair& s : scored)
      spill->add(record_of(s), [&](std::string& b) {
        io::append_payload(b, run.algorithm, left.table, s.left, right.table, s.right);
      });
    return;
  }
  out.records.clear();
  out.payload.clear();
  out.offsets.clear();
  for (const ScoredPair& s : scored) {
    out.offsets.push_back(out.payload.size());
    io::append_payload(out.payload, run.algorithm, left.table, s.left, right.table, s.right);
    io::PairRecord p = record_of(s);
    p.payload_len = static_cast<uint32_t>(out.payload.size() - out.offsets.back());
    out.records.push_back(p);
  }
  out.offsets.push_back(out.payload.size());
}

// This rank's tiles still to do (a --resume skips the finished ones).
std::vector<uint32_t> my_tiles(RunContext& run, const Plan& plan,
                               const std::vector<uint32_t>& done) {
  std::vector<uint32_t> tiles;
  for (uint32_t t = 0; t < plan.tiles.size(); ++t)
    if (plan.tiles[t].rank == static_cast<uint32_t>(run.rank)) {
      if (done[t] != 0)
        ++run.result.tiles_skipped;
      else
        tiles.push_back(t);
    }
  run.stats.tiles = tiles.size();
  return tiles;
}

// Without a pair file this rank's kept pairs go to a buffer of fixed size,
// spilled in sorted runs to a temporary file when full (docs/DISTRIBUTED.md,
// "Memory").
SpillOptions spill_options(RunContext& run, bool with_pair_file) {
  SpillOptions options;
  stage(run.comm, [&] {
    options = SpillOptions::from_environment();
    if (!with_pair_file && access(options.dir.c_str(), W_OK | X_OK) != 0)
      throw InputError("the spill folder " + options.dir + " cannot be written: " +
                       std::strerror(errno) + " (set NAME_MATCHER_SPILL_DIR or TMPDIR)");
  });
  return options;
}

PieceLimits piece_limits(const RunContext& run, const SpillOptions& spill, bool with_pair_file) {
  const bool on_gpu = run.backend->gpu() != nullptr;
  PieceLimits limits;
  // A GPU scores a default piece in about a millisecond, less than the
  // piece's own costs (jobs, sorting, payloads, the pair-file append): its
  // pieces are 64 times larger unless --piece-pairs was given.
  limits.cost = std::max<uint64_t>(
      1, on_gpu && !run.cfg.piece_pairs_given ? run.cfg.piece_pairs * 64 : run.cfg.piece_pairs);
  // Chunks split a block for the CPU threads; on the GPU a column is one
  // right record x its chunk's left slice, so big blocks keep long columns.
  limits.chunk_pairs = on_gpu ? std::max<uint64_t>(run.cfg.match.tile_pairs, uint64_t{1} << 26)
                              : run.cfg.match.tile_pairs;
  // A piece also holds at most fine_cap pairs after the fine grouping (what
  // is scored, and so at most what is kept): about the spill buffer's size
  // in scored pairs, or in rendered pairs with a pair file.
  limits.fine_cap =
      std::max<uint64_t>(1, spill.buffer_bytes / (with_pair_file ? 256 : 2 * sizeof(ScoredPair)));
  return limits;
}

// The counters and the score histogram, summed over the ranks: on the GPUs
// with NCCL when every rank has one, else with MPI.
void sum_counters(RunContext& run, const ScoreHistogram& hist, ScoreOutcome& out) {
  stage(run.comm, [&] {
    gpu::ScoreCounters mine;
    mine.pairs_scored = run.stats.pairs_scored;
    mine.pairs_kept = run.stats.pairs_kept;
    void* device_counters = nullptr;
    if (gpu::GpuScorer* g = run.backend->gpu()) {
      const auto c = g->counters();
      std::copy(c.begin() + 2, c.end(), mine.hist.begin());
      device_counters = g->device_counters();
    } else {
      std::copy(hist.begin(), hist.end(), mine.hist.begin());
    }
    const auto coll =
        gpu::make_collectives(run.comm, run.backend->gpu() ? run.backend->device.get() : nullptr);
    out.totals = coll->allreduce(mine, device_counters);
    out.collectives = coll->name();
  });
}

}  // namespace

ScoreOutcome score_tiles(RunContext& run, const ScoringRecords& records, const Plan& plan,
                         PairFileOutput& pairs) {
  // ---- normalise the records this rank scores ----
  Stopwatch stage_time;
  const unsigned threads = std::max(1u, run.cfg.match.threads);
  const PreparedTables prep(records.left.table, records.right_side().table, run.cfg.match,
                            records.right_is_left, threads);
  if (const std::string note = long_names_note(prep); !note.empty()) log(LogLevel::kInfo, note);
  run.result.engine.shortcut = prep.shortcut;
  run.stats.normalize_s = stage_time.seconds();
  run.result.engine.normalize_s = run.stats.normalize_s;

  // ---- score my tiles, piece by piece ----
  stage_time.restart();
  io::PairFileWriter* const pf = pairs.writer ? &*pairs.writer : nullptr;
  ScoreOutcome out;
  out.spill_options = spill_options(run, pf != nullptr);
  PieceCutter cutter(records, plan, prep, my_tiles(run, plan, pairs.done),
                     piece_limits(run, out.spill_options, pf != nullptr));
  out.spill = std::make_unique<PairSpill>(out.spill_options);
  const PairOrder order{run.dedupe, records.left.global.data(), records.right_side().global.data()};
  uint64_t pieces = 0;
  std::vector<ScoredPair> scored;
  ScoreHistogram hist{};  // CPU backend (the GPU backend counts on the device)
  PieceOutput piece;
  // An error while scoring is agreed on after the loop; with a pair file the
  // ranks leave the loop together (each piece's append is collective).
  std::exception_ptr score_error;
  for (;;) {
    std::vector<ScoreJob> jobs;
    std::vector<uint32_t> finished;  // tiles whose last chunks are in this piece
    try {
      cutter.next(jobs, finished);
    } catch (...) {
      score_error = std::current_exception();
    }
    if (pf) {
      const uint64_t v =
          mpi::allreduce_max(run.comm, uint64_t{score_error ? 2u : jobs.empty() ? 0u : 1u});
      if (v != 1) break;
    } else if (score_error || jobs.empty()) {
      break;
    }
    try {
      scored.clear();
      run.stats.pairs_scored += score_jobs(prep, jobs, order, threads, scored, {},
                                           run.backend->gpu(), &hist);
      run.stats.pairs_kept += scored.size();
      render_piece(run, records, scored, pf ? nullptr : out.spill.get(), piece);
    } catch (...) {
      score_error = std::current_exception();
    }
    if (pf) {
      if (mpi::allreduce_max(run.comm, uint64_t{score_error ? 1u : 0u}) != 0) break;
      try {  // every rank returns from the collective append; a failure is agreed on
        pf->append_piece(piece.records, piece.payload,
                         piece.records.empty() ? std::span<const uint64_t>() : piece.offsets,
                         finished);
      } catch (...) {
        score_error = std::current_exception();
      }
      ++pieces;
      maybe_fault(run.rank, pieces);
    } else if (score_error) {
      break;
    }
    run.progress->update("score", cutter.tiles_started(), cutter.tiles(), "tiles (rank 0)");
  }
  std::vector<ScoredPair>().swap(scored);
  piece = PieceOutput{};
  stage(run.comm, [&] {
    if (score_error) std::rethrow_exception(score_error);
  });
  run.progress->finish();
  run.stats.score_s = stage_time.seconds();
  run.result.engine.score_s = run.stats.score_s;
  run.stats.peak_rss_bytes = peak_rss_bytes();
  sum_counters(run, hist, out);
  return out;
}

}  // namespace nm::jobs
