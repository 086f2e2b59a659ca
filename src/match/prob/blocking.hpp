// Blocking rules of the probabilistic mode (--block RULE, repeatable): which
// record pairs are candidates. A pair is a candidate when, under at least one
// rule, both records have a key and the keys are equal. Rules are OR-ed; a
// pair found by several rules is scored once, by the first of them
// (found_by_earlier_rule), so no set of pairs is ever held.
//
// Syntax: terms joined by '+', spaces around names ignored. A term is
//   COLUMN                 the column's normalized value (prob::normalized_value)
//   dm(COLUMN)             primary Double Metaphone of that value
//   prefix(COLUMN, N)      its first N code points, N in 1..64
//   year(birthdate)        the birth year
//   md(birthdate)          the birth month and day
//   swap(COL_A, COL_B)     left.A == right.B and left.B == right.A
// A COLUMN is a contract field (first_name, middle_name, last_name, uuid,
// hh_id, id), birthdate (bare: the exact day), or an extra column of the
// table (RawTable::extra_names). Example: "dm(last_name) + year(birthdate)".
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "partition/blocks.hpp"
#include "src/match/prob/model.hpp"
#include "src/match/table.hpp"

namespace nm::prob {

enum class TermKind : uint8_t {
  kValue,      // COLUMN (a text column's value, or birthdate's day)
  kMetaphone,  // dm(COLUMN)
  kPrefix,     // prefix(COLUMN, N)
  kYear,       // year(birthdate)
  kMonthDay,   // md(birthdate)
  kSwap,       // swap(COLUMN, COLUMN_B)
};

struct KeyTerm {
  TermKind kind = TermKind::kValue;
  std::string column;    // as written, spaces around it removed
  std::string column_b;  // kSwap only
  uint32_t prefix = 0;   // kPrefix only: code points kept
};

struct BlockingRule {
  std::string text;  // as written (messages, the model's list)
  std::vector<KeyTerm> terms;
  // True when a swap term makes the left and right keys of a record differ.
  bool asymmetric() const;
};

inline constexpr std::string_view kBirthdateColumn = "birthdate";
inline constexpr uint32_t kMaxPrefix = 64;

// Throws UsageError "--block 'TEXT': what is wrong" for bad syntax, an
// unknown function, a wrong argument, or year/md of a column other than
// birthdate (and dm/prefix/swap of birthdate). Column names are checked
// against a table by check_rule_columns.
BlockingRule parse_rule(std::string_view text);

// Throws UsageError "--block 'TEXT': no column 'X' (columns: ...)" when a
// term names a column the table does not have.
void check_rule_columns(const BlockingRule& rule, const RawTable& table);

// The rules used when no --block is given (measured on FEBRL4 and the
// generator's data: tests/prob/test_blocking.cpp, "default rules recall").
std::vector<std::string> default_rule_texts();
// The same followed by one rule per other compared column (--compare; not
// dates): its value, e.g. a national id or a postcode (the pair budget below
// leaves out those too common to block on, like a state).
std::vector<std::string> default_rule_texts(const std::vector<Comparison>& comparisons);
// The default rules, cheapest for the recall they add first: equal
// birthdates, swapped names, then a name with part of the birthdate (the
// pairs whose date changed), then name-only rules (whose other name and date
// both changed). They are taken in order while the pairs they predict, added
// up, stay within this budget; a rule that would exceed it is left out (with
// a message) and the next one tried, so the defaults stay affordable at 100M
// rows. Rules given with --block are always used.
uint64_t default_rule_budget(uint64_t left_rows, uint64_t right_rows);

// The columns the rules read besides the contract's fields and the
// birthdate (what the loader must read as extra columns), in first-use order.
std::vector<std::string> rule_columns(const std::vector<BlockingRule>& rules);

// Every row's key under every rule.
struct RuleKeys {
  uint32_t rules = 0;
  std::vector<uint64_t> keys;  // row-major: keys[row * rules + r]; kNoKey = no key
  uint64_t at(size_t row, uint32_t r) const { return keys[row * rules + r]; }
  size_t rows() const { return rules == 0 ? 0 : keys.size() / rules; }
};

// A row's key under rule r is stable_hash (seeded with r, so two rules never
// share a key) of its terms' values, each written with its length; kNoKey
// when any term's value is missing (empty text, kNoDate, empty metaphone).
// right_form: a swap(A, B) term reads (B, A) instead of (A, B), so a left
// row's key equals a right row's key exactly when the swap agrees; for rules
// without swap both forms are equal. Checks the rules' columns (UsageError).
// The result does not depend on `threads`.
RuleKeys compute_rule_keys(const RawTable& t, const std::vector<BlockingRule>& rules,
                           bool right_form, unsigned threads);

// True when a rule k < rule puts rows l (left) and r (right) in one block:
// left.at(l, k) != kNoKey && left.at(l, k) == right.at(r, k). Rule `rule`
// keeps a pair of its blocks only when this is false, so every candidate
// pair is scored once.
// Inline: the scorer asks it for every pair.
inline bool found_by_earlier_rule(const RuleKeys& left, const RuleKeys& right, size_t l, size_t r,
                                  uint32_t rule) {
  const uint64_t* a = left.keys.data() + l * left.rules;
  const uint64_t* b = right.keys.data() + r * right.rules;
  for (uint32_t k = 0; k < rule; ++k)
    if (a[k] != kNoKey && a[k] == b[k]) return true;
  return false;
}

// Per rule, the pairs its blocks hold, before the dedupe across rules (a pair
// found by several rules is counted by each):
//   linking (dedupe = false): sum over keys of |left rows with it| x |right
//     rows with it|.
//   dedupe = true: left and right are the left and right forms of one table;
//     the unordered pairs {i, j}, i != j, with left.at(i) == right.at(j). The
//     relation is symmetric (a swap agrees both ways), so this is
//     (sum over keys of L x R - rows whose two forms share a key) / 2:
//     n(n-1)/2 per key for a rule without swap, and for a swap rule the pairs
//     the engine keeps as (l, r) with l < r.
// The rules are counted on up to `threads` threads (the result does not
// depend on it).
std::vector<uint64_t> predicted_pairs_per_rule(const RuleKeys& left, const RuleKeys& right,
                                               bool dedupe, unsigned threads = 1);

// The default rules against the pair budget: each rule's predicted pairs
// (predicted_pairs_per_rule, before the dedupe across rules) and whether it
// fits default_rule_budget. The run keeps the rules that fit; `plan` shows
// them all. With dedupe `right` is the left table.
struct DefaultRuleChoice {
  std::vector<uint64_t> predicted;
  std::vector<bool> kept;
  uint64_t budget = 0;
};
DefaultRuleChoice choose_default_rules(const std::vector<BlockingRule>& rules,
                                       const RawTable& left, const RawTable& right, bool dedupe,
                                       unsigned threads);
// The same from the rules' predicted pairs: taken in order while the sum
// stays within the budget.
DefaultRuleChoice choose_within_budget(std::vector<uint64_t> predicted, uint64_t budget);

// The keys of some of the rules (indexes into k's rules, in this order),
// each keeping the seed of its place in k: a run computes every row's keys
// once for all its rules (default, scoring and training) and takes the
// columns each set needs. Keys of different rules never compare equal
// either way; only equality within one rule's column is used.
RuleKeys select_rule_keys(const RuleKeys& k, const std::vector<uint32_t>& rules);

}  // namespace nm::prob
