// Double Metaphone against Apache Commons Codec 1.15: the shared surname table
// plus hand cases (expected values produced with the codec itself).
#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <string_view>

#include "src/text/double_metaphone.hpp"

#ifndef NM_SHARED_DIR
#define NM_SHARED_DIR "/work/shared"
#endif

namespace {

struct Expected {
  std::string_view input;
  int max_len;
  std::string_view primary;
  std::string_view alternate;
};

void check_case(const Expected& e) {
  CAPTURE(e.input);
  CAPTURE(e.max_len);
  const nm::DoubleMetaphoneCodes codes = nm::double_metaphone(e.input, e.max_len);
  CHECK(codes.primary == e.primary);
  CHECK(codes.alternate == e.alternate);
  CHECK(nm::double_metaphone_primary(e.input, e.max_len) == e.primary);
}

}  // namespace

TEST_CASE("double metaphone: every row of the shared surname table") {
  const std::string path = NM_SHARED_DIR "/testdata/double_metaphone_surnames.tsv";
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.is_open(), "cannot open " << path);
  int rows = 0;
  int failures = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    const auto tab1 = line.find('\t');
    const auto tab2 = tab1 == std::string::npos ? std::string::npos : line.find('\t', tab1 + 1);
    REQUIRE_MESSAGE(tab2 != std::string::npos, "malformed row: " << line);
    const std::string word = line.substr(0, tab1);
    const std::string primary = line.substr(tab1 + 1, tab2 - tab1 - 1);
    const std::string alternate = line.substr(tab2 + 1);
    ++rows;
    const nm::DoubleMetaphoneCodes codes = nm::double_metaphone(word);
    const std::string fast = nm::double_metaphone_primary(word);
    CHECK_MESSAGE(codes.primary == primary, "word '" << word << "': primary " << codes.primary);
    CHECK_MESSAGE(codes.alternate == alternate,
                  "word '" << word << "': alternate " << codes.alternate);
    CHECK_MESSAGE(fast == primary, "word '" << word << "': fast primary " << fast);
    if (codes.primary != primary || codes.alternate != alternate || fast != primary) ++failures;
  }
  CHECK(rows == 1221);
  CHECK(failures == 0);
}

TEST_CASE("double metaphone: blank input gives empty codes") {
  for (const Expected& e : {Expected{"", 4, "", ""}, Expected{"   ", 4, "", ""},
                            Expected{" \t\r\n ", 4, "", ""}, Expected{"\x01\x1f", 4, "", ""}}) {
    check_case(e);
  }
}

TEST_CASE("double metaphone: the whole string is one upper-cased word") {
  // Spaces are not word breaks, lower case is upper-cased, the ends are trimmed.
  check_case({"jon smith", 4, "JNSM", "ANSM"});
  check_case({"\t jon smith \n", 4, "JNSM", "ANSM"});
  check_case({"jon smith", 6, "JNSM0", "ANSMT"});
  check_case({"Van Gogh", 4, "FNKK", "FNKK"});         // "VAN " start is Germanic
  check_case({"San Jacinto", 6, "SNHSNT", "SNHSNT"});  // "SAN " start: Spanish J
  check_case({"Jose", 4, "HS", "HS"});
}

TEST_CASE("double metaphone: maximum code length") {
  check_case({"Thompson", 4, "TMPS", "TMPS"});
  check_case({"Thompson", 6, "TMPSN", "TMPSN"});
  check_case({"maclaughlin", 4, "MKLF", "MKLF"});
  check_case({"maclaughlin", 6, "MKLFLN", "MKLFLN"});
  check_case({"Filipowicz", 6, "FLPTS", "FLPFX"});  // a two-letter append cut at 4 above
  check_case({"Filipowicz", 4, "FLPT", "FLPF"});
  check_case({"Schmidt", 1, "X", "S"});
  check_case({"Schmidt", 0, "", ""});
  check_case({"Schmidt", -3, "", ""});
}

TEST_CASE("double metaphone: codec quirks") {
  // A final J puts a space in the alternate code.
  check_case({"HADJ", 4, "HTJ", "HT "});
  check_case({"Raj", 4, "RJ", "R "});
  // The Latin-1 letters the codec knows, in either case.
  check_case({"façade", 4, "FST", "FST"});
  check_case({"FAÇADE", 4, "FST", "FST"});
  check_case({"Muñoz", 4, "MNS", "MNS"});
  // Java's upper case of ß is SS.
  check_case({"Straße", 4, "STRS", "STRS"});
  check_case({"Czerny", 4, "SRN", "XRN"});
  check_case({"Arnow", 4, "ARN", "ARNF"});
  check_case({"Ximenez", 4, "SMNS", "SMNS"});
  check_case({"Knight", 4, "NT", "NT"});
  check_case({"Wright", 4, "RT", "RT"});
}
