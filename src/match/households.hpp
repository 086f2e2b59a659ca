// Household aggregation, algorithms 5 and 6 (matching.md section 4).
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/match/table.hpp"

namespace nm {

// Household key -> number of rows of that household (the denominators of A5/A6).
using HouseholdSizes = std::map<std::string, uint64_t, std::less<>>;

// A table-1 row's household: its uuid (empty: the row takes no part in A5/A6).
inline std::string_view table1_household(const RawTable& t1, size_t row) {
  return t1.get(row, Field::kUuid);
}
// A table-2 row's household: its hh_id, or the text of its id when hh_id is missing.
inline std::string_view table2_household(const RawTable& t2, size_t row) {
  const std::string_view hh = t2.get(row, Field::kHhId);
  return hh.empty() ? t2.get(row, Field::kId) : hh;
}

// Adds the rows of each household of `t` to `sizes`: table-1 uuids (rows
// without one are not counted), or with table2 the table-2 households.
void count_household_sizes(const RawTable& t, bool table2, HouseholdSizes& sizes);

struct HouseholdRow {
  std::string uuid;   // table-1 household key
  std::string hh_id;  // table-2 household key (hh_id, or the id text)
  float pct;
};

// Streaming form: person pairs arrive in (left, right) order with their
// household keys; memory is the households and, for A6, a fixed-size record
// of each matched table-2 person, never the pairs.
class HouseholdAggregator {
 public:
  explicit HouseholdAggregator(bool table2_view) : table2_view_(table2_view) {}
  // hh1 = table-1 uuid (empty: the person takes no part), hh2 = table-2 household key.
  void add(uint64_t left, uint64_t right, float confidence, std::string_view hh1,
           std::string_view hh2);
  // `sizes`: table-1 uuid -> rows (A5) or table-2 household -> rows (A6).
  std::vector<HouseholdRow> finish(const HouseholdSizes& sizes);

 private:
  // A person's pairs reduced to what decides their household: the best
  // confidence and the two best distinct households with their best
  // confidences. The person goes to `first` unless `second` is within
  // FLT_EPSILON of the best (a tie). Memory per person is fixed, whatever
  // the number of their pairs.
  struct Person {
    std::string own;            // the person's own household
    std::string first, second;  // the best two distinct households offered
    float best = -1.0f, second_best = -1.0f;  // their best confidences
    bool has_first = false, has_second = false;
  };
  void offer(Person& p, std::string_view key, float c);
  void settle(const Person& p, bool own_is_uuid);
  bool table2_view_;
  bool have_left_ = false;
  uint64_t cur_left_ = 0;
  Person cur_;                        // A5: the current table-1 person
  std::map<uint64_t, Person> right_;  // A6: every matched table-2 person
  std::map<std::pair<std::string, std::string>, uint64_t> assigned_;  // (uuid, hh) -> persons
};

}  // namespace nm
