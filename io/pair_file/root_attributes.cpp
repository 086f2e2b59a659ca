#include "io/pair_file/root_attributes.hpp"

#include <cstdint>

#include "io/h5/attribute.hpp"
#include "io/pair_file/checksum.hpp"
#include "src/errors.hpp"

namespace nm::io::pair_file {

using h5::read_attr;
using h5::read_string_attr;
using h5::read_u64_attr;
using h5::write_attr;
using h5::write_string_attr;
using h5::write_u64_attr;

void write_meta(MPI_Comm comm, hid_t file, const std::string& path, const PairFileMeta& m) {
  const auto u8 = [&](const char* name, bool v) {
    const uint8_t b = v ? 1 : 0;
    write_attr(comm, file, path, name, H5T_NATIVE_UINT8, &b);
  };
  const auto u32 = [&](const char* name, uint32_t v) {
    write_attr(comm, file, path, name, H5T_NATIVE_UINT32, &v);
  };
  const auto u64 = [&](const char* name, uint64_t v) { write_u64_attr(comm, file, path, name, v); };
  const auto f32 = [&](const char* name, float v) {
    write_attr(comm, file, path, name, H5T_NATIVE_FLOAT, &v);
  };
  const auto str = [&](const char* name, const std::string& v) {
    write_string_attr(comm, file, path, name, v);
  };
  str("format", kFormat);
  u32("format_version", kFormatVersion);
  str("program_version", m.program_version);
  write_attr(comm, file, path, "algorithm", H5T_NATIVE_INT32, &m.algorithm);
  f32("threshold", m.threshold);
  f32("household_threshold", m.household_threshold);
  f32("min_confidence", m.min_confidence);
  u8("dedupe", m.dedupe);
  u8("fuzzy_normalization", m.fuzzy_normalization);
  u8("exhaustive", m.exhaustive);
  u32("ranks", m.ranks);
  str("left_path", m.left_path);
  str("right_path", m.right_path);
  u64("left_bytes", m.left_bytes);
  u64("right_bytes", m.right_bytes);
  u64("left_checksum", m.left_checksum);
  u64("right_checksum", m.right_checksum);
  u64("left_rows", m.left_rows);
  u64("right_rows", m.right_rows);
  u64("plan_hash", m.plan_hash);
}

PairFileMeta read_meta(hid_t file, const std::string& path) {
  PairFileMeta m;
  const auto flag = [&](const char* name) {
    return read_attr<uint8_t>(file, path, name, H5T_NATIVE_UINT8) != 0;
  };
  const auto u32 = [&](const char* name) {
    return read_attr<uint32_t>(file, path, name, H5T_NATIVE_UINT32);
  };
  const auto u64 = [&](const char* name) { return read_u64_attr(file, path, name); };
  const auto f32 = [&](const char* name) {
    return read_attr<float>(file, path, name, H5T_NATIVE_FLOAT);
  };
  m.format = kFormat;
  m.format_version = kFormatVersion;
  m.program_version = read_string_attr(file, path, "program_version", kMaxText, reject_corrupt);
  m.algorithm = read_attr<int32_t>(file, path, "algorithm", H5T_NATIVE_INT32);
  m.threshold = f32("threshold");
  m.household_threshold = f32("household_threshold");
  m.min_confidence = f32("min_confidence");
  m.dedupe = flag("dedupe");
  m.fuzzy_normalization = flag("fuzzy_normalization");
  m.exhaustive = flag("exhaustive");
  m.ranks = u32("ranks");
  m.left_path = read_string_attr(file, path, "left_path", kMaxText, reject_corrupt);
  m.right_path = read_string_attr(file, path, "right_path", kMaxText, reject_corrupt);
  m.left_bytes = u64("left_bytes");
  m.right_bytes = u64("right_bytes");
  m.left_checksum = u64("left_checksum");
  m.right_checksum = u64("right_checksum");
  m.left_rows = u64("left_rows");
  m.right_rows = u64("right_rows");
  m.plan_hash = u64("plan_hash");
  return m;
}

void write_root_state(MPI_Comm comm, hid_t file, const std::string& path, const RootState& s) {
  const uint8_t c = s.complete ? 1 : 0;
  write_attr(comm, file, path, "complete", H5T_NATIVE_UINT8, &c);
  write_attr(comm, file, path, "attempts", H5T_NATIVE_UINT32, &s.attempts);
  write_u64_attr(comm, file, path, "stored_pairs", s.pairs);
  write_u64_attr(comm, file, path, "stored_payload_bytes", s.payload);
  write_u64_attr(comm, file, path, "stored_pieces", s.pieces);
  write_u64_attr(comm, file, path, "stored_sums", s.sums);
  write_u64_attr(comm, file, path, "state_checksum", state_sum(s));
}

RootState read_root_state(hid_t file, const std::string& path) {
  RootState s;
  s.complete = read_attr<uint8_t>(file, path, "complete", H5T_NATIVE_UINT8) != 0;
  s.attempts = read_attr<uint32_t>(file, path, "attempts", H5T_NATIVE_UINT32);
  s.pairs = read_u64_attr(file, path, "stored_pairs");
  s.payload = read_u64_attr(file, path, "stored_payload_bytes");
  s.pieces = read_u64_attr(file, path, "stored_pieces");
  s.sums = read_u64_attr(file, path, "stored_sums");
  if (read_u64_attr(file, path, "state_checksum") != state_sum(s))
    throw InputError(corrupt(path,
                             "the root attributes complete, attempts and stored_* do not "
                             "match their state_checksum"));
  if (s.attempts == 0) throw InputError(corrupt(path, "attempts is 0"));
  return s;
}

void verify_meta(hid_t file, const std::string& path, const PairFileMeta& m,
                 const std::vector<TileRow>& tiles) {
  if (read_u64_attr(file, path, "meta_checksum") != meta_sum(m, tiles))
    throw InputError(corrupt(path,
                             "the run's attributes or the plan (/plan/tiles) do not match "
                             "meta_checksum"));
}

}  // namespace nm::io::pair_file
