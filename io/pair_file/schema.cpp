#include "io/pair_file/schema.hpp"

#include <cstddef>
#include <utility>

#include "io/h5/datatype.hpp"
#include "src/errors.hpp"

namespace nm::io::pair_file {

using h5::compound_type;
using h5::insert_member;

std::string corrupt(const std::string& path, const std::string& what) {
  return "pair file '" + path + "' is corrupt: " + what +
         "; the file cannot be used: rerun without --resume";
}

void reject_corrupt(const std::string& path, const std::string& what) {
  throw InputError(corrupt(path, what));
}

h5::Type pair_type() {
  constexpr const char* n = "PairRecord";
  h5::Type t = compound_type(sizeof(PairRecord), n);
  insert_member(t.get(), n, "left", offsetof(PairRecord, left), H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "right", offsetof(PairRecord, right), H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "payload_offset", offsetof(PairRecord, payload_offset),
                H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "payload_len", offsetof(PairRecord, payload_len), H5T_NATIVE_UINT32);
  insert_member(t.get(), n, "tile", offsetof(PairRecord, tile), H5T_NATIVE_UINT32);
  insert_member(t.get(), n, "gen", offsetof(PairRecord, gen), H5T_NATIVE_UINT32);
  insert_member(t.get(), n, "confidence", offsetof(PairRecord, confidence), H5T_NATIVE_FLOAT);
  insert_member(t.get(), n, "lev", offsetof(PairRecord, lev), H5T_NATIVE_FLOAT);
  insert_member(t.get(), n, "jw", offsetof(PairRecord, jw), H5T_NATIVE_FLOAT);
  insert_member(t.get(), n, "mp", offsetof(PairRecord, mp), H5T_NATIVE_FLOAT);
  insert_member(t.get(), n, "label", offsetof(PairRecord, label), H5T_NATIVE_UINT8);
  return t;
}

h5::Type tile_type() {
  constexpr const char* n = "TileRecord";
  h5::Type t = compound_type(sizeof(TileRow), n);
  insert_member(t.get(), n, "block_key", offsetof(TileRow, block_key), H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "l_begin", offsetof(TileRow, l_begin), H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "l_end", offsetof(TileRow, l_end), H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "r_begin", offsetof(TileRow, r_begin), H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "r_end", offsetof(TileRow, r_end), H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "cost", offsetof(TileRow, cost), H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "rank", offsetof(TileRow, rank), H5T_NATIVE_UINT32);
  return t;
}

h5::Type stats_type() {
  constexpr const char* n = "RankStats";
  constexpr size_t base = offsetof(StoredStats, stats);
  h5::Type t = compound_type(sizeof(StoredStats), n);
  insert_member(t.get(), n, "rank", base + offsetof(RankStats, rank), H5T_NATIVE_UINT32);
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
  for (const auto& [name, off] : counters)
    insert_member(t.get(), n, name, base + off, H5T_NATIVE_UINT64);
  const std::pair<const char*, size_t> seconds[] = {
      {"load_s", offsetof(RankStats, load_s)},
      {"normalize_s", offsetof(RankStats, normalize_s)},
      {"partition_s", offsetof(RankStats, partition_s)},
      {"shuffle_s", offsetof(RankStats, shuffle_s)},
      {"score_s", offsetof(RankStats, score_s)},
      {"write_s", offsetof(RankStats, write_s)}};
  for (const auto& [name, off] : seconds)
    insert_member(t.get(), n, name, base + off, H5T_NATIVE_DOUBLE);
  insert_member(t.get(), n, "check", offsetof(StoredStats, check), H5T_NATIVE_UINT64);
  return t;
}

h5::Type piece_type() {
  constexpr const char* n = "PieceRecord";
  h5::Type t = compound_type(sizeof(StoredPiece), n);
  insert_member(t.get(), n, "first", offsetof(StoredPiece, first), H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "count", offsetof(StoredPiece, count), H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "payload_first", offsetof(StoredPiece, payload_first),
                H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "payload_bytes", offsetof(StoredPiece, payload_bytes),
                H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "sums_first", offsetof(StoredPiece, sums_first), H5T_NATIVE_UINT64);
  insert_member(t.get(), n, "rank", offsetof(StoredPiece, rank), H5T_NATIVE_UINT32);
  insert_member(t.get(), n, "gen", offsetof(StoredPiece, gen), H5T_NATIVE_UINT32);
  insert_member(t.get(), n, "check", offsetof(StoredPiece, check), H5T_NATIVE_UINT64);
  return t;
}

h5::Type mark_type() {
  constexpr const char* n = "DoneMark";
  h5::Type t = compound_type(sizeof(StoredMark), n);
  insert_member(t.get(), n, "gen", offsetof(StoredMark, gen), H5T_NATIVE_UINT32);
  insert_member(t.get(), n, "check", offsetof(StoredMark, check), H5T_NATIVE_UINT32);
  return t;
}

}  // namespace nm::io::pair_file
