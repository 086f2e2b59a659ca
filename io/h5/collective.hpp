// Writing one HDF5 file from every rank of an MPI communicator (MPI-IO
// driver): a write that fails on one rank must fail on all of them, or the
// others would wait forever in the next collective call. `agreed` runs one
// writing HDF5 call and makes every rank throw the same WriteFailure when it
// failed anywhere.
#pragma once
#include <hdf5.h>
#include <mpi.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <utility>

#include "io/h5/handle.hpp"

namespace nm::io::h5 {

// A write to a file failed: `reason` is the operating system's word for it
// when there is one ("No space left on device"), what() where it failed and
// HDF5's error stack.
class WriteFailure : public std::runtime_error {
 public:
  WriteFailure(std::string reason, const std::string& detail)
      : std::runtime_error(detail), reason_(std::move(reason)) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

// Every rank of `comm` passes whether its HDF5 call succeeded (`err`: errno
// right after it). When it failed on any rank, every rank throws the same
// WriteFailure, the lowest failing rank's, so that no rank goes on into the
// next collective call while another has left.
void agree(MPI_Comm comm, bool ok, const Where& where, int err);

// A writing HDF5 call whose failure every rank of `comm` agrees on; returns
// the call's result (an id or an herr_t), never negative.
template <class Call>
auto agreed(MPI_Comm comm, const Where& where, Call&& call) {
  errno = 0;
  const auto rc = call();
  const int err = errno;
  agree(comm, rc >= 0, where, err);
  return rc;
}

// True on every rank of `comm` when any rank passes `bad` = true.
bool any_rank(MPI_Comm comm, bool bad);

}  // namespace nm::io::h5
