#include "io/pair_file/checksum.hpp"

namespace nm::io::pair_file {
namespace {

// A string as its length (u64) and its bytes.
ByteWriter& put_text(ByteWriter& c, std::string_view v) { return c.u64(v.size()).bytes(v); }

void put_pair(ByteWriter& c, const PairRecord& r) {
  c.u64(r.left).u64(r.right).u64(r.payload_offset).u32(r.payload_len).u32(r.tile).u32(r.gen);
  c.f32(r.confidence).f32(r.lev).f32(r.jw).f32(r.mp).u8(r.label);
}

uint64_t sum(const ByteWriter& c, uint64_t seed) { return stable_hash(c.view(), seed); }

}  // namespace

uint64_t meta_sum(const PairFileMeta& m, const std::vector<TileRow>& tiles) {
  ByteWriter c;
  put_text(c, kFormat).u32(kFormatVersion).u64(kSumRows);
  put_text(c, m.program_version);
  c.u32(static_cast<uint32_t>(m.algorithm)).f32(m.threshold).f32(m.household_threshold);
  c.f32(m.min_confidence).u8(m.dedupe).u8(m.fuzzy_normalization).u8(m.exhaustive).u32(m.ranks);
  put_text(c, m.left_path);
  put_text(c, m.right_path);
  for (uint64_t v : {m.left_bytes, m.right_bytes, m.left_checksum, m.right_checksum, m.left_rows,
                     m.right_rows, m.plan_hash})
    c.u64(v);
  c.u64(tiles.size());
  for (const TileRow& t : tiles)
    c.u64(t.block_key)
        .u64(t.l_begin)
        .u64(t.l_end)
        .u64(t.r_begin)
        .u64(t.r_end)
        .u64(t.cost)
        .u32(t.rank);
  return sum(c, kSeedMeta);
}

uint64_t state_sum(const RootState& s) {
  ByteWriter c;
  c.u8(s.complete).u32(s.attempts).u64(s.pairs).u64(s.payload).u64(s.pieces).u64(s.sums);
  return sum(c, kSeedState);
}

uint64_t block_sum(ByteWriter& scratch, uint64_t first_row, std::span<const PairRecord> rows,
                   std::string_view payload) {
  ByteWriter& c = scratch;
  c.clear();
  c.u64(first_row).u64(rows.size());
  for (const PairRecord& r : rows) put_pair(c, r);
  return stable_hash(payload, sum(c, kSeedBlock));
}

uint64_t piece_sum(const StoredPiece& p) {
  ByteWriter c;
  c.u64(p.first).u64(p.count).u64(p.payload_first).u64(p.payload_bytes).u64(p.sums_first);
  c.u32(p.rank).u32(p.gen);
  return sum(c, kSeedPiece);
}

uint32_t mark_check(uint64_t tile, uint32_t gen) {
  ByteWriter c;
  c.u64(tile).u32(gen);
  const uint64_t h = sum(c, kSeedMark);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

uint64_t stats_sum(const RankStats& r) {
  ByteWriter c;
  c.u32(r.rank);
  for (uint64_t v : {r.left_loaded, r.right_loaded, r.left_received, r.right_received, r.tiles,
                     r.pairs_scored, r.pairs_kept, r.bytes_shuffled, r.peak_rss_bytes})
    c.u64(v);
  for (double v : {r.load_s, r.normalize_s, r.partition_s, r.shuffle_s, r.score_s, r.write_s})
    c.f64(v);
  return sum(c, kSeedStats);
}

}  // namespace nm::io::pair_file
