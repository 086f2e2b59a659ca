#include "io/h5/collective.hpp"

#include <sys/statvfs.h>

#include <cstdint>
#include <cstring>
#include <filesystem>

#include "src/mpi/mpi_env.hpp"

namespace nm::io::h5 {
namespace {

// Why a write to `path` failed, in the operating system's words: errno right
// after the call when it names a reason the user can act on; else, since
// MPI-IO does not always leave errno set, "No space left on device" when the
// file system has (next to) no free space; else empty.
std::string io_reason(int err, const std::string& path) {
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EFBIG:
    case EROFS:
    case ENXIO:
      return std::strerror(err);
    default:
      break;
  }
  struct statvfs fs {};
  const std::string dir = std::filesystem::path(path).parent_path().string();
  if (::statvfs(dir.empty() ? "." : dir.c_str(), &fs) == 0 &&
      static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize < (uint64_t{1} << 20))
    return std::strerror(ENOSPC);
  return {};
}

}  // namespace

void agree(MPI_Comm comm, bool ok, const Where& where, int err) {
  const int size = mpi::size(comm), rank = mpi::rank(comm);
  const uint64_t lowest = mpi::allreduce_max(comm, ok ? 0 : static_cast<uint64_t>(size - rank));
  if (lowest == 0) return;
  std::string msg;
  if (!ok)
    msg = io_reason(err, std::string(where.file)) + '\n' + where.text() + ": " + take_error_stack();
  mpi::bcast_bytes(comm, msg, size - static_cast<int>(lowest));
  const size_t nl = msg.find('\n');
  throw WriteFailure(msg.substr(0, nl), msg.substr(nl + 1));
}

bool any_rank(MPI_Comm comm, bool bad) { return mpi::allreduce_max(comm, uint64_t{bad}) != 0; }

}  // namespace nm::io::h5
