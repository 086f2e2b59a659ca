// A byte codec for the program's own binary forms (the broadcast plan, the
// pair file's checksum serialisations): fixed-width little-endian integers,
// IEEE floats by their bits, and LEB128 varints (7 bits a byte, low bits
// first, high bit = more follows). The same bytes on every host, whatever
// its byte order.
//
// ByteReader checks every read against the end of its input and throws
// ByteCodecError instead of reading past it, so truncated or corrupt input
// from another process or a file is refused, never read out of bounds.
//
// Example:
//   nm::ByteWriter w;
//   w.bytes("NMPLAN").u8(1).varint(ranks).u64(hash);
//   std::string wire = w.take();
//
//   nm::ByteReader in(wire, "deserialize_plan");
//   if (in.bytes(6) != "NMPLAN") in.fail("bad magic");  // "deserialize_plan: bad magic"
//   const uint8_t version = in.u8();
//   const uint64_t ranks = in.varint();                  // throws "...: truncated" at the end
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace nm {

// Input a ByteReader refused: what() = "<what the reader reads>: <why>"
// ("deserialize_plan: truncated").
class ByteCodecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Appends values to a byte string. Every method returns *this for chaining.
class ByteWriter {
 public:
  ByteWriter& u8(uint8_t v);
  ByteWriter& u32(uint32_t v) { return little_endian(v, 4); }
  ByteWriter& u64(uint64_t v) { return little_endian(v, 8); }
  ByteWriter& f32(float v);   // the IEEE 754 bits as u32
  ByteWriter& f64(double v);  // the IEEE 754 bits as u64
  // 1 to 10 bytes: small values take few bytes.
  ByteWriter& varint(uint64_t v);
  // The bytes as they are, without a length: the reader must know it.
  ByteWriter& bytes(std::string_view s);

  std::string_view view() const { return out_; }
  size_t size() const { return out_.size(); }
  void clear() { out_.clear(); }
  // Moves the bytes out; the writer is empty afterwards.
  std::string take();

 private:
  ByteWriter& little_endian(uint64_t v, int width);
  std::string out_;
};

// Reads values from a byte string it does not own (the string must outlive
// it), in the order a ByteWriter wrote them. Every read that would pass the
// end throws ByteCodecError("<what>: truncated") and consumes nothing.
class ByteReader {
 public:
  // `what` names the reader in its errors ("deserialize_plan").
  ByteReader(std::string_view bytes, std::string what) : in_(bytes), what_(std::move(what)) {}

  uint8_t u8();
  uint32_t u32() { return static_cast<uint32_t>(little_endian(4)); }
  uint64_t u64() { return little_endian(8); }
  float f32();
  double f64();
  // Throws on a varint longer than 10 bytes or past 64 bits.
  uint64_t varint();
  // The next n bytes, a view into the input.
  std::string_view bytes(size_t n);

  size_t remaining() const { return in_.size() - pos_; }
  // Throws ByteCodecError("<what>: <why>"): for the caller's own checks, so
  // that every error of one decoder reads alike.
  [[noreturn]] void fail(const std::string& why) const;

 private:
  uint64_t little_endian(int width);
  std::string_view in_;
  size_t pos_ = 0;
  std::string what_;
};

}  // namespace nm
