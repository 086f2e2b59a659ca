// Precision / recall / F1 of a match file against a truth file (see evaluate.hpp).
#include "jobs/evaluate.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string_view>
#include <functional>

#include <boost/program_options.hpp>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "src/errors.hpp"

namespace nm::jobs {
namespace {

// A small streaming RFC 4180 reader: `,` delimiter, `"` quoting with `""`
// escapes, quoted line breaks, LF or CRLF records, a leading UTF-8 BOM ignored,
// blank lines skipped.
class CsvFile {
 public:
  explicit CsvFile(const std::string& path) : path_(path), buf_(1 << 20) {
    f_ = std::fopen(path.c_str(), "rb");
    if (f_ == nullptr) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
    if (peek() == 0xEF) {  // BOM?
      fill_at_least(3);
      if (len_ - pos_ >= 3 && static_cast<unsigned char>(buf_[pos_ + 1]) == 0xBB &&
          static_cast<unsigned char>(buf_[pos_ + 2]) == 0xBF)
        pos_ += 3;
    }
  }
  ~CsvFile() { std::fclose(f_); }
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;

  const std::string& path() const { return path_; }

  // Reads the next record into fields[0..count); false at end of file. The strings
  // of `fields` are reused from record to record (no reallocation per field).
  // `line` = 1-based line where the record starts.
  bool next(std::vector<std::string>& fields, size_t& count, uint64_t& line) {
    count = 0;
    int c = get();
    while (c == '\n' || c == '\r') {  // blank lines
      if (c == '\n') ++line_;
      c = get();
    }
    if (c == EOF) return false;
    line = line_;
    for (;;) {
      if (count == fields.size()) fields.emplace_back();
      std::string& field = fields[count];
      field.clear();
      if (c == '"') {
        for (;;) {
          c = get();
          if (c == EOF)
            throw InputError(fmt::format("{}:{}: field {}: unterminated quoted field", path_, line,
                                         count + 1));
          if (c == '"') {
            if (peek() == '"') {
              get();
              field.push_back('"');
              continue;
            }
            break;
          }
          if (c == '\n') ++line_;
          field.push_back(static_cast<char>(c));
        }
        c = get();
        if (c != ',' && c != '\n' && c != '\r' && c != EOF)
          throw InputError(fmt::format("{}:{}: field {}: unexpected character after closing quote", path_,
                                       line_, count + 1));
      } else {
        while (c != ',' && c != '\n' && c != '\r' && c != EOF) {
          field.push_back(static_cast<char>(c));
          c = get();
        }
      }
      ++count;
      if (c == ',') {
        c = get();
        continue;
      }
      if (c == '\r' && peek() == '\n') get();
      if (c == '\n' || c == '\r') ++line_;
      return true;
    }
  }

 private:
  void fill_at_least(size_t want) {
    if (len_ - pos_ >= want || eof_) return;
    std::memmove(buf_.data(), buf_.data() + pos_, len_ - pos_);
    len_ -= pos_;
    pos_ = 0;
    while (len_ < want && !eof_) {
      size_t got = std::fread(buf_.data() + len_, 1, buf_.size() - len_, f_);
      if (got == 0) {
        if (std::ferror(f_)) throw InputError(fmt::format("{}: read error: {}", path_, std::strerror(errno)));
        eof_ = true;
      }
      len_ += got;
    }
  }
  int peek() {
    if (pos_ == len_) fill_at_least(1);
    return pos_ < len_ ? static_cast<unsigned char>(buf_[pos_]) : EOF;
  }
  int get() {
    int c = peek();
    if (c != EOF) ++pos_;
    return c;
  }

  std::string path_;
  std::vector<char> buf_;
  FILE* f_ = nullptr;
  size_t pos_ = 0, len_ = 0;
  bool eof_ = false;
  uint64_t line_ = 1;
};

std::string trim_lower(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

long find_column(const std::vector<std::string>& header, std::string_view name) {
  for (size_t i = 0; i < header.size(); ++i)
    if (trim_lower(header[i]) == trim_lower(name)) return static_cast<long>(i);
  return -1;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
  return out;
}

// A set of distinct (left id, right id) pairs: the keys live in one arena
// (`u32 length of left` + left + right, so ("a,b","c") differs from ("a","b,c")),
// indexed by an open-addressing hash table. Far lighter than a node-based set of
// strings for millions of pairs.
class PairSet {
 public:
  // Inserts the pair; returns false if it was already there.
  bool insert(std::string_view left, std::string_view right) {
    make_key(left, right);
    const uint64_t h = std::hash<std::string_view>{}(key_);
    if ((count_ + 1) * 4 > slots_.size() * 3) grow();
    Slot& s = slots_[find(h, key_)];
    if (s.ref != 0) return false;
    const uint32_t len = static_cast<uint32_t>(key_.size());
    s.hash = h;
    s.ref = arena_.size() + 1;
    arena_.append(reinterpret_cast<const char*>(&len), sizeof len);
    arena_.append(key_);
    ++count_;
    return true;
  }
  // How many pairs of this set are also in `other`.
  uint64_t count_in(const PairSet& other) const {
    uint64_t n = 0;
    for (size_t off = 0; off < arena_.size();) {
      const std::string_view key = stored(off + 1);
      n += other.contains_key(key);
      off += sizeof(uint32_t) + key.size();
    }
    return n;
  }
  size_t size() const { return count_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t ref = 0;  // 1 + offset of the entry in arena_, 0 = empty
  };
  void make_key(std::string_view left, std::string_view right) {
    const uint32_t len = static_cast<uint32_t>(left.size());
    key_.assign(reinterpret_cast<const char*>(&len), sizeof len);
    key_.append(left);
    key_.append(right);
  }
  std::string_view stored(uint64_t ref) const {
    uint32_t len;
    std::memcpy(&len, arena_.data() + ref - 1, sizeof len);
    return std::string_view(arena_).substr(ref - 1 + sizeof len, len);
  }
  // The slot holding `key`, or the empty slot where it would go.
  size_t find(uint64_t h, std::string_view key) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.ref == 0 || (s.hash == h && stored(s.ref) == key)) return i;
    }
  }
  bool contains_key(std::string_view key) const {
    return count_ != 0 && slots_[find(std::hash<std::string_view>{}(key), key)].ref != 0;
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.ref == 0) continue;
      size_t i = s.hash & mask;
      while (slots_[i].ref != 0) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::string arena_;
  std::string key_;
  size_t count_ = 0;
};

// Reads the distinct (left, right) pairs of a CSV whose pair columns are found by `locate`.
template <typename Locate>
PairSet read_pairs(const std::string& path, Locate locate) {
  CsvFile in(path);
  std::vector<std::string> fields;
  size_t count = 0;
  uint64_t line = 0;
  if (!in.next(fields, count, line)) throw InputError(fmt::format("{}: empty file (no header)", path));
  fields.resize(count);
  const auto [li, ri] = locate(fields);
  const size_t need = static_cast<size_t>(std::max(li, ri)) + 1;
  PairSet pairs;
  while (in.next(fields, count, line)) {
    if (count < need)
      throw InputError(fmt::format("{}:{}: expected at least {} fields, found {}", path, line, need, count));
    pairs.insert(fields[static_cast<size_t>(li)], fields[static_cast<size_t>(ri)]);
  }
  return pairs;
}

}  // namespace

EvalResult evaluate_files(const std::string& truth_csv, const std::string& matches_csv) {
  auto truth = read_pairs(truth_csv, [&](const std::vector<std::string>& h) {
    long l = find_column(h, "left_id"), r = find_column(h, "right_id");
    if (l >= 0 && r >= 0) return std::pair<long, long>(l, r);
    if (h.size() < 2)
      throw InputError(fmt::format("{}: needs left_id,right_id columns (header: {})", truth_csv, join(h)));
    return std::pair<long, long>(0, 1);
  });
  auto predicted = read_pairs(matches_csv, [&](const std::vector<std::string>& h) {
    long l = find_column(h, "Table1_ID"), r = find_column(h, "Table2_ID");
    if (l < 0 || r < 0)
      throw InputError(fmt::format("{}: no {} column (header: {})", matches_csv,
                                   l < 0 ? "Table1_ID" : "Table2_ID", join(h)));
    return std::pair<long, long>(l, r);
  });
  EvalResult r;
  r.true_pairs = truth.size();
  r.predicted_pairs = predicted.size();
  r.true_positives = predicted.count_in(truth);
  r.false_positives = r.predicted_pairs - r.true_positives;
  r.false_negatives = r.true_pairs - r.true_positives;
  r.precision = r.predicted_pairs ? static_cast<double>(r.true_positives) / static_cast<double>(r.predicted_pairs) : 0.0;
  r.recall = r.true_pairs ? static_cast<double>(r.true_positives) / static_cast<double>(r.true_pairs) : 0.0;
  r.f1 = r.precision + r.recall > 0 ? 2 * r.precision * r.recall / (r.precision + r.recall) : 0.0;
  return r;
}

int evaluate_main(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description desc(
      "Usage: name_matcher evaluate --truth TRUTH.csv --matches MATCHES.csv [--json]\n"
      "Compares name_matcher output (Table1_ID,Table2_ID columns) with a truth file\n"
      "(left_id,right_id, or the first two columns). Precision is 0 when nothing is\n"
      "predicted, recall 0 when the truth is empty.\n"
      "Options");
  std::string truth, matches;
  desc.add_options()
      ("help,h", "show this help")
      ("truth", po::value(&truth), "truth CSV (left_id,right_id)")
      ("matches", po::value(&matches), "match CSV written by name_matcher")
      ("json", "print one JSON object instead of a table");
  try {
    po::variables_map vm;
    // An empty positional description makes any stray argument an error.
    po::store(po::command_line_parser(args).options(desc).positional({}).run(), vm);
    po::notify(vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    if (truth.empty() || matches.empty()) throw InputError("evaluate: --truth and --matches are required (see --help)");
    const EvalResult r = evaluate_files(truth, matches);
    if (vm.count("json")) {
      nlohmann::json j;
      j["true_pairs"] = r.true_pairs;
      j["predicted_pairs"] = r.predicted_pairs;
      j["true_positives"] = r.true_positives;
      j["false_positives"] = r.false_positives;
      j["false_negatives"] = r.false_negatives;
      j["precision"] = r.precision;
      j["recall"] = r.recall;
      j["f1"] = r.f1;
      std::cout << j.dump(2) << "\n";
    } else {
      std::cout << fmt::format(
          "true pairs       {:>12}\npredicted pairs  {:>12}\ntrue positives   {:>12}\n"
          "false positives  {:>12}\nfalse negatives  {:>12}\nprecision        {:>12.6f}\n"
          "recall           {:>12.6f}\nF1               {:>12.6f}\n",
          r.true_pairs, r.predicted_pairs, r.true_positives, r.false_positives, r.false_negatives,
          r.precision, r.recall, r.f1);
    }
    return 0;
  } catch (const po::error& e) {
    std::cerr << "evaluate: " << e.what() << "\n(see --help)\n";
    return 1;
  } catch (const InputError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace nm::jobs
