#include "jobs/generate/csv_rows.hpp"

#include "io/csv_writer.hpp"

namespace nm::jobs::generator {

// CSV quoting is io::append_csv_field's (only when a field needs it).
using io::append_csv_field;

void append_uint(std::string& buf, uint64_t v, int min_width) {
  char tmp[24];
  char* end = tmp + sizeof tmp;
  char* p = end;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (end - p < min_width) *--p = '0';
  buf.append(p, static_cast<size_t>(end - p));
}

void append_left_id(std::string& buf, uint64_t row) {
  buf.push_back('L');
  append_uint(buf, row + 1, 8);
}

namespace {

void append_date(std::string& buf, const Fields& f) {
  if (f.year == 0) return;
  append_uint(buf, f.year, 4);
  buf.push_back('-');
  append_uint(buf, f.month, 2);
  buf.push_back('-');
  append_uint(buf, f.day, 2);
}

}  // namespace

void append_uuid(std::string& buf, Rng& rng) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t a = rng.next(), b = rng.next();
  a = (a & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char out[36];
  int k = 0;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out[k++] = '-';
    const uint64_t word = i < 16 ? a : b;
    out[k++] = kHex[(word >> (60 - 4 * (i % 16))) & 0xF];
  }
  buf.append(out, 36);
}

void append_record(std::string& buf, std::string_view id, std::string_view uuid, const Fields& f,
                   std::string_view hh) {
  append_csv_field(buf, id);
  buf.push_back(',');
  append_csv_field(buf, uuid);
  buf.push_back(',');
  append_csv_field(buf, f.first);
  buf.push_back(',');
  append_csv_field(buf, f.middle);
  buf.push_back(',');
  append_csv_field(buf, f.last);
  buf.push_back(',');
  append_date(buf, f);
  buf.push_back(',');
  append_csv_field(buf, hh);
  buf.push_back('\n');
}

}  // namespace nm::jobs::generator
