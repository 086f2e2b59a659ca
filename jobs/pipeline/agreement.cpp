#include "jobs/pipeline/agreement.hpp"

#include <vector>

#include "src/errors.hpp"
#include "src/exit_code.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::jobs {

void agree(MPI_Comm comm, const std::exception_ptr& e) {
  const int mine = e ? exit_code_of(e) : 0;
  const int n = mpi::size(comm);
  std::vector<int> codes(static_cast<size_t>(n));
  mpi::check(MPI_Allgather(&mine, 1, MPI_INT, codes.data(), 1, MPI_INT, comm),
             "MPI_Allgather (errors)");
  for (int r = 0; r < n; ++r) {
    if (codes[static_cast<size_t>(r)] == 0) continue;
    mpi::mark_error_agreed();
    if (r == mpi::rank(comm)) std::rethrow_exception(e);
    throw PeerFailed(codes[static_cast<size_t>(r)]);
  }
}

}  // namespace nm::jobs
