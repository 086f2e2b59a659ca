// The pair file's schema (docs/PAIR_FILE.md, "Layout"): the format's name and
// version, the dataset paths, chunk sizes, the stored forms of the records
// (the public ones of io/pair_file.hpp plus their checks) and their HDF5
// memory types. Shared by the writer and the reader; only io/pair_file/ and
// io/pair_file.hpp's implementation include it.
#pragma once
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "io/h5/handle.hpp"
#include "io/pair_file.hpp"

namespace nm::io::pair_file {

inline constexpr char kFormat[] = "name_matcher pairs";
// 2: checksums (meta_checksum, state_checksum, /pairs/sums, piece, mark,
// stats and key-table checks) and the stored_* counts.
inline constexpr uint32_t kFormatVersion = 2;

inline constexpr char kRows[] = "/pairs/rows";
inline constexpr char kPayload[] = "/pairs/payload";
inline constexpr char kPieces[] = "/pairs/pieces";
inline constexpr char kSums[] = "/pairs/sums";
inline constexpr char kTiles[] = "/plan/tiles";
inline constexpr char kDone[] = "/tiles/done";
inline constexpr char kStats[] = "/stats/ranks";
inline constexpr char kKeys[] = "/keys";

// What a writer whose flush failed puts over the HDF5 signature (the file's
// first 8 bytes), so that reduce and --resume refuse the file by name instead
// of reading metadata the failed flush may have left half written.
inline constexpr char kFailedMagic[8] = {'N', 'M', 'F', 'A', 'I', 'L', 'E', 'D'};

// Chunk sizes of the growing datasets: large enough that the chunk index
// stays small at 100 M pairs, small enough that a short run's file is small.
inline constexpr hsize_t kRowsChunk = 64 * 1024;  // 3.5 MiB of pair rows
inline constexpr hsize_t kByteChunk = 1 << 20;    // 1 MiB of payload or key bytes
inline constexpr hsize_t kTableChunk = 64 * 1024;
inline constexpr hsize_t kPieceChunk = 1024;
inline constexpr hsize_t kSumsChunk = 4096;

// A piece's rows are checked in blocks of this many rows (the last one
// shorter): one checksum per block in /pairs/sums, over the block's rows and
// their payload bytes. A reader verifies every block it reads; reduce reads
// 65536-row batches, a multiple, so it reads nothing twice.
inline constexpr uint64_t kSumRows = 4096;

// The longest string attribute a reader accepts: paths and versions, never
// megabytes; a longer one is a corrupt file, not a request for memory.
inline constexpr size_t kMaxText = size_t{1} << 20;

// Checksum blocks of a piece of `rows` rows.
inline uint64_t blocks_of(uint64_t rows) { return (rows + kSumRows - 1) / kSumRows; }

// Records written to the file start all-zero so that struct padding never
// carries uninitialised memory into the file.
template <class T>
T zeroed() {
  T t;
  std::memset(static_cast<void*>(&t), 0, sizeof(T));
  return t;
}

// ---- the stored forms of the records: the public ones plus their checks ----

// One row of /pairs/pieces.
struct StoredPiece {
  uint64_t first, count, payload_first, payload_bytes;
  uint64_t sums_first;  // the piece's first checksum in /pairs/sums
  uint32_t rank, gen;
  uint64_t check;  // over the fields above
};

// One row of /tiles/done.
struct StoredMark {
  uint32_t gen;    // 0 = not done, else the attempt that finished the tile
  uint32_t check;  // mark_check(tile, gen)
};

// One row of /stats/ranks.
struct StoredStats {
  RankStats stats;
  uint64_t check;  // over the fields of `stats`; all-zero row = never written
};

// The root attributes that change during a run, and the counts that say how
// much of each growing dataset holds flushed data.
struct RootState {
  bool complete = false;
  uint32_t attempts = 1;
  uint64_t pairs = 0, payload = 0, pieces = 0, sums = 0;
};

// ---- memory (= file) types ------------------------------------------------

h5::Type pair_type();
h5::Type tile_type();
h5::Type stats_type();
h5::Type piece_type();
h5::Type mark_type();

// The memory types, built once per open file.
struct Types {
  bool quiet = (h5::quiet_errors(), true);  // before the first HDF5 call
  h5::Type pair = pair_type(), tile = tile_type(), stats = stats_type(), piece = piece_type(),
           mark = mark_type();
};

// ---- errors ---------------------------------------------------------------

// "pair file 'P' is corrupt: <what>; the file cannot be used: rerun without --resume".
std::string corrupt(const std::string& path, const std::string& what);

// Throws InputError(corrupt(path, what)): the pair file's h5::RejectCorrupt.
[[noreturn]] void reject_corrupt(const std::string& path, const std::string& what);

}  // namespace nm::io::pair_file
