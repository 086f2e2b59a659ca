// The doctest main of the multi-rank tests (nm_mpi_tests, run by ctest under
// mpirun with 1 to 4 ranks): MPI is initialised before any test runs, every
// rank runs every test case in the same order, rank 0 prints the usual
// report and the other ranks print only their failures. The exit code is the
// same on every rank: failure if any rank failed.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "src/mpi/mpi_env.hpp"

int main(int argc, char** argv) {
  MPI_Comm world = nm::mpi::ensure_initialized();
  doctest::Context context;
  if (nm::mpi::rank(world) != 0) context.setOption("minimal", true);
  context.applyCommandLine(argc, argv);
  const int rc = context.run();
  if (context.shouldExit()) return rc;
  int worst = 0;
  MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, world);
  return worst;
}
