#include "io/h5/handle.hpp"

#include <mutex>

namespace nm::io::h5 {
namespace {

herr_t collect_entry(unsigned n, const H5E_error2_t* err, void* client) {
  auto& out = *static_cast<std::string*>(client);
  if (n > 0) out += "; ";
  out += err->func_name != nullptr ? err->func_name : "?";
  out += "(): ";
  out += err->desc != nullptr ? err->desc : "";
  char minor[128] = {0};
  if (H5Eget_msg(err->min_num, nullptr, minor, sizeof(minor)) > 0) {
    out += " [";
    out += minor;
    out += "]";
  }
  return 0;
}

}  // namespace

void quiet_errors() {
  static std::once_flag once;
  std::call_once(once, [] {
    H5dont_atexit();  // before the library initialises itself
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  });
}

std::string take_error_stack() {
  std::string out;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_entry, &out);
  H5Eclear2(H5E_DEFAULT);
  return out.empty() ? std::string("no HDF5 error detail") : out;
}

std::string Where::text() const {
  std::string out(file);
  if (!object.empty()) (out += ": ") += object;
  if (!op.empty()) ((out += ": ") += op) += " failed";
  return out;
}

void fail(const Where& where) { throw Error(where.text() + ": " + take_error_stack()); }

}  // namespace nm::io::h5
