// Reading the pair file's tables with the checks a reader owes its caller:
// a table never holds fewer entries than the root attributes record nor more
// than the file can hold, and every done mark passes its check. Whatever
// fails is a corrupt file: InputError naming the file and the table.
// Also the names of the key tables (/keys/<name>).
#pragma once
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/h5/dataset.hpp"
#include "io/pair_file/schema.hpp"
#include "src/errors.hpp"

namespace nm::io::pair_file {

// The elements of a table must fit in the file: a larger count is a corrupt
// dataspace, not a request for terabytes of memory.
void check_fits(hid_t ds, const std::string& path, const char* name, uint64_t count, size_t elem);

// Elements [first, first+count) of table `name`, which must hold them.
template <class T>
std::vector<T> read_some(const std::string& path, const char* name, hid_t ds, hid_t mem_type,
                         hid_t dxpl, uint64_t first, uint64_t count) {
  const uint64_t have = h5::extent(ds, path, name);
  if (first > have || count > have - first)
    throw InputError(corrupt(path, std::string(name) + " has " + std::to_string(have) +
                                       " entries, fewer than the " + std::to_string(first + count) +
                                       " recorded"));
  check_fits(ds, path, name, count, sizeof(T));
  std::vector<T> out(count);
  h5::read_range({path, name, ds, mem_type, sizeof(T), dxpl}, first, count, out.data());
  return out;
}

template <class T>
std::vector<T> read_all(const std::string& path, const char* name, hid_t ds, hid_t mem_type,
                        hid_t dxpl) {
  return read_some<T>(path, name, ds, mem_type, dxpl, 0, h5::extent(ds, path, name));
}

// /tiles/done, which must hold one mark per tile, decoded to the attempt
// numbers; throws when a mark fails its check.
std::vector<uint32_t> read_marks(const std::string& path, hid_t ds, hid_t mark_type, hid_t dxpl,
                                 size_t tiles, uint32_t attempts);

// Throws std::invalid_argument when `name` is not a plain HDF5 link name.
void check_key_table_name(const std::string& name);

// The group of key table `name`: /keys/<name>.
std::string key_group(const std::string& name);

}  // namespace nm::io::pair_file
