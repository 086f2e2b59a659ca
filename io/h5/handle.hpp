// A thin RAII layer over the HDF5 C API: every hid_t is owned by a Handle that
// closes it, so no error path leaks a file, dataset, dataspace, datatype,
// property list, attribute or group; and every failure becomes an exception
// that names the file, the object and carries HDF5's own error stack.
#pragma once
#include <hdf5.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace nm::io::h5 {

// An HDF5 call failed. what() = "<file>: <object>: <operation> failed: <HDF5 error stack>".
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Stops HDF5 from printing its error stack to stderr: the stack goes into the
// exceptions instead. Also keeps HDF5 from closing files itself at exit
// (H5dont_atexit): every id is owned by a Handle and closed before MPI ends,
// and a file whose close failed (disk full) must not be closed again after
// MPI_Finalize, which crashed in H5F__close_cb. Idempotent; every entry point
// of io/ that uses HDF5 calls it before any other HDF5 call.
void quiet_errors();

// The calling thread's current HDF5 error stack as one line, outermost call
// first and the specific reason last ("H5Fopen(): unable to open file; ...;
// H5FD_sec2_open(): unable to open file: name = 'x', errno = 2"). Clears the stack.
// Returns "no HDF5 error detail" when the stack is empty.
std::string take_error_stack();

// Where a failing call was made, formatted only when it fails.
struct Where {
  std::string_view file;    // path of the HDF5 file
  std::string_view object;  // "/pairs/rows", "attribute complete", ...
  std::string_view op;      // "H5Dwrite", "extend", ...
  std::string text() const;
};

// Throws Error("<where>: <HDF5 error stack>").
[[noreturn]] void fail(const Where& where);

// Owns one hid_t and closes it with `Close` (H5Fclose, H5Dclose...). Move-only.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

  // Gives up the id without closing it: for a file whose writes failed, where
  // closing would only try (and fail) to write again. The id stays open until exit.
  hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }

  // Closes now, ignoring a failure (destructor path: nothing can be reported).
  void reset() {
    if (id_ >= 0) Close(id_);
    id_ = H5I_INVALID_HID;
  }
  // Closes now and throws Error when closing fails (H5Fclose writes metadata).
  void close(const Where& where) {
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    if (id >= 0 && Close(id) < 0) fail(where);
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Dataset = Handle<H5Dclose>;
using Space = Handle<H5Sclose>;
using Type = Handle<H5Tclose>;
using Plist = Handle<H5Pclose>;
using Attr = Handle<H5Aclose>;

// Takes ownership of an id an HDF5 call just returned; throws Error when it is negative.
template <class H>
H make(hid_t id, const Where& where) {
  if (id < 0) fail(where);
  return H(id);
}

// Throws Error when an herr_t is negative.
inline void check(herr_t rc, const Where& where) {
  if (rc < 0) fail(where);
}

// For htri_t calls (H5Lexists, H5Aexists...): true/false, throws Error when negative.
inline bool check_tri(htri_t rc, const Where& where) {
  if (rc < 0) fail(where);
  return rc > 0;
}

}  // namespace nm::io::h5
