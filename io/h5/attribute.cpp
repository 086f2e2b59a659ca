#include "io/h5/attribute.hpp"

#include <cstring>

#include "io/h5/collective.hpp"

namespace nm::io::h5 {

void write_attr(MPI_Comm comm, hid_t obj, const std::string& path, const char* name, hid_t type,
                const void* value) {
  const std::string what = std::string("attribute ") + name;
  Attr attr;
  if (check_tri(H5Aexists(obj, name), {path, what, "H5Aexists"})) {
    attr = make<Attr>(H5Aopen(obj, name, H5P_DEFAULT), {path, what, "H5Aopen"});
  } else {
    Space scalar = make<Space>(H5Screate(H5S_SCALAR), {path, what, "H5Screate"});
    attr = Attr(agreed(comm, {path, what, "H5Acreate2"}, [&] {
      return H5Acreate2(obj, name, type, scalar.get(), H5P_DEFAULT, H5P_DEFAULT);
    }));
  }
  agreed(comm, {path, what, "H5Awrite"}, [&] { return H5Awrite(attr.get(), type, value); });
}

void write_u64_attr(MPI_Comm comm, hid_t obj, const std::string& path, const char* name,
                    uint64_t v) {
  write_attr(comm, obj, path, name, H5T_NATIVE_UINT64, &v);
}

void write_string_attr(MPI_Comm comm, hid_t obj, const std::string& path, const char* name,
                       const std::string& value) {
  const std::string what = std::string("attribute ") + name;
  Type type = make<Type>(H5Tcopy(H5T_C_S1), {path, what, "H5Tcopy"});
  check(H5Tset_size(type.get(), value.size() + 1), {path, what, "H5Tset_size"});
  check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), {path, what, "H5Tset_strpad"});
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), {path, what, "H5Tset_cset"});
  if (check_tri(H5Aexists(obj, name), {path, what, "H5Aexists"}))
    agreed(comm, {path, what, "H5Adelete"}, [&] { return H5Adelete(obj, name); });
  Space scalar = make<Space>(H5Screate(H5S_SCALAR), {path, what, "H5Screate"});
  Attr attr(agreed(comm, {path, what, "H5Acreate2"}, [&] {
    return H5Acreate2(obj, name, type.get(), scalar.get(), H5P_DEFAULT, H5P_DEFAULT);
  }));
  agreed(comm, {path, what, "H5Awrite"},
         [&] { return H5Awrite(attr.get(), type.get(), value.c_str()); });
}

bool has_attr(hid_t obj, const std::string& path, const char* name) {
  return check_tri(H5Aexists(obj, name), {path, name, "H5Aexists"});
}

uint64_t read_u64_attr(hid_t obj, const std::string& path, const char* name) {
  return read_attr<uint64_t>(obj, path, name, H5T_NATIVE_UINT64);
}

std::string read_string_attr(hid_t obj, const std::string& path, const char* name, size_t max_bytes,
                             RejectCorrupt reject) {
  const std::string what = std::string("attribute ") + name;
  Attr attr = make<Attr>(H5Aopen(obj, name, H5P_DEFAULT), {path, what, "H5Aopen"});
  Type type = make<Type>(H5Aget_type(attr.get()), {path, what, "H5Aget_type"});
  if (H5Tget_class(type.get()) != H5T_STRING ||
      check_tri(H5Tis_variable_str(type.get()), {path, what, "H5Tis_variable_str"}))
    throw Error(path + ": " + what + ": not a fixed-length string");
  const size_t size = H5Tget_size(type.get());
  if (size == 0 || size > max_bytes) {
    const std::string claim = what + " claims " + std::to_string(size) + " bytes";
    if (reject != nullptr) reject(path, claim);
    throw Error(path + ": " + claim);
  }
  std::string value(size, '\0');
  check(H5Aread(attr.get(), type.get(), value.data()), {path, what, "H5Aread"});
  value.resize(std::strlen(value.c_str()));
  return value;
}

}  // namespace nm::io::h5
