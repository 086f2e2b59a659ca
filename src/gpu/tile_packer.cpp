#include "src/gpu/tile_packer.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace nm::gpu {
namespace {

constexpr size_t align16(size_t n) { return (n + 15) & ~size_t{15}; }

// Pairs per column are bounded so a group's pair count fits in 32 bits.
// (A thread's i then never wraps when it adds the block size.)
constexpr uint64_t kMaxColumnPairs = (0xFFFFFFFFull - kernels::kBlockThreads) / kernels::kGroupCols;

}  // namespace

namespace {

void fill_record(kernels::DevRecord& d, const FuzzyTable& ft, const RawTable& tab, uint32_t row,
                 const uint64_t* order, uint32_t cp_offset) {
  const FuzzyRecord& r = ft.records[row];
  d.cp_offset = cp_offset;
  d.full_len = r.full_len;
  d.full_bytes = r.full_bytes;
  d.phon_code = r.phon_code;
  for (int k = 0; k < 3; ++k) d.part_len[k] = r.part_len[k];
  d.birthdate = tab.birthdate[row];
  d.char_mask = r.char_mask;
  d.order = order != nullptr ? order[row] : row;
}

// Code points of a record: its full name, then first, middle and last.
size_t cps_of(const FuzzyRecord& r) {
  return static_cast<size_t>(r.full_len) + r.part_len[0] + r.part_len[1] + r.part_len[2];
}

// Its longest string (scratch sizing).
uint32_t longest(const FuzzyRecord& r) {
  return std::max({r.full_len, r.part_len[0], r.part_len[1], r.part_len[2]});
}

}  // namespace

ResidentLayout resident_layout(const PreparedTables& prep) {
  const FuzzyTable& right_fuzzy = prep.right_fuzzy();
  ResidentLayout L;
  if (right_fuzzy.records.size() > 0xFFFFFFFFull) {
    L.total = ~size_t{0};
    return L;
  }
  L.n_records = static_cast<uint32_t>(right_fuzzy.records.size());
  size_t cps = 0;
  for (const FuzzyRecord& r : right_fuzzy.records) {
    cps += cps_of(r);
    L.max_len = std::max(L.max_len, longest(r));
  }
  L.records_off = 0;
  if (cps > 0xFFFFFFFFull) {
    // 32-bit code point offsets cannot address it: too big to keep resident.
    L.total = ~size_t{0};
    return L;
  }
  L.cps_off = align16(size_t{L.n_records} * sizeof(kernels::DevRecord));
  L.total = std::max<size_t>(L.cps_off + align16(cps * 4), 16);
  return L;
}

void pack_resident(const PreparedTables& prep, const PairOrder& order, const ResidentLayout& L,
                   void* dst) {
  auto* base = static_cast<unsigned char*>(dst);
  auto* recs = reinterpret_cast<kernels::DevRecord*>(base + L.records_off);
  auto* cps = reinterpret_cast<uint32_t*>(base + L.cps_off);
  const FuzzyTable& right_fuzzy = prep.right_fuzzy();
  uint32_t pos = 0;
  for (uint32_t row = 0; row < L.n_records; ++row) {
    const FuzzyRecord& r = right_fuzzy.records[row];
    const size_t n = cps_of(r);
    std::memcpy(cps + pos, right_fuzzy.code_points.data() + r.offset, n * 4);
    fill_record(recs[row], right_fuzzy, prep.right, row, order.right_order, pos);
    pos += static_cast<uint32_t>(n);
  }
}

TilePacker::TilePacker(const PreparedTables& prep, const std::vector<ScoreJob>& jobs,
                       const PairOrder& order, bool resident_right)
    : prep_(prep), jobs_(jobs), order_(order), resident_(resident_right) {
  if (!prep.fuzzy) throw std::logic_error("TilePacker: the GPU backend scores fuzzy algorithms only");
  for (const ScoreJob& j : jobs) {
    for (const Chunk& t : j.chunk_plan.chunks) {
      if (t.l_end - t.l_begin > kMaxColumnPairs)
        throw std::logic_error("TilePacker: a sub-tile is wider than a column can be");
      total_pairs_ += t.pairs();
    }
  }
}

ColumnCursor TilePacker::start() const {
  ColumnCursor c{0, 0, 0};
  while (c.job < jobs_.size() && jobs_[c.job].chunk_plan.chunks.empty()) ++c.job;
  if (c.job < jobs_.size()) c.jr = jobs_[c.job].chunk_plan.chunks[0].r_begin;
  // Chunks are never empty (plan_chunks only emits blocks present on both sides).
  return c;
}

void TilePacker::advance(ColumnCursor& c) const {
  const auto& chunks = jobs_[c.job].chunk_plan.chunks;
  if (++c.jr < chunks[c.tile].r_end) return;
  if (++c.tile < chunks.size()) {
    c.jr = chunks[c.tile].r_begin;
    return;
  }
  c.tile = 0;
  ++c.job;
  while (c.job < jobs_.size() && jobs_[c.job].chunk_plan.chunks.empty()) ++c.job;
  c.jr = c.job < jobs_.size() ? jobs_[c.job].chunk_plan.chunks[0].r_begin : 0;
}

BatchSpan TilePacker::next_span(ColumnCursor from, uint64_t max_pairs, size_t max_bytes,
                                uint32_t max_cols) const {
  BatchSpan s;
  s.begin = from;
  s.end = from;
  const FuzzyTable& left_fuzzy = prep_.left_fuzzy;
  const FuzzyTable& right_fuzzy = prep_.right_fuzzy();
  size_t rec_bytes = 0, cp_words = 0;
  bool have_tile = false;
  ColumnCursor cur_tile{};
  while (!at_end(s.end) && s.columns < max_cols) {
    const ScoreJob& job = jobs_[s.end.job];
    const Chunk& t = job.chunk_plan.chunks[s.end.tile];
    const bool new_segment = !have_tile || s.end.job != cur_tile.job || s.end.tile != cur_tile.tile;
    size_t add_rec = 0, add_cp = 0;
    if (!resident_) {
      add_rec = sizeof(kernels::DevRecord);
      add_cp = cps_of(right_fuzzy.records[job.right_rows.rows[s.end.jr]]);
    }
    if (new_segment) {
      for (uint32_t i = t.l_begin; i < t.l_end; ++i) {
        add_rec += sizeof(kernels::DevRecord);
        add_cp += cps_of(left_fuzzy.records[job.left_rows.rows[i]]);
      }
    }
    const uint32_t cols = s.columns + 1;
    const size_t bytes = align16(rec_bytes + add_rec) + align16((cp_words + add_cp) * 4) +
                         align16(cols * sizeof(kernels::DevColumn)) +
                         align16(((cols + kernels::kGroupCols - 1) / kernels::kGroupCols) *
                                 sizeof(kernels::DevGroup)) +
                         16;
    const uint64_t pairs = s.pairs + (t.l_end - t.l_begin);
    if (s.columns > 0 && (pairs > max_pairs || bytes > max_bytes)) break;
    s.pairs = pairs;
    s.bytes = bytes;
    rec_bytes += add_rec;
    cp_words += add_cp;
    s.columns = cols;
    if (new_segment) {
      ++s.segments;
      have_tile = true;
      cur_tile = s.end;
    }
    advance(s.end);
  }
  return s;
}

BatchSpan TilePacker::prefix(const BatchSpan& span, uint32_t columns) const {
  return next_span(span.begin, ~uint64_t{0}, ~size_t{0}, columns);
}

template <class OnSegment, class OnColumn>
void TilePacker::walk(const BatchSpan& span, OnSegment&& on_segment, OnColumn&& on_column) const {
  ColumnCursor c = span.begin;
  bool have_tile = false;
  ColumnCursor cur{};
  for (uint32_t k = 0; k < span.columns; ++k) {
    const ScoreJob& job = jobs_[c.job];
    const Chunk& t = job.chunk_plan.chunks[c.tile];
    if (!have_tile || c.job != cur.job || c.tile != cur.tile) {
      have_tile = true;
      cur = c;
      on_segment(job, t);
    }
    on_column(k, job, t, job.right_rows.rows[c.jr]);
    advance(c);
  }
}

BatchLayout TilePacker::layout(const BatchSpan& span) const {
  BatchLayout L;
  const FuzzyTable& left_fuzzy = prep_.left_fuzzy;
  const FuzzyTable& right_fuzzy = prep_.right_fuzzy();
  size_t cps = 0;
  auto count = [&](const FuzzyRecord& r) {
    cps += cps_of(r);
    L.max_len = std::max(L.max_len, longest(r));
  };
  walk(
      span,
      [&](const ScoreJob& job, const Chunk& t) {
        for (uint32_t i = t.l_begin; i < t.l_end; ++i)
          count(left_fuzzy.records[job.left_rows.rows[i]]);
        L.n_left += t.l_end - t.l_begin;
      },
      [&](uint32_t, const ScoreJob&, const Chunk&, uint32_t rrow) {
        const FuzzyRecord& r = right_fuzzy.records[rrow];
        if (resident_) {
          // Not packed, but its strings size this batch's scratch.
          L.max_len = std::max(L.max_len, longest(r));
          return;
        }
        count(r);
        ++L.n_right;
      });
  if (cps > 0xFFFFFFFFull) throw std::length_error("TilePacker: batch has more than 2^32 code points");
  L.n_cps = static_cast<uint32_t>(cps);
  L.n_cols = span.columns;
  L.n_groups = (span.columns + kernels::kGroupCols - 1) / kernels::kGroupCols;
  size_t off = 0;
  L.left_off = off;
  off += align16(size_t{L.n_left} * sizeof(kernels::DevRecord));
  L.right_off = off;
  off += align16(size_t{L.n_right} * sizeof(kernels::DevRecord));
  L.cps_off = off;
  off += align16(cps * 4);
  L.cols_off = off;
  off += align16(size_t{L.n_cols} * sizeof(kernels::DevColumn));
  L.groups_off = off;
  off += align16(size_t{L.n_groups} * sizeof(kernels::DevGroup));
  L.total = std::max<size_t>(off, 16);
  return L;
}

BatchMap TilePacker::pack(const BatchSpan& span, const BatchLayout& L, void* dst) const {
  auto* base = static_cast<unsigned char*>(dst);
  auto* left = reinterpret_cast<kernels::DevRecord*>(base + L.left_off);
  auto* right = reinterpret_cast<kernels::DevRecord*>(base + L.right_off);
  auto* cps = reinterpret_cast<uint32_t*>(base + L.cps_off);
  auto* cols = reinterpret_cast<kernels::DevColumn*>(base + L.cols_off);
  auto* groups = reinterpret_cast<kernels::DevGroup*>(base + L.groups_off);
  const FuzzyTable& left_fuzzy = prep_.left_fuzzy;
  const FuzzyTable& right_fuzzy = prep_.right_fuzzy();
  BatchMap map;
  map.left_rows.reserve(L.n_left);
  map.col_right_rows.reserve(L.n_cols);
  map.col_tags.reserve(L.n_cols);
  uint32_t cp_pos = 0;
  auto put = [&](kernels::DevRecord& d, const FuzzyTable& ft, const RawTable& tab, uint32_t row,
                 const uint64_t* order) {
    const FuzzyRecord& r = ft.records[row];
    const size_t n = cps_of(r);
    std::memcpy(cps + cp_pos, ft.code_points.data() + r.offset, n * 4);
    fill_record(d, ft, tab, row, order, cp_pos);
    cp_pos += static_cast<uint32_t>(n);
  };
  uint32_t seg_begin = 0;
  uint32_t nl = 0;
  walk(
      span,
      [&](const ScoreJob& job, const Chunk& t) {
        seg_begin = nl;
        for (uint32_t i = t.l_begin; i < t.l_end; ++i) {
          const uint32_t row = job.left_rows.rows[i];
          put(left[nl++], left_fuzzy, prep_.left, row, order_.left_order);
          map.left_rows.push_back(row);
        }
      },
      [&](uint32_t k, const ScoreJob& job, const Chunk& t, uint32_t rrow) {
        if (!resident_) put(right[k], right_fuzzy, prep_.right, rrow, order_.right_order);
        map.col_right_rows.push_back(rrow);
        map.col_tags.push_back(job.tag);
        const uint32_t g = k / kernels::kGroupCols;
        if (k % kernels::kGroupCols == 0) groups[g] = kernels::DevGroup{k, k, 0, 0};
        cols[k] = kernels::DevColumn{resident_ ? rrow : k, seg_begin, t.l_end - t.l_begin,
                                     groups[g].pairs};
        groups[g].col_end = k + 1;
        groups[g].pairs += t.l_end - t.l_begin;
      });
  return map;
}

kernels::TileView view_of(const BatchLayout& L, const void* base, bool with_middle, bool dedupe,
                          float keep, const ResidentLayout* rlay, const void* resident) {
  const auto* b = static_cast<const unsigned char*>(base);
  kernels::TileView v{};
  v.left = reinterpret_cast<const kernels::DevRecord*>(b + L.left_off);
  v.right = reinterpret_cast<const kernels::DevRecord*>(b + L.right_off);
  v.cps = reinterpret_cast<const uint32_t*>(b + L.cps_off);
  v.right_cps = v.cps;
  if (rlay != nullptr && resident != nullptr) {
    const auto* r = static_cast<const unsigned char*>(resident);
    v.right = reinterpret_cast<const kernels::DevRecord*>(r + rlay->records_off);
    v.right_cps = reinterpret_cast<const uint32_t*>(r + rlay->cps_off);
  }
  v.cols = reinterpret_cast<const kernels::DevColumn*>(b + L.cols_off);
  v.groups = reinterpret_cast<const kernels::DevGroup*>(b + L.groups_off);
  v.n_groups = L.n_groups;
  v.with_middle = with_middle ? 1u : 0u;
  v.dedupe = dedupe ? 1u : 0u;
  v.keep = keep;
  return v;
}

}  // namespace nm::gpu
