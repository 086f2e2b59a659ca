// PairFileReader (io/pair_file.hpp): opens a pair file in one process
// (sec2 driver, no MPI), verifies its attributes, plan and piece table at
// open, and every checksum block of the rows it reads.
#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <stdexcept>
#include <tuple>

#include "io/h5/attribute.hpp"
#include "io/h5/dataset.hpp"
#include "io/h5/handle.hpp"
#include "io/pair_file.hpp"
#include "io/pair_file/checksum.hpp"
#include "io/pair_file/root_attributes.hpp"
#include "io/pair_file/schema.hpp"
#include "io/pair_file/tables.hpp"
#include "src/byte_codec.hpp"
#include "src/errors.hpp"

namespace nm::io {

using namespace pair_file;
using h5::check;
using h5::extent;
using h5::has_attr;
using h5::make;
using h5::open_dataset;
using h5::read_attr;
using h5::read_range;
using h5::read_string_attr;
using h5::read_u64_attr;
using h5::Target;

struct PairFileReader::State {
  std::string path;
  PairFileMeta meta;
  RootState root;
  Types types;
  h5::File file;
  h5::Dataset rows, payload, pieces_ds, sums, tiles_ds, done, stats;
  std::vector<TileRow> tiles;       // checked against meta_checksum at open
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
  ByteWriter canon;
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
    if (!has_attr(f, path, "format") ||
        read_string_attr(f, path, "format", kMaxText, reject_corrupt) != kFormat ||
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
    s.tiles = read_all<TileRow>(path, kTiles, s.tiles_ds.get(), s.types.tile.get(), H5P_DEFAULT);
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
std::vector<TileRow> PairFileReader::tiles() const { return state_->tiles; }

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
