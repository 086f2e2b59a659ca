#include "io/h5/datatype.hpp"

namespace nm::io::h5 {

Type compound_type(size_t size, const char* name) {
  return make<Type>(H5Tcreate(H5T_COMPOUND, size), {"(datatype)", name, "H5Tcreate"});
}

void insert_member(hid_t t, const char* type, const char* member, size_t offset,
                   hid_t member_type) {
  check(H5Tinsert(t, member, offset, member_type), {"(datatype)", type, "H5Tinsert"});
}

}  // namespace nm::io::h5
