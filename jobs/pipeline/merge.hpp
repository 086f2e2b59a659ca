// Sorted runs of pairs and their k-way merge: what the reduce stage, the
// spill and the ranks' streams are made of.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "io/pair_file.hpp"

namespace nm::jobs {

// A run of pairs sorted by (left, right), handed out in batches.
class PairRun {
 public:
  virtual ~PairRun() = default;
  // Replaces `out` and `payload` with the next batch; out[i].payload_offset is
  // relative to `payload`. Returns false (and an empty batch) at the end.
  virtual bool next_batch(std::vector<io::PairRecord>& out, std::string& payload) = 0;
};

// The k-way merge of sorted runs, one pair at a time, checking that the
// pairs come in strictly increasing (left, right) order.
class Merger {
 public:
  explicit Merger(std::vector<std::unique_ptr<PairRun>> runs) {
    cursors_.reserve(runs.size());
    for (auto& r : runs) {
      Cursor c;
      c.run = std::move(r);
      if (c.run->next_batch(c.batch, c.payload)) cursors_.push_back(std::move(c));
    }
    for (uint32_t i = 0; i < cursors_.size(); ++i) push(i);
  }
  // The next pair and its payload (valid until the next call); false at the end.
  bool next(const io::PairRecord*& pair, std::string_view& payload) {
    if (last_ != kNone) {
      if (cursors_[last_].advance()) push(last_);
      last_ = kNone;
    }
    if (heap_.empty()) return false;
    std::pop_heap(heap_.begin(), heap_.end(), Greater{this});
    last_ = heap_.back();
    heap_.pop_back();
    const Cursor& c = cursors_[last_];
    const io::PairRecord& p = c.batch[c.at];
    if (count_ > 0 && (p.left < last_left_ || (p.left == last_left_ && p.right <= last_right_)))
      throw std::runtime_error("reduce: pairs out of order or repeated at (" +
                               std::to_string(p.left) + ", " + std::to_string(p.right) + ")");
    last_left_ = p.left;
    last_right_ = p.right;
    ++count_;
    pair = &p;
    payload = std::string_view(c.payload).substr(p.payload_offset, p.payload_len);
    return true;
  }

 private:
  struct Cursor {
    std::unique_ptr<PairRun> run;
    std::vector<io::PairRecord> batch;
    std::string payload;
    size_t at = 0;
    bool advance() {  // true while a current pair exists
      if (++at < batch.size()) return true;
      at = 0;
      return run->next_batch(batch, payload);
    }
  };
  struct Greater {
    const Merger* m;
    bool operator()(uint32_t a, uint32_t b) const {
      const io::PairRecord& x = m->cursors_[a].batch[m->cursors_[a].at];
      const io::PairRecord& y = m->cursors_[b].batch[m->cursors_[b].at];
      return x.left != y.left ? x.left > y.left : x.right > y.right;
    }
  };
  void push(uint32_t i) {
    heap_.push_back(i);
    std::push_heap(heap_.begin(), heap_.end(), Greater{this});
  }
  static constexpr uint32_t kNone = UINT32_MAX;
  std::vector<Cursor> cursors_;
  std::vector<uint32_t> heap_;
  uint32_t last_ = kNone;
  uint64_t count_ = 0, last_left_ = 0, last_right_ = 0;
};

}  // namespace nm::jobs
