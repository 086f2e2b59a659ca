#include "jobs/pipeline/spill.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "src/errors.hpp"

namespace nm::jobs {
namespace {

// ---- temporary spill files ----

// A file of this process only: a unique name made by mkostemp (O_CREAT |
// O_EXCL, mode 0600: an existing name or a symlink planted there is never
// opened), unlinked at once, so it lives only as long as its descriptor —
// a crash leaves nothing behind. Written by appending, read at offsets.
class SpillFile {
 public:
  explicit SpillFile(const std::string& dir) : dir_(dir) {
    std::string name = (dir.empty() ? std::string(".") : dir) + "/name_matcher-spill-XXXXXX";
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ < 0)
      throw InputError("cannot create a spill file in " + dir_ + ": " + std::strerror(errno) +
                       " (NAME_MATCHER_SPILL_DIR sets the folder)");
    if (::unlink(name.c_str()) != 0) {
      const int err = errno;
      ::close(fd_);
      throw InputError("cannot unlink the spill file " + name + ": " + std::strerror(err));
    }
  }
  ~SpillFile() { ::close(fd_); }
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;

  void append(const char* p, size_t n) {
    while (n > 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0)
        throw InputError("cannot write a spill file in " + dir_ + ": " +
                         std::strerror(w < 0 ? errno : ENOSPC) +
                         " (NAME_MATCHER_SPILL_DIR sets the folder, NAME_MATCHER_SPILL_BUFFER "
                         "the memory used before spilling)");
      p += w;
      n -= static_cast<size_t>(w);
      size_ += static_cast<uint64_t>(w);
    }
  }
  void read_at(uint64_t at, char* p, size_t n) const {
    while (n > 0) {
      const ssize_t r = ::pread(fd_, p, n, static_cast<off_t>(at));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0)
        throw InputError("cannot read a spill file in " + dir_ + ": " +
                         (r < 0 ? std::strerror(errno) : "it is shorter than written"));
      p += r;
      n -= static_cast<size_t>(r);
      at += static_cast<uint64_t>(r);
    }
  }
  uint64_t size() const { return size_; }

 private:
  std::string dir_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// A run in a spill file is a sequence of entries: left u64, right u64,
// confidence f32, payload length u32, label u8, then the payload. Only what
// the outputs need is kept (not the metric values, tile or attempt).
constexpr size_t kEntryHead = 8 + 8 + 4 + 4 + 1;

struct Extent {
  uint64_t offset = 0, bytes = 0;
};

class RunWriter {
 public:
  RunWriter(SpillFile& file, uint64_t buffer) : file_(file), start_(file.size()), cap_(buffer) {
    buf_.reserve(cap_ + kEntryHead);
  }
  void add(const io::PairRecord& p, std::string_view payload) {
    char head[kEntryHead];
    const auto len = static_cast<uint32_t>(payload.size());
    std::memcpy(head, &p.left, 8);
    std::memcpy(head + 8, &p.right, 8);
    std::memcpy(head + 16, &p.confidence, 4);
    std::memcpy(head + 20, &len, 4);
    std::memcpy(head + 24, &p.label, 1);
    buf_.append(head, kEntryHead);
    buf_.append(payload);
    if (buf_.size() >= cap_) flush();
  }
  Extent finish() {
    flush();
    return Extent{start_, file_.size() - start_};
  }

 private:
  void flush() {
    file_.append(buf_.data(), buf_.size());
    buf_.clear();
  }
  SpillFile& file_;
  uint64_t start_;
  uint64_t cap_;
  std::string buf_;
};

class SpillRun final : public PairRun {
 public:
  SpillRun(std::shared_ptr<const SpillFile> file, Extent e, uint64_t read_bytes)
      : file_(std::move(file)), at_(e.offset), end_(e.offset + e.bytes), cap_(read_bytes) {}
  bool next_batch(std::vector<io::PairRecord>& out, std::string& payload) override {
    out.clear();
    payload.clear();
    if (at_ >= end_) {
      std::string().swap(buf_);
      return false;
    }
    // Whole entries from the next read_bytes of the run; an entry longer than
    // that is read on its own.
    size_t n = static_cast<size_t>(std::min<uint64_t>(cap_, end_ - at_));
    buf_.resize(n);
    file_->read_at(at_, buf_.data(), n);
    size_t pos = 0;
    for (;;) {
      if (n - pos < kEntryHead) break;
      uint32_t len = 0;
      std::memcpy(&len, buf_.data() + pos + 20, 4);
      if (n - pos - kEntryHead < len) {
        if (pos > 0) break;
        if (end_ - at_ < kEntryHead + uint64_t{len})
          throw std::runtime_error("spill file: an entry runs past its run");
        n = kEntryHead + len;
        buf_.resize(n);
        file_->read_at(at_, buf_.data(), n);
      }
      io::PairRecord p{};
      std::memcpy(&p.left, buf_.data() + pos, 8);
      std::memcpy(&p.right, buf_.data() + pos + 8, 8);
      std::memcpy(&p.confidence, buf_.data() + pos + 16, 4);
      std::memcpy(&p.label, buf_.data() + pos + 24, 1);
      p.payload_offset = payload.size();
      p.payload_len = len;
      payload.append(buf_.data() + pos + kEntryHead, len);
      out.push_back(p);
      pos += kEntryHead + len;
    }
    if (pos == 0) throw std::runtime_error("spill file: a run ends inside an entry");
    at_ += pos;
    return true;
  }

 private:
  std::shared_ptr<const SpillFile> file_;
  uint64_t at_, end_, cap_;
  std::string buf_;
};

// A rank's buffer, handed out in (left, right) order through a permutation:
// batches of about batch_bytes, copied, so it is never held twice.
class MemoryRun final : public PairRun {
 public:
  MemoryRun(std::vector<io::PairRecord> pairs, std::string payload, std::vector<uint32_t> order,
            uint64_t batch_bytes)
      : pairs_(std::move(pairs)),
        payload_(std::move(payload)),
        order_(std::move(order)),
        cap_(batch_bytes) {}
  bool next_batch(std::vector<io::PairRecord>& out, std::string& payload) override {
    out.clear();
    payload.clear();
    while (next_ < order_.size() && out.size() * sizeof(io::PairRecord) + payload.size() < cap_) {
      io::PairRecord p = pairs_[order_[next_++]];
      const uint64_t from = p.payload_offset;
      p.payload_offset = payload.size();
      payload.append(payload_, from, p.payload_len);
      out.push_back(p);
    }
    return !out.empty();
  }

 private:
  std::vector<io::PairRecord> pairs_;
  std::string payload_;
  std::vector<uint32_t> order_;
  uint64_t cap_;
  size_t next_ = 0;
};

uint64_t parse_bytes(const char* name, const std::string& v) {
  size_t used = 0;
  uint64_t n = 0;
  try {
    n = std::stoull(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  int shift = 0;
  if (used > 0 && used + 1 == v.size()) {
    switch (v[used]) {
      case 'k': case 'K': shift = 10; break;
      case 'm': case 'M': shift = 20; break;
      case 'g': case 'G': shift = 30; break;
      default: used = 0;
    }
    if (used > 0) ++used;
  }
  if (used == 0 || used != v.size() || n > (uint64_t{1} << (62 - shift)) || (n << shift) < (1 << 16))
    throw InputError(std::string(name) + ": expected bytes such as 268435456, 256M or 1G (at least 64K), got '" + v + "'");
  return n << shift;
}

}  // namespace

// ---- SpillOptions ----

SpillOptions SpillOptions::from_environment() {
  SpillOptions o;
  if (const char* v = std::getenv("NAME_MATCHER_SPILL_BUFFER"); v != nullptr && *v != '\0')
    o.buffer_bytes = parse_bytes("NAME_MATCHER_SPILL_BUFFER", v);
  if (const char* v = std::getenv("NAME_MATCHER_SPILL_DIR"); v != nullptr && *v != '\0')
    o.dir = v;
  else if (const char* t = std::getenv("TMPDIR"); t != nullptr && *t != '\0')
    o.dir = t;
  return o;
}

uint64_t SpillOptions::read_bytes() const {
  return std::clamp<uint64_t>(buffer_bytes / 64, 4 << 10, 1 << 20);
}

size_t SpillOptions::fan_in() const {
  return static_cast<size_t>(std::max<uint64_t>(2, buffer_bytes / (2 * read_bytes())));
}

uint64_t SpillOptions::remote_batch_bytes(size_t remotes) const {
  return std::clamp<uint64_t>(buffer_bytes / (2 * std::max<size_t>(remotes, 1)), 64 << 10, 4 << 20);
}

// ---- PairSpill ----

struct PairSpill::State {
  std::shared_ptr<SpillFile> file;
  std::vector<Extent> runs;
};

PairSpill::PairSpill(SpillOptions options) : options_(std::move(options)) {}
PairSpill::~PairSpill() = default;

namespace {
std::vector<uint32_t> sorted_order(const std::vector<io::PairRecord>& pairs) {
  std::vector<uint32_t> order(pairs.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    const io::PairRecord& x = pairs[a];
    const io::PairRecord& y = pairs[b];
    return x.left != y.left ? x.left < y.left : x.right < y.right;
  });
  return order;
}
}  // namespace

void PairSpill::spill() {
  if (pairs_.empty()) return;
  if (pairs_.size() >= UINT32_MAX) throw std::runtime_error("spill: buffer index overflow");
  if (!state_) state_ = std::make_unique<State>();
  if (!state_->file) state_->file = std::make_shared<SpillFile>(options_.dir);
  const std::vector<uint32_t> order = sorted_order(pairs_);
  RunWriter w(*state_->file, options_.read_bytes());
  for (uint32_t i : order) {
    const io::PairRecord& p = pairs_[i];
    w.add(p, std::string_view(payload_).substr(p.payload_offset, p.payload_len));
  }
  const Extent e = w.finish();
  state_->runs.push_back(e);
  ++runs_spilled_;
  bytes_spilled_ += e.bytes;
  pairs_.clear();  // the buffer keeps its capacity for the next run
  payload_.clear();
}

std::vector<std::unique_ptr<PairRun>> PairSpill::finish() {
  std::vector<std::unique_ptr<PairRun>> runs;
  if (!state_ || state_->runs.empty()) {
    if (!pairs_.empty()) {
      std::vector<uint32_t> order = sorted_order(pairs_);
      runs.push_back(std::make_unique<MemoryRun>(std::move(pairs_), std::move(payload_),
                                                 std::move(order), options_.read_bytes()));
    }
    pairs_ = {};
    payload_ = {};
    return runs;
  }
  spill();
  std::vector<io::PairRecord>().swap(pairs_);
  std::string().swap(payload_);
  for (const Extent& e : state_->runs)
    runs.push_back(std::make_unique<SpillRun>(state_->file, e, options_.read_bytes()));
  state_.reset();  // the runs hold the file now
  return limit_fan_in(std::move(runs), options_);
}

std::vector<std::unique_ptr<PairRun>> limit_fan_in(std::vector<std::unique_ptr<PairRun>> runs,
                                                   const SpillOptions& options) {
  const size_t fan_in = options.fan_in();
  while (runs.size() > fan_in) {
    // One pass: groups of fan_in runs, each merged into one run of a new file.
    // The runs of the previous pass (and so its file) go as they are merged.
    auto file = std::make_shared<SpillFile>(options.dir);
    std::vector<std::unique_ptr<PairRun>> next;
    for (size_t i = 0; i < runs.size(); i += fan_in) {
      std::vector<std::unique_ptr<PairRun>> group;
      for (size_t j = i; j < std::min(runs.size(), i + fan_in); ++j)
        group.push_back(std::move(runs[j]));
      Merger m(std::move(group));
      RunWriter w(*file, options.read_bytes());
      const io::PairRecord* p = nullptr;
      std::string_view pl;
      while (m.next(p, pl)) w.add(*p, pl);
      next.push_back(std::make_unique<SpillRun>(file, w.finish(), options.read_bytes()));
    }
    runs = std::move(next);
  }
  return runs;
}

}  // namespace nm::jobs
