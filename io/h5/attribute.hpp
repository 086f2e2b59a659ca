// Scalar attributes of an HDF5 object (a file's root group, a group, a
// dataset): numbers and fixed-length UTF-8 strings. Writes are collective
// over an MPI communicator (HDF5 metadata calls are: every rank writes the
// same value) and a failed write throws h5::WriteFailure on every rank;
// reads are local. Other failures throw h5::Error naming the file and attribute.
#pragma once
#include <hdf5.h>
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "io/h5/handle.hpp"

namespace nm::io::h5 {

// Creates the attribute when it is missing, then writes `value` (of `type`).
void write_attr(MPI_Comm comm, hid_t obj, const std::string& path, const char* name, hid_t type,
                const void* value);
void write_u64_attr(MPI_Comm comm, hid_t obj, const std::string& path, const char* name,
                    uint64_t v);
// A fixed-length, NUL-terminated UTF-8 string: h5dump prints it as text. The
// attribute is made again (its length is part of its type).
void write_string_attr(MPI_Comm comm, hid_t obj, const std::string& path, const char* name,
                       const std::string& value);

bool has_attr(hid_t obj, const std::string& path, const char* name);

template <class T>
T read_attr(hid_t obj, const std::string& path, const char* name, hid_t mem_type) {
  const std::string what = std::string("attribute ") + name;
  Attr attr = make<Attr>(H5Aopen(obj, name, H5P_DEFAULT), {path, what, "H5Aopen"});
  T value{};
  check(H5Aread(attr.get(), mem_type, &value), {path, what, "H5Aread"});
  return value;
}

uint64_t read_u64_attr(hid_t obj, const std::string& path, const char* name);

// Called with (path, "attribute <name> claims N bytes") when a string
// attribute is longer than the caller allows: it throws the caller's error
// for a corrupt file. Without one, read_string_attr throws h5::Error.
using RejectCorrupt = void (*)(const std::string& path, const std::string& what);

// A fixed-length string attribute of at most `max_bytes` bytes (a bound that
// keeps a corrupt file from asking for gigabytes), up to its first NUL.
// Throws h5::Error when the attribute is not a fixed-length string.
std::string read_string_attr(hid_t obj, const std::string& path, const char* name, size_t max_bytes,
                             RejectCorrupt reject = nullptr);

}  // namespace nm::io::h5
