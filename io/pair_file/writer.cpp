// PairFileWriter (io/pair_file.hpp): creating a pair file or opening one for
// --resume, the per-rank statistics, the complete mark, and what happens when
// a write fails. Appending pairs, done marks and key tables: writer_append.cpp.
#include <fcntl.h>
#include <unistd.h>

#include <limits>
#include <stdexcept>
#include <utility>

#include "io/h5/attribute.hpp"
#include "io/pair_file/root_attributes.hpp"
#include "io/pair_file/tables.hpp"
#include "io/pair_file/writer_state.hpp"

namespace nm::io {

using namespace pair_file;
using h5::agreed;
using h5::any_rank;
using h5::check;
using h5::create_dataset;
using h5::extent;
using h5::make;
using h5::open_dataset;
using h5::set_extent;
using h5::table_chunk;
using h5::write_collective;
using h5::write_u64_attr;

uint64_t detail::set_pair_file_io_limit(uint64_t bytes) {
  if (bytes == 0) throw std::invalid_argument("set_pair_file_io_limit: 0 bytes");
  return h5::set_max_io_bytes(bytes);
}

// Every rank is here (the failure was agreed). HDF5 1.10 cannot be left
// with the file open: any later close, ours or the library's own at
// MPI_Finalize, flushes again, fails again, frees the file's shared state
// and keeps its id, and the next attempt crashes (SIGSEGV in H5F__close_cb).
// So rank 0 first truncates the file, which gives its blocks back to a full
// disk, the ranks close the file (the flush now has room), and rank 0 writes
// kFailedMagic over the HDF5 signature: reduce and --resume then refuse the
// file by name. The pairs are lost either way; what HDF5 flushed before the
// failure cannot be trusted to be consistent.
void PairFileWriter::State::give_up(const char* op, const std::string& reason,
                                    const std::string& detail) {
  failed = true;
  MPI_Barrier(comm);
  if (rank == 0) ::truncate(path.c_str(), 0);
  MPI_Barrier(comm);
  for (h5::Dataset* d : {&rows, &payload, &pieces, &sums, &tiles_ds, &done, &stats}) d->reset();
  const bool closed = !any_rank(comm, file.valid() && H5Fclose(file.release()) < 0);
  h5::take_error_stack();
  bool marked = true;
  if (rank == 0) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    marked = fd >= 0 && ::pwrite(fd, kFailedMagic, sizeof kFailedMagic, 0) ==
                            static_cast<ssize_t>(sizeof kFailedMagic);
    if (fd >= 0) ::close(fd);
  }
  marked = !any_rank(comm, !marked);
  mpi::mark_error_agreed();
  throw InputError("cannot write pair file '" + path +
                   "': " + (reason.empty() ? std::string("an HDF5 write failed") : reason) + " (" +
                   op + ": " + detail + "); " +
                   (marked ? "the file is marked as failed (reduce and --resume refuse it)"
                           : "the file could not be marked as failed and is not usable") +
                   (closed ? "" : ", and HDF5 could not close it") + "; rerun without --resume");
}

namespace {

// Opens or creates `path` with the MPI-IO driver on `comm`.
h5::File open_mpio(MPI_Comm comm, const std::string& path, bool create) {
  h5::Plist fapl = make<h5::Plist>(H5Pcreate(H5P_FILE_ACCESS), {path, "", "H5Pcreate"});
  check(H5Pset_fapl_mpio(fapl.get(), comm, MPI_INFO_NULL), {path, "", "H5Pset_fapl_mpio"});
  // Metadata is read by one rank and broadcast, and written collectively:
  // every writer method is collective anyway, and this scales to many ranks.
  check(H5Pset_all_coll_metadata_ops(fapl.get(), true), {path, "", "H5Pset_all_coll_metadata_ops"});
  check(H5Pset_coll_metadata_write(fapl.get(), true), {path, "", "H5Pset_coll_metadata_write"});
  const hid_t id = create ? H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get())
                          : H5Fopen(path.c_str(), H5F_ACC_RDWR, fapl.get());
  std::string problem;
  if (id < 0)
    problem = std::string(create ? "cannot create" : "cannot open") + " pair file '" + path +
              "' (" + h5::take_error_stack() + ")";
  // Every rank fails alike, so none is left inside a collective open.
  if (any_rank(comm, id < 0)) {
    if (id >= 0) H5Fclose(id);
    throw InputError(problem.empty() ? "cannot " + std::string(create ? "create" : "open") +
                                           " pair file '" + path + "' on another rank"
                                     : problem);
  }
  return h5::File(id);
}

}  // namespace

PairFileWriter::PairFileWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
PairFileWriter::PairFileWriter(PairFileWriter&&) noexcept = default;
PairFileWriter& PairFileWriter::operator=(PairFileWriter&&) noexcept = default;
PairFileWriter::~PairFileWriter() = default;

PairFileWriter::State& PairFileWriter::state() const {
  if (!state_) throw std::logic_error("PairFileWriter used after it was moved from");
  return *state_;
}

PairFileWriter PairFileWriter::create(MPI_Comm comm, const std::string& path,
                                      const PairFileMeta& meta, const std::vector<TileRow>& tiles) {
  auto s = std::make_unique<State>(comm, path);
  // Every rank must pass the same: HDF5 metadata calls must be identical.
  const uint64_t fp = meta_sum(meta, tiles);
  if (mpi::allreduce_max(comm, fp) != fp || mpi::allreduce_max(comm, ~fp) != ~fp)
    throw std::invalid_argument("PairFileWriter::create '" + path +
                                "': the ranks passed different meta or tiles");
  if (tiles.size() > std::numeric_limits<uint32_t>::max())
    throw std::invalid_argument("PairFileWriter::create: more than 2^32-1 tiles");

  s->file = open_mpio(comm, path, true);
  s->meta = meta;
  s->meta.format = kFormat;
  s->meta.format_version = kFormatVersion;
  s->gen = 1;
  s->root = RootState{};
  s->tiles = tiles;
  s->done_at_open.assign(tiles.size(), 0);
  if (s->rank == 0) s->done_live = s->done_at_open;

  State& st = *s;
  st.guard("create", [&] {
    const hid_t f = st.file.get();
    write_meta(comm, f, path, st.meta);
    write_u64_attr(comm, f, path, "meta_checksum", fp);
    write_root_state(comm, f, path, st.root);
    for (const char* g : {"/pairs", "/plan", "/tiles", "/stats", kKeys})
      h5::Group(agreed(comm, st.where(g, "H5Gcreate2"),
                       [&] { return H5Gcreate2(f, g, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT); }));
    const Types& t = st.types;
    st.rows = create_dataset(comm, f, path, kRows, t.pair.get(), 0, kRowsChunk, false);
    st.payload = create_dataset(comm, f, path, kPayload, H5T_NATIVE_UINT8, 0, kByteChunk, false);
    st.pieces = create_dataset(comm, f, path, kPieces, t.piece.get(), 0, kPieceChunk, false);
    st.sums = create_dataset(comm, f, path, kSums, H5T_NATIVE_UINT64, 0, kSumsChunk, false);
    st.tiles_ds = create_dataset(comm, f, path, kTiles, t.tile.get(), tiles.size(),
                                 table_chunk(tiles.size(), kTableChunk), false);
    st.done = create_dataset(comm, f, path, kDone, t.mark.get(), tiles.size(),
                             table_chunk(tiles.size(), kTableChunk), false);
    st.stats = create_dataset(comm, f, path, kStats, t.stats.get(), static_cast<hsize_t>(st.size),
                              table_chunk(static_cast<uint64_t>(st.size), kPieceChunk), true);

    // Rank 0 writes the plan and the (all 0) done marks; the others take part
    // with empty selections.
    std::vector<TileRow> rows;
    if (st.rank == 0) {
      rows.reserve(tiles.size());
      for (const TileRow& in : tiles) {
        TileRow r = zeroed<TileRow>();
        r.block_key = in.block_key;
        r.l_begin = in.l_begin;
        r.l_end = in.l_end;
        r.r_begin = in.r_begin;
        r.r_end = in.r_end;
        r.cost = in.cost;
        r.rank = in.rank;
        rows.push_back(r);
      }
    }
    write_collective(comm, st.target(kTiles, st.tiles_ds, t.tile.get(), sizeof(TileRow)), 0,
                     rows.size(), rows.data());
    st.write_marks(0, st.rank == 0 ? tiles.size() : 0,
                   st.rank == 0 ? st.done_live.data() : nullptr);
    st.flush("create");
  });
  return PairFileWriter(std::move(s));
}

PairFileWriter PairFileWriter::open_for_resume(MPI_Comm comm, const std::string& path) {
  auto s = std::make_unique<State>(comm, path);
  // Rank 0 checks the file with the reader first (its attributes, plan, piece
  // table and done marks against their checksums), so every rank fails with
  // the same clear message instead of an HDF5 error deep inside a collective open.
  std::string problem;
  if (s->rank == 0) {
    try {
      PairFileReader probe(path);
      probe.done_marks();
    } catch (const InputError& e) {
      problem = e.what();
      if (problem.empty()) problem = "cannot resume from pair file '" + path + "'";
    }
  }
  mpi::bcast_bytes(comm, problem, 0);
  if (!problem.empty()) throw InputError(problem);

  s->file = open_mpio(comm, path, false);
  State& st = *s;
  // What cannot be read now is an input problem on every rank (the probe read
  // it a moment ago); writing attempts is a write failure like any other.
  const auto input = [&](auto&& f) {
    std::string why;
    try {
      f();
    } catch (const h5::Error& e) {
      why = e.what();
    } catch (const InputError& e) {
      why = e.what();
    }
    if (any_rank(comm, !why.empty()))
      throw InputError(why.empty() ? "pair file '" + path +
                                         "' cannot be resumed (another rank "
                                         "could not read it)"
                                   : why);
  };
  input([&] {
    const hid_t f = st.file.get();
    st.meta = read_meta(f, path);
    st.root = read_root_state(f, path);
    st.rows = open_dataset(f, path, kRows);
    st.payload = open_dataset(f, path, kPayload);
    st.pieces = open_dataset(f, path, kPieces);
    st.sums = open_dataset(f, path, kSums);
    st.tiles_ds = open_dataset(f, path, kTiles);
    st.done = open_dataset(f, path, kDone);
    st.stats = open_dataset(f, path, kStats);
    st.tiles =
        read_all<TileRow>(path, kTiles, st.tiles_ds.get(), st.types.tile.get(), st.dxpl.get());
    verify_meta(f, path, st.meta, st.tiles);
    st.done_at_open = read_marks(path, st.done.get(), st.types.mark.get(), st.dxpl.get(),
                                 st.tiles.size(), st.root.attempts);
  });
  st.gen = st.root.attempts + 1;
  if (st.rank == 0) st.done_live = st.done_at_open;
  st.guard("open_for_resume", [&] {
    st.root.complete = false;
    st.root.attempts = st.gen;
    write_root_state(comm, st.file.get(), path, st.root);
    st.flush("open_for_resume");
  });
  return PairFileWriter(std::move(s));
}

const PairFileMeta& PairFileWriter::meta() const { return state().meta; }
uint32_t PairFileWriter::generation() const { return state().gen; }
std::vector<TileRow> PairFileWriter::tiles() const { return state().tiles; }
std::vector<uint32_t> PairFileWriter::done_marks() const { return state().done_at_open; }

void PairFileWriter::write_rank_stats(const RankStats& mine) {
  State& s = state();
  s.guard("write_rank_stats", [&] {
    const uint64_t rows = extent(s.stats.get(), s.path, kStats);
    if (rows < static_cast<uint64_t>(s.size))
      set_extent(s.comm, s.stats.get(), s.path, kStats, static_cast<uint64_t>(s.size));
    StoredStats row = zeroed<StoredStats>();
    RankStats& r = row.stats;
    r.rank = static_cast<uint32_t>(s.rank);
    r.left_loaded = mine.left_loaded;
    r.right_loaded = mine.right_loaded;
    r.left_received = mine.left_received;
    r.right_received = mine.right_received;
    r.tiles = mine.tiles;
    r.pairs_scored = mine.pairs_scored;
    r.pairs_kept = mine.pairs_kept;
    r.bytes_shuffled = mine.bytes_shuffled;
    r.peak_rss_bytes = mine.peak_rss_bytes;
    r.load_s = mine.load_s;
    r.normalize_s = mine.normalize_s;
    r.partition_s = mine.partition_s;
    r.shuffle_s = mine.shuffle_s;
    r.score_s = mine.score_s;
    r.write_s = mine.write_s;
    row.check = stats_sum(r);
    write_collective(s.comm, s.target(kStats, s.stats, s.types.stats.get(), sizeof(StoredStats)),
                     static_cast<uint64_t>(s.rank), 1, &row);
    s.flush("write_rank_stats");
  });
}

void PairFileWriter::mark_complete() {
  State& s = state();
  s.guard("mark_complete", [&] {
    RootState next = s.root;
    next.complete = true;
    write_root_state(s.comm, s.file.get(), s.path, next);
    s.flush("mark_complete");
    s.root = next;
  });
}

}  // namespace nm::io
