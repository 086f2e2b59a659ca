// One-dimensional chunked datasets: creating, opening and growing them, and
// moving a range of elements in or out, collectively over an MPI communicator
// (every rank of it takes part in every call) or from one process. Every
// failure throws h5::Error naming the file and the dataset; a failed write in
// a collective call throws h5::WriteFailure on every rank (collective.hpp).
#pragma once
#include <hdf5.h>
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "io/h5/handle.hpp"

namespace nm::io::h5 {

// The chunk of a table whose size is known at creation: the whole table up to
// `max`, so that a small table does not take a large chunk.
hsize_t table_chunk(uint64_t size, hsize_t max);

// Collective: a 1-D chunked dataset `name` of `size` elements with unlimited
// maximum size. Zero-filled datasets get their fill value written when space
// is allocated (for small tables); the others are never filled: the writer
// writes every byte.
Dataset create_dataset(MPI_Comm comm, hid_t file, const std::string& path, const char* name,
                       hid_t type, hsize_t size, hsize_t chunk, bool zero_fill);

Dataset open_dataset(hid_t file, const std::string& path, const char* name);

// The number of elements of a 1-D dataset; throws Error for any other shape.
uint64_t extent(hid_t ds, const std::string& path, const std::string& name);

// Collective: grows (or shrinks) a dataset to `size` elements.
void set_extent(MPI_Comm comm, hid_t ds, const std::string& path, const char* name, uint64_t size);

// Selects [first, first+count) of `file_space` (nothing when count is 0) and
// returns a matching memory space.
Space select_range(hid_t file_space, uint64_t first, uint64_t count, const Where& where);

// Where an I/O call works: file, dataset, memory type, transfer property list.
struct Target {
  const std::string& path;
  const char* name;
  hid_t ds;
  hid_t mem_type;
  size_t elem;  // bytes per element in memory
  hid_t dxpl;
};

// Collective over `comm`: this rank writes `count` elements from `data` to
// [first, first+count). Every rank takes part in every round (with an empty
// selection when it has nothing left), as collective transfers require.
void write_collective(MPI_Comm comm, const Target& t, uint64_t first, uint64_t count,
                      const void* data);

// Reads [first, first+count) into `data` (count*elem bytes). Collective when
// `t.dxpl` is: then every rank reads the same range.
void read_range(const Target& t, uint64_t first, uint64_t count, void* data);

// False when `count` elements of `elem` bytes cannot be in the file that
// holds `ds` (a corrupt dataspace claims more than the file's size): a reader
// checks this before it allocates memory for them.
bool fits_in_file(hid_t ds, uint64_t count, size_t elem);

// No single H5Dwrite/H5Dread of write_collective and read_range moves more
// than this per rank (default 256 MiB): larger ranges go in several rounds,
// which keeps every MPI-IO count far below 2^31. Only tests change it (to
// exercise the rounds); set it the same on every rank. Returns the previous value.
uint64_t max_io_bytes();
uint64_t set_max_io_bytes(uint64_t bytes);

}  // namespace nm::io::h5
