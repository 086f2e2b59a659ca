// Household aggregation, algorithms 5 and 6 (matching.md section 4).
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "src/match/table.hpp"

namespace nm {

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
  std::vector<HouseholdRow> finish(const std::map<std::string, uint64_t, std::less<>>& sizes);

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

// The table-2 household key of `row`: its hh_id, or its id text when hh_id is
// empty (matching.md section 4).
std::string_view t2_household(const RawTable& t2, uint32_t row);

}  // namespace nm
