// Compound datatypes that describe a C++ struct to HDF5, member by member
// (name, offset, member type), so a table of structs is stored with named
// fields that h5dump and h5py show.
//
// Example:
//   h5::Type t = h5::compound_type(sizeof(Row), "Row");
//   h5::insert_member(t.get(), "Row", "id", offsetof(Row, id), H5T_NATIVE_UINT64);
#pragma once
#include <hdf5.h>

#include <cstddef>

#include "io/h5/handle.hpp"

namespace nm::io::h5 {

// An empty compound type of `size` bytes; `name` names it in errors.
Type compound_type(size_t size, const char* name);

// Adds `member` at `offset` to compound type `t` (named `type` in errors).
void insert_member(hid_t t, const char* type, const char* member, size_t offset, hid_t member_type);

}  // namespace nm::io::h5
