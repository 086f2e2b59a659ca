#include "io/h5/dataset.hpp"

#include <algorithm>
#include <utility>

#include "io/h5/collective.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::io::h5 {
namespace {

uint64_t g_max_io_bytes = uint64_t{256} << 20;

}  // namespace

uint64_t max_io_bytes() { return g_max_io_bytes; }
uint64_t set_max_io_bytes(uint64_t bytes) { return std::exchange(g_max_io_bytes, bytes); }

hsize_t table_chunk(uint64_t size, hsize_t max) { return std::clamp<hsize_t>(size, 1, max); }

Dataset create_dataset(MPI_Comm comm, hid_t file, const std::string& path, const char* name,
                       hid_t type, hsize_t size, hsize_t chunk, bool zero_fill) {
  const hsize_t dims[1] = {size}, max_dims[1] = {H5S_UNLIMITED}, chunk_dims[1] = {chunk};
  Space space = make<Space>(H5Screate_simple(1, dims, max_dims), {path, name, "H5Screate_simple"});
  Plist dcpl = make<Plist>(H5Pcreate(H5P_DATASET_CREATE), {path, name, "H5Pcreate"});
  check(H5Pset_chunk(dcpl.get(), 1, chunk_dims), {path, name, "H5Pset_chunk"});
  check(H5Pset_fill_time(dcpl.get(), zero_fill ? H5D_FILL_TIME_ALLOC : H5D_FILL_TIME_NEVER),
        {path, name, "H5Pset_fill_time"});
  return Dataset(agreed(comm, {path, name, "H5Dcreate2"}, [&] {
    return H5Dcreate2(file, name, type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT);
  }));
}

Dataset open_dataset(hid_t file, const std::string& path, const char* name) {
  return make<Dataset>(H5Dopen2(file, name, H5P_DEFAULT), {path, name, "H5Dopen2"});
}

uint64_t extent(hid_t ds, const std::string& path, const std::string& name) {
  Space space = make<Space>(H5Dget_space(ds), {path, name, "H5Dget_space"});
  hsize_t dims[1] = {0};
  if (H5Sget_simple_extent_ndims(space.get()) != 1)
    throw Error(path + ": " + name + ": expected a one-dimensional dataset");
  if (H5Sget_simple_extent_dims(space.get(), dims, nullptr) < 0)
    fail({path, name, "H5Sget_simple_extent_dims"});
  return dims[0];
}

void set_extent(MPI_Comm comm, hid_t ds, const std::string& path, const char* name, uint64_t size) {
  const hsize_t dims[1] = {size};
  agreed(comm, {path, name, "H5Dset_extent"}, [&] { return H5Dset_extent(ds, dims); });
}

Space select_range(hid_t file_space, uint64_t first, uint64_t count, const Where& where) {
  const hsize_t mem_dims[1] = {std::max<hsize_t>(count, 1)};
  Space mem = make<Space>(H5Screate_simple(1, mem_dims, nullptr), where);
  if (count == 0) {
    check(H5Sselect_none(file_space), where);
    check(H5Sselect_none(mem.get()), where);
  } else {
    const hsize_t start[1] = {first}, cnt[1] = {count};
    check(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, nullptr, cnt, nullptr), where);
  }
  return mem;
}

void write_collective(MPI_Comm comm, const Target& t, uint64_t first, uint64_t count,
                      const void* data) {
  static const unsigned char kNothing = 0;  // a valid buffer for empty selections
  const uint64_t per_round = std::max<uint64_t>(1, g_max_io_bytes / t.elem);
  const uint64_t rounds = mpi::allreduce_max(comm, (count + per_round - 1) / per_round);
  Space file_space = make<Space>(H5Dget_space(t.ds), {t.path, t.name, "H5Dget_space"});
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (uint64_t r = 0; r < rounds; ++r) {
    const uint64_t lo = std::min(count, r * per_round);
    const uint64_t n = std::min(count - lo, per_round);
    Space mem = select_range(file_space.get(), first + lo, n, {t.path, t.name, "select"});
    agreed(comm, {t.path, t.name, "H5Dwrite"}, [&] {
      return H5Dwrite(t.ds, t.mem_type, mem.get(), file_space.get(), t.dxpl,
                      n > 0 ? static_cast<const void*>(bytes + lo * t.elem) : &kNothing);
    });
  }
}

void read_range(const Target& t, uint64_t first, uint64_t count, void* data) {
  const uint64_t per_round = std::max<uint64_t>(1, g_max_io_bytes / t.elem);
  Space file_space = make<Space>(H5Dget_space(t.ds), {t.path, t.name, "H5Dget_space"});
  auto* bytes = static_cast<unsigned char*>(data);
  for (uint64_t lo = 0; lo < count; lo += per_round) {
    const uint64_t n = std::min(count - lo, per_round);
    Space mem = select_range(file_space.get(), first + lo, n, {t.path, t.name, "select"});
    check(H5Dread(t.ds, t.mem_type, mem.get(), file_space.get(), t.dxpl, bytes + lo * t.elem),
          {t.path, t.name, "H5Dread"});
  }
}

bool fits_in_file(hid_t ds, uint64_t count, size_t elem) {
  hsize_t file_bytes = 0;
  const File file(H5Iget_file_id(ds));  // an id of its own, closed here
  if (file.valid()) H5Fget_filesize(file.get(), &file_bytes);
  return !(file_bytes > 0 && count > file_bytes / elem + 1);
}

}  // namespace nm::io::h5
