// The tile packer: turns the score stage's jobs (blocks cut into chunks)
// into batches the fused kernel reads, written straight into a (pinned) host
// buffer that one copy moves to the device.
//
// A batch is a run of columns (one right record x the left records of its
// chunk, see kernels/fused_tile.hpp) taken in job / chunk / right-entry
// order. Its bytes: left records of every chunk it touches, one right
// record per column, the code points of all of them, the columns and the
// groups, each section 16-byte aligned.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/fused_tile.hpp"
#include "src/match/engine.hpp"

namespace nm::gpu {

// Position in the stream of columns: job, chunk of the job, right entry.
struct ColumnCursor {
  uint32_t job = 0, tile = 0, jr = 0;
  bool operator==(const ColumnCursor&) const = default;
};

struct BatchSpan {
  ColumnCursor begin, end;
  uint32_t columns = 0;
  uint32_t segments = 0;  // chunks touched (their left slices are packed)
  uint64_t pairs = 0;     // candidate pairs (before dedupe / date checks)
  size_t bytes = 0;       // packed size
};

struct BatchLayout {
  size_t left_off = 0, right_off = 0, cps_off = 0, cols_off = 0, groups_off = 0, total = 0;
  uint32_t n_left = 0, n_right = 0, n_cps = 0, n_cols = 0, n_groups = 0;
  uint32_t max_len = 0;  // longest string of the batch (scratch sizing)
};

// Where the packed entries came from, to turn survivors back into pairs.
struct BatchMap {
  std::vector<uint32_t> left_rows;       // packed left record -> table row
  std::vector<uint32_t> col_right_rows;  // column -> right table row
  std::vector<uint32_t> col_tags;        // column -> its job's tag
};

// The whole right table packed once, to stay on the device for every batch
// (see GpuOptions::resident_right_bytes): records then code points.
struct ResidentLayout {
  size_t records_off = 0, cps_off = 0, total = 0;
  uint32_t n_records = 0;
  uint32_t max_len = 0;
};
ResidentLayout resident_layout(const PreparedTables& prep);
void pack_resident(const PreparedTables& prep, const PairOrder& order, const ResidentLayout& lay,
                   void* dst);

class TilePacker {
 public:
  // Fuzzy jobs only (algorithms 3–6). The objects must outlive the packer.
  // With `resident_right` the batches hold no right records: columns name
  // rows of the resident table (pack_resident) instead.
  TilePacker(const PreparedTables& prep, const std::vector<ScoreJob>& jobs, const PairOrder& order,
             bool resident_right = false);

  ColumnCursor start() const;
  bool at_end(const ColumnCursor& c) const { return c.job >= jobs_.size(); }
  uint64_t total_pairs() const { return total_pairs_; }
  // Takes columns from `from` while the batch stays within max_pairs, max_bytes
  // and max_cols; always at least one column when not at the end.
  BatchSpan next_span(ColumnCursor from, uint64_t max_pairs, size_t max_bytes,
                      uint32_t max_cols = 0xFFFFFFFFu) const;
  // The first `columns` columns of `span` as a span of their own (to halve a batch).
  BatchSpan prefix(const BatchSpan& span, uint32_t columns) const;
  BatchLayout layout(const BatchSpan& span) const;
  // Writes the batch to dst (layout.total bytes, 16-byte aligned).
  BatchMap pack(const BatchSpan& span, const BatchLayout& lay, void* dst) const;

 private:
  void advance(ColumnCursor& c) const;
  // Calls on_segment(job, tile) when the span enters a chunk (its left
  // slice is packed once), then on_column(k, job, tile, right_row) for each
  // column k of the span.
  template <class OnSegment, class OnColumn>
  void walk(const BatchSpan& span, OnSegment&& on_segment, OnColumn&& on_column) const;
  const PreparedTables& prep_;
  const std::vector<ScoreJob>& jobs_;
  PairOrder order_;
  bool resident_;
  uint64_t total_pairs_ = 0;
};

// The kernel's view of a packed batch at `base` (host or device address);
// the output fields are left for the caller. `resident` is the address of
// the resident right table (with its layout) when the batch was packed for one.
kernels::TileView view_of(const BatchLayout& lay, const void* base, bool with_middle, bool dedupe,
                          float keep, const ResidentLayout* rlay = nullptr,
                          const void* resident = nullptr);

}  // namespace nm::gpu
