// Fixed-width values appended to and read from byte buffers in the host's
// byte order, for messages between the ranks of one job (the shuffle, the
// household counts). Unchecked: the reader trusts the writer, another rank of
// the same program.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

namespace nm::jobs {

inline void put_u64(std::string& b, uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); }
inline void put_u32(std::string& b, uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); }
template <class T>
T get(const char*& p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  return v;
}

}  // namespace nm::jobs
