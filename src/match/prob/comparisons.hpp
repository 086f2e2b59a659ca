// The probabilistic mode's comparisons: which columns are compared and how
// (the default person comparisons and --compare COLUMN=KIND), their level
// names, and every record prepared once for them (normalised code points,
// metaphone codes, day numbers, how common each value is).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/prob_compare.hpp"
#include "src/match/prob/model.hpp"
#include "src/match/table.hpp"
#include "src/text/dates.hpp"

namespace nm::prob {

using kernels::prob::LevelSet;

// Where a compared or blocked column's values come from in a RawTable.
struct ColumnRef {
  enum Kind : uint8_t { kField, kBirthdate, kExtra } kind = kField;
  uint32_t index = 0;  // Field number, or extra column number
};
// Throws UsageError naming the option and listing the columns there are.
ColumnRef resolve_column(const RawTable& t, std::string_view name, std::string_view option);
std::string_view column_text(const RawTable& t, ColumnRef c, size_t row);

// compare_kind_from_name, or UsageError naming the option.
CompareKind parse_kind(std::string_view kind, std::string_view option);

// The comparisons of a model without --compare: first, middle and last name
// and the birthdate; then one per --compare COLUMN=KIND ("postcode=prefix").
// m and u are left empty (training fills them).
std::vector<Comparison> default_comparisons(const std::vector<std::string>& compare_options);
// Columns the comparisons read besides the contract's fields (for the loader).
std::vector<std::string> extra_columns_of(const std::vector<Comparison>& comparisons);
LevelSet level_set_of(const Comparison& c);

// One side's records prepared for comparison. Text comparisons have a slot
// each (in comparison order), date comparisons a day slot each.
struct PreparedSide {
  std::vector<uint32_t> cp;                // code points of every text value
  uint32_t text_slots = 0, date_slots = 0;
  std::vector<uint64_t> offset;            // [row * text_slots + slot] into cp
  std::vector<uint32_t> length, dm;        // [row * text_slots + slot]; length 0 = missing
  std::vector<uint64_t> profile;           // [row * text_slots + slot]: letter_profile() (names)
  std::vector<uint32_t> hash;              // [row * text_slots + slot]: value_hash()
  std::vector<int32_t> days;               // [row * date_slots + slot]; kNoDay = missing
  std::vector<uint32_t> ymd;               // [row * date_slots + slot]: pack_ymd(days)
  std::vector<uint32_t> frequency;         // [row * text_slots + slot]: the value's count on both sides (term-frequency slots)
  std::vector<uint32_t> own_frequency;     // [row * text_slots + slot]: of those, the records with the row's birthdate too (0: none known)
  std::vector<uint32_t> name_frequency;    // [row]: the (first, last) name's count on both sides (0: either missing)
  std::vector<uint32_t> name_people;       // [row]: people bearing the name: in each table its records' groups of close birthdates, summed
  uint32_t max_len = 0;
  size_t rows = 0;
};

// The prepared form of the comparisons of one model.
struct ComparisonPlan {
  std::vector<kernels::prob::Item> items;  // one per comparison, in model order
  std::vector<ColumnRef> columns;          // the column of each
  std::vector<bool> term_frequency;        // per comparison
  int swap_first = -1, swap_last = -1;     // text slots of first and last name (the swap level)
  uint32_t text_slots = 0, date_slots = 0;
};
ComparisonPlan plan_comparisons(const std::vector<Comparison>& comparisons, const RawTable& t,
                                std::string_view option);

kernels::prob::SideView side_view(const PreparedSide& s);

// Prepares one side. Term-frequency counts are filled by count_frequencies.
PreparedSide prepare_side(const ComparisonPlan& plan, const RawTable& t,
                          const DateFormat& extra_dates, unsigned threads);
// How many non-missing values were counted: per comparison (0 for those
// without term frequency), and of whole (first, last) names.
struct FrequencyTotals {
  std::vector<uint64_t> values;
  uint64_t names = 0;
};
// Counts every term-frequency value over both sides (right null with
// dedupe) and stores each record's count; likewise each whole (first, last)
// name when both have term frequency: first and last names are not
// independent (a surname is far more common with some first names), so a
// pair equal on both is weighed by how common the whole name is, and by how
// many people bear it (name_people: in each table the name's distinct
// birthdates, those the birthdate comparison rates closer than "else" taken
// as one person's, summed over the tables).
FrequencyTotals count_frequencies(const ComparisonPlan& plan, PreparedSide& left,
                                  PreparedSide* right);
// How many records of other people than the row's own bear its value in
// term-frequency slot `slot`: the value's count less the row's own person's
// records, taken to be those that agree with it on the value and the
// birthdate (the row alone when it has no birthdate), and at least 1. A
// person in a registry several times (or on both sides of a link) would
// otherwise make a rare value look as common as a value of that many people;
// u of the value's "equal" is this count over the column's total.
uint32_t others_frequency(const PreparedSide& s, size_t row, uint32_t slot);

// The bit-parallel patterns of one left row's names (compare_pair's
// Patterns): the CPU's fast path. The engine takes the left row as the outer
// loop, so a pattern serves all of the row's right rows; it is built when a
// comparison first needs it (an equal name needs none) and kept while the
// next rows bear the same value (the rows of a block on that name).
class LeftPatterns {
 public:
  explicit LeftPatterns(const ComparisonPlan& plan);
  LeftPatterns(const LeftPatterns&) = delete;  // 14 KB or so a thread: not to be copied
  LeftPatterns& operator=(const LeftPatterns&) = delete;
  LeftPatterns(LeftPatterns&&) = default;
  LeftPatterns& operator=(LeftPatterns&&) = default;

  // The pattern of `value`, the left row's value in text slot `slot`
  // (nullptr when it has none: empty or beyond 64 code points).
  const kernels::Pattern64* get(uint32_t slot, const kernels::prob::Text& value) {
    Slot& s = slots_[slot];
    if (s.cp != value.cp || s.len != value.len) rebuild(s, value);
    return s.fits ? s.pattern.get() : nullptr;
  }

 private:
  struct Slot {
    std::unique_ptr<kernels::Pattern64> pattern;
    const uint32_t* cp = nullptr;  // the value it was built for
    uint32_t len = 0;
    bool fits = false;
  };
  void rebuild(Slot& s, const kernels::prob::Text& value);
  std::vector<Slot> slots_;  // per text slot
};

// The levels of one pair, as a pattern. `scratch` holds
// kernels::device_metric_scratch_words(max_len) words.
inline Pattern compare_pair(const ComparisonPlan& plan, const kernels::prob::SideView& l,
                            size_t lrow, const kernels::prob::SideView& r, size_t rrow,
                            uint32_t* scratch) {
  return kernels::prob::compare_pair(plan.items.data(), static_cast<uint32_t>(plan.items.size()),
                                     plan.swap_first, plan.swap_last, l, lrow, r, rrow, scratch);
}
// One left row ready for all of its pairs (the engine takes the left row as
// the outer loop): its patterns and, for the person comparisons alone
// (first, middle, last name, birthdate: the default model), its values'
// keys, so that the most common pair, unlike on every name, is decided by a
// screen (comparisons.cpp) that reads no code point. The screen decides a
// pair only when the letter-profile bound does (as jw_level_bound() would);
// the rest take kernels::prob::compare_pair. The levels are the same.
class LeftRecord {
 public:
  explicit LeftRecord(const ComparisonPlan& plan);

  // Holds row `row` of v (nothing to do when it is the row held).
  void load(const kernels::prob::SideView& v, uint64_t row) {
    if (row == row_ && v.cp == cp_) return;
    row_ = row;
    cp_ = v.cp;
    if (screen_ != nullptr) load_keys(v, row);
  }
  // The levels of the pair (the row held, r's row rr) when the screen
  // decides them; false when it does not.
  bool screen(const kernels::prob::SideView& r, uint64_t rr, Pattern& out) const {
    return keyed_ && screen_(*this, r, rr, out);
  }
  LeftPatterns& patterns() { return patterns_; }

  // A left name as the screen reads it: need44/need46[lb], the fewest
  // Jaro matches with which a name of lb code points could reach 0.88 /
  // 0.92 (jw_may_reach with the longest prefix).
  struct Key {
    kernels::prob::Text text;
    const uint8_t* need44;
    const uint8_t* need46;
  };
  using Screen = bool (*)(const LeftRecord&, const kernels::prob::SideView&, uint64_t, Pattern&);

 private:
  void load_keys(const kernels::prob::SideView& v, uint64_t row);
  friend struct ScreenBody;

  LeftPatterns patterns_;
  Screen screen_ = nullptr;  // nullptr: not the person comparisons
  // The person comparisons: text slots of first, middle, last name, the
  // date slot, and each one's place in the pattern (its 4-bit shift).
  uint32_t f_ = 0, m_ = 0, g_ = 0, d_ = 0;
  uint32_t at_f_ = 0, at_m_ = 0, at_g_ = 0, at_d_ = 0;
  Key first_{}, middle_{}, last_{};
  int32_t day_ = 0;
  uint32_t packed_ = 0;
  bool keyed_ = false;  // the row held can be screened
  uint64_t row_ = ~uint64_t{0};
  const uint32_t* cp_ = nullptr;  // the side the row is of
};

// The same levels through `left`, which holds l's row lrow after the call
// (the CPU's fast path).
inline Pattern compare_pair(const ComparisonPlan& plan, const kernels::prob::SideView& l,
                            size_t lrow, const kernels::prob::SideView& r, size_t rrow,
                            uint32_t* scratch, LeftRecord& left) {
  left.load(l, lrow);
  Pattern screened;
  if (left.screen(r, rrow, screened)) return screened;
  return kernels::prob::compare_pair(plan.items.data(), static_cast<uint32_t>(plan.items.size()),
                                     plan.swap_first, plan.swap_last, l, lrow, r, rrow, scratch,
                                     left.patterns());
}

}  // namespace nm::prob
