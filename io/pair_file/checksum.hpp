// The pair file's checksums (docs/PAIR_FILE.md, "Integrity"). Every checksum
// is nm::stable_hash (64-bit multiply-xorshift over 8-byte words: a change
// inside one word always changes it) over a canonical little-endian
// serialisation of the fields (nm::ByteWriter), never over struct padding,
// with a seed per kind of record so that one record cannot pass for another.
// Changing any of them changes the file format.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "io/pair_file.hpp"
#include "io/pair_file/schema.hpp"
#include "src/byte_codec.hpp"
#include "src/text/stable_hash.hpp"

namespace nm::io::pair_file {

enum Seed : uint64_t {
  kSeedMeta = 0x6e6d2d6d657461ull,  // "nm-meta"
  kSeedState,
  kSeedBlock,
  kSeedPiece,
  kSeedMark,
  kSeedStats,
  kSeedKeys,
};

// The root attributes that never change after create, and the plan.
uint64_t meta_sum(const PairFileMeta& m, const std::vector<TileRow>& tiles);

// The root attributes that change during a run.
uint64_t state_sum(const RootState& s);

// Rows [first_row, first_row + rows.size()) of the file and their payload
// bytes. `scratch` is a buffer the caller reuses across blocks.
uint64_t block_sum(ByteWriter& scratch, uint64_t first_row, std::span<const PairRecord> rows,
                   std::string_view payload);

uint64_t piece_sum(const StoredPiece& p);

// The 32-bit check of tile `tile`'s done mark `gen`.
uint32_t mark_check(uint64_t tile, uint32_t gen);

uint64_t stats_sum(const RankStats& r);

// The key table: offsets, counts, then key i's bytes for i in order (`key(i)`),
// so that neither the writer nor the reader needs the keys in one buffer.
template <class Key>
uint64_t keys_sum(const std::vector<uint64_t>& offsets, const std::vector<uint64_t>& counts,
                  Key&& key) {
  ByteWriter c;
  c.u64(offsets.size());
  for (uint64_t v : offsets) c.u64(v);
  c.u64(counts.size());
  for (uint64_t v : counts) c.u64(v);
  uint64_t h = stable_hash(c.view(), kSeedKeys);
  for (size_t i = 0; i < counts.size(); ++i) h = stable_hash(key(i), h);
  return h;
}

}  // namespace nm::io::pair_file
