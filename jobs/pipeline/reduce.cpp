#include "jobs/reduce.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "io/match_writer.hpp"
#include "jobs/cli.hpp"
#include "jobs/progress.hpp"
#include "src/errors.hpp"
#include "src/match/households.hpp"
#include "src/mpi/mpi_env.hpp"
#include "src/match/options.hpp"
#include "src/match/algorithm.hpp"

namespace nm::jobs {

int exit_code_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const UsageError& u) {
    return u.exit_code();
  } catch (const PeerFailed& p) {
    return p.exit_code();
  } catch (const InputError&) {
    return 1;
  } catch (...) {
    return 3;
  }
}

namespace {

constexpr int kTagRequest = 7101, kTagHeader = 7102, kTagPairs = 7103, kTagPayload = 7104;

std::string message_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown error";
  }
}

// An error another rank sent, thrown here as the kind it was there.
[[noreturn]] void throw_as(int code, const std::string& message) {
  if (code == 1) throw InputError(message);
  if (code == 3) throw std::runtime_error(message);
  throw UsageError(message, code);
}

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

// Wire format. Rank 0 asks with a Request (batch_bytes 0: stop, nothing more
// is asked); the server answers with a header: status 0 and n pairs, then the
// pair records and the payload bytes (offsets relative to the batch), n = 0
// at the end; or status = an exit code and the error message as the payload.
struct Request {
  uint64_t batch_bytes;
};
struct BatchHeader {
  uint64_t pairs, bytes;
  int64_t status;
};

class RemoteRun final : public PairRun {
 public:
  RemoteRun(MPI_Comm comm, int from, uint64_t batch_bytes)
      : comm_(comm), from_(from), cap_(std::max<uint64_t>(batch_bytes, 1)) {}
  ~RemoteRun() override {
    // Dropped before the end (an error on this rank): the server is waiting
    // for a request (it has answered every earlier one in full); stop it.
    if (done_) return;
    const Request stop{0};
    MPI_Send(&stop, sizeof stop, MPI_BYTE, from_, kTagRequest, comm_);
  }
  bool next_batch(std::vector<io::PairRecord>& out, std::string& payload) override {
    out.clear();
    payload.clear();
    if (done_) return false;
    // Room first: nothing may fail between the request and the last receive.
    out.reserve(cap_ / sizeof(io::PairRecord) + 1);
    payload.reserve(cap_);
    const Request ask{cap_};
    mpi::check(MPI_Send(&ask, sizeof ask, MPI_BYTE, from_, kTagRequest, comm_),
               "MPI_Send (reduce request)");
    BatchHeader h{};
    mpi::check(MPI_Recv(&h, sizeof h, MPI_BYTE, from_, kTagHeader, comm_, MPI_STATUS_IGNORE),
               "MPI_Recv (reduce header)");
    if (h.status != 0) {
      done_ = true;
      std::string message(h.bytes, '\0');
      mpi::check(MPI_Recv(message.data(), static_cast<int>(h.bytes), MPI_BYTE, from_, kTagPayload,
                          comm_, MPI_STATUS_IGNORE),
                 "MPI_Recv (reduce error)");
      throw_as(static_cast<int>(h.status), "rank " + std::to_string(from_) + ": " + message);
    }
    if (h.pairs == 0) {
      done_ = true;
      return false;
    }
    out.resize(h.pairs);
    payload.resize(h.bytes);
    mpi::check(MPI_Recv(out.data(), static_cast<int>(h.pairs * sizeof(io::PairRecord)), MPI_BYTE,
                        from_, kTagPairs, comm_, MPI_STATUS_IGNORE),
               "MPI_Recv (reduce pairs)");
    mpi::check(MPI_Recv(payload.data(), static_cast<int>(h.bytes), MPI_BYTE, from_, kTagPayload,
                        comm_, MPI_STATUS_IGNORE),
               "MPI_Recv (reduce payload)");
    return true;
  }

 private:
  MPI_Comm comm_;
  int from_;
  uint64_t cap_;
  bool done_ = false;
};

class FilePieceRun final : public PairRun {
 public:
  FilePieceRun(const io::PairFileReader& file, const io::PieceRecord& piece,
               const std::vector<uint32_t>& done, uint64_t batch_pairs)
      : file_(file), piece_(piece), done_(done), batch_(std::max<uint64_t>(batch_pairs, 1)) {}
  bool next_batch(std::vector<io::PairRecord>& out, std::string& payload) override {
    for (;;) {
      out.clear();
      payload.clear();
      if (next_ >= piece_.count) {
        std::vector<io::PairRecord>().swap(buf_);
        std::string().swap(raw_);
        return false;
      }
      const uint64_t n = std::min<uint64_t>(batch_, piece_.count - next_);
      uint64_t base = 0;
      file_.read_pairs(piece_.first + next_, n, buf_, raw_, &base);
      next_ += n;
      // Keep pairs of tiles that the attempt which wrote them finished; pairs
      // of a tile redone after a crash are kept once, from the finishing attempt.
      for (const io::PairRecord& p : buf_) {
        if (p.tile >= done_.size() || done_[p.tile] != p.gen) continue;
        if (p.payload_offset < base || p.payload_offset - base + p.payload_len > raw_.size())
          throw InputError("pair file: a pair's payload lies outside its piece (corrupt file)");
        io::PairRecord q = p;
        q.payload_offset = payload.size();
        payload.append(raw_, p.payload_offset - base, p.payload_len);
        out.push_back(q);
      }
      if (!out.empty()) return true;
    }
  }

 private:
  const io::PairFileReader& file_;
  io::PieceRecord piece_;
  const std::vector<uint32_t>& done_;
  uint64_t batch_;
  uint64_t next_ = 0;
  std::vector<io::PairRecord> buf_;
  std::string raw_;
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

std::unique_ptr<PairRun> remote_run(MPI_Comm comm, int from, uint64_t batch_bytes) {
  return std::make_unique<RemoteRun>(comm, from, batch_bytes);
}

void serve_pairs(MPI_Comm comm, int to,
                 const std::function<std::vector<std::unique_ptr<PairRun>>()>& make) {
  std::exception_ptr err;
  std::unique_ptr<Merger> merger;
  try {
    merger = std::make_unique<Merger>(make());
  } catch (...) {
    err = std::current_exception();
  }
  std::vector<io::PairRecord> batch;
  std::string bytes;
  for (;;) {
    Request rq{};
    mpi::check(MPI_Recv(&rq, sizeof rq, MPI_BYTE, to, kTagRequest, comm, MPI_STATUS_IGNORE),
               "MPI_Recv (reduce request)");
    if (rq.batch_bytes == 0) {  // rank `to` failed and asks for nothing more
      if (err) std::rethrow_exception(err);
      return;
    }
    batch.clear();
    bytes.clear();
    if (!err) {
      try {
        const io::PairRecord* p = nullptr;
        std::string_view pl;
        while (batch.size() * sizeof(io::PairRecord) + bytes.size() < rq.batch_bytes &&
               merger->next(p, pl)) {
          io::PairRecord q = *p;
          q.payload_offset = bytes.size();
          bytes.append(pl);
          batch.push_back(q);
        }
      } catch (...) {
        err = std::current_exception();
      }
    }
    if (err) {
      const std::string message = message_of(err);
      const BatchHeader h{0, message.size(), exit_code_of(err)};
      mpi::check(MPI_Send(&h, sizeof h, MPI_BYTE, to, kTagHeader, comm),
                 "MPI_Send (reduce error)");
      mpi::check(MPI_Send(message.data(), static_cast<int>(message.size()), MPI_BYTE, to,
                          kTagPayload, comm),
                 "MPI_Send (reduce error)");
      std::rethrow_exception(err);
    }
    const BatchHeader h{batch.size(), bytes.size(), 0};
    mpi::check(MPI_Send(&h, sizeof h, MPI_BYTE, to, kTagHeader, comm), "MPI_Send (reduce header)");
    if (batch.empty()) return;
    mpi::check(MPI_Send(batch.data(), static_cast<int>(batch.size() * sizeof(io::PairRecord)),
                        MPI_BYTE, to, kTagPairs, comm),
               "MPI_Send (reduce pairs)");
    mpi::check(
        MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, to, kTagPayload, comm),
        "MPI_Send (reduce payload)");
  }
}

std::unique_ptr<PairRun> file_piece_run(const io::PairFileReader& file,
                                        const io::PieceRecord& piece,
                                        const std::vector<uint32_t>& done, uint64_t batch_pairs) {
  return std::make_unique<FilePieceRun>(file, piece, done, batch_pairs);
}

OutputResult merge_and_write(std::vector<std::unique_ptr<PairRun>>& runs, const OutputSpec& spec) {
  Merger merger(std::move(runs));
  runs.clear();
  OutputResult res;
  const bool households = algorithm_traits(spec.algorithm).households;
  std::unique_ptr<io::MatchCsvWriter> csv;
  std::unique_ptr<HouseholdAggregator> agg;
  if (households)
    agg = std::make_unique<HouseholdAggregator>(algorithm_traits(spec.algorithm).table2_households);
  else
    csv = std::make_unique<io::MatchCsvWriter>(spec.path, spec.algorithm, spec.group);
  const io::PairRecord* p = nullptr;
  std::string_view bytes;
  while (merger.next(p, bytes)) {
    ++res.pairs_in;
    if (p->confidence >= spec.min_confidence) {
      const io::PairPayload pl = io::parse_payload(bytes);
      if (households)
        agg->add(p->left, p->right, p->confidence, pl.hh1, pl.hh2);
      else
        csv->add(pl, p->confidence, p->label);
    }
  }
  if (households) {
    static const HouseholdSizes kNone;
    const auto rows = agg->finish(spec.sizes ? *spec.sizes : kNone);
    res.bytes = io::write_households(spec.path, rows, spec.group);
    res.rows = rows.size();
  } else {
    res.rows = csv->rows();
    res.bytes = csv->close();
  }
  return res;
}

OutputResult reduce_pair_file(const ReduceRequest& req) {
  io::PairFileReader file(req.pairs_path);
  const io::PairFileMeta& m = file.meta();
  if (!file.complete())
    throw InputError(req.pairs_path +
                     ": the run that wrote this pair file did not finish (it is not marked "
                     "complete); finish it with `run ... --pairs " +
                     req.pairs_path + " --resume`");
  const int algo = req.algorithm == 0 ? m.algorithm : req.algorithm;
  check_algorithm(algo);
  const bool a4_family = m.algorithm >= 4;  // A4, A5 and A6 files hold A4 person pairs
  if (algo != m.algorithm && !(a4_family && algo >= 4))
    throw InputError(req.pairs_path + " holds algorithm " + std::to_string(m.algorithm) +
                     " pairs; it can be reduced " +
                     (a4_family ? std::string("as algorithm 4, 5 or 6")
                                : "only as algorithm " + std::to_string(m.algorithm)));
  if (algo >= 5 && m.dedupe)
    throw InputError("algorithms 5 and 6 need two tables; this pair file is a --dedupe run");
  float min_conf =
      algo >= 5 ? (req.household_threshold >= 0 ? req.household_threshold : m.household_threshold)
                : (req.threshold >= 0 ? req.threshold : m.threshold);
  if (algo <= 2) min_conf = 0;  // exact matches: confidence 1, no threshold
  if (algo >= 3 && min_conf < m.min_confidence)
    throw InputError(req.pairs_path +
                     " keeps pairs of confidence >= " + std::to_string(m.min_confidence) +
                     " only; cannot reduce at " + std::to_string(min_conf));
  HouseholdSizes sizes;
  if (algo >= 5) {
    const auto kc = file.read_key_counts(algo == 5 ? "t1_household_sizes" : "t2_household_sizes");
    for (const auto& [k, n] : kc) sizes[k] = n;
  }
  const std::vector<uint32_t> done = file.done_marks();
  // A run per piece, read a few thousand pairs at a time; more pieces than
  // the fan-in are merged in passes through spill files first.
  const SpillOptions so = SpillOptions::from_environment();
  const uint64_t batch_pairs = std::max<uint64_t>(256, so.read_bytes() / 256);
  std::vector<std::unique_ptr<PairRun>> runs;
  for (const io::PieceRecord& piece : file.pieces())
    if (piece.count > 0) runs.push_back(file_piece_run(file, piece, done, batch_pairs));
  runs = limit_fan_in(std::move(runs), so);
  OutputSpec spec{req.out, algo, min_conf, algo >= 5 ? &sizes : nullptr, req.group};
  return merge_and_write(runs, spec);
}

int reduce_main(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  ReduceRequest req;
  std::string threshold, household;
  po::options_description desc(
      "name_matcher reduce: rebuild the outputs of a finished run from its pair file, without "
      "rescoring");
  desc.add_options()("help,h", "show this help")("pairs", po::value(&req.pairs_path),
                                                 "pair file written by run --pairs")(
      "out,o", po::value(&req.out), "output CSV")(
      "algorithm,a", po::value(&req.algorithm),
      "output of algorithm N (default: the run's; an A4/A5/A6 file gives 4, 5 or 6)")(
      "threshold", po::value(&threshold),
      "A3/A4: keep pairs at or above this (not below the run's)")(
      "household-threshold", po::value(&household), "A5/A6: person-pair threshold");
  po::variables_map vm;
  if (!parse_command_line(args, desc, vm)) return 0;
  if (req.pairs_path.empty()) throw InputError("reduce: --pairs is required");
  if (req.out.empty()) throw InputError("reduce: --out is required");
  if (req.algorithm != 0) check_algorithm(req.algorithm);  // before the file is opened
  req.out = io::resolve_output_path(req.out);
  io::check_output_paths({{req.pairs_path, "--pairs"}}, {{req.out, "--out"}});
  // Unparsable: the run's own threshold (the default here), with a warning.
  if (vm.count("threshold"))
    req.threshold = threshold_option("reduce", "--threshold", threshold, kFuzzyThresholdMin, -1,
                                     "the run's own threshold");
  if (vm.count("household-threshold"))
    req.household_threshold =
        threshold_option("reduce", "--household-threshold", household, kHouseholdThresholdMin, -1,
                         "the run's own threshold");
  const OutputResult r = reduce_pair_file(req);
  log(LogLevel::kInfo, "reduce: " + std::to_string(r.pairs_in) + " pairs -> " +
                           std::to_string(r.rows) + " rows in " + req.out);
  return 0;
}

}  // namespace nm::jobs
