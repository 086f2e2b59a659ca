#include "io/match_writer.hpp"

#include <cstdio>
#include <cstring>

#include "io/csv_writer.hpp"
#include "src/text/dates.hpp"
#include "src/errors.hpp"
#include "src/match/algorithm.hpp"
#include "src/match/engine.hpp"

namespace nm::io {

std::string match_header(int algorithm) {
  switch (algorithm) {
    case 1:
      return "Table1_ID,Table1_UUID,Table1_FirstName,Table1_LastName,Table1_Birthdate,Table2_ID,"
             "Table2_UUID,Table2_FirstName,Table2_LastName,Table2_Birthdate,is_matched_Infnbd,"
             "Confidence,MatchedFields";
    case 2:
      return "Table1_ID,Table1_UUID,Table1_FirstName,Table1_MiddleName,Table1_LastName,"
             "Table1_Birthdate,Table2_ID,Table2_UUID,Table2_FirstName,Table2_MiddleName,"
             "Table2_LastName,Table2_Birthdate,is_matched_Infnmnbd,Confidence,MatchedFields";
    case 3:
    case 4:
      return "Table1_ID,Table1_UUID,Table1_FirstName,Table1_MiddleName,Table1_LastName,"
             "Table1_Birthdate,Table2_ID,Table2_UUID,Table2_FirstName,Table2_MiddleName,"
             "Table2_LastName,Table2_Birthdate,is_matched_Fuzzy,Confidence,MatchedFields";
    default:
      return "id,uuid,hh_id,match_percentage,region_code,poor_hat_0,poor_hat_10";
  }
}

namespace {

void append_person(std::string& out, const RawTable& t, uint32_t row, bool with_middle) {
  append_csv_field(out, t.get(row, Field::kId));
  out += ',';
  append_csv_field(out, t.get(row, Field::kUuid));
  out += ',';
  append_csv_field(out, t.get(row, Field::kFirst));
  out += ',';
  if (with_middle) {
    append_csv_field(out, t.get(row, Field::kMiddle));
    out += ',';
  }
  append_csv_field(out, t.get(row, Field::kLast));
  out += ',';
  if (t.birthdate[row] != kNoDate) {
    char buf[10];
    format_iso_date(t.birthdate[row], buf);
    out.append(buf, 10);
  }
  out += ',';
}

}  // namespace

void append_payload(std::string& out, int algorithm, const RawTable& t1, uint32_t row1,
                    const RawTable& t2, uint32_t row2) {
  const bool with_middle = algorithm_traits(algorithm).middle_in_output;
  auto put = [&](auto&& fill) {
    const size_t at = out.size();
    out.append(4, '\0');
    fill();
    const uint32_t n = static_cast<uint32_t>(out.size() - at - 4);
    std::memcpy(out.data() + at, &n, 4);
  };
  put([&] { append_person(out, t1, row1, with_middle); });
  put([&] { append_person(out, t2, row2, with_middle); });
  put([&] { out += table1_household(t1, row1); });
  put([&] { out += table2_household(t2, row2); });
}

PairPayload parse_payload(std::string_view b) {
  std::string_view parts[4];
  for (auto& part : parts) {
    uint32_t n = 0;
    if (b.size() < 4) throw InputError("pair payload is truncated");
    std::memcpy(&n, b.data(), 4);
    b.remove_prefix(4);
    if (b.size() < n) throw InputError("pair payload is truncated");
    part = b.substr(0, n);
    b.remove_prefix(n);
  }
  if (!b.empty()) throw InputError("pair payload has trailing bytes");
  return PairPayload{parts[0], parts[1], parts[2], parts[3]};
}

MatchCsvWriter::MatchCsvWriter(const std::string& path, int algorithm, CommitGroup* group)
    : file_(path, group), algorithm_(algorithm) {
  file_.buffer() += match_header(algorithm);
  file_.buffer() += '\n';
}

void MatchCsvWriter::add(const PairPayload& p, float confidence, uint8_t label) {
  std::string& b = file_.buffer();
  b += p.t1;
  b += p.t2;
  b += "true,";
  append_confidence(b, confidence);
  switch (algorithm_) {
    case 1:
      b += ",\"id,uuid,first_name,last_name,birthdate\"\n";
      break;
    case 2:
      b += ",\"id,uuid,first_name,middle_name,last_name,birthdate\"\n";
      break;
    default:
      b += ",\"fuzzy,";
      b += label_name(label);
      b += ",birthdate\"\n";
  }
  ++rows_;
  file_.maybe_flush();
}

uint64_t MatchCsvWriter::close() {
  file_.close();
  return file_.bytes_written();
}

uint64_t write_households(const std::string& path, const std::vector<HouseholdRow>& rows,
                          CommitGroup* group) {
  OutputFile f(path, group);
  std::string& b = f.buffer();
  b += match_header(5);
  b += '\n';
  uint64_t id = 0;
  for (const HouseholdRow& r : rows) {
    b += std::to_string(++id);
    b += ',';
    append_csv_field(b, r.uuid);
    b += ',';
    append_csv_field(b, r.hh_id);
    char pct[64];
    std::snprintf(pct, sizeof pct, ",%.2f,,,\n", static_cast<double>(r.pct));
    b += pct;
    f.maybe_flush();
  }
  f.close();
  return f.bytes_written();
}

}  // namespace nm::io
