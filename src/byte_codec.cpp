#include "src/byte_codec.hpp"

#include <bit>

namespace nm {

ByteWriter& ByteWriter::u8(uint8_t v) {
  out_.push_back(static_cast<char>(v));
  return *this;
}

ByteWriter& ByteWriter::f32(float v) { return u32(std::bit_cast<uint32_t>(v)); }
ByteWriter& ByteWriter::f64(double v) { return u64(std::bit_cast<uint64_t>(v)); }

ByteWriter& ByteWriter::varint(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
  return *this;
}

ByteWriter& ByteWriter::bytes(std::string_view s) {
  out_.append(s);
  return *this;
}

std::string ByteWriter::take() {
  std::string out = std::move(out_);
  out_.clear();
  return out;
}

ByteWriter& ByteWriter::little_endian(uint64_t v, int width) {
  char out[8];
  for (int i = 0; i < width; ++i) out[i] = static_cast<char>(v >> (8 * i));
  out_.append(out, static_cast<size_t>(width));
  return *this;
}

uint8_t ByteReader::u8() { return static_cast<uint8_t>(bytes(1)[0]); }
float ByteReader::f32() { return std::bit_cast<float>(u32()); }
double ByteReader::f64() { return std::bit_cast<double>(u64()); }

uint64_t ByteReader::varint() {
  uint64_t v = 0;
  size_t at = pos_;  // committed to pos_ only when the whole varint is there
  for (int shift = 0; shift < 64; shift += 7) {
    if (at >= in_.size()) fail("truncated");
    const auto byte = static_cast<uint8_t>(in_[at++]);
    // The tenth byte holds bit 63 only.
    if (shift == 63 && byte > 1) fail("varint overflows 64 bits");
    v |= uint64_t(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      pos_ = at;
      return v;
    }
  }
  fail("varint too long");
}

std::string_view ByteReader::bytes(size_t n) {
  if (remaining() < n) fail("truncated");
  const std::string_view v = in_.substr(pos_, n);
  pos_ += n;
  return v;
}

void ByteReader::fail(const std::string& why) const { throw ByteCodecError(what_ + ": " + why); }

uint64_t ByteReader::little_endian(int width) {
  const std::string_view b = bytes(static_cast<size_t>(width));
  uint64_t v = 0;
  for (int i = 0; i < width; ++i)
    v |= uint64_t(static_cast<uint8_t>(b[static_cast<size_t>(i)])) << (8 * i);
  return v;
}

}  // namespace nm
