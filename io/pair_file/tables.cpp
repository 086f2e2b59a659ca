#include "io/pair_file/tables.hpp"

#include <stdexcept>

#include "io/pair_file/checksum.hpp"

namespace nm::io::pair_file {
namespace {

// Done marks as stored -> the attempt numbers; throws when a mark's check fails.
std::vector<uint32_t> decode_marks(const std::string& path, const std::vector<StoredMark>& marks,
                                   uint32_t attempts) {
  std::vector<uint32_t> out(marks.size());
  for (size_t t = 0; t < marks.size(); ++t) {
    if (marks[t].check != mark_check(t, marks[t].gen) || marks[t].gen > attempts)
      throw InputError(corrupt(path, "the done mark of tile " + std::to_string(t) + " in " + kDone +
                                         " fails its check"));
    out[t] = marks[t].gen;
  }
  return out;
}

}  // namespace

void check_fits(hid_t ds, const std::string& path, const char* name, uint64_t count, size_t elem) {
  if (!h5::fits_in_file(ds, count, elem))
    throw InputError(corrupt(path, std::string(name) + " claims " + std::to_string(count) +
                                       " entries, more than the file can hold"));
}

std::vector<uint32_t> read_marks(const std::string& path, hid_t ds, hid_t mark_type, hid_t dxpl,
                                 size_t tiles, uint32_t attempts) {
  const uint64_t have = h5::extent(ds, path, kDone);
  if (have != tiles)
    throw InputError(corrupt(
        path, std::to_string(tiles) + " tiles but " + std::to_string(have) + " done marks"));
  return decode_marks(path, read_some<StoredMark>(path, kDone, ds, mark_type, dxpl, 0, tiles),
                      attempts);
}

void check_key_table_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    throw std::invalid_argument("key table name '" + name + "' is not a plain HDF5 link name");
}

std::string key_group(const std::string& name) { return std::string(kKeys) + "/" + name; }

}  // namespace nm::io::pair_file
