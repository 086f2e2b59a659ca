// Multi-rank tests of the pair file: every rank appends pieces of different
// sizes (some ranks nothing in some rounds) and finishes tiles at different
// times; rank 0 then reads the file back in one process and checks that every
// row, payload byte, piece row, done mark and statistic is exactly what each
// rank wrote. Content is a pure function of (rank, round), so rank 0 can
// rebuild what every other rank wrote.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/pair_file.hpp"
#include "src/errors.hpp"
#include "src/mpi/mpi_env.hpp"

namespace {

namespace fs = std::filesystem;
using nm::io::PairFileMeta;
using nm::io::PairFileReader;
using nm::io::PairFileWriter;
using nm::io::PairRecord;
using nm::io::PieceRecord;
using nm::io::RankStats;
using nm::io::TileRow;

MPI_Comm world() { return nm::mpi::ensure_initialized(); }
int my_rank() { return nm::mpi::rank(world()); }
int ranks() { return nm::mpi::size(world()); }

// A directory made by rank 0 and known to every rank, removed by rank 0 once
// every rank is done with it.
class SharedTempDir {
 public:
  SharedTempDir() {
    std::string path;
    if (my_rank() == 0) {
      path = (fs::temp_directory_path() / "nm_pair_file_mpi_XXXXXX").string();
      if (::mkdtemp(path.data()) == nullptr) path.clear();
    }
    nm::mpi::bcast_bytes(world(), path, 0);
    REQUIRE_FALSE(path.empty());
    path_ = path;
  }
  ~SharedTempDir() {
    MPI_Barrier(world());
    std::error_code ec;
    if (my_rank() == 0) fs::remove_all(path_, ec);
  }
  SharedTempDir(const SharedTempDir&) = delete;
  SharedTempDir& operator=(const SharedTempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

constexpr int kRounds = 5;

// Pairs per (rank, round): zero, tiny, across a 64 Ki-row chunk, ...
uint64_t piece_size(int rank, int round) {
  static const uint64_t sizes[] = {0, 1, 2, 37, 1000, 65537, 3000, 0, 5};
  return sizes[static_cast<size_t>(rank * 3 + round * 5) % 9];
}

// Tile ids: one per (rank, round).
uint32_t tile_of(int rank, int round, int nranks) {
  return static_cast<uint32_t>(round * nranks + rank);
}

// Rank `rank` finishes its round-r tile in round r, or one round late when
// (rank + r) % 3 == 0; the last round finishes everything still open. So
// ranks pass zero, one or two finished tiles.
std::vector<uint32_t> finished_in(int rank, int round, int nranks) {
  std::vector<uint32_t> out;
  const auto late = [&](int r) { return (rank + r) % 3 == 0; };
  if (round > 0 && late(round - 1)) out.push_back(tile_of(rank, round - 1, nranks));
  if (!late(round) || round == kRounds - 1) out.push_back(tile_of(rank, round, nranks));
  return out;
}

// The done marks after `rounds` rounds of the first generation.
std::vector<uint32_t> expected_marks(int rounds, int nranks) {
  std::vector<uint32_t> marks(static_cast<size_t>(kRounds * nranks), 0);
  for (int k = 0; k < nranks; ++k)
    for (int r = 0; r < rounds; ++r)
      for (uint32_t t : finished_in(k, r, nranks)) marks[t] = 1;
  return marks;
}

struct Piece {
  std::vector<PairRecord> pairs;
  std::string payload;
  std::vector<uint64_t> offsets;
};

Piece make_piece(int rank, int round, int nranks) {
  Piece p;
  const uint64_t n = piece_size(rank, round);
  const uint64_t base = (uint64_t(rank) << 40) + uint64_t(round) * 1000000;
  if (n > 0) p.offsets.push_back(0);
  for (uint64_t i = 0; i < n; ++i) {
    PairRecord r{};
    r.left = base + i / 3;  // three rights per left, ascending
    r.right = i % 3 + uint64_t(round);
    r.tile = tile_of(rank, round, nranks);
    r.confidence = static_cast<float>(i % 1000) / 1000.0f;
    r.lev = static_cast<float>(rank);
    r.jw = static_cast<float>(round);
    r.mp = static_cast<float>(i);
    r.label = static_cast<uint8_t>((i + rank) % 4);
    p.pairs.push_back(r);
    const uint64_t len = (i * 7 + uint64_t(rank) + uint64_t(round)) % 64;
    for (uint64_t j = 0; j < len; ++j)
      p.payload.push_back(static_cast<char>((i + j * 13 + rank * 101 + round * 37) & 0xff));
    p.offsets.push_back(p.payload.size());
  }
  return p;
}

RankStats make_stats(int rank) {
  RankStats s{};
  s.left_loaded = 100 + rank;
  s.right_loaded = 200 + rank;
  s.left_received = 300 + rank;
  s.right_received = 400 + rank;
  s.tiles = kRounds;
  s.pairs_scored = (1ull << 33) + rank;
  s.pairs_kept = 7 * rank;
  s.bytes_shuffled = 1000 * rank;
  s.peak_rss_bytes = (1ull << 30) + rank;
  s.load_s = 0.5 * rank;
  s.normalize_s = 1.5;
  s.partition_s = 0.25;
  s.shuffle_s = rank;
  s.score_s = 10.0 + rank;
  s.write_s = 0.125;
  return s;
}

PairFileMeta make_meta(int nranks) {
  PairFileMeta m;
  m.program_version = "mpi-test";
  m.algorithm = 4;
  m.threshold = 0.85f;
  m.ranks = static_cast<uint32_t>(nranks);
  m.left_path = "left.csv";
  m.right_path = "right.csv";
  m.left_rows = 12345;
  m.plan_hash = 99;
  return m;
}

std::vector<TileRow> make_tiles(int nranks) {
  std::vector<TileRow> tiles;
  for (int r = 0; r < kRounds; ++r)
    for (int k = 0; k < nranks; ++k)
      tiles.push_back(
          {uint64_t(r), uint64_t(k), uint64_t(k) + 1, 0, 10, 10, static_cast<uint32_t>(k)});
  return tiles;
}

void append_round(PairFileWriter& w, int round) {
  const Piece p = make_piece(my_rank(), round, ranks());
  const std::vector<uint32_t> finished = finished_in(my_rank(), round, ranks());
  w.append_piece(p.pairs, p.payload, p.offsets, finished);
}

// Rank 0: rows [first, first+n) are exactly `want`, written by generation `gen`.
void check_rows(const PairFileReader& r, uint64_t first, const Piece& want, uint32_t gen) {
  std::vector<PairRecord> rows;
  std::string payload;
  uint64_t base = 0;
  r.read_pairs(first, want.pairs.size(), rows, payload, &base);
  REQUIRE(rows.size() == want.pairs.size());
  size_t bad = 0;  // one CHECK per piece, not per field of 65 537 pairs
  for (size_t i = 0; i < rows.size(); ++i) {
    const PairRecord& g = rows[i];
    const PairRecord& w = want.pairs[i];
    const uint64_t len = want.offsets[i + 1] - want.offsets[i];
    const bool same =
        g.left == w.left && g.right == w.right && g.tile == w.tile && g.gen == gen &&
        g.confidence == w.confidence && g.lev == w.lev && g.jw == w.jw && g.mp == w.mp &&
        g.label == w.label && g.payload_len == len && g.payload_offset >= base &&
        payload.compare(g.payload_offset - base, len, want.payload, want.offsets[i], len) == 0;
    if (!same && bad++ == 0)
      MESSAGE("first differing row " << first + i << " (piece row " << i << ")");
  }
  CHECK(bad == 0);
}

// Rank 0: the pieces of generation `gen`, rounds [from, to) of every rank, in
// round then rank order, start at piece row `piece0`, pair row `first`, payload
// byte `byte0`. Returns the next (piece row, pair row, payload byte).
struct Cursor {
  size_t piece = 0;
  uint64_t row = 0, byte = 0;
};
Cursor check_generation(const PairFileReader& r, const std::vector<PieceRecord>& pieces, Cursor at,
                        int from, int to, uint32_t gen) {
  for (int round = from; round < to; ++round) {
    for (int k = 0; k < ranks(); ++k) {
      const Piece want = make_piece(k, round, ranks());
      if (want.pairs.empty()) continue;
      REQUIRE(at.piece < pieces.size());
      const PieceRecord& p = pieces[at.piece];
      CHECK(p.first == at.row);
      CHECK(p.count == want.pairs.size());
      CHECK(p.payload_first == at.byte);
      CHECK(p.payload_bytes == want.payload.size());
      CHECK(p.rank == static_cast<uint32_t>(k));
      CHECK(p.gen == gen);
      check_rows(r, at.row, want, gen);
      ++at.piece;
      at.row += want.pairs.size();
      at.byte += want.payload.size();
    }
  }
  return at;
}

}  // namespace

TEST_CASE("pair_file mpi: every rank's pieces, marks, stats and key counts read back exactly") {
  SharedTempDir dir;
  const std::string path = dir.file("pairs.h5");
  const int n = ranks();
  const int key_root = n - 1;  // not rank 0, when there are several
  std::vector<std::string> keys;
  std::vector<uint64_t> counts;
  if (my_rank() == key_root)
    for (uint64_t i = 0; i < 1000; ++i) {
      keys.push_back("household-" + std::string(i % 17, 'x') + std::to_string(i));
      counts.push_back(i * i);
    }
  {
    PairFileWriter w = PairFileWriter::create(world(), path, make_meta(n), make_tiles(n));
    CHECK(w.generation() == 1);
    for (int round = 0; round < kRounds; ++round) {
      append_round(w, round);
      if (round == 1) {
        // Mid-run, with the writers still open: rank 0 sees rounds 0-1 complete.
        if (my_rank() == 0) {
          PairFileReader r(path);
          CHECK_FALSE(r.complete());
          CHECK(r.done_marks() == expected_marks(2, n));
          const auto pieces = r.pieces();
          const Cursor end = check_generation(r, pieces, {}, 0, 2, 1);
          CHECK(end.piece == pieces.size());
          CHECK(end.row == r.pair_count());
        }
        MPI_Barrier(world());
      }
    }
    w.write_rank_stats(make_stats(my_rank()));
    w.write_key_counts("households", keys, counts, key_root);
    w.mark_complete();
  }
  if (my_rank() == 0) {
    PairFileReader r(path);
    CHECK(r.complete());
    CHECK(r.attempts() == 1);
    CHECK(r.meta().ranks == static_cast<uint32_t>(n));
    CHECK(r.meta().plan_hash == 99);
    CHECK(r.tiles().size() == static_cast<size_t>(kRounds * n));
    CHECK(r.done_marks() == std::vector<uint32_t>(static_cast<size_t>(kRounds * n), 1));
    const auto pieces = r.pieces();
    const Cursor end = check_generation(r, pieces, {}, 0, kRounds, 1);
    CHECK(end.piece == pieces.size());
    CHECK(end.row == r.pair_count());

    const auto stats = r.rank_stats();
    REQUIRE(stats.size() == static_cast<size_t>(n));
    for (int k = 0; k < n; ++k) {
      const RankStats want = make_stats(k);
      const RankStats& got = stats[static_cast<size_t>(k)];
      CHECK(got.rank == static_cast<uint32_t>(k));
      CHECK(got.left_loaded == want.left_loaded);
      CHECK(got.right_loaded == want.right_loaded);
      CHECK(got.left_received == want.left_received);
      CHECK(got.right_received == want.right_received);
      CHECK(got.tiles == want.tiles);
      CHECK(got.pairs_scored == want.pairs_scored);
      CHECK(got.pairs_kept == want.pairs_kept);
      CHECK(got.bytes_shuffled == want.bytes_shuffled);
      CHECK(got.peak_rss_bytes == want.peak_rss_bytes);
      CHECK(got.load_s == want.load_s);
      CHECK(got.normalize_s == want.normalize_s);
      CHECK(got.partition_s == want.partition_s);
      CHECK(got.shuffle_s == want.shuffle_s);
      CHECK(got.score_s == want.score_s);
      CHECK(got.write_s == want.write_s);
    }
    const auto table = r.read_key_counts("households");
    REQUIRE(table.size() == 1000);
    for (uint64_t i = 0; i < 1000; ++i) {
      CHECK(table[i].first == "household-" + std::string(i % 17, 'x') + std::to_string(i));
      CHECK(table[i].second == i * i);
    }
  }
  MPI_Barrier(world());
}

TEST_CASE("pair_file mpi: small I/O rounds give the same file content") {
  // A 1000-byte limit splits every rank's rows, payload and key bytes into
  // many collective rounds, a different number on each rank.
  const uint64_t previous = nm::io::detail::set_pair_file_io_limit(1000);
  SharedTempDir dir;
  const std::string path = dir.file("rounds.h5");
  const int n = ranks();
  std::vector<std::string> keys;
  std::vector<uint64_t> counts;
  if (my_rank() == 0)
    for (uint64_t i = 0; i < 300; ++i) {
      keys.push_back(std::string(i % 50, static_cast<char>('a' + i % 26)));
      counts.push_back(i);
    }
  {
    PairFileWriter w = PairFileWriter::create(world(), path, make_meta(n), make_tiles(n));
    for (int round = 0; round < 3; ++round) append_round(w, round);
    w.write_key_counts("k", keys, counts, 0);
    w.mark_complete();
  }
  nm::io::detail::set_pair_file_io_limit(previous);
  if (my_rank() == 0) {
    PairFileReader r(path);
    CHECK(r.done_marks() == expected_marks(3, n));
    const auto pieces = r.pieces();
    const Cursor end = check_generation(r, pieces, {}, 0, 3, 1);
    CHECK(end.piece == pieces.size());
    CHECK(end.row == r.pair_count());
    const auto table = r.read_key_counts("k");
    REQUIRE(table.size() == keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      CHECK(table[i].first == keys[i]);
      CHECK(table[i].second == counts[i]);
    }
  }
  MPI_Barrier(world());
}

TEST_CASE("pair_file mpi: resume on every rank continues with the next generation") {
  SharedTempDir dir;
  const std::string path = dir.file("resume.h5");
  const int n = ranks();
  {
    PairFileWriter w = PairFileWriter::create(world(), path, make_meta(n), make_tiles(n));
    append_round(w, 0);
    append_round(w, 1);
  }  // interrupted: never marked complete
  {
    PairFileWriter w = PairFileWriter::open_for_resume(world(), path);
    CHECK(w.generation() == 2);
    CHECK(w.meta().ranks == static_cast<uint32_t>(n));
    CHECK(w.tiles().size() == static_cast<size_t>(kRounds * n));
    CHECK(w.done_marks() == expected_marks(2, n));  // the same on every rank
    append_round(w, 2);
    w.write_rank_stats(make_stats(my_rank()));
    w.mark_complete();
  }
  if (my_rank() == 0) {
    PairFileReader r(path);
    CHECK(r.complete());
    CHECK(r.attempts() == 2);
    std::vector<uint32_t> marks = expected_marks(2, n);
    for (int k = 0; k < n; ++k)
      for (uint32_t t : finished_in(k, 2, n)) marks[t] = 2;
    CHECK(r.done_marks() == marks);
    const auto pieces = r.pieces();
    Cursor at = check_generation(r, pieces, {}, 0, 2, 1);
    at = check_generation(r, pieces, at, 2, 3, 2);
    CHECK(at.piece == pieces.size());
    CHECK(at.row == r.pair_count());
  }
  MPI_Barrier(world());
}

TEST_CASE("pair_file mpi: a bad piece on one rank makes every rank throw, then writing goes on") {
  SharedTempDir dir;
  const std::string path = dir.file("bad.h5");
  const int n = ranks();
  const int culprit = n - 1;
  PairFileWriter w = PairFileWriter::create(world(), path, make_meta(n), make_tiles(n));
  Piece p = make_piece(my_rank(), 4, n);  // 5 pairs on rank 0, others vary
  std::vector<PairRecord> bad(3, PairRecord{});
  bad[0].left = 9;  // unsorted
  bad[1].left = 3;
  std::vector<uint64_t> bad_offsets = {0, 0, 0, 0};
  std::string message;
  try {
    if (my_rank() == culprit)
      w.append_piece(bad, "", bad_offsets, {});
    else
      w.append_piece(p.pairs, p.payload, p.offsets, {});
  } catch (const std::invalid_argument& e) {
    message = e.what();
  }
  if (my_rank() == culprit)
    CHECK(message.find("not sorted") != std::string::npos);
  else
    CHECK(message.find("another rank") != std::string::npos);

  const std::vector<uint32_t> finished = {tile_of(my_rank(), 0, n)};
  w.append_piece(p.pairs, p.payload, p.offsets, finished);
  w.mark_complete();
  MPI_Barrier(world());
  if (my_rank() == 0) {
    PairFileReader r(path);
    CHECK(r.done_marks() == [&] {
      std::vector<uint32_t> m(static_cast<size_t>(kRounds * n), 0);
      for (int k = 0; k < n; ++k) m[tile_of(k, 0, n)] = 1;
      return m;
    }());
    uint64_t total = 0;
    for (int k = 0; k < n; ++k) total += piece_size(k, 4);
    CHECK(r.pair_count() == total);
  }
  MPI_Barrier(world());
}
