#include "io/pair_file.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <span>
#include <stdexcept>
#include <tuple>
#include <type_traits>

#include "io/h5.hpp"
#include "partition/blocks.hpp"
#include "src/errors.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::io {
namespace {

using h5::check;
using h5::make;

constexpr char kFormat[] = "name_matcher pairs";
// 2: checksums (meta_checksum, state_checksum, /pairs/sums, piece, mark,
// stats and key-table checks) and the stored_* counts.
constexpr uint32_t kFormatVersion = 2;

constexpr char kRows[] = "/pairs/rows";
constexpr char kPayload[] = "/pairs/payload";
constexpr char kPieces[] = "/pairs/pieces";
constexpr char kSums[] = "/pairs/sums";
constexpr char kTiles[] = "/plan/tiles";
constexpr char kDone[] = "/tiles/done";
constexpr char kStats[] = "/stats/ranks";
constexpr char kKeys[] = "/keys";

// What a writer whose flush failed puts over the HDF5 signature (the file's
// first 8 bytes), so that reduce and --resume refuse the file by name instead
// of reading metadata the failed flush may have left half written.
constexpr char kFailedMagic[8] = {'N', 'M', 'F', 'A', 'I', 'L', 'E', 'D'};

// Chunk sizes of the growing datasets: large enough that the chunk index
// stays small at 100 M pairs, small enough that a short run's file is small.
constexpr hsize_t kRowsChunk = 64 * 1024;  // 3.5 MiB of pair rows
constexpr hsize_t kByteChunk = 1 << 20;    // 1 MiB of payload or key bytes
constexpr hsize_t kTableChunk = 64 * 1024;
constexpr hsize_t kPieceChunk = 1024;
constexpr hsize_t kSumsChunk = 4096;

// A piece's rows are checked in blocks of this many rows (the last one
// shorter): one checksum per block in /pairs/sums, over the block's rows and
// their payload bytes. A reader verifies every block it reads; reduce reads
// 65536-row batches, a multiple, so it reads nothing twice.
constexpr uint64_t kSumRows = 4096;

// No single H5Dwrite/H5Dread moves more than this per rank: larger parts go in
// several collective rounds, which keeps every MPI-IO count far below 2^31.
// Only tests change it (detail::set_pair_file_io_limit).
uint64_t g_max_io_bytes = uint64_t{256} << 20;

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

// ---- checksums ------------------------------------------------------------
// Every checksum is nm::stable_hash (64-bit multiply-xorshift over 8-byte
// words: a change inside one word always changes it) over a canonical
// little-endian serialisation of the fields, never over struct padding, with
// a seed per kind of record so that one record cannot pass for another.

enum Seed : uint64_t {
  kSeedMeta = 0x6e6d2d6d657461ull,  // "nm-meta"
  kSeedState,
  kSeedBlock,
  kSeedPiece,
  kSeedMark,
  kSeedStats,
  kSeedKeys,
};

class Canon {
 public:
  Canon& u8(uint8_t v) {
    b_.push_back(static_cast<char>(v));
    return *this;
  }
  Canon& u32(uint32_t v) { return le(v, 4); }
  Canon& u64(uint64_t v) { return le(v, 8); }
  Canon& f32(float v) { return u32(std::bit_cast<uint32_t>(v)); }
  Canon& f64(double v) { return u64(std::bit_cast<uint64_t>(v)); }
  Canon& str(std::string_view v) {
    u64(v.size());
    b_.append(v);
    return *this;
  }
  void clear() { b_.clear(); }
  std::string_view bytes() const { return b_; }
  uint64_t sum(uint64_t seed) const { return stable_hash(b_, seed); }

 private:
  Canon& le(uint64_t v, int bytes) {
    char out[8];
    for (int i = 0; i < bytes; ++i) out[i] = static_cast<char>(v >> (8 * i));
    b_.append(out, static_cast<size_t>(bytes));
    return *this;
  }
  std::string b_;
};

void canon_pair(Canon& c, const PairRecord& r) {
  c.u64(r.left).u64(r.right).u64(r.payload_offset).u32(r.payload_len).u32(r.tile).u32(r.gen);
  c.f32(r.confidence).f32(r.lev).f32(r.jw).f32(r.mp).u8(r.label);
}

// The root attributes that never change after create, and the plan.
uint64_t meta_sum(const PairFileMeta& m, const std::vector<TileRecord>& tiles) {
  Canon c;
  c.str(kFormat).u32(kFormatVersion).u64(kSumRows).str(m.program_version);
  c.u32(static_cast<uint32_t>(m.algorithm)).f32(m.threshold).f32(m.household_threshold);
  c.f32(m.min_confidence).u8(m.dedupe).u8(m.fuzzy_normalization).u8(m.exhaustive).u32(m.ranks);
  c.str(m.left_path).str(m.right_path);
  for (uint64_t v : {m.left_bytes, m.right_bytes, m.left_checksum, m.right_checksum, m.left_rows,
                     m.right_rows, m.plan_hash})
    c.u64(v);
  c.u64(tiles.size());
  for (const TileRecord& t : tiles)
    c.u64(t.block_key)
        .u64(t.l_begin)
        .u64(t.l_end)
        .u64(t.r_begin)
        .u64(t.r_end)
        .u64(t.cost)
        .u32(t.rank);
  return c.sum(kSeedMeta);
}

uint64_t state_sum(const RootState& s) {
  Canon c;
  c.u8(s.complete).u32(s.attempts).u64(s.pairs).u64(s.payload).u64(s.pieces).u64(s.sums);
  return c.sum(kSeedState);
}

// Rows [first_row, first_row + rows.size()) of the file and their payload bytes.
uint64_t block_sum(Canon& c, uint64_t first_row, std::span<const PairRecord> rows,
                   std::string_view payload) {
  c.clear();
  c.u64(first_row).u64(rows.size());
  for (const PairRecord& r : rows) canon_pair(c, r);
  return stable_hash(payload, c.sum(kSeedBlock));
}

uint64_t piece_sum(const StoredPiece& p) {
  Canon c;
  c.u64(p.first).u64(p.count).u64(p.payload_first).u64(p.payload_bytes).u64(p.sums_first);
  c.u32(p.rank).u32(p.gen);
  return c.sum(kSeedPiece);
}

uint32_t mark_check(uint64_t tile, uint32_t gen) {
  Canon c;
  c.u64(tile).u32(gen);
  const uint64_t h = c.sum(kSeedMark);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

uint64_t stats_sum(const RankStats& r) {
  Canon c;
  c.u32(r.rank);
  for (uint64_t v : {r.left_loaded, r.right_loaded, r.left_received, r.right_received, r.tiles,
                     r.pairs_scored, r.pairs_kept, r.bytes_shuffled, r.peak_rss_bytes})
    c.u64(v);
  for (double v : {r.load_s, r.normalize_s, r.partition_s, r.shuffle_s, r.score_s, r.write_s})
    c.f64(v);
  return c.sum(kSeedStats);
}

// The key table: offsets, counts, then key i's bytes for i in order (`key(i)`),
// so that neither the writer nor the reader needs the keys in one buffer.
template <class Key>
uint64_t keys_sum(const std::vector<uint64_t>& offsets, const std::vector<uint64_t>& counts,
                  Key&& key) {
  Canon c;
  c.u64(offsets.size());
  for (uint64_t v : offsets) c.u64(v);
  c.u64(counts.size());
  for (uint64_t v : counts) c.u64(v);
  uint64_t h = c.sum(kSeedKeys);
  for (size_t i = 0; i < counts.size(); ++i) h = stable_hash(key(i), h);
  return h;
}

std::string corrupt(const std::string& path, const std::string& what) {
  return "pair file '" + path + "' is corrupt: " + what +
         "; the file cannot be used: rerun without --resume";
}

// ---- memory (= file) types ------------------------------------------------

void insert(hid_t t, const char* type, const char* member, size_t offset, hid_t member_type) {
  check(H5Tinsert(t, member, offset, member_type), {"(datatype)", type, "H5Tinsert"});
}

h5::Type compound(size_t size, const char* type) {
  return make<h5::Type>(H5Tcreate(H5T_COMPOUND, size), {"(datatype)", type, "H5Tcreate"});
}

h5::Type pair_type() {
  constexpr const char* n = "PairRecord";
  h5::Type t = compound(sizeof(PairRecord), n);
  insert(t.get(), n, "left", offsetof(PairRecord, left), H5T_NATIVE_UINT64);
  insert(t.get(), n, "right", offsetof(PairRecord, right), H5T_NATIVE_UINT64);
  insert(t.get(), n, "payload_offset", offsetof(PairRecord, payload_offset), H5T_NATIVE_UINT64);
  insert(t.get(), n, "payload_len", offsetof(PairRecord, payload_len), H5T_NATIVE_UINT32);
  insert(t.get(), n, "tile", offsetof(PairRecord, tile), H5T_NATIVE_UINT32);
  insert(t.get(), n, "gen", offsetof(PairRecord, gen), H5T_NATIVE_UINT32);
  insert(t.get(), n, "confidence", offsetof(PairRecord, confidence), H5T_NATIVE_FLOAT);
  insert(t.get(), n, "lev", offsetof(PairRecord, lev), H5T_NATIVE_FLOAT);
  insert(t.get(), n, "jw", offsetof(PairRecord, jw), H5T_NATIVE_FLOAT);
  insert(t.get(), n, "mp", offsetof(PairRecord, mp), H5T_NATIVE_FLOAT);
  insert(t.get(), n, "label", offsetof(PairRecord, label), H5T_NATIVE_UINT8);
  return t;
}

h5::Type tile_type() {
  constexpr const char* n = "TileRecord";
  h5::Type t = compound(sizeof(TileRecord), n);
  insert(t.get(), n, "block_key", offsetof(TileRecord, block_key), H5T_NATIVE_UINT64);
  insert(t.get(), n, "l_begin", offsetof(TileRecord, l_begin), H5T_NATIVE_UINT64);
  insert(t.get(), n, "l_end", offsetof(TileRecord, l_end), H5T_NATIVE_UINT64);
  insert(t.get(), n, "r_begin", offsetof(TileRecord, r_begin), H5T_NATIVE_UINT64);
  insert(t.get(), n, "r_end", offsetof(TileRecord, r_end), H5T_NATIVE_UINT64);
  insert(t.get(), n, "cost", offsetof(TileRecord, cost), H5T_NATIVE_UINT64);
  insert(t.get(), n, "rank", offsetof(TileRecord, rank), H5T_NATIVE_UINT32);
  return t;
}

h5::Type stats_type() {
  constexpr const char* n = "RankStats";
  constexpr size_t base = offsetof(StoredStats, stats);
  h5::Type t = compound(sizeof(StoredStats), n);
  insert(t.get(), n, "rank", base + offsetof(RankStats, rank), H5T_NATIVE_UINT32);
  const std::pair<const char*, size_t> counters[] = {
      {"left_loaded", offsetof(RankStats, left_loaded)},
      {"right_loaded", offsetof(RankStats, right_loaded)},
      {"left_received", offsetof(RankStats, left_received)},
      {"right_received", offsetof(RankStats, right_received)},
      {"tiles", offsetof(RankStats, tiles)},
      {"pairs_scored", offsetof(RankStats, pairs_scored)},
      {"pairs_kept", offsetof(RankStats, pairs_kept)},
      {"bytes_shuffled", offsetof(RankStats, bytes_shuffled)},
      {"peak_rss_bytes", offsetof(RankStats, peak_rss_bytes)}};
  for (const auto& [name, off] : counters) insert(t.get(), n, name, base + off, H5T_NATIVE_UINT64);
  const std::pair<const char*, size_t> seconds[] = {
      {"load_s", offsetof(RankStats, load_s)},
      {"normalize_s", offsetof(RankStats, normalize_s)},
      {"partition_s", offsetof(RankStats, partition_s)},
      {"shuffle_s", offsetof(RankStats, shuffle_s)},
      {"score_s", offsetof(RankStats, score_s)},
      {"write_s", offsetof(RankStats, write_s)}};
  for (const auto& [name, off] : seconds) insert(t.get(), n, name, base + off, H5T_NATIVE_DOUBLE);
  insert(t.get(), n, "check", offsetof(StoredStats, check), H5T_NATIVE_UINT64);
  return t;
}

h5::Type piece_type() {
  constexpr const char* n = "PieceRecord";
  h5::Type t = compound(sizeof(StoredPiece), n);
  insert(t.get(), n, "first", offsetof(StoredPiece, first), H5T_NATIVE_UINT64);
  insert(t.get(), n, "count", offsetof(StoredPiece, count), H5T_NATIVE_UINT64);
  insert(t.get(), n, "payload_first", offsetof(StoredPiece, payload_first), H5T_NATIVE_UINT64);
  insert(t.get(), n, "payload_bytes", offsetof(StoredPiece, payload_bytes), H5T_NATIVE_UINT64);
  insert(t.get(), n, "sums_first", offsetof(StoredPiece, sums_first), H5T_NATIVE_UINT64);
  insert(t.get(), n, "rank", offsetof(StoredPiece, rank), H5T_NATIVE_UINT32);
  insert(t.get(), n, "gen", offsetof(StoredPiece, gen), H5T_NATIVE_UINT32);
  insert(t.get(), n, "check", offsetof(StoredPiece, check), H5T_NATIVE_UINT64);
  return t;
}

h5::Type mark_type() {
  constexpr const char* n = "DoneMark";
  h5::Type t = compound(sizeof(StoredMark), n);
  insert(t.get(), n, "gen", offsetof(StoredMark, gen), H5T_NATIVE_UINT32);
  insert(t.get(), n, "check", offsetof(StoredMark, check), H5T_NATIVE_UINT32);
  return t;
}

// The memory types, built once per open file.
struct Types {
  bool quiet = (h5::quiet_errors(), true);  // before the first HDF5 call
  h5::Type pair = pair_type(), tile = tile_type(), stats = stats_type(), piece = piece_type(),
           mark = mark_type();
};

// ---- checking writes ------------------------------------------------------

// A write to the pair file failed: `reason` is the operating system's word for
// it when there is one ("No space left on device"), `detail` where and HDF5's
// error stack.
class WriteFailure : public std::runtime_error {
 public:
  WriteFailure(std::string reason, const std::string& detail)
      : std::runtime_error(detail), reason_(std::move(reason)) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

// Why a write to `path` failed, in the operating system's words: errno right
// after the call when it names a reason the user can act on; else, since
// MPI-IO does not always leave errno set, "No space left on device" when the
// file system has (next to) no free space; else empty.
std::string io_reason(int err, const std::string& path) {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EFBIG:
    case EROFS:
    case ENXIO:
      return std::strerror(err);
    default:
      break;
  }
  struct statvfs fs {};
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &fs) == 0 &&
      static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < (uint64_t{1} << 20))
    return std::strerror(ENOSPC);
  return {};
}

// Every rank of `comm` passes whether its HDF5 call succeeded (`err`: errno
// right after it). When it failed on any rank, every rank throws the same
// WriteFailure, the lowest failing rank's, so that no rank goes on into the
// next collective call while another has left.
void agree(MPI_Comm comm, bool ok, const h5::Where& where, int err) {
  const int size = mpi::size(comm), rank = mpi::rank(comm);
  const uint64_t lowest = mpi::allreduce_max(comm, ok ? 0 : static_cast<uint64_t>(size - rank));
  if (lowest == 0) return;
  std::string msg;
  if (!ok)
    msg = io_reason(err, std::string(where.file)) + '\n' + where.text() + ": " +
          h5::take_error_stack();
  mpi::bcast_bytes(comm, msg, size - static_cast<int>(lowest));
  const size_t nl = msg.find('\n');
  throw WriteFailure(msg.substr(0, nl), msg.substr(nl + 1));
}

// A writing HDF5 call whose failure every rank of `comm` agrees on.
template <class Call>
auto agreed(MPI_Comm comm, const h5::Where& where, Call&& call) {
  errno = 0;
  const auto rc = call();
  const int err = errno;
  agree(comm, rc >= 0, where, err);
  return rc;
}

// ---- datasets ------------------------------------------------------------

// The chunk of a table whose size is known at creation: the whole table up to
// `max`, so that a small table does not take a large chunk.
hsize_t table_chunk(uint64_t size, hsize_t max) { return std::clamp<hsize_t>(size, 1, max); }

// A 1-D chunked dataset with unlimited maximum size. Zero-filled datasets get
// their fill value written when space is allocated (stats: small); the others
// are never filled, every byte is written by the writer.
h5::Dataset create_dataset(MPI_Comm comm, hid_t file, const std::string& path, const char* name,
                           hid_t type, hsize_t size, hsize_t chunk, bool zero_fill) {
  const hsize_t dims[1] = {size}, max_dims[1] = {H5S_UNLIMITED}, chunk_dims[1] = {chunk};
  h5::Space space =
      make<h5::Space>(H5Screate_simple(1, dims, max_dims), {path, name, "H5Screate_simple"});
  h5::Plist dcpl = make<h5::Plist>(H5Pcreate(H5P_DATASET_CREATE), {path, name, "H5Pcreate"});
  check(H5Pset_chunk(dcpl.get(), 1, chunk_dims), {path, name, "H5Pset_chunk"});
  check(H5Pset_fill_time(dcpl.get(), zero_fill ? H5D_FILL_TIME_ALLOC : H5D_FILL_TIME_NEVER),
        {path, name, "H5Pset_fill_time"});
  return h5::Dataset(agreed(comm, {path, name, "H5Dcreate2"}, [&] {
    return H5Dcreate2(file, name, type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT);
  }));
}

h5::Dataset open_dataset(hid_t file, const std::string& path, const char* name) {
  return make<h5::Dataset>(H5Dopen2(file, name, H5P_DEFAULT), {path, name, "H5Dopen2"});
}

uint64_t extent(hid_t ds, const std::string& path, const std::string& name) {
  h5::Space space = make<h5::Space>(H5Dget_space(ds), {path, name, "H5Dget_space"});
  hsize_t dims[1] = {0};
  if (H5Sget_simple_extent_ndims(space.get()) != 1)
    throw h5::Error(path + ": " + name + ": expected a one-dimensional dataset");
  if (H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0)
    h5::fail({path, name, "H5Sget_simple_extent_dims"});
  return dims[0];
}

void set_extent(MPI_Comm comm, hid_t ds, const std::string& path, const char* name, uint64_t size) {
  const hsize_t dims[1] = {size};
  agreed(comm, {path, name, "H5Dset_extent"}, [&] { return H5Dset_extent(ds, dims); });
}

// Selects [first, first+count) of `file_space` (nothing when count is 0) and
// returns a matching memory space.
h5::Space select_range(hid_t file_space, uint64_t first, uint64_t count, const h5::Where& where) {
  const hsize_t mem_dims[1] = {std::max<hsize_t>(count, 1)};
  h5::Space mem = make<h5::Space>(H5Screate_simple(1, mem_dims, nullptr), where);
  if (count == 0) {
    check(H5Sselect_none(file_space), where);
    check(H5Sselect_none(mem.get()), where);
  } else {
    const hsize_t start[1] = {first}, cnt[1] = {count};
    check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, cnt, nullptr), where);
  }
  return mem;
}

// Where an I/O helper is working: file, dataset, transfer property list.
struct Target {
  const std::string& path;
  const char* name;
  hid_t ds;
  hid_t mem_type;
  size_t elem;  // bytes per element in memory
  hid_t dxpl;
};

// Collective over `comm`: this rank writes `count` elements from `data` to
// [first, first+count). Every rank takes part in every round (with an empty
// selection when it has nothing left), as collective transfers require.
void write_collective(MPI_Comm comm, const Target& t, uint64_t first, uint64_t count,
                      const void* data) {
  static const unsigned char kNothing = 0;  // a valid buffer for empty selections
  const uint64_t per_round = std::max<uint64_t>(1, g_max_io_bytes / t.elem);
  const uint64_t rounds = mpi::allreduce_max(comm, (count + per_round - 1) / per_round);
  h5::Space file_space = make<h5::Space>(H5Dget_space(t.ds), {t.path, t.name, "H5Dget_space"});
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (uint64_t r = 0; r < rounds; ++r) {
    const uint64_t lo = std::min(count, r * per_round);
    const uint64_t n = std::min(count - lo, per_round);
    h5::Space mem = select_range(file_space.get(), first + lo, n, {t.path, t.name, "select"});
    agreed(comm, {t.path, t.name, "H5Dwrite"}, [&] {
      return H5Dwrite(t.ds, t.mem_type, mem.get(), file_space.get(), t.dxpl,
                      n > 0 ? static_cast<const void*>(bytes + lo * t.elem) : &kNothing);
    });
  }
}

// Reads [first, first+count) into `data` (count*elem bytes). Collective when
// `dxpl` is: then every rank reads the same range.
void read_range(const Target& t, uint64_t first, uint64_t count, void* data) {
  const uint64_t per_round = std::max<uint64_t>(1, g_max_io_bytes / t.elem);
  h5::Space file_space = make<h5::Space>(H5Dget_space(t.ds), {t.path, t.name, "H5Dget_space"});
  auto* bytes = static_cast<unsigned char*>(data);
  for (uint64_t lo = 0; lo < count; lo += per_round) {
    const uint64_t n = std::min(count - lo, per_round);
    h5::Space mem = select_range(file_space.get(), first + lo, n, {t.path, t.name, "select"});
    check(H5Dread(t.ds, t.mem_type, mem.get(), file_space.get(), t.dxpl, bytes + lo * t.elem),
          {t.path, t.name, "H5Dread"});
  }
}

// Elements [first, first+count) of a dataset, which must hold them.
// The elements of a table must fit in the file: a larger count is a corrupt
// dataspace, not a request for terabytes of memory.
void check_fits(hid_t ds, const std::string& path, const char* name, uint64_t count, size_t elem) {
  hsize_t file_bytes = 0;
  const hid_t file = H5Iget_file_id(ds);
  if (file >= 0) {
    H5Fget_filesize(file, &file_bytes);
    H5Fclose(file);
  }
  if (file_bytes > 0 && count > file_bytes / elem + 1)
    throw InputError(corrupt(path, std::string(name) + " claims " + std::to_string(count) +
                                       " entries, more than the file can hold"));
}

template <class T>
std::vector<T> read_some(const std::string& path, const char* name, hid_t ds, hid_t mem_type,
                         hid_t dxpl, uint64_t first, uint64_t count) {
  const uint64_t have = extent(ds, path, name);
  if (first > have || count > have - first)
    throw InputError(corrupt(path, std::string(name) + " has " + std::to_string(have) +
                                       " entries, fewer than the " + std::to_string(first + count) +
                                       " recorded"));
  check_fits(ds, path, name, count, sizeof(T));
  std::vector<T> out(count);
  read_range({path, name, ds, mem_type, sizeof(T), dxpl}, first, count, out.data());
  return out;
}

template <class T>
std::vector<T> read_all(const std::string& path, const char* name, hid_t ds, hid_t mem_type,
                        hid_t dxpl) {
  return read_some<T>(path, name, ds, mem_type, dxpl, 0, extent(ds, path, name));
}

// ---- attributes ----------------------------------------------------------
// Written by every rank of `comm` alike (HDF5 metadata calls are collective).

void write_attr(MPI_Comm comm, hid_t obj, const std::string& path, const char* name, hid_t type,
                const void* value) {
  const std::string what = std::string("attribute ") + name;
  h5::Attr attr;
  if (h5::check_tri(H5Aexists(obj, name), {path, what, "H5Aexists"})) {
    attr = make<h5::Attr>(H5Aopen(obj, name, H5P_DEFAULT), {path, what, "H5Aopen"});
  } else {
    h5::Space scalar = make<h5::Space>(H5Screate(H5S_SCALAR), {path, what, "H5Screate"});
    attr = h5::Attr(agreed(comm, {path, what, "H5Acreate2"}, [&] {
      return H5Acreate2(obj, name, type, scalar.get(), H5P_DEFAULT, H5P_DEFAULT);
    }));
  }
  agreed(comm, {path, what, "H5Awrite"}, [&] { return H5Awrite(attr.get(), type, value); });
}

void write_u64_attr(MPI_Comm comm, hid_t obj, const std::string& path, const char* name,
                    uint64_t v) {
  write_attr(comm, obj, path, name, H5T_NATIVE_UINT64, &v);
}

// A fixed-length, NUL-terminated UTF-8 string: h5dump prints it as text.
void write_string_attr(MPI_Comm comm, hid_t obj, const std::string& path, const char* name,
                       const std::string& value) {
  const std::string what = std::string("attribute ") + name;
  h5::Type type = make<h5::Type>(H5Tcopy(H5T_C_S1), {path, what, "H5Tcopy"});
  check(H5Tset_size(type.get(), value.size() + 1), {path, what, "H5Tset_size"});
  check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), {path, what, "H5Tset_strpad"});
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), {path, what, "H5Tset_cset"});
  if (h5::check_tri(H5Aexists(obj, name), {path, what, "H5Aexists"}))
    agreed(comm, {path, what, "H5Adelete"}, [&] { return H5Adelete(obj, name); });
  h5::Space scalar = make<h5::Space>(H5Screate(H5S_SCALAR), {path, what, "H5Screate"});
  h5::Attr attr(agreed(comm, {path, what, "H5Acreate2"}, [&] {
    return H5Acreate2(obj, name, type.get(), scalar.get(), H5P_DEFAULT, H5P_DEFAULT);
  }));
  agreed(comm, {path, what, "H5Awrite"},
         [&] { return H5Awrite(attr.get(), type.get(), value.c_str()); });
}

bool has_attr(hid_t obj, const std::string& path, const char* name) {
  return h5::check_tri(H5Aexists(obj, name), {path, name, "H5Aexists"});
}

template <class T>
T read_attr(hid_t obj, const std::string& path, const char* name, hid_t mem_type) {
  const std::string what = std::string("attribute ") + name;
  h5::Attr attr = make<h5::Attr>(H5Aopen(obj, name, H5P_DEFAULT), {path, what, "H5Aopen"});
  T value{};
  check(H5Aread(attr.get(), mem_type, &value), {path, what, "H5Aread"});
  return value;
}

uint64_t read_u64_attr(hid_t obj, const std::string& path, const char* name) {
  return read_attr<uint64_t>(obj, path, name, H5T_NATIVE_UINT64);
}

std::string read_string_attr(hid_t obj, const std::string& path, const char* name) {
  const std::string what = std::string("attribute ") + name;
  h5::Attr attr = make<h5::Attr>(H5Aopen(obj, name, H5P_DEFAULT), {path, what, "H5Aopen"});
  h5::Type type = make<h5::Type>(H5Aget_type(attr.get()), {path, what, "H5Aget_type"});
  if (H5Tget_class(type.get()) != H5T_STRING ||
      h5::check_tri(H5Tis_variable_str(type.get()), {path, what, "H5Tis_variable_str"}))
    throw h5::Error(path + ": " + what + ": not a fixed-length string");
  const size_t size = H5Tget_size(type.get());
  if (size == 0 || size > (size_t{1} << 20))  // paths and versions, never megabytes
    throw InputError(corrupt(path, what + " claims " + std::to_string(size) + " bytes"));
  std::string value(size, '\0');
  check(H5Aread(attr.get(), type.get(), value.data()), {path, what, "H5Aread"});
  value.resize(std::strlen(value.c_str()));
  return value;
}

void write_meta(MPI_Comm comm, hid_t file, const std::string& path, const PairFileMeta& m) {
  const auto u8 = [&](const char* name, bool v) {
    const uint8_t b = v ? 1 : 0;
    write_attr(comm, file, path, name, H5T_NATIVE_UINT8, &b);
  };
  const auto u32 = [&](const char* name, uint32_t v) {
    write_attr(comm, file, path, name, H5T_NATIVE_UINT32, &v);
  };
  const auto u64 = [&](const char* name, uint64_t v) { write_u64_attr(comm, file, path, name, v); };
  const auto f32 = [&](const char* name, float v) {
    write_attr(comm, file, path, name, H5T_NATIVE_FLOAT, &v);
  };
  const auto str = [&](const char* name, const std::string& v) {
    write_string_attr(comm, file, path, name, v);
  };
  str("format", kFormat);
  u32("format_version", kFormatVersion);
  str("program_version", m.program_version);
  write_attr(comm, file, path, "algorithm", H5T_NATIVE_INT32, &m.algorithm);
  f32("threshold", m.threshold);
  f32("household_threshold", m.household_threshold);
  f32("min_confidence", m.min_confidence);
  u8("dedupe", m.dedupe);
  u8("fuzzy_normalization", m.fuzzy_normalization);
  u8("exhaustive", m.exhaustive);
  u32("ranks", m.ranks);
  str("left_path", m.left_path);
  str("right_path", m.right_path);
  u64("left_bytes", m.left_bytes);
  u64("right_bytes", m.right_bytes);
  u64("left_checksum", m.left_checksum);
  u64("right_checksum", m.right_checksum);
  u64("left_rows", m.left_rows);
  u64("right_rows", m.right_rows);
  u64("plan_hash", m.plan_hash);
}

// Reads every attribute but `format` and `format_version` (checked by the caller).
PairFileMeta read_meta(hid_t file, const std::string& path) {
  PairFileMeta m;
  const auto flag = [&](const char* name) {
    return read_attr<uint8_t>(file, path, name, H5T_NATIVE_UINT8) != 0;
  };
  const auto u32 = [&](const char* name) {
    return read_attr<uint32_t>(file, path, name, H5T_NATIVE_UINT32);
  };
  const auto u64 = [&](const char* name) { return read_u64_attr(file, path, name); };
  const auto f32 = [&](const char* name) {
    return read_attr<float>(file, path, name, H5T_NATIVE_FLOAT);
  };
  m.format = kFormat;
  m.format_version = kFormatVersion;
  m.program_version = read_string_attr(file, path, "program_version");
  m.algorithm = read_attr<int32_t>(file, path, "algorithm", H5T_NATIVE_INT32);
  m.threshold = f32("threshold");
  m.household_threshold = f32("household_threshold");
  m.min_confidence = f32("min_confidence");
  m.dedupe = flag("dedupe");
  m.fuzzy_normalization = flag("fuzzy_normalization");
  m.exhaustive = flag("exhaustive");
  m.ranks = u32("ranks");
  m.left_path = read_string_attr(file, path, "left_path");
  m.right_path = read_string_attr(file, path, "right_path");
  m.left_bytes = u64("left_bytes");
  m.right_bytes = u64("right_bytes");
  m.left_checksum = u64("left_checksum");
  m.right_checksum = u64("right_checksum");
  m.left_rows = u64("left_rows");
  m.right_rows = u64("right_rows");
  m.plan_hash = u64("plan_hash");
  return m;
}

// The root attributes that change during a run, and their checksum.
void write_root_state(MPI_Comm comm, hid_t file, const std::string& path, const RootState& s) {
  const uint8_t c = s.complete ? 1 : 0;
  write_attr(comm, file, path, "complete", H5T_NATIVE_UINT8, &c);
  write_attr(comm, file, path, "attempts", H5T_NATIVE_UINT32, &s.attempts);
  write_u64_attr(comm, file, path, "stored_pairs", s.pairs);
  write_u64_attr(comm, file, path, "stored_payload_bytes", s.payload);
  write_u64_attr(comm, file, path, "stored_pieces", s.pieces);
  write_u64_attr(comm, file, path, "stored_sums", s.sums);
  write_u64_attr(comm, file, path, "state_checksum", state_sum(s));
}

RootState read_root_state(hid_t file, const std::string& path) {
  RootState s;
  s.complete = read_attr<uint8_t>(file, path, "complete", H5T_NATIVE_UINT8) != 0;
  s.attempts = read_attr<uint32_t>(file, path, "attempts", H5T_NATIVE_UINT32);
  s.pairs = read_u64_attr(file, path, "stored_pairs");
  s.payload = read_u64_attr(file, path, "stored_payload_bytes");
  s.pieces = read_u64_attr(file, path, "stored_pieces");
  s.sums = read_u64_attr(file, path, "stored_sums");
  if (read_u64_attr(file, path, "state_checksum") != state_sum(s))
    throw InputError(corrupt(path,
                             "the root attributes complete, attempts and stored_* do not "
                             "match their state_checksum"));
  if (s.attempts == 0) throw InputError(corrupt(path, "attempts is 0"));
  return s;
}

// The plan (/plan/tiles) and the root attributes that never change, checked
// against meta_checksum.
void verify_meta(hid_t file, const std::string& path, const PairFileMeta& m,
                 const std::vector<TileRecord>& tiles) {
  if (read_u64_attr(file, path, "meta_checksum") != meta_sum(m, tiles))
    throw InputError(corrupt(path,
                             "the run's attributes or the plan (/plan/tiles) do not match "
                             "meta_checksum"));
}

// Done marks as stored -> the attempt numbers; throws when a mark's check fails.
std::vector<uint32_t> decode_marks(const std::string& path, const std::vector<StoredMark>& marks,
                                   uint32_t attempts) {
  std::vector<uint32_t> out(marks.size());
  for (size_t t = 0; t < marks.size(); ++t) {
    if (marks[t].check != mark_check(t, marks[t].gen) || marks[t].gen > attempts)
      throw InputError(corrupt(path, "the done mark of tile " + std::to_string(t) + " in " + kDone +
                                         " fails its check"));
    out[t] = marks[t].gen;
  }
  return out;
}

std::vector<uint32_t> read_marks(const std::string& path, hid_t ds, hid_t mark_type, hid_t dxpl,
                                 size_t tiles, uint32_t attempts) {
  const uint64_t have = extent(ds, path, kDone);
  if (have != tiles)
    throw InputError(corrupt(
        path, std::to_string(tiles) + " tiles but " + std::to_string(have) + " done marks"));
  return decode_marks(path, read_some<StoredMark>(path, kDone, ds, mark_type, dxpl, 0, tiles),
                      attempts);
}

// True on every rank when any rank passes `bad` = true.
bool any_rank(MPI_Comm comm, bool bad) { return mpi::allreduce_max(comm, uint64_t{bad}) != 0; }

// Every rank throws when any rank found a problem; the rank at fault says which.
void agree_or_throw(MPI_Comm comm, const std::string& problem, const char* call) {
  if (!any_rank(comm, !problem.empty())) return;
  throw std::invalid_argument(
      std::string(call) + ": " +
      (problem.empty() ? "another rank passed invalid arguments" : problem));
}

void check_key_table_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    throw std::invalid_argument("key table name '" + name + "' is not a plain HDF5 link name");
}

std::string key_group(const std::string& name) { return std::string(kKeys) + "/" + name; }

}  // namespace

uint64_t detail::set_pair_file_io_limit(uint64_t bytes) {
  if (bytes == 0) throw std::invalid_argument("set_pair_file_io_limit: 0 bytes");
  return std::exchange(g_max_io_bytes, bytes);
}

// ===========================================================================
// Writer

struct PairFileWriter::State {
  State(MPI_Comm c, const std::string& file_path) : comm(c), path(file_path) {
    h5::quiet_errors();
    rank = mpi::rank(comm);
    size = mpi::size(comm);
    dxpl = make<h5::Plist>(H5Pcreate(H5P_DATASET_XFER), {path, "", "H5Pcreate"});
    check(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), {path, "", "H5Pset_dxpl_mpio"});
  }

  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, size = 1;
  std::string path;
  PairFileMeta meta;
  uint32_t gen = 1;
  std::vector<TileRecord> tiles;
  std::vector<uint32_t> done_at_open;
  std::vector<uint32_t> done_live;  // rank 0: the marks on disk, kept current
  RootState root;                   // as on disk after the last flush (attempts = gen)
  Types types;
  h5::Plist dxpl;  // collective transfers
  // The file is declared before its objects, so the objects close first.
  h5::File file;
  h5::Dataset rows, payload, pieces, sums, tiles_ds, done, stats;
  bool failed = false;  // a write failed: the file was closed and marked as failed

  h5::Where where(const char* object, const char* op) const { return {path, object, op}; }
  Target target(const char* name, const h5::Dataset& ds, hid_t mem_type, size_t elem) const {
    return {path, name, ds.get(), mem_type, elem, dxpl.get()};
  }
  void flush(const char* why) {
    agreed(comm, where(why, "H5Fflush"), [&] { return H5Fflush(file.get(), H5F_SCOPE_GLOBAL); });
  }
  // Marks [lo, lo+len) of /tiles/done from `gens` (rank 0's; others pass nothing).
  void write_marks(uint64_t lo, uint64_t len, const uint32_t* gens) {
    std::vector<StoredMark> marks;
    if (gens != nullptr)
      for (uint64_t i = 0; i < len; ++i) marks.push_back({gens[i], mark_check(lo + i, gens[i])});
    write_collective(comm, target(kDone, done, types.mark.get(), sizeof(StoredMark)), lo,
                     marks.size(), marks.data());
  }

  // Runs one writer method. A failed write becomes an InputError on every rank
  // (they agreed on it) naming the file and the reason, and leaves the file
  // closed and marked as failed. See docs/PAIR_FILE.md, "When a write fails".
  template <class F>
  void guard(const char* op, F&& body) {
    if (failed)
      throw InputError("pair file '" + path + "': " + op +
                       " after a write to the file failed; nothing more is written");
    try {
      body();
    } catch (const WriteFailure& e) {
      give_up(op, e.reason(), e.what());
    } catch (const h5::Error& e) {
      give_up(op, "", e.what());
    }
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
  [[noreturn]] void give_up(const char* op, const std::string& reason, const std::string& detail) {
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
                     "': " + (reason.empty() ? std::string("an HDF5 write failed") : reason) +
                     " (" + op + ": " + detail + "); " +
                     (marked ? "the file is marked as failed (reduce and --resume refuse it)"
                             : "the file could not be marked as failed and is not usable") +
                     (closed ? "" : ", and HDF5 could not close it") + "; rerun without --resume");
  }
};

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
                                      const PairFileMeta& meta,
                                      const std::vector<TileRecord>& tiles) {
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
    std::vector<TileRecord> rows;
    if (st.rank == 0) {
      rows.reserve(tiles.size());
      for (const TileRecord& in : tiles) {
        TileRecord r = zeroed<TileRecord>();
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
    write_collective(comm, st.target(kTiles, st.tiles_ds, t.tile.get(), sizeof(TileRecord)), 0,
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
        read_all<TileRecord>(path, kTiles, st.tiles_ds.get(), st.types.tile.get(), st.dxpl.get());
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
std::vector<TileRecord> PairFileWriter::tiles() const { return state().tiles; }
std::vector<uint32_t> PairFileWriter::done_marks() const { return state().done_at_open; }

namespace {

// Empty when the arguments of append_piece are valid, else what is wrong.
std::string check_piece(std::span<const PairRecord> pairs, std::string_view payload,
                        std::span<const uint64_t> offsets, std::span<const uint32_t> finished,
                        size_t tile_count) {
  const size_t n = pairs.size();
  if (n == 0 && offsets.size() > 1)
    return "no pairs but " + std::to_string(offsets.size()) + " payload offsets";
  if (n > 0 && offsets.size() != n + 1)
    return std::to_string(n) + " pairs need " + std::to_string(n + 1) + " payload offsets, got " +
           std::to_string(offsets.size());
  for (size_t i = 1; i < offsets.size(); ++i) {
    if (offsets[i] < offsets[i - 1]) return "payload offsets decrease at " + std::to_string(i);
    if (offsets[i] - offsets[i - 1] > std::numeric_limits<uint32_t>::max())
      return "payload of pair " + std::to_string(i - 1) + " is 4 GiB or more";
  }
  if (!offsets.empty() && offsets.back() > payload.size())
    return "payload offset " + std::to_string(offsets.back()) + " is past the payload (" +
           std::to_string(payload.size()) + " bytes)";
  for (size_t i = 1; i < n; ++i)
    if (std::pair(pairs[i].left, pairs[i].right) < std::pair(pairs[i - 1].left, pairs[i - 1].right))
      return "pairs are not sorted by (left, right) at " + std::to_string(i);
  for (uint32_t t : finished)
    if (t >= tile_count)
      return "finished tile " + std::to_string(t) + " is not in the plan (" +
             std::to_string(tile_count) + " tiles)";
  return {};
}

uint64_t blocks_of(uint64_t rows) { return (rows + kSumRows - 1) / kSumRows; }

}  // namespace

void PairFileWriter::append_piece(std::span<const PairRecord> pairs, std::string_view payload,
                                  std::span<const uint64_t> payload_offsets,
                                  std::span<const uint32_t> finished_tiles) {
  State& s = state();
  const std::string problem =
      check_piece(pairs, payload, payload_offsets, finished_tiles, s.tiles.size());
  const uint64_t n = pairs.size();
  const uint64_t first_byte = n > 0 ? payload_offsets.front() : 0;
  const uint64_t bytes = n > 0 ? payload_offsets.back() - first_byte : 0;
  // Where this rank's rows, bytes, piece row and checksums go: after the ranks below it.
  uint64_t mine[6] = {
      n, bytes, n > 0 ? 1u : 0u, finished_tiles.size(), blocks_of(n), problem.empty() ? 0u : 1u};
  uint64_t before[6] = {}, total[6] = {};
  mpi::check(MPI_Exscan(mine, before, 6, MPI_UINT64_T, MPI_SUM, s.comm), "MPI_Exscan");
  if (s.rank == 0) std::fill(std::begin(before), std::end(before), 0);
  mpi::check(MPI_Allreduce(mine, total, 6, MPI_UINT64_T, MPI_SUM, s.comm), "MPI_Allreduce");
  if (total[5] > 0)
    throw std::invalid_argument("PairFileWriter::append_piece: " +
                                (problem.empty()
                                     ? "another rank passed invalid arguments"
                                     : "rank " + std::to_string(s.rank) + ": " + problem));

  s.guard("append_piece", [&] {
    if (total[0] > 0) {
      const uint64_t row0 = s.root.pairs + before[0], byte0 = s.root.payload + before[1];
      const uint64_t sum0 = s.root.sums + before[4];
      std::vector<PairRecord> rows(n, zeroed<PairRecord>());
      for (uint64_t i = 0; i < n; ++i) {
        const PairRecord& in = pairs[i];
        PairRecord& r = rows[i];
        r.left = in.left;
        r.right = in.right;
        r.payload_offset = byte0 + (payload_offsets[i] - first_byte);
        r.payload_len = static_cast<uint32_t>(payload_offsets[i + 1] - payload_offsets[i]);
        r.tile = in.tile;
        r.gen = s.gen;
        r.confidence = in.confidence;
        r.lev = in.lev;
        r.jw = in.jw;
        r.mp = in.mp;
        r.label = in.label;
      }
      std::vector<uint64_t> sums(blocks_of(n));
      Canon canon;
      for (uint64_t b = 0; b < sums.size(); ++b) {
        const uint64_t lo = b * kSumRows, hi = std::min(n, lo + kSumRows);
        sums[b] = block_sum(
            canon, row0 + lo, std::span(rows).subspan(lo, hi - lo),
            payload.substr(payload_offsets[lo], payload_offsets[hi] - payload_offsets[lo]));
      }
      StoredPiece piece = zeroed<StoredPiece>();
      piece.first = row0;
      piece.count = n;
      piece.payload_first = byte0;
      piece.payload_bytes = bytes;
      piece.sums_first = sum0;
      piece.rank = static_cast<uint32_t>(s.rank);
      piece.gen = s.gen;
      piece.check = piece_sum(piece);

      RootState next = s.root;
      next.pairs += total[0];
      next.payload += total[1];
      next.pieces += total[2];
      next.sums += total[4];
      set_extent(s.comm, s.rows.get(), s.path, kRows, next.pairs);
      set_extent(s.comm, s.payload.get(), s.path, kPayload, next.payload);
      set_extent(s.comm, s.pieces.get(), s.path, kPieces, next.pieces);
      set_extent(s.comm, s.sums.get(), s.path, kSums, next.sums);
      write_collective(s.comm, s.target(kRows, s.rows, s.types.pair.get(), sizeof(PairRecord)),
                       row0, n, rows.data());
      write_collective(s.comm, s.target(kPayload, s.payload, H5T_NATIVE_UINT8, 1), byte0, bytes,
                       payload.data() + first_byte);
      write_collective(s.comm, s.target(kSums, s.sums, H5T_NATIVE_UINT64, 8), sum0, sums.size(),
                       sums.data());
      write_collective(s.comm,
                       s.target(kPieces, s.pieces, s.types.piece.get(), sizeof(StoredPiece)),
                       s.root.pieces + before[2], n > 0 ? 1 : 0, &piece);
      write_root_state(s.comm, s.file.get(), s.path, next);
      // The resume guarantee: pairs are on disk before any mark that commits them.
      s.flush("append_piece (pairs)");
      s.root = next;
    }

    if (total[3] > 0) {
      // Rank 0 gathers the finished tiles and writes the span of marks they touch.
      const int count = static_cast<int>(finished_tiles.size());
      std::vector<int> counts(s.rank == 0 ? static_cast<size_t>(s.size) : 0);
      mpi::check(MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, s.comm),
                 "MPI_Gather");
      std::vector<int> displs(counts.size());
      std::vector<uint32_t> all;
      if (s.rank == 0) {
        for (size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
        all.resize(total[3]);
      }
      mpi::check(MPI_Gatherv(finished_tiles.data(), count, MPI_UINT32_T, all.data(), counts.data(),
                             displs.data(), MPI_UINT32_T, 0, s.comm),
                 "MPI_Gatherv");
      uint64_t lo = 0, len = 0;
      if (s.rank == 0) {
        const auto [min_it, max_it] = std::minmax_element(all.begin(), all.end());
        lo = *min_it;
        len = *max_it - lo + 1;
        for (uint32_t t : all) s.done_live[t] = s.gen;
      }
      s.write_marks(lo, len, s.rank == 0 ? s.done_live.data() + lo : nullptr);
      s.flush("append_piece (done marks)");
    }
  });
}

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

void PairFileWriter::write_key_counts(const std::string& name, const std::vector<std::string>& keys,
                                      const std::vector<uint64_t>& counts, int root) {
  State& s = state();
  check_key_table_name(name);
  if (root < 0 || root >= s.size)
    throw std::invalid_argument("write_key_counts: root " + std::to_string(root) +
                                " is not a rank");
  const bool is_root = s.rank == root;
  std::string problem;
  if (is_root && keys.size() != counts.size())
    problem =
        std::to_string(keys.size()) + " keys but " + std::to_string(counts.size()) + " counts";
  if (!is_root && (!keys.empty() || !counts.empty()))
    problem = "rank " + std::to_string(s.rank) + " is not the root but passed data";
  agree_or_throw(s.comm, problem, "PairFileWriter::write_key_counts");

  // Only the root has data: it sums the table, and every rank writes the sum.
  std::vector<uint64_t> offsets;
  uint64_t sizes[3] = {0, 0, 0};  // keys, key bytes, checksum
  if (is_root) {
    offsets.reserve(keys.size() + 1);
    offsets.push_back(0);
    for (const std::string& k : keys) offsets.push_back(offsets.back() + k.size());
    sizes[0] = keys.size();
    sizes[1] = offsets.back();
    sizes[2] = keys_sum(offsets, counts, [&](size_t i) { return std::string_view(keys[i]); });
  }
  mpi::check(MPI_Bcast(sizes, 3, MPI_UINT64_T, root, s.comm), "MPI_Bcast");
  const uint64_t n = sizes[0], total_bytes = sizes[1];

  s.guard("write_key_counts", [&] {
    const std::string group = key_group(name);
    const hid_t f = s.file.get();
    if (h5::check_tri(H5Lexists(f, group.c_str(), H5P_DEFAULT),
                      s.where(group.c_str(), "H5Lexists")))
      agreed(s.comm, s.where(group.c_str(), "H5Ldelete"),
             [&] { return H5Ldelete(f, group.c_str(), H5P_DEFAULT); });
    h5::Group g(agreed(s.comm, s.where(group.c_str(), "H5Gcreate2"), [&] {
      return H5Gcreate2(f, group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    }));
    const std::string bytes_name = group + "/bytes", offsets_name = group + "/offsets",
                      counts_name = group + "/counts";
    h5::Dataset bytes_ds = create_dataset(s.comm, f, s.path, bytes_name.c_str(), H5T_NATIVE_UINT8,
                                          total_bytes, table_chunk(total_bytes, kByteChunk), false);
    h5::Dataset offsets_ds =
        create_dataset(s.comm, f, s.path, offsets_name.c_str(), H5T_NATIVE_UINT64, n + 1,
                       table_chunk(n + 1, kTableChunk), false);
    h5::Dataset counts_ds =
        create_dataset(s.comm, f, s.path, counts_name.c_str(), H5T_NATIVE_UINT64, n,
                       table_chunk(n, kTableChunk), false);
    write_u64_attr(s.comm, g.get(), s.path, "checksum", sizes[2]);

    write_collective(s.comm, s.target(offsets_name.c_str(), offsets_ds, H5T_NATIVE_UINT64, 8), 0,
                     offsets.size(), offsets.data());
    write_collective(s.comm, s.target(counts_name.c_str(), counts_ds, H5T_NATIVE_UINT64, 8), 0,
                     is_root ? n : 0, counts.data());
    // The key bytes go in bounded rounds, each round's buffer built from
    // `keys`, so the keys are never held twice.
    const Target bt = s.target(bytes_name.c_str(), bytes_ds, H5T_NATIVE_UINT8, 1);
    size_t next_key = 0;
    uint64_t written = 0;
    std::string buffer;
    for (;;) {
      // This round: whole keys up to g_max_io_bytes (at least one).
      buffer.clear();
      if (is_root)
        while (next_key < keys.size() &&
               (buffer.empty() || buffer.size() + keys[next_key].size() <= g_max_io_bytes))
          buffer += keys[next_key++];
      if (mpi::allreduce_max(s.comm, uint64_t{buffer.size()}) == 0) break;
      write_collective(s.comm, bt, written, buffer.size(), buffer.data());
      written += buffer.size();
    }
    s.flush("write_key_counts");
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

// ===========================================================================
// Reader

struct PairFileReader::State {
  std::string path;
  PairFileMeta meta;
  RootState root;
  Types types;
  h5::File file;
  h5::Dataset rows, payload, pieces_ds, sums, tiles_ds, done, stats;
  std::vector<TileRecord> tiles;    // checked against meta_checksum at open
  std::vector<StoredPiece> pieces;  // checked at open; they cover the rows in order

  Target target(const char* name, const h5::Dataset& ds, hid_t mem_type, size_t elem) const {
    return {path, name, ds.get(), mem_type, elem, H5P_DEFAULT};
  }
  void load_pieces();
  // Reads whole checksum blocks of piece `p` covering its rows [a, b) (file
  // row numbers), verifies them and appends rows [a, b) to `out` and their
  // payload bytes to `payload`.
  void read_checked(size_t p, uint64_t a, uint64_t b, std::vector<PairRecord>& out,
                    std::string& payload) const;
  std::string piece_name(size_t p) const {
    const StoredPiece& x = pieces[p];
    return "piece " + std::to_string(p) + " (rank " + std::to_string(x.rank) + ", attempt " +
           std::to_string(x.gen) + ", rows " + std::to_string(x.first) + ".." +
           std::to_string(x.first + x.count - 1) + ")";
  }
};

namespace {

// What the reader finds wrong in a file is the user's input problem (exit 1).
template <class F>
auto as_input_error(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const h5::Error& e) {
    throw InputError(e.what());
  }
}

void check_readable(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st))
    throw InputError("cannot open pair file '" + path +
                     "': " + (ec ? ec.message() : std::string("no such file")));
  if (fs::is_directory(st)) throw InputError("cannot open pair file '" + path + "': a directory");
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw InputError("cannot open pair file '" + path + "': " + std::strerror(errno));
  char head[sizeof kFailedMagic] = {};
  if (probe.read(head, sizeof head) && std::memcmp(head, kFailedMagic, sizeof head) == 0)
    throw InputError("pair file '" + path +
                     "' is unusable: a write to it failed during the run that wrote it (that "
                     "run said why); rerun without --resume");
}

}  // namespace

void PairFileReader::State::load_pieces() {
  pieces = read_some<StoredPiece>(path, kPieces, pieces_ds.get(), types.piece.get(), H5P_DEFAULT, 0,
                                  root.pieces);
  // Every piece passes its check, and together they cover the stored rows,
  // payload bytes and checksums exactly, in order.
  uint64_t row = 0, byte = 0, sum = 0;
  for (size_t p = 0; p < pieces.size(); ++p) {
    const StoredPiece& x = pieces[p];
    if (x.check != piece_sum(x))
      throw InputError(
          corrupt(path, "row " + std::to_string(p) + " of " + kPieces + " fails its check"));
    if (x.first != row || x.payload_first != byte || x.sums_first != sum || x.count == 0 ||
        x.gen == 0 || x.gen > root.attempts)
      throw InputError(corrupt(path, piece_name(p) + " does not follow the piece before it"));
    row += x.count;
    byte += x.payload_bytes;
    sum += blocks_of(x.count);
  }
  if (row != root.pairs || byte != root.payload || sum != root.sums)
    throw InputError(corrupt(path, "the pieces do not cover the stored pairs, payload and sums"));
}

void PairFileReader::State::read_checked(size_t p, uint64_t a, uint64_t b,
                                         std::vector<PairRecord>& out, std::string& payload) const {
  const StoredPiece& x = pieces[p];
  const uint64_t b0 = (a - x.first) / kSumRows, b1 = (b - 1 - x.first) / kSumRows + 1;
  const uint64_t lo = x.first + b0 * kSumRows;
  const uint64_t hi = std::min(x.first + x.count, x.first + b1 * kSumRows);
  // The blocks' rows and bytes go straight to the end of `out` and `payload`;
  // rows outside [a, b) (reads not on block boundaries) are cut off after.
  const size_t row0 = out.size(), byte0 = payload.size();
  out.resize(row0 + (hi - lo));
  const std::span<PairRecord> rows(out.data() + row0, hi - lo);
  read_range(target(kRows, this->rows, types.pair.get(), sizeof(PairRecord)), lo, rows.size(),
             rows.data());
  std::vector<uint64_t> want(b1 - b0);
  read_range(target(kSums, sums, H5T_NATIVE_UINT64, 8), x.sums_first + b0, want.size(),
             want.data());
  // The payload of the blocks, where their rows say it is (checked below):
  // within the piece's payload and back to back.
  const auto bad = [&](const std::string& what) {
    return InputError(corrupt(path, piece_name(p) + ": checksum mismatch" + what));
  };
  const uint64_t p_lo = rows.front().payload_offset;
  uint64_t p_hi = p_lo;
  for (const PairRecord& r : rows) {
    if (r.payload_offset != p_hi) throw bad(" (payload offsets)");
    p_hi += r.payload_len;
  }
  if (p_lo < x.payload_first || p_hi > x.payload_first + x.payload_bytes || p_hi > root.payload)
    throw bad(" (payload outside the piece)");
  payload.resize(byte0 + (p_hi - p_lo));
  read_range(target(kPayload, this->payload, H5T_NATIVE_UINT8, 1), p_lo, p_hi - p_lo,
             payload.data() + byte0);
  const std::string_view bytes = std::string_view(payload).substr(byte0);
  Canon canon;
  for (uint64_t k = 0; k < want.size(); ++k) {
    const uint64_t r0 = k * kSumRows, r1 = std::min<uint64_t>(rows.size(), r0 + kSumRows);
    const uint64_t y0 = rows[r0].payload_offset - p_lo;
    const uint64_t y1 = rows[r1 - 1].payload_offset + rows[r1 - 1].payload_len - p_lo;
    if (block_sum(canon, lo + r0, rows.subspan(r0, r1 - r0), bytes.substr(y0, y1 - y0)) != want[k])
      throw bad(" in rows " + std::to_string(lo + r0) + ".." + std::to_string(lo + r1 - 1));
  }
  // Keep rows [a, b) and their bytes only.
  if (lo < a || hi > b) {
    const uint64_t y0 = rows[a - lo].payload_offset - p_lo;
    const uint64_t y1 = rows[b - 1 - lo].payload_offset + rows[b - 1 - lo].payload_len - p_lo;
    payload.resize(byte0 + y1);
    payload.erase(byte0, y0);
    out.resize(row0 + (b - lo));
    out.erase(out.begin() + static_cast<ptrdiff_t>(row0),
              out.begin() + static_cast<ptrdiff_t>(row0 + (a - lo)));
  }
}

PairFileReader::PairFileReader(const std::string& path) : state_(std::make_unique<State>()) {
  h5::quiet_errors();
  State& s = *state_;
  s.path = path;
  check_readable(path);
  {
    h5::Plist fapl = as_input_error([&] {
      return make<h5::Plist>(H5Pcreate(H5P_FILE_ACCESS), {path, "", "H5Pcreate"});
    });
    // Reading needs no lock; file systems without flock (some NFS, Lustre) would refuse it.
    as_input_error([&] {
      check(H5Pset_file_locking(fapl.get(), false, true), {path, "", "H5Pset_file_locking"});
    });
    const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
    if (id < 0)
      throw InputError("'" + path + "' is not an HDF5 file or truncated/corrupt (" +
                       h5::take_error_stack() + ")");
    s.file = h5::File(id);
  }
  const hid_t f = s.file.get();
  as_input_error([&] {
    if (!has_attr(f, path, "format") || read_string_attr(f, path, "format") != kFormat ||
        !has_attr(f, path, "format_version"))
      throw InputError("'" + path + "' is not a name_matcher pair file");
    const auto version = read_attr<uint32_t>(f, path, "format_version", H5T_NATIVE_UINT32);
    if (version != kFormatVersion)
      throw InputError(
          "pair file '" + path + "': format version " + std::to_string(version) +
          " not supported (this program reads version " + std::to_string(kFormatVersion) +
          (version < kFormatVersion ? "; the file was written by an older name_matcher: rerun "
                                      "without --resume to write a new one)"
                                    : ")"));
    s.meta = read_meta(f, path);
    s.root = read_root_state(f, path);
    s.rows = open_dataset(f, path, kRows);
    s.payload = open_dataset(f, path, kPayload);
    s.pieces_ds = open_dataset(f, path, kPieces);
    s.sums = open_dataset(f, path, kSums);
    s.tiles_ds = open_dataset(f, path, kTiles);
    s.done = open_dataset(f, path, kDone);
    s.stats = open_dataset(f, path, kStats);
    s.tiles = read_all<TileRecord>(path, kTiles, s.tiles_ds.get(), s.types.tile.get(), H5P_DEFAULT);
    verify_meta(f, path, s.meta, s.tiles);
    for (const auto& [ds, name, need] : {std::tuple{&s.rows, kRows, s.root.pairs},
                                         std::tuple{&s.payload, kPayload, s.root.payload},
                                         std::tuple{&s.sums, kSums, s.root.sums}})
      if (extent(ds->get(), path, name) < need)
        throw InputError(corrupt(path, std::string(name) + " is shorter than the " +
                                           std::to_string(need) + " entries recorded"));
    s.load_pieces();
  });
}

PairFileReader::PairFileReader(PairFileReader&&) noexcept = default;
PairFileReader& PairFileReader::operator=(PairFileReader&&) noexcept = default;
PairFileReader::~PairFileReader() = default;

const PairFileMeta& PairFileReader::meta() const { return state_->meta; }
bool PairFileReader::complete() const { return state_->root.complete; }
uint32_t PairFileReader::attempts() const { return state_->root.attempts; }
uint64_t PairFileReader::pair_count() const { return state_->root.pairs; }
std::vector<TileRecord> PairFileReader::tiles() const { return state_->tiles; }

std::vector<uint32_t> PairFileReader::done_marks() const {
  const State& s = *state_;
  return as_input_error([&] {
    return read_marks(s.path, s.done.get(), s.types.mark.get(), H5P_DEFAULT, s.tiles.size(),
                      s.root.attempts);
  });
}

std::vector<RankStats> PairFileReader::rank_stats() const {
  const State& s = *state_;
  return as_input_error([&] {
    const auto rows =
        read_all<StoredStats>(s.path, kStats, s.stats.get(), s.types.stats.get(), H5P_DEFAULT);
    std::vector<RankStats> out;
    for (size_t r = 0; r < rows.size(); ++r) {
      const StoredStats& x = rows[r];
      const StoredStats none = zeroed<StoredStats>();  // the row of a rank that never wrote it
      if (std::memcmp(&x, &none, sizeof none) != 0 && x.check != stats_sum(x.stats))
        throw InputError(
            corrupt(s.path, "row " + std::to_string(r) + " of " + kStats + " fails its check"));
      out.push_back(x.stats);
    }
    return out;
  });
}

std::vector<PieceRecord> PairFileReader::pieces() const {
  std::vector<PieceRecord> out;
  for (const StoredPiece& x : state_->pieces)
    out.push_back({x.first, x.count, x.payload_first, x.payload_bytes, x.rank, x.gen});
  return out;
}

void PairFileReader::read_pairs(uint64_t first, uint64_t n, std::vector<PairRecord>& out,
                                std::string& payload, uint64_t* payload_base) const {
  const State& s = *state_;
  if (first > s.root.pairs || n > s.root.pairs - first)
    throw std::out_of_range("read_pairs: rows [" + std::to_string(first) + ", " +
                            std::to_string(first + n) + ") are past the " +
                            std::to_string(s.root.pairs) + " pairs of '" + s.path + "'");
  out.clear();
  payload.clear();
  if (payload_base != nullptr) *payload_base = 0;
  if (n == 0) return;
  out.reserve(n);
  as_input_error([&] {
    // The pieces cover the rows in order: the one holding `first`, then on.
    size_t p = static_cast<size_t>(
        std::upper_bound(s.pieces.begin(), s.pieces.end(), first,
                         [](uint64_t row, const StoredPiece& x) { return row < x.first; }) -
        s.pieces.begin() - 1);
    for (uint64_t a = first; a < first + n; ++p) {
      const uint64_t b = std::min(first + n, s.pieces[p].first + s.pieces[p].count);
      s.read_checked(p, a, b, out, payload);
      a = b;
    }
  });
  if (payload_base != nullptr) *payload_base = out.front().payload_offset;
}

std::vector<std::pair<std::string, uint64_t>> PairFileReader::read_key_counts(
    const std::string& name) const {
  check_key_table_name(name);
  const State& s = *state_;
  const std::string group = key_group(name);
  return as_input_error([&] {
    std::vector<std::pair<std::string, uint64_t>> out;
    const hid_t f = s.file.get();
    if (!h5::check_tri(H5Lexists(f, kKeys, H5P_DEFAULT), {s.path, kKeys, "H5Lexists"}) ||
        !h5::check_tri(H5Lexists(f, group.c_str(), H5P_DEFAULT), {s.path, group, "H5Lexists"}))
      return out;
    const std::string bytes_name = group + "/bytes", offsets_name = group + "/offsets",
                      counts_name = group + "/counts";
    h5::Group g =
        make<h5::Group>(H5Gopen2(f, group.c_str(), H5P_DEFAULT), {s.path, group, "H5Gopen2"});
    h5::Dataset bytes_ds = open_dataset(f, s.path, bytes_name.c_str());
    h5::Dataset offsets_ds = open_dataset(f, s.path, offsets_name.c_str());
    h5::Dataset counts_ds = open_dataset(f, s.path, counts_name.c_str());
    const auto offsets = read_all<uint64_t>(s.path, offsets_name.c_str(), offsets_ds.get(),
                                            H5T_NATIVE_UINT64, H5P_DEFAULT);
    const auto counts = read_all<uint64_t>(s.path, counts_name.c_str(), counts_ds.get(),
                                           H5T_NATIVE_UINT64, H5P_DEFAULT);
    const bool shape_ok = offsets.size() == counts.size() + 1 && offsets.front() == 0 &&
                          offsets.back() == extent(bytes_ds.get(), s.path, bytes_name) &&
                          std::is_sorted(offsets.begin(), offsets.end());
    if (!shape_ok)
      throw InputError(corrupt(s.path, group + " offsets do not match its bytes and counts"));
    check_fits(bytes_ds.get(), s.path, bytes_name.c_str(), offsets.back(), 1);
    std::string bytes(offsets.back(), '\0');
    read_range({s.path, bytes_name.c_str(), bytes_ds.get(), H5T_NATIVE_UINT8, 1, H5P_DEFAULT}, 0,
               bytes.size(), bytes.data());
    const auto key = [&](size_t i) {
      return std::string_view(bytes).substr(offsets[i], offsets[i + 1] - offsets[i]);
    };
    if (!has_attr(g.get(), s.path, "checksum") ||
        read_u64_attr(g.get(), s.path, "checksum") != keys_sum(offsets, counts, key))
      throw InputError(corrupt(s.path, group + ": checksum mismatch"));
    out.reserve(counts.size());
    for (size_t i = 0; i < counts.size(); ++i) out.emplace_back(std::string(key(i)), counts[i]);
    return out;
  });
}

}  // namespace nm::io
