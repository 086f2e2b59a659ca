// Tests of the byte codec (src/byte_codec.hpp): every value round-trips, the
// bytes are little-endian and the same on every host, and a reader refuses
// to read past the end of its input.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "src/byte_codec.hpp"

namespace {

using nm::ByteCodecError;
using nm::ByteReader;
using nm::ByteWriter;

constexpr uint64_t kMax64 = std::numeric_limits<uint64_t>::max();

std::string hex(std::string_view bytes) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out += digits[static_cast<uint8_t>(c) >> 4];
    out += digits[static_cast<uint8_t>(c) & 15];
  }
  return out;
}

// The message a reader of `bytes` throws on its next read by `read`.
template <class Read>
std::string refusal(std::string_view bytes, Read&& read) {
  ByteReader in(bytes, "test input");
  try {
    read(in);
  } catch (const ByteCodecError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("byte codec: every value round-trips") {
  const std::vector<uint64_t> varints = {
      0, 1, 127, 128, 255, 300, 1ull << 32, (1ull << 63) - 1, 1ull << 63, kMax64};
  ByteWriter w;
  w.u8(0).u8(255).u32(0xDEADBEEF).u64(0x0123456789ABCDEFull).f32(-1.5f).f64(3.25).bytes("abc");
  for (uint64_t v : varints) w.varint(v);
  const std::string wire = w.take();
  CHECK(w.size() == 0);

  ByteReader in(wire, "test input");
  CHECK(in.u8() == 0);
  CHECK(in.u8() == 255);
  CHECK(in.u32() == 0xDEADBEEF);
  CHECK(in.u64() == 0x0123456789ABCDEFull);
  CHECK(in.f32() == -1.5f);
  CHECK(in.f64() == 3.25);
  CHECK(in.bytes(3) == "abc");
  for (uint64_t v : varints) CHECK(in.varint() == v);
  CHECK(in.remaining() == 0);
}

TEST_CASE("byte codec: the bytes are little-endian and varints are LEB128") {
  CHECK(hex(ByteWriter().u32(0x01020304).view()) == "04030201");
  CHECK(hex(ByteWriter().u64(0x0102030405060708ull).view()) == "0807060504030201");
  CHECK(hex(ByteWriter().f32(1.0f).view()) == "0000803f");
  CHECK(hex(ByteWriter().varint(0).view()) == "00");
  CHECK(hex(ByteWriter().varint(127).view()) == "7f");
  CHECK(hex(ByteWriter().varint(128).view()) == "8001");
  CHECK(hex(ByteWriter().varint(300).view()) == "ac02");
  CHECK(hex(ByteWriter().varint(kMax64).view()) == "ffffffffffffffffff01");
}

TEST_CASE("byte codec: a truncated input is refused, never read past") {
  ByteWriter w;
  w.u32(7).u64(8).varint(kMax64).bytes("tail");
  const std::string wire = w.take();
  // Every prefix shorter than the whole: some read must throw.
  for (size_t n = 0; n < wire.size(); ++n) {
    CAPTURE(n);
    const std::string prefix = wire.substr(0, n);  // own copy: ASan sees any overread
    ByteReader in(prefix, "test input");
    CHECK_THROWS_AS(
        {
          in.u32();
          in.u64();
          in.varint();
          in.bytes(4);
        },
        ByteCodecError);
  }
  CHECK(refusal("", [](ByteReader& in) { in.u8(); }) == "test input: truncated");
  CHECK(refusal("abc", [](ByteReader& in) { in.u32(); }) == "test input: truncated");
  CHECK(refusal("abcdefg", [](ByteReader& in) { in.f64(); }) == "test input: truncated");
  CHECK(refusal("ab", [](ByteReader& in) { in.bytes(3); }) == "test input: truncated");
  CHECK(refusal("\x80\x80", [](ByteReader& in) { in.varint(); }) == "test input: truncated");
}

TEST_CASE("byte codec: a failed read consumes nothing") {
  const std::string wire = "xyz";
  ByteReader in(wire, "test input");
  CHECK_THROWS_AS(in.u32(), ByteCodecError);
  CHECK(in.remaining() == 3);
  CHECK(in.bytes(3) == "xyz");
  const std::string unfinished = "\x80\x80";  // a varint whose last byte is missing
  ByteReader v(unfinished, "test input");
  CHECK_THROWS_AS(v.varint(), ByteCodecError);
  CHECK(v.remaining() == 2);
  CHECK(v.u8() == 0x80);
}

TEST_CASE("byte codec: corrupt varints and the caller's own checks") {
  // Ten bytes whose last carries more than bit 63.
  CHECK(refusal("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", [](ByteReader& in) { in.varint(); }) ==
        "test input: varint overflows 64 bits");
  CHECK(refusal("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x81", [](ByteReader& in) { in.varint(); }) ==
        "test input: varint overflows 64 bits");
  CHECK(refusal("x", [](ByteReader& in) { in.fail("bad magic"); }) == "test input: bad magic");
  // A ByteCodecError is a std::runtime_error.
  CHECK_THROWS_AS(ByteReader("", "t").u8(), std::runtime_error);
}
