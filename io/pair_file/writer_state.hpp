// PairFileWriter's state, shared by writer.cpp (create, open, stats, the
// failure path) and writer_append.cpp (pairs, done marks, key tables).
#pragma once
#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "io/h5/collective.hpp"
#include "io/h5/dataset.hpp"
#include "io/h5/handle.hpp"
#include "io/pair_file.hpp"
#include "io/pair_file/checksum.hpp"
#include "io/pair_file/schema.hpp"
#include "src/errors.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::io {

struct PairFileWriter::State {
  State(MPI_Comm c, const std::string& file_path) : comm(c), path(file_path) {
    h5::quiet_errors();
    rank = mpi::rank(comm);
    size = mpi::size(comm);
    dxpl = h5::make<h5::Plist>(H5Pcreate(H5P_DATASET_XFER), {path, "", "H5Pcreate"});
    h5::check(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), {path, "", "H5Pset_dxpl_mpio"});
  }

  MPI_Comm comm = MPI_COMM_NULL;
  int rank = 0, size = 1;
  std::string path;
  PairFileMeta meta;
  uint32_t gen = 1;
  std::vector<TileRow> tiles;
  std::vector<uint32_t> done_at_open;
  std::vector<uint32_t> done_live;  // rank 0: the marks on disk, kept current
  pair_file::RootState root;        // as on disk after the last flush (attempts = gen)
  pair_file::Types types;
  h5::Plist dxpl;  // collective transfers
  // The file is declared before its objects, so the objects close first.
  h5::File file;
  h5::Dataset rows, payload, pieces, sums, tiles_ds, done, stats;
  bool failed = false;  // a write failed: the file was closed and marked as failed

  h5::Where where(const char* object, const char* op) const { return {path, object, op}; }
  h5::Target target(const char* name, const h5::Dataset& ds, hid_t mem_type, size_t elem) const {
    return {path, name, ds.get(), mem_type, elem, dxpl.get()};
  }
  void flush(const char* why) {
    h5::agreed(comm, where(why, "H5Fflush"),
               [&] { return H5Fflush(file.get(), H5F_SCOPE_GLOBAL); });
  }
  // Marks [lo, lo+len) of /tiles/done from `gens` (rank 0's; others pass nothing).
  void write_marks(uint64_t lo, uint64_t len, const uint32_t* gens) {
    std::vector<pair_file::StoredMark> marks;
    if (gens != nullptr)
      for (uint64_t i = 0; i < len; ++i)
        marks.push_back({gens[i], pair_file::mark_check(lo + i, gens[i])});
    h5::write_collective(
        comm, target(pair_file::kDone, done, types.mark.get(), sizeof(pair_file::StoredMark)), lo,
        marks.size(), marks.data());
  }

  // Runs one writer method. A failed write becomes an InputError on every rank
  // (they agreed on it) naming the file and the reason, and leaves the file
  // closed and marked as failed. See docs/PAIR_FILE.md, "When a write fails".
  template <class F>
  void guard(const char* op, F&& body) {
    if (failed)
      throw InputError("pair file '" + path + "': " + op +
                       " after a write to the file failed; nothing more is written");
    try {
      body();
    } catch (const h5::WriteFailure& e) {
      give_up(op, e.reason(), e.what());
    } catch (const h5::Error& e) {
      give_up(op, "", e.what());
    }
  }

  // Closes the file, marks it as failed and throws InputError on every rank
  // (writer.cpp says how and why).
  [[noreturn]] void give_up(const char* op, const std::string& reason, const std::string& detail);
};

}  // namespace nm::io
