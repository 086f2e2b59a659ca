// Tests of the pair file in one process (a world of one rank): round trip of
// every part, --resume generations, a writer killed mid-run, and the reader's
// refusal of files that are not complete pair files. The multi-rank tests are
// in tests/mpi/test_pair_file_mpi.cpp.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/h5/handle.hpp"
#include "io/pair_file.hpp"
#include "src/errors.hpp"
#include "src/mpi/mpi_env.hpp"
#include "tests/support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using nm::io::PairFileMeta;
using nm::io::PairFileReader;
using nm::io::PairFileWriter;
using nm::io::PairRecord;
using nm::io::PieceRecord;
using nm::io::RankStats;
using nm::io::TileRow;

using nm::test::TempDir;

PairFileMeta test_meta() {
  PairFileMeta m;
  m.program_version = "0.1.0 test";
  m.algorithm = 3;
  m.threshold = 0.95f;
  m.household_threshold = 0.9f;
  m.min_confidence = 0.5f;
  m.dedupe = true;
  m.fuzzy_normalization = false;
  m.exhaustive = true;
  m.ranks = 1;
  m.left_path = "/data/left \xc3\xa9t\xc3\xa9.csv";  // UTF-8 in a path
  m.right_path = "";
  m.left_bytes = 123456789012ull;
  m.right_bytes = 42;
  m.left_checksum = 0xdeadbeefcafef00dull;
  m.right_checksum = 7;
  m.left_rows = 1000000;
  m.right_rows = 999999;
  m.plan_hash = 0x0123456789abcdefull;
  return m;
}

std::vector<TileRow> test_tiles(uint32_t n) {
  std::vector<TileRow> tiles;
  for (uint32_t i = 0; i < n; ++i)
    tiles.push_back({20000u + i, i * 10u, i * 10u + 7, i * 20u, i * 20u + 9, 63u + i, i % 3});
  return tiles;
}

// One append's worth of pairs with payloads, deterministic from `seed`.
struct Piece {
  std::vector<PairRecord> pairs;
  std::string payload;
  std::vector<uint64_t> offsets;
  std::vector<uint32_t> finished;
};

Piece make_piece(uint32_t seed, size_t n, uint32_t tile, std::vector<uint32_t> finished) {
  std::mt19937_64 rng(seed);
  Piece p;
  p.finished = std::move(finished);
  uint64_t left = seed * 1000ull;
  for (size_t i = 0; i < n; ++i) {
    left += rng() % 3;  // equal lefts happen: then rights ascend
    PairRecord r{};
    r.left = left;
    r.right =
        (i > 0 && p.pairs.back().left == left) ? p.pairs.back().right + 1 + rng() % 5 : rng() % 100;
    r.tile = tile;
    r.confidence = static_cast<float>(rng() % 1000) / 1000.0f;
    r.lev = 0.25f + static_cast<float>(i);
    r.jw = 0.5f;
    r.mp = static_cast<float>(seed);
    r.label = static_cast<uint8_t>(i % 5);
    r.gen = 77;  // overwritten by the writer
    p.pairs.push_back(r);
    if (p.offsets.empty()) p.offsets.push_back(0);
    // Lengths 0.., bytes of every value including NUL and non-ASCII.
    const size_t len = rng() % 9;
    for (size_t b = 0; b < len; ++b) p.payload.push_back(static_cast<char>(rng() % 256));
    p.offsets.push_back(p.payload.size());
  }
  return p;
}

void append(PairFileWriter& w, const Piece& p) {
  w.append_piece(p.pairs, p.payload, p.offsets, p.finished);
}

// Every pair of `p` (written as generation `gen`) is rows [first, first+n) of the file.
void check_piece_stored(const PairFileReader& r, const Piece& p, uint64_t first, uint32_t gen) {
  std::vector<PairRecord> rows;
  std::string payload;
  uint64_t base = 99;
  r.read_pairs(first, p.pairs.size(), rows, payload, &base);
  REQUIRE(rows.size() == p.pairs.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const PairRecord& got = rows[i];
    const PairRecord& want = p.pairs[i];
    CHECK(got.left == want.left);
    CHECK(got.right == want.right);
    CHECK(got.tile == want.tile);
    CHECK(got.gen == gen);
    CHECK(got.confidence == want.confidence);
    CHECK(got.lev == want.lev);
    CHECK(got.jw == want.jw);
    CHECK(got.mp == want.mp);
    CHECK(got.label == want.label);
    const uint64_t len = p.offsets[i + 1] - p.offsets[i];
    CHECK(got.payload_len == len);
    REQUIRE(got.payload_offset >= base);
    CHECK(payload.substr(got.payload_offset - base, got.payload_len) ==
          p.payload.substr(p.offsets[i], len));
  }
}

void check_meta_equal(const PairFileMeta& a, const PairFileMeta& b) {
  CHECK(a.format == "name_matcher pairs");
  CHECK(a.format_version == 2);
  CHECK(a.program_version == b.program_version);
  CHECK(a.algorithm == b.algorithm);
  CHECK(a.threshold == b.threshold);
  CHECK(a.household_threshold == b.household_threshold);
  CHECK(a.min_confidence == b.min_confidence);
  CHECK(a.dedupe == b.dedupe);
  CHECK(a.fuzzy_normalization == b.fuzzy_normalization);
  CHECK(a.exhaustive == b.exhaustive);
  CHECK(a.ranks == b.ranks);
  CHECK(a.left_path == b.left_path);
  CHECK(a.right_path == b.right_path);
  CHECK(a.left_bytes == b.left_bytes);
  CHECK(a.right_bytes == b.right_bytes);
  CHECK(a.left_checksum == b.left_checksum);
  CHECK(a.right_checksum == b.right_checksum);
  CHECK(a.left_rows == b.left_rows);
  CHECK(a.right_rows == b.right_rows);
  CHECK(a.plan_hash == b.plan_hash);
}

void check_tiles_equal(const std::vector<TileRow>& a, const std::vector<TileRow>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].block_key == b[i].block_key);
    CHECK(a[i].l_begin == b[i].l_begin);
    CHECK(a[i].l_end == b[i].l_end);
    CHECK(a[i].r_begin == b[i].r_begin);
    CHECK(a[i].r_end == b[i].r_end);
    CHECK(a[i].cost == b[i].cost);
    CHECK(a[i].rank == b[i].rank);
  }
}

void check_piece_row(const PieceRecord& p, uint64_t first, uint64_t count, uint32_t gen) {
  CHECK(p.first == first);
  CHECK(p.count == count);
  CHECK(p.rank == 0);
  CHECK(p.gen == gen);
}

// The message of the InputError `f` throws.
template <class F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const nm::InputError& e) {
    return e.what();
  }
  FAIL("no InputError");
  return {};
}

MPI_Comm world() { return nm::mpi::ensure_initialized(); }

}  // namespace

TEST_CASE("pair_file: round trip of meta, plan, pieces with payloads, marks, stats, key counts") {
  TempDir dir;
  const std::string path = dir.file("pairs.h5");
  const PairFileMeta meta = test_meta();
  const std::vector<TileRow> tiles = test_tiles(5);
  const Piece a = make_piece(1, 3, 0, {0});
  const Piece empty = make_piece(2, 0, 0, {2});
  const Piece b = make_piece(3, 70, 1, {1, 4});
  RankStats stats{};
  stats.rank = 12345;  // replaced by the rank in the communicator
  stats.left_loaded = 10;
  stats.right_loaded = 11;
  stats.left_received = 12;
  stats.right_received = 13;
  stats.tiles = 3;
  stats.pairs_scored = 1u << 30;
  stats.pairs_kept = 73;
  stats.bytes_shuffled = 1ull << 40;
  stats.peak_rss_bytes = 99;
  stats.load_s = 0.5;
  stats.normalize_s = 1.25;
  stats.partition_s = 2;
  stats.shuffle_s = 3;
  stats.score_s = 4.75;
  stats.write_s = 1e-6;
  const std::vector<std::string> keys = {"hh-1", "", "h\xc3\xa9-2", std::string("a\0b", 3)};
  const std::vector<uint64_t> counts = {3, 1, 2, 5};
  {
    PairFileWriter w = PairFileWriter::create(world(), path, meta, tiles);
    CHECK(w.generation() == 1);
    check_meta_equal(w.meta(), meta);
    check_tiles_equal(w.tiles(), tiles);
    CHECK(w.done_marks() == std::vector<uint32_t>(5, 0));
    append(w, a);
    append(w, empty);
    append(w, b);
    w.write_rank_stats(stats);
    w.write_key_counts("households", keys, counts, 0);
    {
      // Everything appended is already readable, and the file does not claim to be finished.
      PairFileReader r(path);
      CHECK_FALSE(r.complete());
      CHECK(r.pair_count() == 73);
      CHECK(r.done_marks() == std::vector<uint32_t>{1, 1, 1, 0, 1});
    }
    w.mark_complete();
  }
  PairFileReader r(path);
  CHECK(r.complete());
  CHECK(r.attempts() == 1);
  check_meta_equal(r.meta(), meta);
  check_tiles_equal(r.tiles(), tiles);
  CHECK(r.done_marks() == std::vector<uint32_t>{1, 1, 1, 0, 1});
  REQUIRE(r.pair_count() == 73);
  const std::vector<PieceRecord> pieces = r.pieces();
  REQUIRE(pieces.size() == 2);  // the empty append adds no piece
  check_piece_row(pieces[0], 0, 3, 1);
  check_piece_row(pieces[1], 3, 70, 1);
  CHECK(pieces[0].payload_first == 0);
  CHECK(pieces[0].payload_bytes == a.payload.size());
  CHECK(pieces[1].payload_first == a.payload.size());
  CHECK(pieces[1].payload_bytes == b.payload.size());
  check_piece_stored(r, a, 0, 1);
  check_piece_stored(r, b, 3, 1);

  SUBCASE("a range across pieces comes with exactly its payload") {
    std::vector<PairRecord> rows;
    std::string payload;
    uint64_t base = 0;
    r.read_pairs(2, 4, rows, payload, &base);
    REQUIRE(rows.size() == 4);
    CHECK(base == a.offsets[2]);
    CHECK(payload == a.payload.substr(a.offsets[2]) + b.payload.substr(0, b.offsets[3]));
    r.read_pairs(73, 0, rows, payload, &base);
    CHECK(rows.empty());
    CHECK(payload.empty());
    CHECK_THROWS_AS(r.read_pairs(70, 4, rows, payload, nullptr), std::out_of_range);
  }

  const std::vector<RankStats> got = r.rank_stats();
  REQUIRE(got.size() == 1);
  CHECK(got[0].rank == 0);
  CHECK(got[0].left_loaded == 10);
  CHECK(got[0].right_loaded == 11);
  CHECK(got[0].left_received == 12);
  CHECK(got[0].right_received == 13);
  CHECK(got[0].tiles == 3);
  CHECK(got[0].pairs_scored == (1u << 30));
  CHECK(got[0].pairs_kept == 73);
  CHECK(got[0].bytes_shuffled == (1ull << 40));
  CHECK(got[0].peak_rss_bytes == 99);
  CHECK(got[0].load_s == 0.5);
  CHECK(got[0].normalize_s == 1.25);
  CHECK(got[0].partition_s == 2);
  CHECK(got[0].shuffle_s == 3);
  CHECK(got[0].score_s == 4.75);
  CHECK(got[0].write_s == 1e-6);

  const auto table = r.read_key_counts("households");
  REQUIRE(table.size() == 4);
  for (size_t i = 0; i < 4; ++i) {
    CHECK(table[i].first == keys[i]);
    CHECK(table[i].second == counts[i]);
  }
  CHECK(r.read_key_counts("absent").empty());
  CHECK_THROWS_AS(r.read_key_counts("a/b"), std::invalid_argument);
}

TEST_CASE("pair_file: a file with no tiles and no pairs is valid") {
  TempDir dir;
  const std::string path = dir.file("empty.h5");
  {
    PairFileWriter w = PairFileWriter::create(world(), path, test_meta(), {});
    w.append_piece({}, {}, {}, {});
    w.write_key_counts("none", {}, {}, 0);
    w.mark_complete();
  }
  PairFileReader r(path);
  CHECK(r.complete());
  CHECK(r.pair_count() == 0);
  CHECK(r.tiles().empty());
  CHECK(r.done_marks().empty());
  CHECK(r.pieces().empty());
  CHECK(r.read_key_counts("none").empty());
  const auto stats = r.rank_stats();
  REQUIRE(stats.size() == 1);  // zero-filled until a rank writes its row
  CHECK(stats[0].pairs_kept == 0);
}

TEST_CASE("pair_file: writing a key table again replaces it") {
  TempDir dir;
  const std::string path = dir.file("keys.h5");
  {
    PairFileWriter w = PairFileWriter::create(world(), path, test_meta(), test_tiles(1));
    w.write_key_counts("t1", {"a", "bb", "ccc"}, {1, 2, 3}, 0);
    w.write_key_counts("t1", {"zz"}, {9}, 0);
    w.write_key_counts("t2", {"q"}, {4}, 0);
  }
  PairFileReader r(path);
  CHECK(r.read_key_counts("t1") == std::vector<std::pair<std::string, uint64_t>>{{"zz", 9}});
  CHECK(r.read_key_counts("t2") == std::vector<std::pair<std::string, uint64_t>>{{"q", 4}});
}

TEST_CASE(
    "pair_file: each resume is a new generation and marks keep the generation that wrote them") {
  TempDir dir;
  const std::string path = dir.file("resume.h5");
  const std::vector<TileRow> tiles = test_tiles(4);
  const Piece first = make_piece(10, 5, 0, {0});
  const Piece unfinished = make_piece(11, 4, 1, {});  // tile 1's pairs, tile not finished
  const Piece second = make_piece(12, 6, 1, {1, 2});
  const Piece third = make_piece(13, 2, 3, {3});
  {
    PairFileWriter w = PairFileWriter::create(world(), path, test_meta(), tiles);
    append(w, first);
    append(w, unfinished);
  }  // closed without mark_complete: an interrupted run
  {
    PairFileReader r(path);
    CHECK_FALSE(r.complete());
    CHECK(r.attempts() == 1);
  }
  {
    PairFileWriter w = PairFileWriter::open_for_resume(world(), path);
    CHECK(w.generation() == 2);
    check_meta_equal(w.meta(), test_meta());
    check_tiles_equal(w.tiles(), tiles);
    CHECK(w.done_marks() == std::vector<uint32_t>{1, 0, 0, 0});
    append(w, second);
  }
  {
    PairFileWriter w = PairFileWriter::open_for_resume(world(), path);
    CHECK(w.generation() == 3);
    CHECK(w.done_marks() == std::vector<uint32_t>{1, 2, 2, 0});
    append(w, third);
    w.mark_complete();
  }
  PairFileReader r(path);
  CHECK(r.complete());
  CHECK(r.attempts() == 3);
  CHECK(r.done_marks() == std::vector<uint32_t>{1, 2, 2, 3});
  const auto pieces = r.pieces();
  REQUIRE(pieces.size() == 4);
  check_piece_row(pieces[0], 0, 5, 1);
  check_piece_row(pieces[1], 5, 4, 1);
  check_piece_row(pieces[2], 9, 6, 2);
  check_piece_row(pieces[3], 15, 2, 3);
  check_piece_stored(r, first, 0, 1);
  check_piece_stored(r, unfinished, 5, 1);
  check_piece_stored(r, second, 9, 2);
  check_piece_stored(r, third, 15, 3);

  // The commit rule keeps every finished tile's pairs once and drops the
  // interrupted attempt's rows of tile 1.
  std::vector<PairRecord> rows;
  std::string payload;
  r.read_pairs(0, r.pair_count(), rows, payload, nullptr);
  const auto done = r.done_marks();
  size_t kept = 0;
  for (const PairRecord& p : rows) kept += done[p.tile] == p.gen;
  CHECK(kept == first.pairs.size() + second.pairs.size() + third.pairs.size());
}

TEST_CASE("pair_file: invalid appends are refused and leave the file usable") {
  TempDir dir;
  const std::string path = dir.file("invalid.h5");
  PairFileWriter w = PairFileWriter::create(world(), path, test_meta(), test_tiles(2));
  Piece p = make_piece(5, 4, 0, {0});

  Piece unsorted = p;
  std::swap(unsorted.pairs[0], unsorted.pairs[3]);
  CHECK_THROWS_WITH_AS(append(w, unsorted), doctest::Contains("not sorted"), std::invalid_argument);
  Piece short_offsets = p;
  short_offsets.offsets.pop_back();
  CHECK_THROWS_WITH_AS(append(w, short_offsets), doctest::Contains("payload offsets"),
                       std::invalid_argument);
  Piece past_payload = p;
  past_payload.offsets.back() = past_payload.payload.size() + 1;
  CHECK_THROWS_WITH_AS(append(w, past_payload), doctest::Contains("past the payload"),
                       std::invalid_argument);
  Piece bad_tile = p;
  bad_tile.finished = {2};
  CHECK_THROWS_WITH_AS(append(w, bad_tile), doctest::Contains("not in the plan"),
                       std::invalid_argument);
  CHECK_THROWS_AS(w.write_key_counts("k", {"a"}, {1, 2}, 0), std::invalid_argument);
  CHECK_THROWS_AS(w.write_key_counts("k/x", {"a"}, {1}, 0), std::invalid_argument);

  append(w, p);
  w.mark_complete();
  PairFileReader r(path);
  CHECK(r.pair_count() == 4);
  CHECK(r.done_marks() == std::vector<uint32_t>{1, 0});
  check_piece_stored(r, p, 0, 1);
}

TEST_CASE("pair_file: a writer killed without closing leaves the last flushed pieces and marks") {
  TempDir dir;
  const std::string path = dir.file("killed.h5");
  const std::vector<TileRow> tiles = test_tiles(4);
  const Piece pieces[3] = {make_piece(21, 1000, 0, {0}), make_piece(22, 0, 0, {1}),
                           make_piece(23, 70000, 2, {2})};
  world();  // the child inherits an initialised MPI and uses MPI_COMM_SELF
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child writes and then dies without closing anything: no destructor,
    // no H5Fclose, no MPI_Finalize, as after a SIGKILL.
    try {
      PairFileWriter w = PairFileWriter::create(MPI_COMM_SELF, path, test_meta(), tiles);
      for (const Piece& p : pieces) append(w, p);
      std::_Exit(9);  // inside the writer's scope: its destructor never runs
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
    }
    std::_Exit(1);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 9);

  {
    PairFileReader r(path);
    CHECK_FALSE(r.complete());
    CHECK(r.attempts() == 1);
    CHECK(r.done_marks() == std::vector<uint32_t>{1, 1, 1, 0});
    const auto rows = r.pieces();
    REQUIRE(rows.size() == 2);
    check_piece_row(rows[0], 0, 1000, 1);
    check_piece_row(rows[1], 1000, 70000, 1);
    REQUIRE(r.pair_count() == 71000);
    check_piece_stored(r, pieces[0], 0, 1);
    check_piece_stored(r, pieces[2], 1000, 1);
  }
  const Piece last = make_piece(24, 10, 3, {3});
  {
    PairFileWriter w = PairFileWriter::open_for_resume(world(), path);
    CHECK(w.generation() == 2);
    CHECK(w.done_marks() == std::vector<uint32_t>{1, 1, 1, 0});
    append(w, last);
    w.mark_complete();
  }
  PairFileReader r(path);
  CHECK(r.complete());
  CHECK(r.attempts() == 2);
  CHECK(r.done_marks() == std::vector<uint32_t>{1, 1, 1, 2});
  check_piece_stored(r, pieces[2], 1000, 1);
  check_piece_stored(r, last, 71000, 2);
}

TEST_CASE("pair_file: the reader and resume refuse what is not a complete pair file") {
  TempDir dir;
  const std::string valid = dir.file("valid.h5");
  {
    PairFileWriter w = PairFileWriter::create(world(), valid, test_meta(), test_tiles(3));
    append(w, make_piece(31, 50000, 0, {0}));
    w.mark_complete();
  }
  REQUIRE_NOTHROW(PairFileReader{valid});

  SUBCASE("missing") {
    const std::string missing = dir.file("missing.h5");
    const std::string msg = input_error_of([&] { PairFileReader r(missing); });
    CHECK(msg.find("cannot open") != std::string::npos);
    CHECK(msg.find(missing) != std::string::npos);
    CHECK(input_error_of([&] { PairFileWriter::open_for_resume(world(), missing); }) == msg);
  }
  SUBCASE("random bytes") {
    const std::string junk = dir.file("junk.h5");
    std::mt19937 rng(7);
    std::string bytes(100000, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::ofstream(junk, std::ios::binary) << bytes;
    const std::string msg = input_error_of([&] { PairFileReader r(junk); });
    CHECK(msg.find("not an HDF5 file or truncated/corrupt") != std::string::npos);
    CHECK(msg.find(junk) != std::string::npos);
    CHECK(msg.find("signature") != std::string::npos);  // HDF5's own detail
    CHECK(input_error_of([&] { PairFileWriter::open_for_resume(world(), junk); }) == msg);
  }
  SUBCASE("truncated to half") {
    const std::string half = dir.file("half.h5");
    fs::copy_file(valid, half);
    fs::resize_file(half, fs::file_size(valid) / 2);
    const std::string msg = input_error_of([&] { PairFileReader r(half); });
    CHECK(msg.find("not an HDF5 file or truncated/corrupt") != std::string::npos);
    CHECK(msg.find("truncated file") != std::string::npos);
    CHECK(msg.find(half) != std::string::npos);
  }
  SUBCASE("an HDF5 file that is not a pair file") {
    namespace h5 = nm::io::h5;
    const std::string other = dir.file("other.h5");
    {
      h5::File f = h5::make<h5::File>(
          H5Fcreate(other.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), {other, "", "create"});
      const hsize_t dims[1] = {4};
      h5::Space s = h5::make<h5::Space>(H5Screate_simple(1, dims, nullptr), {other, "", "space"});
      h5::make<h5::Dataset>(H5Dcreate2(f.get(), "data", H5T_NATIVE_INT, s.get(), H5P_DEFAULT,
                                       H5P_DEFAULT, H5P_DEFAULT),
                            {other, "data", "create"});
    }
    const std::string msg = input_error_of([&] { PairFileReader r(other); });
    CHECK(msg.find("not a name_matcher pair file") != std::string::npos);
    CHECK(msg.find(other) != std::string::npos);
  }
  SUBCASE("a newer format version") {
    namespace h5 = nm::io::h5;
    const std::string newer = dir.file("newer.h5");
    fs::copy_file(valid, newer);
    {
      h5::File f = h5::make<h5::File>(H5Fopen(newer.c_str(), H5F_ACC_RDWR, H5P_DEFAULT),
                                      {newer, "", "open"});
      h5::Attr a = h5::make<h5::Attr>(H5Aopen(f.get(), "format_version", H5P_DEFAULT),
                                      {newer, "format_version", "open"});
      const uint32_t v = 3;
      h5::check(H5Awrite(a.get(), H5T_NATIVE_UINT32, &v), {newer, "format_version", "write"});
    }
    const std::string msg = input_error_of([&] { PairFileReader r(newer); });
    CHECK(msg.find("format version 3 not supported") != std::string::npos);
    CHECK(msg.find(newer) != std::string::npos);
  }
}

TEST_CASE("pair_file: HDF5 failures name the file and carry HDF5's reason") {
  TempDir dir;
  const std::string path = dir.file("no/such/dir/pairs.h5");
  const std::string msg =
      input_error_of([&] { PairFileWriter::create(world(), path, test_meta(), test_tiles(1)); });
  CHECK(msg.find("cannot create pair file") != std::string::npos);
  CHECK(msg.find(path) != std::string::npos);
  CHECK(msg.find("H5Fcreate") != std::string::npos);  // the HDF5 error stack

  namespace h5 = nm::io::h5;
  h5::quiet_errors();
  try {
    h5::make<h5::Dataset>(H5Dopen2(-1, "/x", H5P_DEFAULT), {"f.h5", "/x", "H5Dopen2"});
    FAIL("no exception");
  } catch (const h5::Error& e) {
    const std::string what = e.what();
    CHECK(what.rfind("f.h5: /x: H5Dopen2 failed: H5Dopen2(): ", 0) == 0);
  }
}

namespace {

namespace h5 = nm::io::h5;

// Adds `delta` to byte `byte` of element `index` of dataset `name` (as stored:
// the file type's bytes), the way a damaged disk block would.
void damage_element(const std::string& path, const char* name, uint64_t index, size_t byte,
                    int delta = 1) {
  h5::quiet_errors();
  h5::File f =
      h5::make<h5::File>(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), {path, "", "H5Fopen"});
  h5::Dataset ds =
      h5::make<h5::Dataset>(H5Dopen2(f.get(), name, H5P_DEFAULT), {path, name, "open"});
  h5::Type type = h5::make<h5::Type>(H5Dget_type(ds.get()), {path, name, "type"});
  std::string elem(H5Tget_size(type.get()), '\0');
  REQUIRE(byte < elem.size());
  h5::Space file_space = h5::make<h5::Space>(H5Dget_space(ds.get()), {path, name, "space"});
  const hsize_t start[1] = {index}, one[1] = {1};
  h5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, one, nullptr),
            {path, name, "select"});
  h5::Space mem = h5::make<h5::Space>(H5Screate_simple(1, one, nullptr), {path, name, "mem"});
  h5::check(H5Dread(ds.get(), type.get(), mem.get(), file_space.get(), H5P_DEFAULT, elem.data()),
            {path, name, "read"});
  elem[byte] = static_cast<char>(elem[byte] + delta);
  h5::check(H5Dwrite(ds.get(), type.get(), mem.get(), file_space.get(), H5P_DEFAULT, elem.data()),
            {path, name, "write"});
}

// Overwrites a numeric root (or group) attribute, in its stored type.
template <class T>
void set_attr(const std::string& path, const char* object, const char* name, hid_t type, T value) {
  h5::quiet_errors();
  h5::File f =
      h5::make<h5::File>(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), {path, "", "H5Fopen"});
  h5::Attr a = h5::make<h5::Attr>(H5Aopen_by_name(f.get(), object, name, H5P_DEFAULT, H5P_DEFAULT),
                                  {path, name, "open"});
  h5::check(H5Awrite(a.get(), type, &value), {path, name, "write"});
}

}  // namespace

TEST_CASE("pair_file: every damaged part is a clear InputError naming the file and the part") {
  TempDir dir;
  const std::string valid = dir.file("valid.h5");
  // Two pieces; the second spans three checksum blocks (4096 rows each).
  const Piece small = make_piece(41, 10, 0, {0});
  const Piece big = make_piece(42, 9000, 1, {1});
  {
    PairFileWriter w = PairFileWriter::create(world(), valid, test_meta(), test_tiles(3));
    append(w, small);
    append(w, big);
    RankStats st{};
    st.pairs_kept = 9010;
    w.write_rank_stats(st);
    w.write_key_counts("k", {"alpha", "beta"}, {3, 4}, 0);
    w.mark_complete();
  }
  {  // The undamaged file reads back whole, in any slices.
    PairFileReader r(valid);
    check_piece_stored(r, small, 0, 1);
    check_piece_stored(r, big, 10, 1);
    std::vector<PairRecord> rows;
    std::string payload;
    uint64_t base = 0;
    r.read_pairs(5, 4200, rows, payload, &base);  // across the pieces and a block boundary
    CHECK(rows.size() == 4200);
    CHECK(rows[4].left == small.pairs.back().left);
    CHECK(rows[5].left == big.pairs.front().left);
    CHECK(r.rank_stats()[0].pairs_kept == 9010);
    CHECK(r.read_key_counts("k").size() == 2);
  }
  int copies = 0;
  // A copy of the valid file with `damage` applied; returns its path.
  const auto damaged = [&](auto&& damage) {
    std::string path = dir.file(std::to_string(++copies) + "d.h5");
    fs::copy_file(valid, path);
    damage(path);
    return path;
  };
  const auto read_everything = [](const std::string& path) {
    PairFileReader r(path);
    (void)r.done_marks();
    (void)r.rank_stats();
    (void)r.read_key_counts("k");
    std::vector<PairRecord> rows;
    std::string payload;
    r.read_pairs(0, r.pair_count(), rows, payload, nullptr);
  };
  const auto refused = [&](const std::string& path, const std::string& what) {
    std::string msg = input_error_of([&] { read_everything(path); });
    CHECK_MESSAGE(msg.find(path) != std::string::npos, msg);
    CHECK_MESSAGE(msg.find(what) != std::string::npos, msg);
    return msg;
  };

  SUBCASE("a pair row: the piece and rows are named") {
    for (size_t byte : {0, 9, 16, 24, 40, 48}) {  // left, right, payload_offset, ..., label
      const std::string p =
          damaged([&](const std::string& f) { damage_element(f, "/pairs/rows", 4200, byte); });
      const std::string msg =
          refused(p, "piece 1 (rank 0, attempt 1, rows 10..9009): checksum mismatch");
      CHECK_MESSAGE(msg.find("rerun without --resume") != std::string::npos, msg);
      // Reading another block of the same file still works: only the damaged block fails.
      PairFileReader r(p);
      check_piece_stored(r, small, 0, 1);
    }
  }
  SUBCASE("a payload byte") {
    const std::string p =
        damaged([](const std::string& f) { damage_element(f, "/pairs/payload", 7, 0); });
    refused(p, "piece 0 (rank 0, attempt 1, rows 0..9): checksum mismatch");
  }
  SUBCASE("a piece row") {
    const std::string p =
        damaged([](const std::string& f) { damage_element(f, "/pairs/pieces", 1, 8); });
    refused(p, "row 1 of /pairs/pieces fails its check");
  }
  SUBCASE("a block checksum") {
    const std::string p =
        damaged([](const std::string& f) { damage_element(f, "/pairs/sums", 2, 3); });
    refused(p, "checksum mismatch");
  }
  SUBCASE("a done mark: 1 -> 0 would drop the tile's pairs") {
    const std::string p =
        damaged([](const std::string& f) { damage_element(f, "/tiles/done", 1, 0, -1); });
    refused(p, "the done mark of tile 1 in /tiles/done fails its check");
    CHECK(input_error_of([&] {
            PairFileWriter::open_for_resume(world(), p);
          }).find("done mark of tile 1") != std::string::npos);
  }
  SUBCASE("the plan") {
    const std::string p =
        damaged([](const std::string& f) { damage_element(f, "/plan/tiles", 2, 1); });
    refused(p, "do not match meta_checksum");
  }
  SUBCASE("a run attribute") {
    const std::string p = damaged(
        [](const std::string& f) { set_attr(f, "/", "threshold", H5T_NATIVE_FLOAT, 0.5f); });
    refused(p, "do not match meta_checksum");
  }
  SUBCASE("complete, attempts, stored counts") {
    const std::string p1 = damaged(
        [](const std::string& f) { set_attr<uint8_t>(f, "/", "complete", H5T_NATIVE_UINT8, 0); });
    refused(p1, "state_checksum");
    const std::string p2 = damaged(
        [](const std::string& f) { set_attr<uint32_t>(f, "/", "attempts", H5T_NATIVE_UINT32, 7); });
    refused(p2, "state_checksum");
    const std::string p3 = damaged([](const std::string& f) {
      set_attr<uint64_t>(f, "/", "stored_pieces", H5T_NATIVE_UINT64, 1);
    });
    refused(p3, "state_checksum");
  }
  SUBCASE("a statistics row") {
    const std::string p =
        damaged([](const std::string& f) { damage_element(f, "/stats/ranks", 0, 40); });
    refused(p, "row 0 of /stats/ranks fails its check");
  }
  SUBCASE("a key table") {
    const std::string p =
        damaged([](const std::string& f) { damage_element(f, "/keys/k/bytes", 2, 0); });
    refused(p, "/keys/k: checksum mismatch");
    const std::string q =
        damaged([](const std::string& f) { damage_element(f, "/keys/k/counts", 1, 0); });
    refused(q, "/keys/k: checksum mismatch");
  }
  SUBCASE("a file written by the previous format") {
    const std::string p = damaged([](const std::string& f) {
      set_attr<uint32_t>(f, "/", "format_version", H5T_NATIVE_UINT32, 1);
    });
    refused(p,
            "format version 1 not supported (this program reads version 2; the file was "
            "written by an older name_matcher: rerun without --resume");
  }
  SUBCASE("a file a failed write left behind") {
    const std::string p = damaged([](const std::string& f) {
      std::fstream io(f, std::ios::in | std::ios::out | std::ios::binary);
      io.write("NMFAILED", 8);
    });
    refused(p, "is unusable: a write to it failed during the run that wrote it");
    CHECK(input_error_of([&] {
            PairFileWriter::open_for_resume(world(), p);
          }).find("is unusable") != std::string::npos);
  }
}
