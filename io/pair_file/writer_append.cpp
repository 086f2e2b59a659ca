// PairFileWriter::append_piece (pairs, their payload and checksums, then the
// done marks that commit them) and write_key_counts (the /keys tables).
#include <algorithm>
#include <iterator>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/h5/attribute.hpp"
#include "io/pair_file/root_attributes.hpp"
#include "io/pair_file/tables.hpp"
#include "io/pair_file/writer_state.hpp"
#include "src/byte_codec.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::io {

using namespace pair_file;
using h5::agreed;
using h5::any_rank;
using h5::create_dataset;
using h5::set_extent;
using h5::table_chunk;
using h5::Target;
using h5::write_collective;
using h5::write_u64_attr;

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

// Every rank throws when any rank found a problem; the rank at fault says which.
void agree_or_throw(MPI_Comm comm, const std::string& problem, const char* call) {
  if (!any_rank(comm, !problem.empty())) return;
  throw std::invalid_argument(
      std::string(call) + ": " +
      (problem.empty() ? "another rank passed invalid arguments" : problem));
}

// The rows of a piece as stored: `pairs` with their payload offsets made
// absolute (the piece's payload starts at file byte `byte0`) and `gen` set.
std::vector<PairRecord> stored_rows(std::span<const PairRecord> pairs,
                                    std::span<const uint64_t> payload_offsets, uint64_t byte0,
                                    uint32_t gen) {
  const uint64_t n = pairs.size();
  const uint64_t first_byte = n > 0 ? payload_offsets.front() : 0;
  std::vector<PairRecord> rows(n, zeroed<PairRecord>());
  for (uint64_t i = 0; i < n; ++i) {
    const PairRecord& in = pairs[i];
    PairRecord& r = rows[i];
    r.left = in.left;
    r.right = in.right;
    r.payload_offset = byte0 + (payload_offsets[i] - first_byte);
    r.payload_len = static_cast<uint32_t>(payload_offsets[i + 1] - payload_offsets[i]);
    r.tile = in.tile;
    r.gen = gen;
    r.confidence = in.confidence;
    r.lev = in.lev;
    r.jw = in.jw;
    r.mp = in.mp;
    r.label = in.label;
  }
  return rows;
}

// The checksums of a piece's blocks of kSumRows rows; its first row is file row `row0`.
std::vector<uint64_t> block_sums(std::span<const PairRecord> rows, uint64_t row0,
                                 std::string_view payload,
                                 std::span<const uint64_t> payload_offsets) {
  const uint64_t n = rows.size();
  std::vector<uint64_t> sums(blocks_of(n));
  ByteWriter canon;
  for (uint64_t b = 0; b < sums.size(); ++b) {
    const uint64_t lo = b * kSumRows, hi = std::min(n, lo + kSumRows);
    sums[b] =
        block_sum(canon, row0 + lo, rows.subspan(lo, hi - lo),
                  payload.substr(payload_offsets[lo], payload_offsets[hi] - payload_offsets[lo]));
  }
  return sums;
}

// Collective: every rank's `mine`, concatenated in rank order on rank 0
// (`total` values in all); empty on the other ranks.
std::vector<uint32_t> gather_on_rank0(MPI_Comm comm, std::span<const uint32_t> mine,
                                      uint64_t total) {
  const int rank = mpi::rank(comm), size = mpi::size(comm);
  const int count = static_cast<int>(mine.size());
  std::vector<int> counts(rank == 0 ? static_cast<size_t>(size) : 0);
  mpi::check(MPI_Gather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm), "MPI_Gather");
  std::vector<int> displs(counts.size());
  std::vector<uint32_t> all;
  if (rank == 0) {
    for (size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
    all.resize(total);
  }
  mpi::check(MPI_Gatherv(mine.data(), count, MPI_UINT32_T, all.data(), counts.data(), displs.data(),
                         MPI_UINT32_T, 0, comm),
             "MPI_Gatherv");
  return all;
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
      const std::vector<PairRecord> rows = stored_rows(pairs, payload_offsets, byte0, s.gen);
      const std::vector<uint64_t> sums = block_sums(rows, row0, payload, payload_offsets);
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
      const std::vector<uint32_t> all = gather_on_rank0(s.comm, finished_tiles, total[3]);
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
      // This round: whole keys up to h5::max_io_bytes() (at least one).
      buffer.clear();
      if (is_root)
        while (next_key < keys.size() &&
               (buffer.empty() || buffer.size() + keys[next_key].size() <= h5::max_io_bytes()))
          buffer += keys[next_key++];
      if (mpi::allreduce_max(s.comm, uint64_t{buffer.size()}) == 0) break;
      write_collective(s.comm, bt, written, buffer.size(), buffer.data());
      written += buffer.size();
    }
    s.flush("write_key_counts");
  });
}

}  // namespace nm::io
