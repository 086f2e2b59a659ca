// Every stage of the pipeline ends at a collective point where errors are
// agreed on: the lowest rank that failed reports (the same error one process
// would report first), every other rank leaves quietly with the same exit
// code (PeerFailed).
#pragma once
#include <mpi.h>

#include <exception>

namespace nm::jobs {

// Collective: if any rank failed (e set), the lowest failing rank rethrows
// its error and the others throw PeerFailed with its exit code.
void agree(MPI_Comm comm, const std::exception_ptr& e);

// Runs body on this rank, then agrees on errors (agree). Collective.
template <class F>
void stage(MPI_Comm comm, F&& body) {
  std::exception_ptr e;
  try {
    body();
  } catch (...) {
    e = std::current_exception();
  }
  agree(comm, e);
}

}  // namespace nm::jobs
