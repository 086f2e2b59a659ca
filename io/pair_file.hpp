// The pair file: one HDF5 file written by every MPI rank of a run at once
// (MPI-IO driver, collective writes) holding the candidate pairs, the
// partition plan, per-tile completion marks for --resume, per-rank statistics
// and the run's parameters; read back by one process (`reduce`) without MPI.
// The schema is in docs/PAIR_FILE.md. Every part carries a checksum that the
// reader verifies when it reads the part (docs/PAIR_FILE.md, "Integrity").
// Implementation: io/pair_file/ (schema, checksums, writer, reader) over io/h5/.
//
// Commit rule (what makes --resume lose and duplicate nothing): a pair row is
// part of the result iff done_marks()[row.tile] == row.gen. Pairs of a tile
// are written and flushed before the tile's mark, so rows of a tile that was
// not finished (crash) have a mark of 0 or of a later attempt and are ignored.
#pragma once
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nm::io {

// One row of /pairs/rows (HDF5 compound with the same field names).
struct PairRecord {
  uint64_t left, right;     // global row numbers
  uint64_t payload_offset;  // into /pairs/payload (uint8), filled in by append_piece
  uint32_t payload_len;     // bytes of this pair's payload, filled in by append_piece
  uint32_t tile;            // plan tile id
  uint32_t gen;             // attempt that wrote it (1 = first run, +1 per resume), filled in
  float confidence, lev, jw, mp;
  uint8_t label;
};

// One row of /plan/tiles.
struct TileRow {
  uint64_t block_key, l_begin, l_end, r_begin, r_end, cost;
  uint32_t rank;
};

// One row of /stats/ranks, one per rank.
struct RankStats {
  uint32_t rank;
  uint64_t left_loaded, right_loaded, left_received, right_received, tiles, pairs_scored,
      pairs_kept, bytes_shuffled, peak_rss_bytes;
  double load_s, normalize_s, partition_s, shuffle_s, score_s, write_s;
};

// The `algorithm` attribute of a file of the probabilistic mode (run -a
// prob --pairs; jobs/prob/prob_pairs.hpp); 1-6 are algorithms 1-6.
inline constexpr int32_t kProbAlgorithm = 0;

// The root group's attributes.
struct PairFileMeta {
  std::string format = "name_matcher pairs";
  uint32_t format_version = 1;
  std::string program_version;
  int32_t algorithm = 0;
  float threshold = 0, household_threshold = 0;
  float min_confidence = 0;  // pairs below min_confidence were not stored
  bool dedupe = false, fuzzy_normalization = false, exhaustive = false;
  uint32_t ranks = 1;
  std::string left_path, right_path;
  uint64_t left_bytes = 0, right_bytes = 0, left_checksum = 0, right_checksum = 0, left_rows = 0,
           right_rows = 0;
  uint64_t plan_hash = 0;
};

// One row of /pairs/pieces: one rank's part of one append_piece call. A
// piece's pairs are rows [first, first+count), sorted by (left, right), and
// their payload is bytes [payload_first, payload_first+payload_bytes).
struct PieceRecord {
  uint64_t first, count, payload_first, payload_bytes;
  uint32_t rank, gen;
};

// Writes a pair file from every rank of `comm`. Every method is collective over
// `comm`: all ranks call it, in the same order. Invalid arguments on any rank
// make every rank throw std::invalid_argument (the rank at fault names the
// problem), so a bad call does not leave the other ranks waiting. A failed
// write (disk full, I/O error) on any rank throws InputError on every rank
// ("cannot write pair file 'P': No space left on device (...)") and leaves the
// file closed and marked as failed, refused by the reader; later calls throw
// InputError too (docs/PAIR_FILE.md, "When a write fails").
class PairFileWriter {
 public:
  // Creates (truncates) `path`: attributes with complete=0 and attempts=1,
  // /plan/tiles, /tiles/done (all 0) and empty pair datasets. Every rank passes
  // the same meta and tiles (meta.format/format_version are set by the writer).
  // Throws InputError when the file cannot be created.
  static PairFileWriter create(MPI_Comm comm, const std::string& path, const PairFileMeta& meta,
                               const std::vector<TileRow>& tiles);
  // Opens an existing file for --resume: attempts += 1, complete = 0. Throws
  // InputError (on every rank) if it is missing, corrupt (its attributes, plan,
  // piece table or done marks fail their checksums) or not a pair file.
  static PairFileWriter open_for_resume(MPI_Comm comm, const std::string& path);

  PairFileWriter(PairFileWriter&&) noexcept;
  PairFileWriter& operator=(PairFileWriter&&) noexcept;
  // Closes the file (collective, like every method). Without mark_complete()
  // the file keeps complete=0.
  ~PairFileWriter();

  const PairFileMeta& meta() const;
  uint32_t generation() const;  // = the attempts attribute: 1, then +1 per resume
  // Plan and done marks as read at open (create: all 0). Not updated by appends.
  std::vector<TileRow> tiles() const;
  std::vector<uint32_t> done_marks() const;

  // Appends this rank's piece: `pairs` sorted by (left, right); the payload of
  // pair i is bytes [payload_offsets[i], payload_offsets[i+1]) of `payload`
  // (pairs.size()+1 entries, or empty when there are no pairs). payload_offset,
  // payload_len and gen of the stored rows are filled in here. Then marks
  // `finished_tiles` done with generation(). A rank may pass nothing; a rank
  // with no pairs adds no piece row. Pairs, payload and piece rows are written
  // and flushed (H5Fflush) before the done marks are written and flushed.
  void append_piece(std::span<const PairRecord> pairs, std::string_view payload,
                    std::span<const uint64_t> payload_offsets,
                    std::span<const uint32_t> finished_tiles);

  // Writes row `rank of comm` of /stats/ranks (mine.rank is set to that rank).
  // A resumed run overwrites the rows of the earlier attempt.
  void write_rank_stats(const RankStats& mine);

  // Key -> count table /keys/<name>/{bytes,offsets,counts}: only `root` passes
  // data, the other ranks pass empty vectors. Writing a name again replaces it.
  void write_key_counts(const std::string& name, const std::vector<std::string>& keys,
                        const std::vector<uint64_t>& counts, int root);

  // Sets complete=1 and flushes.
  void mark_complete();

 private:
  struct State;
  explicit PairFileWriter(std::unique_ptr<State> state);
  State& state() const;
  std::unique_ptr<State> state_;
};

// Reads a pair file in one process, without MPI (sec2 driver). HDF5 failures
// while reading, and any part that fails its checksum, throw nm::InputError
// naming the file and the part ("pair file 'P' is corrupt: piece 3 (rank 1,
// attempt 1, rows 8192..9000): checksum mismatch in rows 8192..9000; ...").
class PairFileReader {
 public:
  // Throws nm::InputError naming the file: "cannot open", "not an HDF5 file or
  // truncated/corrupt (<HDF5 detail>)", "not a name_matcher pair file",
  // "format version N not supported", "unusable: a write to it failed",
  // "corrupt: ..." (the root attributes, the plan or the piece table fail
  // their checksums: all verified here).
  explicit PairFileReader(const std::string& path);
  PairFileReader(PairFileReader&&) noexcept;
  PairFileReader& operator=(PairFileReader&&) noexcept;
  ~PairFileReader();

  const PairFileMeta& meta() const;
  bool complete() const;
  uint32_t attempts() const;
  std::vector<TileRow> tiles() const;
  std::vector<uint32_t> done_marks() const;
  std::vector<RankStats> rank_stats() const;
  std::vector<PieceRecord> pieces() const;
  uint64_t pair_count() const;

  // Reads rows [first, first+n) of /pairs/rows into `out` and the payload bytes
  // they reference, [out.front().payload_offset, out.back().payload_offset +
  // out.back().payload_len), into `payload`; *payload_base (if not null) gets
  // that first offset. Offsets in `out` stay absolute file offsets, so pair i's
  // payload is payload.substr(out[i].payload_offset - *payload_base,
  // out[i].payload_len). Throws std::out_of_range past pair_count(). Reads and
  // verifies the whole checksum blocks (4096 rows of a piece) the range touches:
  // InputError naming the piece and rows on a mismatch.
  void read_pairs(uint64_t first, uint64_t n, std::vector<PairRecord>& out, std::string& payload,
                  uint64_t* payload_base) const;

  // The table written by write_key_counts, in the written order; empty if absent.
  std::vector<std::pair<std::string, uint64_t>> read_key_counts(const std::string& name) const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

namespace detail {
// The most one rank moves in one H5Dwrite/H5Dread (default 256 MiB); larger
// parts go in several collective rounds. Tests lower it to exercise the
// rounds; returns the previous value. Set it the same on every rank.
uint64_t set_pair_file_io_limit(uint64_t bytes);
}  // namespace detail

}  // namespace nm::io
