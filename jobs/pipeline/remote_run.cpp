#include "jobs/pipeline/remote_run.hpp"

#include <algorithm>
#include <string>

#include "src/errors.hpp"
#include "src/exit_code.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::jobs {
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

}  // namespace

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

}  // namespace nm::jobs
