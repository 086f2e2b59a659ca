// libFuzzer target for the normalisers of src/text/normalize.hpp (contract:
// matching.md section 2). Inputs that are not valid UTF-8 are skipped, as the
// readers reject those rows before normalising. Checks only properties that
// follow from the contract:
// - every output is valid UTF-8;
// - normalize_text is idempotent, and its output is blank exactly when empty
//   (it is trimmed of White_Space); a blank input normalises to "";
// - normalize_for_phonetic gives only a-z and spaces, never two spaces in a
//   row, no trailing space, and is empty for an empty input.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "io/csv_reader.hpp"
#include "src/text/normalize.hpp"

namespace {

void check(bool ok, const char* what, std::string_view in, std::string_view out) {
  if (ok) return;
  std::fprintf(stderr, "invariant violated: %s\ninput:  \"", what);
  for (unsigned char c : in) std::fprintf(stderr, "\\x%02X", c);
  std::fprintf(stderr, "\"\noutput: \"");
  for (unsigned char c : out) std::fprintf(stderr, "\\x%02X", c);
  std::fprintf(stderr, "\"\n");
  std::abort();
}

bool valid_utf8(std::string_view s) {
  return nm::io::find_invalid_utf8(s) == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (!valid_utf8(in)) return 0;

  const std::string text = nm::normalize_text(in);
  check(valid_utf8(text), "normalize_text output is not UTF-8", in, text);
  const std::string text2 = nm::normalize_text(text);
  check(text2 == text, "normalize_text is not idempotent", in, text2);
  check(nm::is_blank(text) == text.empty(), "normalize_text output blank but not empty", in, text);
  if (nm::is_blank(in)) check(text.empty(), "blank input does not normalise to empty", in, text);

  const std::string simple = nm::normalize_simple(in);
  check(valid_utf8(simple), "normalize_simple output is not UTF-8", in, simple);
  const std::string simple_of_text = nm::normalize_simple(text);
  check(valid_utf8(simple_of_text), "normalize_simple(normalize_text) is not UTF-8", in,
        simple_of_text);

  const std::string phon = nm::normalize_for_phonetic(in);
  for (char c : phon) {
    check((c >= 'a' && c <= 'z') || c == ' ', "phonetic output outside a-z and space", in, phon);
  }
  check(phon.find("  ") == std::string::npos, "phonetic output has a double space", in, phon);
  check(phon.empty() || phon.back() != ' ', "phonetic output ends with a space", in, phon);
  if (in.empty()) check(phon.empty(), "phonetic of empty input is not empty", in, phon);
  return 0;
}
