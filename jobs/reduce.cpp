#include "jobs/reduce.hpp"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cstring>
#include <queue>

#include "io/match_writer.hpp"
#include "jobs/cli.hpp"
#include "jobs/progress.hpp"
#include "src/errors.hpp"
#include "src/households.hpp"
#include "src/mpi_env.hpp"
#include "src/options.hpp"

namespace nm::jobs {
namespace {

constexpr size_t kBatchPairs = 1 << 16;
constexpr int kTagRequest = 7101, kTagHeader = 7102, kTagPairs = 7103, kTagPayload = 7104;

class MemoryRun final : public PairRun {
 public:
  MemoryRun(std::vector<io::PairRecord> pairs, std::string payload)
      : pairs_(std::move(pairs)), payload_(std::move(payload)) {}
  bool next_batch(std::vector<io::PairRecord>& out, std::string& payload) override {
    out.clear();
    payload.clear();
    if (done_) return false;
    // One batch: the whole run (it is already in this process's memory).
    out.swap(pairs_);
    payload.swap(payload_);
    done_ = true;
    return !out.empty();
  }

 private:
  std::vector<io::PairRecord> pairs_;
  std::string payload_;
  bool done_ = false;
};

// Wire format of one batch: header {n pairs, payload bytes}, then the pair
// records and the payload bytes (payload offsets relative to the batch).
struct BatchHeader {
  uint64_t pairs, bytes;
};

class RemoteRun final : public PairRun {
 public:
  RemoteRun(MPI_Comm comm, int from) : comm_(comm), from_(from) {}
  bool next_batch(std::vector<io::PairRecord>& out, std::string& payload) override {
    out.clear();
    payload.clear();
    if (done_) return false;
    const int ask = 1;
    mpi::check(MPI_Send(&ask, 1, MPI_INT, from_, kTagRequest, comm_), "MPI_Send (reduce request)");
    BatchHeader h{};
    mpi::check(MPI_Recv(&h, sizeof h, MPI_BYTE, from_, kTagHeader, comm_, MPI_STATUS_IGNORE),
               "MPI_Recv (reduce header)");
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
  bool done_ = false;
};

class FilePieceRun final : public PairRun {
 public:
  FilePieceRun(const io::PairFileReader& file, const io::PieceRecord& piece,
               const std::vector<uint32_t>& done)
      : file_(file), piece_(piece), done_(done) {}
  bool next_batch(std::vector<io::PairRecord>& out, std::string& payload) override {
    for (;;) {
      out.clear();
      payload.clear();
      if (next_ >= piece_.count) return false;
      const uint64_t n = std::min<uint64_t>(kBatchPairs, piece_.count - next_);
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
  uint64_t next_ = 0;
  std::vector<io::PairRecord> buf_;
  std::string raw_;
};

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
  const io::PairRecord& cur() const { return batch[at]; }
};

}  // namespace

std::unique_ptr<PairRun> memory_run(std::vector<io::PairRecord> pairs, std::string payload) {
  return std::make_unique<MemoryRun>(std::move(pairs), std::move(payload));
}

std::unique_ptr<PairRun> remote_run(MPI_Comm comm, int from) {
  return std::make_unique<RemoteRun>(comm, from);
}

void serve_pairs(MPI_Comm comm, int to, const std::vector<io::PairRecord>& pairs,
                 const std::string& payload) {
  std::vector<io::PairRecord> batch;
  std::string bytes;
  size_t next = 0;
  for (;;) {
    int ask = 0;
    mpi::check(MPI_Recv(&ask, 1, MPI_INT, to, kTagRequest, comm, MPI_STATUS_IGNORE),
               "MPI_Recv (reduce request)");
    const size_t n = std::min(kBatchPairs, pairs.size() - next);
    batch.assign(pairs.begin() + static_cast<ptrdiff_t>(next),
                 pairs.begin() + static_cast<ptrdiff_t>(next + n));
    bytes.clear();
    for (io::PairRecord& p : batch) {
      const uint64_t off = bytes.size();
      bytes.append(payload, p.payload_offset, p.payload_len);
      p.payload_offset = off;
    }
    next += n;
    BatchHeader h{n, bytes.size()};
    mpi::check(MPI_Send(&h, sizeof h, MPI_BYTE, to, kTagHeader, comm), "MPI_Send (reduce header)");
    if (n == 0) return;
    mpi::check(MPI_Send(batch.data(), static_cast<int>(n * sizeof(io::PairRecord)), MPI_BYTE, to,
                        kTagPairs, comm),
               "MPI_Send (reduce pairs)");
    mpi::check(
        MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, to, kTagPayload, comm),
        "MPI_Send (reduce payload)");
  }
}

std::unique_ptr<PairRun> file_piece_run(const io::PairFileReader& file,
                                        const io::PieceRecord& piece,
                                        const std::vector<uint32_t>& done) {
  return std::make_unique<FilePieceRun>(file, piece, done);
}

OutputResult merge_and_write(std::vector<std::unique_ptr<PairRun>>& runs, const OutputSpec& spec) {
  std::vector<Cursor> cursors;
  cursors.reserve(runs.size());
  for (auto& r : runs) {
    Cursor c;
    c.run = std::move(r);
    if (c.run->next_batch(c.batch, c.payload)) cursors.push_back(std::move(c));
  }
  runs.clear();
  // Min-heap on (left, right); equal keys cannot occur (each pair is scored once).
  auto greater = [&](size_t a, size_t b) {
    const io::PairRecord& x = cursors[a].cur();
    const io::PairRecord& y = cursors[b].cur();
    return x.left != y.left ? x.left > y.left : x.right > y.right;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(greater)> heap(greater);
  for (size_t i = 0; i < cursors.size(); ++i) heap.push(i);

  OutputResult res;
  const bool households = spec.algorithm >= 5;
  std::unique_ptr<io::MatchCsvWriter> csv;
  std::unique_ptr<HouseholdAggregator> agg;
  if (households)
    agg = std::make_unique<HouseholdAggregator>(spec.algorithm == 6);
  else
    csv = std::make_unique<io::MatchCsvWriter>(spec.path, spec.algorithm, spec.group);
  uint64_t last_left = 0, last_right = 0;
  while (!heap.empty()) {
    const size_t i = heap.top();
    heap.pop();
    Cursor& c = cursors[i];
    const io::PairRecord& p = c.cur();
    if (res.pairs_in > 0 && (p.left < last_left || (p.left == last_left && p.right <= last_right)))
      throw std::runtime_error("reduce: pairs out of order or repeated at (" +
                               std::to_string(p.left) + ", " + std::to_string(p.right) + ")");
    last_left = p.left;
    last_right = p.right;
    ++res.pairs_in;
    if (p.confidence >= spec.min_confidence) {
      const io::PairPayload pl =
          io::parse_payload(std::string_view(c.payload).substr(p.payload_offset, p.payload_len));
      if (households)
        agg->add(p.left, p.right, p.confidence, pl.hh1, pl.hh2);
      else
        csv->add(pl, p.confidence, p.label);
    }
    if (c.advance()) heap.push(i);
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
  std::vector<std::unique_ptr<PairRun>> runs;
  for (const io::PieceRecord& piece : file.pieces())
    if (piece.count > 0) runs.push_back(file_piece_run(file, piece, done));
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
