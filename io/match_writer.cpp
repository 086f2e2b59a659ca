#include "io/match_writer.hpp"

#include <cstdio>

#include "io/csv_writer.hpp"
#include "src/dates.hpp"

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

uint64_t write_matches(const std::string& path, int algorithm, const RawTable& t1,
                       const RawTable& t2, const std::vector<MatchPair>& pairs) {
  OutputFile f(path);
  std::string& b = f.buffer();
  b += match_header(algorithm);
  b += '\n';
  const bool with_middle = algorithm != 1;
  for (const MatchPair& p : pairs) {
    append_person(b, t1, p.left, with_middle);
    append_person(b, t2, p.right, with_middle);
    b += "true,";
    append_confidence(b, p.confidence);
    switch (algorithm) {
      case 1:
        b += ",\"id,uuid,first_name,last_name,birthdate\"\n";
        break;
      case 2:
        b += ",\"id,uuid,first_name,middle_name,last_name,birthdate\"\n";
        break;
      default:
        b += ",\"fuzzy,";
        b += label_name(p.label);
        b += ",birthdate\"\n";
    }
    f.maybe_flush();
  }
  f.close();
  return f.bytes_written();
}

uint64_t write_households(const std::string& path, const std::vector<HouseholdRow>& rows) {
  OutputFile f(path);
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
