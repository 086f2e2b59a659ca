// Precision / recall / F1 of a match file against a truth file (see evaluate.hpp).
#include "jobs/commands/evaluate.hpp"

#include <absl/container/flat_hash_set.h>
#include <fmt/core.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string_view>

#include "io/csv_reader.hpp"
#include "jobs/cli.hpp"
#include "src/errors.hpp"

namespace nm::jobs {
namespace {

std::string trim_lower(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

// The column called `name` (case-insensitive, blanks around ignored), -1 if none; a name given
// twice is an error naming both columns.
long find_column(const std::string& path, const std::vector<std::string>& header,
                 std::string_view name) {
  long found = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (trim_lower(header[i]) != trim_lower(name)) continue;
    if (found >= 0)
      throw InputError(fmt::format("{}: header: columns {} and {} are both called {}", path,
                                   found + 1, i + 1, name));
    found = static_cast<long>(i);
  }
  return found;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
  return out;
}

// A set of distinct (left id, right id) pairs. Keys (`u32 length of left` +
// left + right, so ("a,b","c") differs from ("a","b,c")) live in fixed-size
// blocks that never move, so the hash set can hold views of them.
class PairSet {
 public:
  // Inserts the pair; returns false if it was already there.
  bool insert(std::string_view left, std::string_view right) {
    make_key(left, right);
    if (set_.contains(key_)) return false;
    set_.insert(store(key_));
    return true;
  }
  // How many pairs of this set are also in `other`.
  uint64_t count_in(const PairSet& other) const {
    uint64_t n = 0;
    for (std::string_view k : set_) n += other.set_.contains(k) ? 1 : 0;
    return n;
  }
  size_t size() const { return set_.size(); }

 private:
  static constexpr size_t kBlock = 1 << 20;
  void make_key(std::string_view left, std::string_view right) {
    const uint32_t len = static_cast<uint32_t>(left.size());
    key_.assign(reinterpret_cast<const char*>(&len), sizeof len);
    key_.append(left);
    key_.append(right);
  }
  std::string_view store(std::string_view k) {
    if (blocks_.empty() || blocks_.back().capacity() - blocks_.back().size() < k.size()) {
      blocks_.emplace_back();
      blocks_.back().reserve(std::max(kBlock, k.size()));
    }
    std::string& b = blocks_.back();
    const size_t at = b.size();
    b.append(k);  // within capacity: no reallocation, earlier views stay valid
    return std::string_view(b).substr(at, k.size());
  }

  std::vector<std::string> blocks_;
  absl::flat_hash_set<std::string_view> set_;
  std::string key_;
};

// Reads the distinct (left, right) pairs of a CSV whose pair columns are found in its header by
// `locate`. Every row has the header's number of fields; with `ids_required`, both ids are
// non-empty (a truth row "," is no pair).
template <typename Locate>
PairSet read_pairs(const std::string& path, Locate locate, bool ids_required, bool unordered) {
  io::CsvReader in(path);
  io::CsvRecord rec;
  if (!in.next(rec)) throw InputError(fmt::format("{}: empty file (no header)", path));
  if (!rec.error.empty())
    throw InputError(fmt::format("{}:{}: header: {}", path, rec.line, rec.error));
  const std::vector<std::string> header(rec.fields.begin(), rec.fields.end());
  const auto [li, ri] = locate(header);
  PairSet pairs;
  while (in.next(rec)) {
    if (!rec.error.empty()) throw InputError(fmt::format("{}:{}: {}", path, rec.line, rec.error));
    if (rec.fields.size() != header.size())
      throw InputError(fmt::format("{}:{}: {} field{}, the header has {}", path, rec.line,
                                   rec.fields.size(), rec.fields.size() == 1 ? "" : "s",
                                   header.size()));
    const std::string_view l = rec.fields[static_cast<size_t>(li)];
    const std::string_view r = rec.fields[static_cast<size_t>(ri)];
    if (ids_required && (l.empty() || r.empty()))
      throw InputError(fmt::format(
          "{}:{}: empty {}", path, rec.line,
          l.empty() ? header[static_cast<size_t>(li)] : header[static_cast<size_t>(ri)]));
    if (unordered && r < l)
      pairs.insert(r, l);
    else
      pairs.insert(l, r);
  }
  return pairs;
}

}  // namespace

EvalResult evaluate_files(const std::string& truth_csv, const std::string& matches_csv,
                          bool unordered) {
  auto truth = read_pairs(
      truth_csv,
      [&](const std::vector<std::string>& h) {
        const long l = find_column(truth_csv, h, "left_id"),
                   r = find_column(truth_csv, h, "right_id");
        if (l < 0 || r < 0)
          throw InputError(fmt::format(
              "{}: the first row must be the header left_id,right_id (a truth file: see "
              "evaluate --help); it is '{}'",
              truth_csv, join(h)));
        return std::pair<long, long>(l, r);
      },
      true, unordered);
  auto predicted = read_pairs(
      matches_csv,
      [&](const std::vector<std::string>& h) {
        const long l = find_column(matches_csv, h, "Table1_ID");
        const long r = find_column(matches_csv, h, "Table2_ID");
        if (l < 0 || r < 0)
          throw InputError(fmt::format("{}: no {} column (header: {})", matches_csv,
                                       l < 0 ? "Table1_ID" : "Table2_ID", join(h)));
        return std::pair<long, long>(l, r);
      },
      false, unordered);
  EvalResult r;
  r.true_pairs = truth.size();
  r.predicted_pairs = predicted.size();
  r.true_positives = predicted.count_in(truth);
  r.false_positives = r.predicted_pairs - r.true_positives;
  r.false_negatives = r.true_pairs - r.true_positives;
  r.precision = r.predicted_pairs
                    ? static_cast<double>(r.true_positives) / static_cast<double>(r.predicted_pairs)
                    : 0.0;
  r.recall = r.true_pairs
                 ? static_cast<double>(r.true_positives) / static_cast<double>(r.true_pairs)
                 : 0.0;
  r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall) : 0.0;
  return r;
}

int evaluate_main(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description desc(
      "Usage: name_matcher evaluate --truth TRUTH.csv --matches MATCHES.csv [--json]\n"
      "Compares name_matcher output (Table1_ID,Table2_ID columns) with a truth file: a CSV\n"
      "whose first row is the header left_id,right_id (other columns allowed and ignored),\n"
      "every row with the header's number of fields and both ids non-empty (what `generate`\n"
      "writes). Precision is 0 when nothing is predicted, recall 0 when the truth is empty.\n"
      "Options");
  std::string truth, matches;
  desc.add_options()("help,h", "show this help")("truth", po::value(&truth),
                                                 "truth CSV (left_id,right_id)")(
      "matches", po::value(&matches), "match CSV written by name_matcher")(
      "json", "print one JSON object instead of a table")(
      "unordered", "pairs of one table (--dedupe): (a, b) and (b, a) are the same pair");
  return run_guarded("evaluate", [&]() -> int {
    po::variables_map vm;
    if (!parse_command_line(args, desc, vm)) return 0;
    if (truth.empty() || matches.empty())
      throw InputError("evaluate: --truth and --matches are required (see --help)");
    const EvalResult r = evaluate_files(truth, matches, vm.count("unordered") > 0);
    if (vm.count("json")) {
      std::cout << nlohmann::json(r).dump(2) << "\n";
    } else {
      std::cout << fmt::format(
          "true pairs       {:>12}\npredicted pairs  {:>12}\ntrue positives   {:>12}\n"
          "false positives  {:>12}\nfalse negatives  {:>12}\nprecision        {:>12.6f}\n"
          "recall           {:>12.6f}\nF1               {:>12.6f}\n",
          r.true_pairs, r.predicted_pairs, r.true_positives, r.false_positives, r.false_negatives,
          r.precision, r.recall, r.f1);
    }
    return 0;
  });
}

}  // namespace nm::jobs
