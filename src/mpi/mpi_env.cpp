#include "src/mpi/mpi_env.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

namespace nm::mpi {
namespace {

struct Session {
  Session() {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    // Errors come back as codes, which check() turns into exceptions with context.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  }
  ~Session() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
};

}  // namespace

MPI_Comm ensure_initialized() {
  static Session session;
  return MPI_COMM_WORLD;
}

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_STEP_NUM_TASKS"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

int launcher_rank() {
  for (const char* v : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
    if (const char* s = std::getenv(v)) return std::atoi(s);
  return 0;
}

bool initialized() {
  int flag = 0;
  MPI_Initialized(&flag);
  return flag != 0;
}

namespace {
bool g_error_agreed = false;
}
void mark_error_agreed() { g_error_agreed = true; }
bool error_agreed() { return g_error_agreed; }

int rank(MPI_Comm c) {
  int r = 0;
  check(MPI_Comm_rank(c, &r), "MPI_Comm_rank");
  return r;
}

int size(MPI_Comm c) {
  int s = 1;
  check(MPI_Comm_size(c, &s), "MPI_Comm_size");
  return s;
}

void check(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw std::runtime_error(std::string(what) + ": " + std::string(text, static_cast<size_t>(len)));
}

void abort_job(MPI_Comm c, int code) {
  MPI_Abort(c, code);
  std::_Exit(code);
}

std::vector<uint64_t> allgather_u64(MPI_Comm c, uint64_t v) {
  std::vector<uint64_t> out(static_cast<size_t>(size(c)));
  check(MPI_Allgather(&v, 1, MPI_UINT64_T, out.data(), 1, MPI_UINT64_T, c), "MPI_Allgather");
  return out;
}

uint64_t allreduce_sum(MPI_Comm c, uint64_t v) {
  uint64_t out = 0;
  check(MPI_Allreduce(&v, &out, 1, MPI_UINT64_T, MPI_SUM, c), "MPI_Allreduce");
  return out;
}

uint64_t allreduce_max(MPI_Comm c, uint64_t v) {
  uint64_t out = 0;
  check(MPI_Allreduce(&v, &out, 1, MPI_UINT64_T, MPI_MAX, c), "MPI_Allreduce");
  return out;
}

double allreduce_max(MPI_Comm c, double v) {
  double out = 0;
  check(MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MAX, c), "MPI_Allreduce");
  return out;
}

uint64_t exscan_sum(MPI_Comm c, uint64_t v) {
  uint64_t out = 0;
  check(MPI_Exscan(&v, &out, 1, MPI_UINT64_T, MPI_SUM, c), "MPI_Exscan");
  return rank(c) == 0 ? 0 : out;  // undefined on rank 0 by the standard
}

std::vector<std::string> gather_bytes(MPI_Comm c, const std::string& mine, int root) {
  const int n = size(c), me = rank(c);
  const int len = static_cast<int>(mine.size());
  std::vector<int> lens(me == root ? static_cast<size_t>(n) : 0);
  check(MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, root, c), "MPI_Gather");
  std::vector<int> displs;
  std::string all;
  if (me == root) {
    displs.resize(static_cast<size_t>(n));
    long total = 0;
    for (int i = 0; i < n; ++i) {
      displs[static_cast<size_t>(i)] = static_cast<int>(total);
      total += lens[static_cast<size_t>(i)];
    }
    if (total > INT32_MAX) throw std::runtime_error("gather_bytes: more than 2 GiB at the root");
    all.resize(static_cast<size_t>(total));
  }
  check(MPI_Gatherv(mine.data(), len, MPI_BYTE, all.data(), lens.data(), displs.data(), MPI_BYTE,
                    root, c),
        "MPI_Gatherv");
  std::vector<std::string> out;
  if (me == root)
    for (int i = 0; i < n; ++i)
      out.emplace_back(all.substr(static_cast<size_t>(displs[static_cast<size_t>(i)]),
                                  static_cast<size_t>(lens[static_cast<size_t>(i)])));
  return out;
}

std::vector<uint64_t> allgatherv_u64(MPI_Comm c, const std::vector<uint64_t>& mine) {
  const auto n = static_cast<size_t>(size(c));
  if (mine.size() > INT32_MAX) throw std::runtime_error("allgatherv_u64: too many values");
  const int count = static_cast<int>(mine.size());
  std::vector<int> counts(n), displs(n);
  check(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, c), "MPI_Allgather");
  long total = 0;
  for (size_t i = 0; i < n; ++i) {
    displs[i] = static_cast<int>(total);
    total += counts[i];
    if (total > INT32_MAX) throw std::runtime_error("allgatherv_u64: too many values");
  }
  std::vector<uint64_t> out(static_cast<size_t>(total));
  check(MPI_Allgatherv(mine.data(), count, MPI_UINT64_T, out.data(), counts.data(), displs.data(),
                       MPI_UINT64_T, c),
        "MPI_Allgatherv");
  return out;
}

void bcast_bytes(MPI_Comm c, std::string& bytes, int root) {
  uint64_t len = bytes.size();
  check(MPI_Bcast(&len, 1, MPI_UINT64_T, root, c), "MPI_Bcast");
  bytes.resize(len);
  // In pieces: MPI counts are int.
  constexpr uint64_t kPiece = 1u << 30;
  for (uint64_t off = 0; off < len; off += kPiece)
    check(MPI_Bcast(bytes.data() + off, static_cast<int>(std::min(kPiece, len - off)), MPI_BYTE,
                    root, c),
          "MPI_Bcast");
}

}  // namespace nm::mpi
