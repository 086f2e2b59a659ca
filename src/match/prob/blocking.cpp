#include "src/match/prob/blocking.hpp"
#include "src/match/prob/model.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <utility>

#include "partition/blocks.hpp"
#include "src/errors.hpp"
#include "src/match/prob/values.hpp"
#include "src/parallel.hpp"
#include "src/text/double_metaphone.hpp"
#include "src/text/normalize.hpp"
#include "src/text/stable_hash.hpp"
#include "src/text/utf8.hpp"

namespace nm::prob {

bool BlockingRule::asymmetric() const {
  return std::any_of(terms.begin(), terms.end(),
                     [](const KeyTerm& t) { return t.kind == TermKind::kSwap; });
}

namespace {

// ---- parsing ----

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_delimiter(char c) { return c == '+' || c == '(' || c == ')' || c == ','; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// A token: a delimiter character, or a name (the text between delimiters,
// spaces around it removed, so "street number" stays one column name).
struct Token {
  char delim = 0;  // '+', '(', ')', ',', or 0 for a name; kEnd at the end
  std::string name;
};
constexpr char kEnd = '$';

std::vector<Token> tokenize(std::string_view text) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    if (is_space(text[i])) {
      ++i;
    } else if (is_delimiter(text[i])) {
      out.push_back({text[i], {}});
      ++i;
    } else {
      size_t j = i;
      while (j < text.size() && !is_delimiter(text[j])) ++j;
      out.push_back({0, std::string(trim(text.substr(i, j - i)))});
      i = j;
    }
  }
  out.push_back({kEnd, {}});
  return out;
}

std::string describe(const Token& t) {
  if (t.delim == kEnd) return "end of rule";
  if (t.delim != 0) return std::string("'") + t.delim + "'";
  return "'" + t.name + "'";
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text), tokens_(tokenize(text)) {}

  BlockingRule parse() {
    BlockingRule rule;
    rule.text = std::string(text_);
    if (tokens_.size() == 1) fail("empty rule");
    for (;;) {
      rule.terms.push_back(term());
      const Token& t = next();
      if (t.delim == kEnd) break;
      if (t.delim != '+') fail("expected '+' or the end after " + last_ + ", found " + describe(t));
      if (peek().delim == kEnd) fail("missing term after the last '+'");
    }
    return rule;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw UsageError("--block '" + std::string(text_) + "': " + what);
  }
  const Token& peek() const { return tokens_[pos_]; }
  const Token& next() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }

  std::string name(const std::string& where) {
    const Token& t = next();
    if (t.delim != 0) fail("expected a column " + where + ", found " + describe(t));
    last_ = "'" + t.name + "'";
    return t.name;
  }

  // The arguments of f( ... ): names separated by ','; the ')' is consumed.
  std::vector<std::string> arguments(const std::string& f) {
    std::vector<std::string> args;
    for (;;) {
      args.push_back(name(args.empty() ? "after '" + f + "('" : "after ','"));
      const Token& t = next();
      if (t.delim == ')') return args;
      if (t.delim == ',') continue;
      if (t.delim == kEnd) fail("missing ')' after " + last_);
      fail("expected ',' or ')' after " + last_ + ", found " + describe(t));
    }
  }

  void arity(const std::string& f, const std::vector<std::string>& args, size_t n,
             const char* shape) const {
    if (args.size() != n)
      fail(f + "() takes " + shape + ", found " + std::to_string(args.size()) + " argument" +
           (args.size() == 1 ? "" : "s"));
  }

  void text_column(const std::string& f, const std::string& column) const {
    if (column == kBirthdateColumn)
      fail(f +
           "() needs a text column; birthdate is a date (use birthdate, year(birthdate) or "
           "md(birthdate))");
  }

  KeyTerm term() {
    KeyTerm k;
    const std::string head = name("or a function");
    if (peek().delim != '(') {
      k.column = head;  // kValue: a bare column (birthdate: the exact day)
      return k;
    }
    next();
    const std::vector<std::string> args = arguments(head);
    last_ = "')'";
    if (head == "dm") {
      arity(head, args, 1, "one column");
      text_column(head, args[0]);
      k.kind = TermKind::kMetaphone;
    } else if (head == "prefix") {
      arity(head, args, 2, "a column and a length");
      text_column(head, args[0]);
      k.kind = TermKind::kPrefix;
      k.prefix = prefix_length(args[1]);
    } else if (head == "year" || head == "md") {
      arity(head, args, 1, "one column");
      if (args[0] != kBirthdateColumn) fail(head + "() needs birthdate, not '" + args[0] + "'");
      k.kind = head == "year" ? TermKind::kYear : TermKind::kMonthDay;
    } else if (head == "swap") {
      arity(head, args, 2, "two columns");
      text_column(head, args[0]);
      text_column(head, args[1]);
      if (args[0] == args[1]) fail("swap() needs two different columns");
      k.kind = TermKind::kSwap;
      k.column_b = args[1];
    } else {
      fail("unknown function '" + head + "' (functions: dm, prefix, year, md, swap)");
    }
    k.column = args[0];
    return k;
  }

  uint32_t prefix_length(const std::string& s) const {
    uint32_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || end != s.data() + s.size() || n < 1 || n > kMaxPrefix)
      fail("prefix() length '" + s + "' is not a whole number from 1 to " +
           std::to_string(kMaxPrefix));
    return n;
  }

  std::string_view text_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::string last_;  // the last name or ')' read, for messages
};

// ---- columns ----

// A column of the table: a contract field, birthdate, or an extra column.
constexpr uint32_t kBirthdateId = kTextFieldCount;
constexpr uint32_t kExtraBase = kTextFieldCount + 1;

std::optional<uint32_t> column_id(const RawTable& t, std::string_view name) {
  for (size_t f = 0; f < kTextFieldCount; ++f)
    if (kFieldNames[f] == name) return static_cast<uint32_t>(f);
  if (name == kBirthdateColumn) return kBirthdateId;
  for (size_t k = 0; k < t.extra_names.size(); ++k)
    if (t.extra_names[k] == name) return static_cast<uint32_t>(kExtraBase + k);
  return std::nullopt;
}

// The contract's fields in the order the rule syntax lists them.
std::string column_list(const RawTable& t) {
  std::string s = "first_name, middle_name, last_name, uuid, hh_id, id, birthdate";
  for (const std::string& e : t.extra_names) s += ", " + e;
  return s;
}

uint32_t resolve(const BlockingRule& rule, const RawTable& t, const std::string& name) {
  if (const auto id = column_id(t, name)) return *id;
  throw UsageError("--block '" + rule.text + "': no column '" + name +
                   "' (columns: " + column_list(t) + ")");
}

}  // namespace

BlockingRule parse_rule(std::string_view text) { return Parser(text).parse(); }

void check_rule_columns(const BlockingRule& rule, const RawTable& table) {
  for (const KeyTerm& k : rule.terms) {
    resolve(rule, table, k.column);
    if (k.kind == TermKind::kSwap) resolve(rule, table, k.column_b);
  }
}

// Chosen for >= 99 % pair recall on FEBRL4 and on the generator's data
// (tests/prob/test_blocking_recall.cpp). FEBRL4's duplicates often keep only
// one name exact (the other and the date changed), so the single-name rules
// are needed there; they make most of the candidates (~1 % of the cross
// product). The prefix rule catches typos in both names, swap the exchanged
// names. "last_name + birthdate" and "first_name + birthdate" find nothing
// "birthdate" does not, but cost a name's share of its pairs (~0.5 %): at
// the sizes where the birthdate blocks no longer fit the budget (2M rows and
// up on the generator's data) they keep the equal-birthdate pairs with one
// name changed (two thirds of what the budget's other cuts miss).
std::vector<std::string> default_rule_texts() {
  return {"birthdate",
          "last_name + birthdate",
          "first_name + birthdate",
          "swap(first_name, last_name)",
          "prefix(first_name, 3) + prefix(last_name, 3) + year(birthdate)",
          "first_name + md(birthdate)",
          "last_name + md(birthdate)",
          "first_name + year(birthdate)",
          "last_name + year(birthdate)",
          "dm(first_name) + dm(last_name)",
          "first_name",
          "last_name",
          "prefix(first_name, 3) + prefix(last_name, 3)"};
}

std::vector<std::string> default_rule_texts(const std::vector<Comparison>& comparisons) {
  std::vector<std::string> out = default_rule_texts();
  for (const Comparison& c : comparisons) {
    if (c.column == "first_name" || c.column == "middle_name" || c.column == "last_name" ||
        c.column == kBirthdateColumn || c.kind == CompareKind::kDate)
      continue;
    out.push_back(c.column);
  }
  return out;
}

uint64_t default_rule_budget(uint64_t left_rows, uint64_t right_rows) {
  return std::max<uint64_t>(uint64_t{1} << 20, 32 * (left_rows + right_rows));
}

namespace {

// ---- keys ----

// A term with its columns resolved against the table.
struct BoundTerm {
  TermKind kind;
  uint32_t a = 0, b = 0;
  uint32_t prefix = 0;
};

// One row's values, each computed once however many terms and rules use it.
class RowValues {
 public:
  RowValues(const RawTable& t, size_t columns) : t_(t), norm_(columns), dm_(columns) {}
  void start(size_t row) {
    row_ = row;
    have_norm_.assign(norm_.size(), false);
    have_dm_.assign(dm_.size(), false);
  }
  int32_t date() const { return t_.birthdate[row_]; }
  const std::string& normalized(uint32_t c) {
    if (!have_norm_[c]) {
      norm_[c] = normalized_value(c < kTextFieldCount ? t_.get(row_, static_cast<Field>(c))
                                                      : t_.get_extra(row_, c - kExtraBase));
      have_norm_[c] = true;
    }
    return norm_[c];
  }
  // As the deterministic mode codes names (match/prepare): the phonetic
  // form of the normalized value, then the primary code of length 4.
  const std::string& metaphone(uint32_t c) {
    if (!have_dm_[c]) {
      const std::string phonetic = normalize_for_phonetic(normalized(c));
      dm_[c] = phonetic.empty() ? std::string() : double_metaphone_primary(phonetic, 4);
      have_dm_[c] = true;
    }
    return dm_[c];
  }

 private:
  const RawTable& t_;
  size_t row_ = 0;
  std::vector<std::string> norm_, dm_;
  std::vector<bool> have_norm_, have_dm_;
};

// Appends one value with its length, so "ab"+"c" and "a"+"bc" differ.
void put(std::string& key, std::string_view v) {
  const uint32_t n = static_cast<uint32_t>(v.size());
  key.append(reinterpret_cast<const char*>(&n), sizeof n);
  key.append(v);
}

std::string_view code_point_prefix(std::string_view s, uint32_t n) {
  size_t i = 0;
  for (uint32_t k = 0; k < n && i < s.size(); ++k)
    i += decode_utf8_at(s, i, Utf8Policy::kTrusted).length;
  return s.substr(0, std::min(i, s.size()));
}

// Appends the term's value to key; false when it is missing.
bool put_term(std::string& key, const BoundTerm& k, RowValues& v, bool right_form) {
  if (k.a == kBirthdateId) {
    const int32_t d = v.date();
    if (d == kNoDate) return false;
    const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{d}}};
    int32_t x = d;  // kValue: the day itself
    if (k.kind == TermKind::kYear) x = static_cast<int>(ymd.year());
    if (k.kind == TermKind::kMonthDay)
      x = static_cast<int32_t>(unsigned(ymd.month()) * 100 + unsigned(ymd.day()));
    put(key, std::string_view(reinterpret_cast<const char*>(&x), sizeof x));
    return true;
  }
  switch (k.kind) {
    case TermKind::kMetaphone: {
      const std::string& m = v.metaphone(k.a);
      if (m.empty()) return false;
      put(key, m);
      return true;
    }
    case TermKind::kSwap: {
      const std::string& x = v.normalized(right_form ? k.b : k.a);
      const std::string& y = v.normalized(right_form ? k.a : k.b);
      if (x.empty() || y.empty()) return false;
      put(key, x);
      put(key, y);
      return true;
    }
    default: {  // kValue, kPrefix
      const std::string& s = v.normalized(k.a);
      if (s.empty()) return false;
      put(key, k.kind == TermKind::kPrefix ? code_point_prefix(s, k.prefix) : s);
      return true;
    }
  }
}

uint64_t rule_key(const std::vector<BoundTerm>& terms, uint32_t r, RowValues& v, bool right_form,
                  std::string& scratch) {
  scratch.clear();
  for (const BoundTerm& k : terms)
    if (!put_term(scratch, k, v, right_form)) return kNoKey;
  const uint64_t h = stable_hash(scratch, r);
  return h == kNoKey ? kNoKey - 1 : h;  // kNoKey means "no key": never a real one
}

}  // namespace

RuleKeys compute_rule_keys(const RawTable& t, const std::vector<BlockingRule>& rules,
                           bool right_form, unsigned threads) {
  std::vector<std::vector<BoundTerm>> bound(rules.size());
  for (size_t r = 0; r < rules.size(); ++r)
    for (const KeyTerm& k : rules[r].terms)
      bound[r].push_back({k.kind, resolve(rules[r], t, k.column),
                          k.kind == TermKind::kSwap ? resolve(rules[r], t, k.column_b) : 0,
                          k.prefix});
  RuleKeys out;
  out.rules = static_cast<uint32_t>(rules.size());
  const size_t n = t.size();
  out.keys.assign(n * rules.size(), kNoKey);
  if (rules.empty()) return out;
  const size_t columns = kExtraBase + t.extra_names.size();
  constexpr size_t kRowsPerTask = 4096;
  // Each task writes only its rows' keys, and a key depends only on its row.
  parallel_for((n + kRowsPerTask - 1) / kRowsPerTask, threads, [&](size_t task, unsigned) {
    RowValues values(t, columns);
    std::string scratch;
    const size_t end = std::min(n, (task + 1) * kRowsPerTask);
    for (size_t row = task * kRowsPerTask; row < end; ++row) {
      values.start(row);
      for (uint32_t r = 0; r < out.rules; ++r)
        out.keys[row * out.rules + r] = rule_key(bound[r], r, values, right_form, scratch);
    }
  });
  return out;
}

}  // namespace nm::prob

namespace nm::prob {

std::vector<std::string> rule_columns(const std::vector<BlockingRule>& rules) {
  std::vector<std::string> out;
  auto add = [&](const std::string& c) {
    if (c.empty() || c == kBirthdateColumn) return;
    for (auto f : kFieldNames)
      if (f == c) return;
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  };
  for (const auto& r : rules)
    for (const auto& t : r.terms) {
      add(t.column);
      add(t.column_b);
    }
  return out;
}

}  // namespace nm::prob
