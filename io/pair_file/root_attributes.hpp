// The pair file's root attributes (docs/PAIR_FILE.md, "Attributes"): the
// run's parameters (PairFileMeta, fixed at create and covered with the plan
// by meta_checksum) and the state that changes during a run (RootState,
// covered by state_checksum). Writes are collective over the writer's
// communicator; a checksum that does not match throws InputError naming the file.
#pragma once
#include <hdf5.h>
#include <mpi.h>

#include <string>
#include <vector>

#include "io/pair_file.hpp"
#include "io/pair_file/schema.hpp"

namespace nm::io::pair_file {

// Every attribute of `m`, and format/format_version of this program.
void write_meta(MPI_Comm comm, hid_t file, const std::string& path, const PairFileMeta& m);

// Reads every attribute but `format` and `format_version` (checked by the caller).
PairFileMeta read_meta(hid_t file, const std::string& path);

// The root attributes that change during a run, and their checksum.
void write_root_state(MPI_Comm comm, hid_t file, const std::string& path, const RootState& s);
RootState read_root_state(hid_t file, const std::string& path);

// The plan (/plan/tiles) and the root attributes that never change, checked
// against meta_checksum.
void verify_meta(hid_t file, const std::string& path, const PairFileMeta& m,
                 const std::vector<TileRow>& tiles);

}  // namespace nm::io::pair_file
