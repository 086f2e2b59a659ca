#include "io/pair_file.hpp"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include "io/h5.hpp"
#include "src/errors.hpp"
#include "src/mpi_env.hpp"

namespace nm::io {
namespace {

using h5::check;
using h5::make;

constexpr char kFormat[] = "name_matcher pairs";
constexpr uint32_t kFormatVersion = 1;

constexpr char kRows[] = "/pairs/rows";
constexpr char kPayload[] = "/pairs/payload";
constexpr char kPieces[] = "/pairs/pieces";
constexpr char kTiles[] = "/plan/tiles";
constexpr char kDone[] = "/tiles/done";
constexpr char kStats[] = "/stats/ranks";
constexpr char kKeys[] = "/keys";

// Chunk sizes of the growing datasets: large enough that the chunk index
// stays small at 100 M pairs, small enough that a short run's file is small.
constexpr hsize_t kRowsChunk = 64 * 1024;  // 3.5 MiB of pair rows
constexpr hsize_t kByteChunk = 1 << 20;    // 1 MiB of payload or key bytes
constexpr hsize_t kTableChunk = 64 * 1024;
constexpr hsize_t kPieceChunk = 1024;

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
  h5::Type t = compound(sizeof(RankStats), n);
  insert(t.get(), n, "rank", offsetof(RankStats, rank), H5T_NATIVE_UINT32);
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
  for (const auto& [name, off] : counters) insert(t.get(), n, name, off, H5T_NATIVE_UINT64);
  const std::pair<const char*, size_t> seconds[] = {
      {"load_s", offsetof(RankStats, load_s)},
      {"normalize_s", offsetof(RankStats, normalize_s)},
      {"partition_s", offsetof(RankStats, partition_s)},
      {"shuffle_s", offsetof(RankStats, shuffle_s)},
      {"score_s", offsetof(RankStats, score_s)},
      {"write_s", offsetof(RankStats, write_s)}};
  for (const auto& [name, off] : seconds) insert(t.get(), n, name, off, H5T_NATIVE_DOUBLE);
  return t;
}

h5::Type piece_type() {
  constexpr const char* n = "PieceRecord";
  h5::Type t = compound(sizeof(PieceRecord), n);
  insert(t.get(), n, "first", offsetof(PieceRecord, first), H5T_NATIVE_UINT64);
  insert(t.get(), n, "count", offsetof(PieceRecord, count), H5T_NATIVE_UINT64);
  insert(t.get(), n, "payload_first", offsetof(PieceRecord, payload_first), H5T_NATIVE_UINT64);
  insert(t.get(), n, "payload_bytes", offsetof(PieceRecord, payload_bytes), H5T_NATIVE_UINT64);
  insert(t.get(), n, "rank", offsetof(PieceRecord, rank), H5T_NATIVE_UINT32);
  insert(t.get(), n, "gen", offsetof(PieceRecord, gen), H5T_NATIVE_UINT32);
  return t;
}

// The memory types, built once per open file.
struct Types {
  bool quiet = (h5::quiet_errors(), true);  // before the first HDF5 call
  h5::Type pair = pair_type(), tile = tile_type(), stats = stats_type(), piece = piece_type();
};

// ---- datasets ------------------------------------------------------------

// The chunk of a table whose size is known at creation: the whole table up to
// `max`, so that a small table does not take a large chunk.
hsize_t table_chunk(uint64_t size, hsize_t max) { return std::clamp<hsize_t>(size, 1, max); }

// A 1-D chunked dataset with unlimited maximum size. Zero-filled datasets get
// their fill value written when space is allocated (done marks, stats: small);
// the others are never filled, every byte is written by the appends.
h5::Dataset create_dataset(hid_t file, const std::string& path, const char* name, hid_t type,
                           hsize_t size, hsize_t chunk, bool zero_fill) {
  const hsize_t dims[1] = {size}, max_dims[1] = {H5S_UNLIMITED}, chunk_dims[1] = {chunk};
  h5::Space space =
      make<h5::Space>(H5Screate_simple(1, dims, max_dims), {path, name, "H5Screate_simple"});
  h5::Plist dcpl = make<h5::Plist>(H5Pcreate(H5P_DATASET_CREATE), {path, name, "H5Pcreate"});
  check(H5Pset_chunk(dcpl.get(), 1, chunk_dims), {path, name, "H5Pset_chunk"});
  check(H5Pset_fill_time(dcpl.get(), zero_fill ? H5D_FILL_TIME_ALLOC : H5D_FILL_TIME_NEVER),
        {path, name, "H5Pset_fill_time"});
  return make<h5::Dataset>(
      H5Dcreate2(file, name, type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      {path, name, "H5Dcreate2"});
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

void set_extent(hid_t ds, const std::string& path, const char* name, uint64_t size) {
  const hsize_t dims[1] = {size};
  check(H5Dset_extent(ds, dims), {path, name, "H5Dset_extent"});
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
    check(H5Dwrite(t.ds, t.mem_type, mem.get(), file_space.get(), t.dxpl,
                   n > 0 ? static_cast<const void*>(bytes + lo * t.elem) : &kNothing),
          {t.path, t.name, "H5Dwrite"});
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

template <class T>
std::vector<T> read_all(const std::string& path, const char* name, hid_t ds, hid_t mem_type,
                        hid_t dxpl) {
  std::vector<T> out(extent(ds, path, name));
  read_range({path, name, ds, mem_type, sizeof(T), dxpl}, 0, out.size(), out.data());
  return out;
}

// ---- attributes ----------------------------------------------------------

void write_attr(hid_t obj, const std::string& path, const char* name, hid_t type,
                const void* value) {
  const std::string what = std::string("attribute ") + name;
  h5::Attr attr;
  if (h5::check_tri(H5Aexists(obj, name), {path, what, "H5Aexists"})) {
    attr = make<h5::Attr>(H5Aopen(obj, name, H5P_DEFAULT), {path, what, "H5Aopen"});
  } else {
    h5::Space scalar = make<h5::Space>(H5Screate(H5S_SCALAR), {path, what, "H5Screate"});
    attr = make<h5::Attr>(H5Acreate2(obj, name, type, scalar.get(), H5P_DEFAULT, H5P_DEFAULT),
                          {path, what, "H5Acreate2"});
  }
  check(H5Awrite(attr.get(), type, value), {path, what, "H5Awrite"});
}

// A fixed-length, NUL-terminated UTF-8 string: h5dump prints it as text.
void write_string_attr(hid_t obj, const std::string& path, const char* name,
                       const std::string& value) {
  const std::string what = std::string("attribute ") + name;
  h5::Type type = make<h5::Type>(H5Tcopy(H5T_C_S1), {path, what, "H5Tcopy"});
  check(H5Tset_size(type.get(), value.size() + 1), {path, what, "H5Tset_size"});
  check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), {path, what, "H5Tset_strpad"});
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), {path, what, "H5Tset_cset"});
  if (h5::check_tri(H5Aexists(obj, name), {path, what, "H5Aexists"}))
    check(H5Adelete(obj, name), {path, what, "H5Adelete"});
  h5::Space scalar = make<h5::Space>(H5Screate(H5S_SCALAR), {path, what, "H5Screate"});
  h5::Attr attr =
      make<h5::Attr>(H5Acreate2(obj, name, type.get(), scalar.get(), H5P_DEFAULT, H5P_DEFAULT),
                     {path, what, "H5Acreate2"});
  check(H5Awrite(attr.get(), type.get(), value.c_str()), {path, what, "H5Awrite"});
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

std::string read_string_attr(hid_t obj, const std::string& path, const char* name) {
  const std::string what = std::string("attribute ") + name;
  h5::Attr attr = make<h5::Attr>(H5Aopen(obj, name, H5P_DEFAULT), {path, what, "H5Aopen"});
  h5::Type type = make<h5::Type>(H5Aget_type(attr.get()), {path, what, "H5Aget_type"});
  if (H5Tget_class(type.get()) != H5T_STRING ||
      h5::check_tri(H5Tis_variable_str(type.get()), {path, what, "H5Tis_variable_str"}))
    throw h5::Error(path + ": " + what + ": not a fixed-length string");
  std::string value(H5Tget_size(type.get()), '\0');
  check(H5Aread(attr.get(), type.get(), value.data()), {path, what, "H5Aread"});
  value.resize(std::strlen(value.c_str()));
  return value;
}

void write_meta(hid_t file, const std::string& path, const PairFileMeta& m) {
  const auto u8 = [&](const char* name, bool v) {
    const uint8_t b = v ? 1 : 0;
    write_attr(file, path, name, H5T_NATIVE_UINT8, &b);
  };
  const auto u32 = [&](const char* name, uint32_t v) {
    write_attr(file, path, name, H5T_NATIVE_UINT32, &v);
  };
  const auto u64 = [&](const char* name, uint64_t v) {
    write_attr(file, path, name, H5T_NATIVE_UINT64, &v);
  };
  const auto f32 = [&](const char* name, float v) {
    write_attr(file, path, name, H5T_NATIVE_FLOAT, &v);
  };
  write_string_attr(file, path, "format", kFormat);
  u32("format_version", kFormatVersion);
  write_string_attr(file, path, "program_version", m.program_version);
  write_attr(file, path, "algorithm", H5T_NATIVE_INT32, &m.algorithm);
  f32("threshold", m.threshold);
  f32("household_threshold", m.household_threshold);
  f32("min_confidence", m.min_confidence);
  u8("dedupe", m.dedupe);
  u8("fuzzy_normalization", m.fuzzy_normalization);
  u8("exhaustive", m.exhaustive);
  u32("ranks", m.ranks);
  write_string_attr(file, path, "left_path", m.left_path);
  write_string_attr(file, path, "right_path", m.right_path);
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
  const auto u64 = [&](const char* name) {
    return read_attr<uint64_t>(file, path, name, H5T_NATIVE_UINT64);
  };
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

// FNV-1a over the fields (not the padding) of what create() was given, to check
// that every rank passed the same: HDF5 metadata calls must be identical.
struct Fingerprint {
  uint64_t h = 1469598103934665603ull;
  void add(const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ull;
  }
  template <class T>
  void add(const T& v) {
    static_assert(std::is_arithmetic_v<T>);
    add(&v, sizeof(T));
  }
  void add(const std::string& s) {
    add(s.size());
    add(s.data(), s.size());
  }
};

uint64_t fingerprint(const PairFileMeta& m, const std::vector<TileRecord>& tiles) {
  Fingerprint f;
  f.add(m.program_version);
  f.add(m.algorithm);
  for (float v : {m.threshold, m.household_threshold, m.min_confidence}) f.add(v);
  for (bool v : {m.dedupe, m.fuzzy_normalization, m.exhaustive}) f.add(v);
  f.add(m.ranks);
  f.add(m.left_path);
  f.add(m.right_path);
  for (uint64_t v : {m.left_bytes, m.right_bytes, m.left_checksum, m.right_checksum, m.left_rows,
                     m.right_rows, m.plan_hash})
    f.add(v);
  f.add(tiles.size());
  for (const TileRecord& t : tiles) {
    for (uint64_t v : {t.block_key, t.l_begin, t.l_end, t.r_begin, t.r_end, t.cost}) f.add(v);
    f.add(t.rank);
  }
  return f.h;
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
  uint64_t rows_n = 0, payload_n = 0, pieces_n = 0;
  Types types;
  h5::Plist dxpl;  // collective transfers
  // The file is declared before its objects, so the objects close first.
  h5::File file;
  h5::Dataset rows, payload, pieces, tiles_ds, done, stats;

  h5::Where where(const char* object, const char* op) const { return {path, object, op}; }
  Target target(const char* name, const h5::Dataset& ds, hid_t mem_type, size_t elem) const {
    return {path, name, ds.get(), mem_type, elem, dxpl.get()};
  }
  void flush(const char* why) const {
    check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), where(why, "H5Fflush"));
  }
  void write_attempt_attrs(bool complete) const {
    const uint8_t c = complete ? 1 : 0;
    write_attr(file.get(), path, "complete", H5T_NATIVE_UINT8, &c);
    write_attr(file.get(), path, "attempts", H5T_NATIVE_UINT32, &gen);
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
  if (id < 0)
    throw InputError(std::string(create ? "cannot create" : "cannot open") + " pair file '" + path +
                     "' (" + h5::take_error_stack() + ")");
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
  const uint64_t fp = fingerprint(meta, tiles);
  if (mpi::allreduce_max(comm, fp) != fp || mpi::allreduce_max(comm, ~fp) != ~fp)
    throw std::invalid_argument("PairFileWriter::create '" + path +
                                "': the ranks passed different meta or tiles");
  if (tiles.size() > std::numeric_limits<uint32_t>::max())
    throw std::invalid_argument("PairFileWriter::create: more than 2^32-1 tiles");

  s->file = open_mpio(comm, path, true);
  const hid_t f = s->file.get();
  s->meta = meta;
  s->meta.format = kFormat;
  s->meta.format_version = kFormatVersion;
  s->gen = 1;
  s->tiles = tiles;
  s->done_at_open.assign(tiles.size(), 0);
  if (s->rank == 0) s->done_live = s->done_at_open;

  write_meta(f, path, s->meta);
  s->write_attempt_attrs(false);
  for (const char* g : {"/pairs", "/plan", "/tiles", "/stats", kKeys})
    make<h5::Group>(H5Gcreate2(f, g, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                    s->where(g, "H5Gcreate2"));
  const Types& t = s->types;
  s->rows = create_dataset(f, path, kRows, t.pair.get(), 0, kRowsChunk, false);
  s->payload = create_dataset(f, path, kPayload, H5T_NATIVE_UINT8, 0, kByteChunk, false);
  s->pieces = create_dataset(f, path, kPieces, t.piece.get(), 0, kPieceChunk, false);
  s->tiles_ds = create_dataset(f, path, kTiles, t.tile.get(), tiles.size(),
                               table_chunk(tiles.size(), kTableChunk), false);
  s->done = create_dataset(f, path, kDone, H5T_NATIVE_UINT32, tiles.size(),
                           table_chunk(tiles.size(), kTableChunk), true);
  s->stats = create_dataset(f, path, kStats, t.stats.get(), static_cast<hsize_t>(s->size),
                            table_chunk(static_cast<uint64_t>(s->size), kPieceChunk), true);

  // Rank 0 writes the plan; the others take part with empty selections.
  std::vector<TileRecord> rows;
  if (s->rank == 0) {
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
  write_collective(comm, s->target(kTiles, s->tiles_ds, t.tile.get(), sizeof(TileRecord)), 0,
                   rows.size(), rows.data());
  s->flush("create");
  return PairFileWriter(std::move(s));
}

PairFileWriter PairFileWriter::open_for_resume(MPI_Comm comm, const std::string& path) {
  auto s = std::make_unique<State>(comm, path);
  // Rank 0 checks the file with the reader first, so every rank fails with the
  // same clear message instead of an HDF5 error deep inside a collective open.
  std::string problem;
  if (s->rank == 0) {
    try {
      PairFileReader probe(path);
    } catch (const InputError& e) {
      problem = e.what();
      if (problem.empty()) problem = "cannot resume from pair file '" + path + "'";
    }
  }
  mpi::bcast_bytes(comm, problem, 0);
  if (!problem.empty()) throw InputError(problem);

  s->file = open_mpio(comm, path, false);
  const hid_t f = s->file.get();
  s->meta = read_meta(f, path);
  s->gen = read_attr<uint32_t>(f, path, "attempts", H5T_NATIVE_UINT32) + 1;
  s->rows = open_dataset(f, path, kRows);
  s->payload = open_dataset(f, path, kPayload);
  s->pieces = open_dataset(f, path, kPieces);
  s->tiles_ds = open_dataset(f, path, kTiles);
  s->done = open_dataset(f, path, kDone);
  s->stats = open_dataset(f, path, kStats);
  s->rows_n = extent(s->rows.get(), path, kRows);
  s->payload_n = extent(s->payload.get(), path, kPayload);
  s->pieces_n = extent(s->pieces.get(), path, kPieces);
  s->tiles =
      read_all<TileRecord>(path, kTiles, s->tiles_ds.get(), s->types.tile.get(), s->dxpl.get());
  s->done_at_open =
      read_all<uint32_t>(path, kDone, s->done.get(), H5T_NATIVE_UINT32, s->dxpl.get());
  if (s->done_at_open.size() != s->tiles.size())
    throw InputError("pair file '" + path + "' is corrupt: " + std::to_string(s->tiles.size()) +
                     " tiles but " + std::to_string(s->done_at_open.size()) + " done marks");
  if (s->rank == 0) s->done_live = s->done_at_open;
  s->write_attempt_attrs(false);
  s->flush("open_for_resume");
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
  // Where this rank's rows, bytes and piece row go: after the ranks below it.
  uint64_t mine[5] = {n, bytes, n > 0 ? 1u : 0u, finished_tiles.size(), problem.empty() ? 0u : 1u};
  uint64_t before[5] = {0, 0, 0, 0, 0}, total[5] = {0, 0, 0, 0, 0};
  mpi::check(MPI_Exscan(mine, before, 5, MPI_UINT64_T, MPI_SUM, s.comm), "MPI_Exscan");
  if (s.rank == 0) std::fill(std::begin(before), std::end(before), 0);
  mpi::check(MPI_Allreduce(mine, total, 5, MPI_UINT64_T, MPI_SUM, s.comm), "MPI_Allreduce");
  if (total[4] > 0)
    throw std::invalid_argument("PairFileWriter::append_piece: " +
                                (problem.empty()
                                     ? "another rank passed invalid arguments"
                                     : "rank " + std::to_string(s.rank) + ": " + problem));

  if (total[0] > 0) {
    const uint64_t row0 = s.rows_n + before[0], byte0 = s.payload_n + before[1];
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
    set_extent(s.rows.get(), s.path, kRows, s.rows_n + total[0]);
    set_extent(s.payload.get(), s.path, kPayload, s.payload_n + total[1]);
    set_extent(s.pieces.get(), s.path, kPieces, s.pieces_n + total[2]);
    write_collective(s.comm, s.target(kRows, s.rows, s.types.pair.get(), sizeof(PairRecord)), row0,
                     n, rows.data());
    write_collective(s.comm, s.target(kPayload, s.payload, H5T_NATIVE_UINT8, 1), byte0, bytes,
                     payload.data() + first_byte);
    PieceRecord piece{row0, n, byte0, bytes, static_cast<uint32_t>(s.rank), s.gen};
    write_collective(s.comm, s.target(kPieces, s.pieces, s.types.piece.get(), sizeof(PieceRecord)),
                     s.pieces_n + before[2], n > 0 ? 1 : 0, &piece);
    s.rows_n += total[0];
    s.payload_n += total[1];
    s.pieces_n += total[2];
    // The resume guarantee: pairs are on disk before any mark that commits them.
    s.flush("append_piece (pairs)");
  }

  if (total[3] > 0) {
    // Rank 0 gathers the finished tiles and writes the span of marks they touch.
    const int count = static_cast<int>(finished_tiles.size());
    std::vector<int> counts(s.rank == 0 ? static_cast<size_t>(s.size) : 0);
    mpi::check(MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, s.comm), "MPI_Gather");
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
    write_collective(s.comm, s.target(kDone, s.done, H5T_NATIVE_UINT32, sizeof(uint32_t)), lo, len,
                     s.rank == 0 ? s.done_live.data() + lo : nullptr);
    s.flush("append_piece (done marks)");
  }
}

void PairFileWriter::write_rank_stats(const RankStats& mine) {
  State& s = state();
  const uint64_t rows = extent(s.stats.get(), s.path, kStats);
  if (rows < static_cast<uint64_t>(s.size))
    set_extent(s.stats.get(), s.path, kStats, static_cast<uint64_t>(s.size));
  RankStats r = zeroed<RankStats>();
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
  write_collective(s.comm, s.target(kStats, s.stats, s.types.stats.get(), sizeof(RankStats)),
                   static_cast<uint64_t>(s.rank), 1, &r);
  s.flush("write_rank_stats");
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

  uint64_t sizes[2] = {0, 0};  // keys, key bytes
  if (is_root) {
    sizes[0] = keys.size();
    for (const std::string& k : keys) sizes[1] += k.size();
  }
  mpi::check(MPI_Bcast(sizes, 2, MPI_UINT64_T, root, s.comm), "MPI_Bcast");
  const uint64_t n = sizes[0], total_bytes = sizes[1];

  const std::string group = key_group(name);
  const hid_t f = s.file.get();
  if (h5::check_tri(H5Lexists(f, group.c_str(), H5P_DEFAULT), s.where(group.c_str(), "H5Lexists")))
    check(H5Ldelete(f, group.c_str(), H5P_DEFAULT), s.where(group.c_str(), "H5Ldelete"));
  h5::Group g = make<h5::Group>(H5Gcreate2(f, group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                s.where(group.c_str(), "H5Gcreate2"));
  const std::string bytes_name = group + "/bytes", offsets_name = group + "/offsets",
                    counts_name = group + "/counts";
  h5::Dataset bytes_ds = create_dataset(f, s.path, bytes_name.c_str(), H5T_NATIVE_UINT8,
                                        total_bytes, table_chunk(total_bytes, kByteChunk), false);
  h5::Dataset offsets_ds = create_dataset(f, s.path, offsets_name.c_str(), H5T_NATIVE_UINT64, n + 1,
                                          table_chunk(n + 1, kTableChunk), false);
  h5::Dataset counts_ds = create_dataset(f, s.path, counts_name.c_str(), H5T_NATIVE_UINT64, n,
                                         table_chunk(n, kTableChunk), false);

  // Only the root has data. The key bytes go in bounded rounds, each round's
  // buffer built from `keys`, so the keys are never held twice.
  std::vector<uint64_t> offsets;
  if (is_root) {
    offsets.reserve(n + 1);
    offsets.push_back(0);
    for (const std::string& k : keys) offsets.push_back(offsets.back() + k.size());
  }
  write_collective(s.comm, s.target(offsets_name.c_str(), offsets_ds, H5T_NATIVE_UINT64, 8), 0,
                   offsets.size(), offsets.data());
  write_collective(s.comm, s.target(counts_name.c_str(), counts_ds, H5T_NATIVE_UINT64, 8), 0,
                   is_root ? n : 0, counts.data());
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
}

void PairFileWriter::mark_complete() {
  State& s = state();
  s.write_attempt_attrs(true);
  s.flush("mark_complete");
}

// ===========================================================================
// Reader

struct PairFileReader::State {
  std::string path;
  PairFileMeta meta;
  bool complete = false;
  uint32_t attempts = 0;
  uint64_t rows_n = 0, payload_n = 0;
  Types types;
  h5::File file;
  h5::Dataset rows, payload, pieces, tiles, done, stats;

  Target target(const char* name, const h5::Dataset& ds, hid_t mem_type, size_t elem) const {
    return {path, name, ds.get(), mem_type, elem, H5P_DEFAULT};
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
}

}  // namespace

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
      throw InputError("pair file '" + path + "': format version " + std::to_string(version) +
                       " not supported (this program reads version " +
                       std::to_string(kFormatVersion) + ")");
    s.meta = read_meta(f, path);
    s.complete = read_attr<uint8_t>(f, path, "complete", H5T_NATIVE_UINT8) != 0;
    s.attempts = read_attr<uint32_t>(f, path, "attempts", H5T_NATIVE_UINT32);
    s.rows = open_dataset(f, path, kRows);
    s.payload = open_dataset(f, path, kPayload);
    s.pieces = open_dataset(f, path, kPieces);
    s.tiles = open_dataset(f, path, kTiles);
    s.done = open_dataset(f, path, kDone);
    s.stats = open_dataset(f, path, kStats);
    s.rows_n = extent(s.rows.get(), path, kRows);
    s.payload_n = extent(s.payload.get(), path, kPayload);
  });
}

PairFileReader::PairFileReader(PairFileReader&&) noexcept = default;
PairFileReader& PairFileReader::operator=(PairFileReader&&) noexcept = default;
PairFileReader::~PairFileReader() = default;

const PairFileMeta& PairFileReader::meta() const { return state_->meta; }
bool PairFileReader::complete() const { return state_->complete; }
uint32_t PairFileReader::attempts() const { return state_->attempts; }
uint64_t PairFileReader::pair_count() const { return state_->rows_n; }

std::vector<TileRecord> PairFileReader::tiles() const {
  const State& s = *state_;
  return as_input_error([&] {
    return read_all<TileRecord>(s.path, kTiles, s.tiles.get(), s.types.tile.get(), H5P_DEFAULT);
  });
}

std::vector<uint32_t> PairFileReader::done_marks() const {
  const State& s = *state_;
  return as_input_error([&] {
    return read_all<uint32_t>(s.path, kDone, s.done.get(), H5T_NATIVE_UINT32, H5P_DEFAULT);
  });
}

std::vector<RankStats> PairFileReader::rank_stats() const {
  const State& s = *state_;
  return as_input_error([&] {
    return read_all<RankStats>(s.path, kStats, s.stats.get(), s.types.stats.get(), H5P_DEFAULT);
  });
}

std::vector<PieceRecord> PairFileReader::pieces() const {
  const State& s = *state_;
  return as_input_error([&] {
    return read_all<PieceRecord>(s.path, kPieces, s.pieces.get(), s.types.piece.get(), H5P_DEFAULT);
  });
}

void PairFileReader::read_pairs(uint64_t first, uint64_t n, std::vector<PairRecord>& out,
                                std::string& payload, uint64_t* payload_base) const {
  const State& s = *state_;
  if (first > s.rows_n || n > s.rows_n - first)
    throw std::out_of_range("read_pairs: rows [" + std::to_string(first) + ", " +
                            std::to_string(first + n) + ") are past the " +
                            std::to_string(s.rows_n) + " pairs of '" + s.path + "'");
  out.resize(n);
  payload.clear();
  if (payload_base != nullptr) *payload_base = 0;
  if (n == 0) return;
  as_input_error([&] {
    read_range(s.target(kRows, s.rows, s.types.pair.get(), sizeof(PairRecord)), first, n,
               out.data());
  });
  const uint64_t lo = out.front().payload_offset;
  const uint64_t hi = out.back().payload_offset + out.back().payload_len;
  for (const PairRecord& r : out)
    if (r.payload_offset < lo || r.payload_offset + r.payload_len > hi || hi > s.payload_n)
      throw InputError("pair file '" + s.path + "' is corrupt: a pair of rows [" +
                       std::to_string(first) + ", " + std::to_string(first + n) +
                       ") points outside the payload (" + std::to_string(s.payload_n) + " bytes)");
  payload.resize(hi - lo);
  as_input_error([&] {
    read_range(s.target(kPayload, s.payload, H5T_NATIVE_UINT8, 1), lo, hi - lo, payload.data());
  });
  if (payload_base != nullptr) *payload_base = lo;
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
    h5::Dataset bytes_ds = open_dataset(f, s.path, bytes_name.c_str());
    h5::Dataset offsets_ds = open_dataset(f, s.path, offsets_name.c_str());
    h5::Dataset counts_ds = open_dataset(f, s.path, counts_name.c_str());
    const auto offsets = read_all<uint64_t>(s.path, offsets_name.c_str(), offsets_ds.get(),
                                            H5T_NATIVE_UINT64, H5P_DEFAULT);
    const auto counts = read_all<uint64_t>(s.path, counts_name.c_str(), counts_ds.get(),
                                           H5T_NATIVE_UINT64, H5P_DEFAULT);
    std::string bytes(extent(bytes_ds.get(), s.path, bytes_name), '\0');
    read_range({s.path, bytes_name.c_str(), bytes_ds.get(), H5T_NATIVE_UINT8, 1, H5P_DEFAULT}, 0,
               bytes.size(), bytes.data());
    const bool shape_ok = offsets.size() == counts.size() + 1 && offsets.front() == 0 &&
                          offsets.back() == bytes.size() &&
                          std::is_sorted(offsets.begin(), offsets.end());
    if (!shape_ok)
      throw InputError("pair file '" + s.path + "' is corrupt: " + group +
                       " offsets do not match its bytes and counts");
    out.reserve(counts.size());
    for (size_t i = 0; i < counts.size(); ++i)
      out.emplace_back(bytes.substr(offsets[i], offsets[i + 1] - offsets[i]), counts[i]);
    return out;
  });
}

}  // namespace nm::io
