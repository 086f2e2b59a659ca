// How well the default blocking rules find true pairs, and at what cost: pair
// recall (the share of true pairs whose records share a key under at least
// one rule) and candidate pairs (after the dedupe across rules), on FEBRL4
// and on the generator's data. The skipped case prints the table behind the
// choice of defaults:  nm_tests -tc='*blocking rules: measure*' --no-skip
// (FEBRL4: rows with an impossible date are rejected by the loader for now, so
// recall counts the true pairs whose rows both loaded: 4936 of 5000.)
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "io/table_loader.hpp"
#include "jobs/generate/generate.hpp"
#include "partition/blocks.hpp"
#include "src/match/prob/blocking.hpp"
#include "src/text/dates.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef NM_SHARED_DIR
#define NM_SHARED_DIR "/work/shared"
#endif

namespace {

using nm::RawTable;
using nm::prob::RuleKeys;

struct Linkage {
  RawTable left, right;
  std::vector<std::pair<uint32_t, uint32_t>> truth;  // (left row, right row)
};

RawTable load(const std::string& path, nm::io::LoadOptions lo, const nm::test::TempDir& dir) {
  nm::io::RejectsFile rejects(dir.file("rejects.csv"));
  lo.trim_fields = true;
  lo.skip_bad_rows = true;
  lo.rejects = &rejects;
  return nm::io::load_csv_table(path, lo, nullptr);
}

std::map<std::string, uint32_t> rows_by_id(const RawTable& t) {
  std::map<std::string, uint32_t> out;
  for (uint32_t r = 0; r < t.size(); ++r) out.emplace(std::string(t.get(r, nm::Field::kId)), r);
  return out;
}

// FEBRL4: rec-N-org (dataset4a) is rec-N-dup-0 (dataset4b). Rows with an
// impossible date are rejected by the loader; recall counts the true pairs
// whose two rows loaded.
Linkage febrl4(const nm::test::TempDir& dir) {
  nm::io::LoadOptions lo;
  lo.column_map = {{"id", "rec_id"},
                   {"first_name", "given_name"},
                   {"last_name", "surname"},
                   {"birthdate", "date_of_birth"}};
  lo.date_format = nm::DateFormat("%Y%m%d");
  const std::string base = NM_SHARED_DIR "/data/febrl/";
  Linkage k{load(base + "dataset4a.csv", lo, dir), load(base + "dataset4b.csv", lo, dir), {}};
  const auto right = rows_by_id(k.right);
  for (uint32_t l = 0; l < k.left.size(); ++l) {
    std::string id(k.left.get(l, nm::Field::kId));
    if (id.size() < 4 || id.compare(id.size() - 4, 4, "-org") != 0) continue;
    const auto it = right.find(id.substr(0, id.size() - 4) + "-dup-0");
    if (it != right.end()) k.truth.emplace_back(l, it->second);
  }
  return k;
}

// `name_matcher generate`'s data with its truth file.
Linkage generated(const nm::test::TempDir& dir, uint64_t rows, uint64_t seed) {
  nm::jobs::GenerateOptions g;
  g.rows = rows;
  g.seed = seed;
  g.out_dir = dir.file("gen");
  nm::jobs::generate_dataset(g);
  const nm::io::LoadOptions lo;
  Linkage k{load(g.out_dir + "/left.csv", lo, dir), load(g.out_dir + "/right.csv", lo, dir), {}};
  const auto left = rows_by_id(k.left), right = rows_by_id(k.right);
  std::FILE* f = std::fopen((g.out_dir + "/truth.csv").c_str(), "r");
  REQUIRE(f != nullptr);
  char a[64], b[64];
  REQUIRE(std::fscanf(f, "%63[^,],%63s\n", a, b) == 2);  // the header
  while (std::fscanf(f, "%63[^,],%63s\n", a, b) == 2) {
    const auto l = left.find(a), r = right.find(b);
    if (l != left.end() && r != right.end()) k.truth.emplace_back(l->second, r->second);
  }
  std::fclose(f);
  return k;
}

struct Measured {
  uint64_t true_pairs = 0, found = 0, candidates = 0;
  std::vector<uint64_t> predicted, kept;  // per rule: before / after the dedupe across rules
  std::vector<uint64_t> only;             // per rule: true pairs no other rule finds
  double recall() const { return true_pairs ? double(found) / double(true_pairs) : 0; }
};

std::vector<uint64_t> rule_column(const RuleKeys& k, uint32_t r) {
  std::vector<uint64_t> out(k.rows());
  for (size_t row = 0; row < out.size(); ++row) out[row] = k.at(row, r);
  return out;
}

Measured measure(const Linkage& k, const std::vector<std::string>& texts) {
  std::vector<nm::prob::BlockingRule> rules;
  for (const std::string& s : texts) rules.push_back(nm::prob::parse_rule(s));
  const RuleKeys left = nm::prob::compute_rule_keys(k.left, rules, false, 2);
  const RuleKeys right = nm::prob::compute_rule_keys(k.right, rules, true, 2);
  Measured m;
  m.predicted = nm::prob::predicted_pairs_per_rule(left, right, false);
  m.true_pairs = k.truth.size();
  m.only.assign(left.rules, 0);
  for (const auto& [l, r] : k.truth) {
    m.found += nm::prob::found_by_earlier_rule(left, right, l, r, left.rules);
    uint32_t n = 0, last = 0;
    for (uint32_t rule = 0; rule < left.rules; ++rule)
      if (left.at(l, rule) != nm::kNoKey && left.at(l, rule) == right.at(r, rule)) n++, last = rule;
    if (n == 1) ++m.only[last];
    if (n == 0 && std::getenv("NM_BLOCK_MISSES")) {
      const auto show = [](const RawTable& t, size_t row) {
        return std::string(t.get(row, nm::Field::kFirst)) + " | " +
               std::string(t.get(row, nm::Field::kLast)) + " | " +
               (t.birthdate[row] == nm::kNoDate ? std::string("-")
                                                : nm::iso_date(t.birthdate[row]));
      };
      std::printf("  miss: %-45s %s\n", show(k.left, l).c_str(), show(k.right, r).c_str());
    }
  }
  // Each rule's blocks, less the pairs an earlier rule found.
  for (uint32_t rule = 0; rule < left.rules; ++rule) {
    const nm::KeyedRows a = nm::sort_by_key(rule_column(left, rule), 1);
    const nm::KeyedRows b = nm::sort_by_key(rule_column(right, rule), 1);
    uint64_t kept = 0;
    for (size_t i = 0, j = 0; i < a.keys.size() && j < b.keys.size();) {
      if (a.keys[i] != b.keys[j]) {
        (a.keys[i] < b.keys[j] ? i : j)++;
        continue;
      }
      size_t ie = i, je = j;
      while (ie < a.keys.size() && a.keys[ie] == a.keys[i]) ++ie;
      while (je < b.keys.size() && b.keys[je] == b.keys[j]) ++je;
      for (size_t x = i; x < ie; ++x)
        for (size_t y = j; y < je; ++y)
          kept += !nm::prob::found_by_earlier_rule(left, right, a.rows[x], b.rows[y], rule);
      i = ie;
      j = je;
    }
    m.kept.push_back(kept);
    m.candidates += kept;
  }
  return m;
}

void print(const char* data, const std::vector<std::string>& texts, const Measured& m) {
  std::printf("%s: recall %.4f (%llu of %llu), candidate pairs %llu\n", data, m.recall(),
              (unsigned long long)m.found, (unsigned long long)m.true_pairs,
              (unsigned long long)m.candidates);
  for (size_t r = 0; r < texts.size(); ++r)
    std::printf("    %-40s predicted %10llu  kept %10llu  only it finds %6llu\n", texts[r].c_str(),
                (unsigned long long)m.predicted[r], (unsigned long long)m.kept[r],
                (unsigned long long)m.only[r]);
}

}  // namespace

TEST_CASE("prob blocking: default rules recall on FEBRL4 and generated data") {
  nm::test::TempDir dir;
  const auto rules = nm::prob::default_rule_texts();
  const Linkage f = febrl4(dir);
  REQUIRE(f.truth.size() > 4500);  // ~5000, less the rows with impossible dates
  const Measured mf = measure(f, rules);
  CHECK(mf.recall() >= 0.99);
  CHECK(mf.candidates < 250000);  // of 25M pairs in the cross product
  const Linkage g = generated(dir, 20000, 5);
  REQUIRE(g.truth.size() > 10000);
  const Measured mg = measure(g, rules);
  CHECK(mg.recall() >= 0.99);
  MESSAGE("FEBRL4 recall " << mf.recall() << ", " << mf.candidates
                           << " pairs; generated 20k recall " << mg.recall() << ", "
                           << mg.candidates << " pairs");
}

TEST_CASE("prob blocking rules: measure the alternatives" * doctest::skip()) {
  std::vector<std::vector<std::string>> sets = {
      nm::prob::default_rule_texts(),
      {"birthdate", "first_name", "last_name", "swap(first_name, last_name)"},
      {"birthdate", "first_name", "last_name", "swap(first_name, last_name)",
       "prefix(first_name, 2) + prefix(last_name, 2)"},
      {"birthdate", "first_name", "last_name", "swap(first_name, last_name)",
       "dm(first_name) + dm(last_name)"},
      {"birthdate", "dm(first_name) + dm(last_name)"},
      {"birthdate", "dm(first_name) + dm(last_name)", "swap(first_name, last_name)",
       "dm(last_name) + year(birthdate)", "first_name + md(birthdate)"},
      {"birthdate", "dm(first_name) + dm(last_name)", "swap(first_name, last_name)",
       "first_name + year(birthdate)", "first_name + md(birthdate)", "last_name + year(birthdate)",
       "last_name + md(birthdate)", "prefix(first_name, 2) + prefix(last_name, 2)"},
      {"last_name", "birthdate", "dm(first_name) + dm(last_name)", "swap(first_name, last_name)",
       "first_name + year(birthdate)", "first_name + md(birthdate)",
       "prefix(first_name, 2) + prefix(last_name, 2)"},
  };
  // Others: NM_BLOCK_SETS, sets separated by ';', rules by '|'; NM_BLOCK_MISSES=1
  // lists the true pairs no rule finds.
  if (const char* env = std::getenv("NM_BLOCK_SETS")) {
    std::string all = env;
    sets.clear();
    for (size_t b = 0; b <= all.size();) {
      size_t e = all.find(';', b);
      if (e == std::string::npos) e = all.size();
      std::vector<std::string> set;
      const std::string one = all.substr(b, e - b);
      for (size_t x = 0; x <= one.size();) {
        size_t y = one.find('|', x);
        if (y == std::string::npos) y = one.size();
        set.push_back(one.substr(x, y - x));
        x = y + 1;
      }
      sets.push_back(set);
      b = e + 1;
    }
  }
  nm::test::TempDir dir;
  const Linkage f = febrl4(dir);
  const Linkage g = generated(dir, 100000, 5);
  for (const auto& s : sets) {
    print("FEBRL4", s, measure(f, s));
    print("generated 100k seed 5", s, measure(g, s));
  }
}
