// `name_matcher explain`: runs one pair through the same code the engine uses
// and shows every intermediate value, as text or as one JSON object. This file
// is the command line and the two records; explain_compute.cpp the rule,
// explain_print.cpp the output.
#include "jobs/commands/explain.hpp"

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/csv_reader.hpp"
#include "io/table_loader.hpp"
#include "jobs/cli.hpp"
#include "jobs/commands/explain_pair.hpp"
#include "jobs/commands/explain_prob.hpp"
#include "jobs/pipeline.hpp"
#include "src/errors.hpp"
#include "src/log.hpp"
#include "src/match/algorithm.hpp"
#include "src/match/options.hpp"
#include "src/text/dates.hpp"

namespace nm::jobs {
namespace po = boost::program_options;

namespace {

using explain::ExplainedPerson;
using explain::side_from_text;

// ---------------------------------------------------------------- input ----

std::vector<std::string> split_on(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t p = s.find(sep, start);
    out.emplace_back(
        s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) return out;
    start = p + 1;
  }
}

}  // namespace

ExplainedPerson explain::side_from_text(const std::string& text) {
  if (const size_t bad = io::find_invalid_utf8(text); bad != std::string::npos)
    throw InputError("name '" + text + "' is not valid UTF-8 (byte " + std::to_string(bad + 1) +
                     ")");
  ExplainedPerson s;
  if (text.find('|') != std::string::npos) {
    const auto parts = split_on(text, '|');
    if (parts.size() == 2) {
      s.name = {parts[0], "", parts[1]};
    } else if (parts.size() == 3) {
      s.name = {parts[0], parts[1], parts[2]};
    } else {
      throw InputError("name '" + text + "': expected first|last or first|middle|last");
    }
    return s;
  }
  std::vector<std::string> words;
  for (const auto& w : split_on(text, ' '))
    if (!w.empty()) words.push_back(w);
  if (words.empty()) return s;
  s.name[0] = words.front();
  if (words.size() >= 2) s.name[2] = words.back();
  for (size_t i = 1; i + 1 < words.size(); ++i) {
    if (!s.name[1].empty()) s.name[1] += ' ';
    s.name[1] += words[i];
  }
  return s;
}

namespace {

ExplainedPerson side_from_file(const std::string& path, const std::string& id,
                               const io::LoadOptions& lo) {
  const RawTable t = io::load_csv_table(path, lo, nullptr);
  std::optional<size_t> row;
  size_t count = 0;
  for (size_t r = 0; r < t.size(); ++r) {
    if (t.get(r, Field::kId) != id) continue;
    if (!row) row = r;
    ++count;
  }
  if (!row) throw InputError(path + ": no row with id '" + id + "'");
  if (count > 1)
    log(LogLevel::kWarn, path + ": id '" + id + "' appears " + std::to_string(count) +
                             " times; using the first (line " + std::to_string(t.line[*row]) + ")");
  ExplainedPerson s;
  s.name = {std::string(t.get(*row, Field::kFirst)), std::string(t.get(*row, Field::kMiddle)),
            std::string(t.get(*row, Field::kLast))};
  s.from_file = true;
  s.source = path;
  s.id = id;
  s.line = t.line[*row];
  s.birthdate = t.birthdate[*row];
  return s;
}

}  // namespace

int explain_main(const std::vector<std::string>& args) {
  if (explain::asks_for_model(args)) return explain::prob_explain_main(args);
  MatchOptions m;
  m.algorithm = 3;
  std::vector<std::string> names, maps;
  std::string left, right, left_row, right_row, threshold, household;
  std::string date_format = "%Y-%m-%d";
  bool trim_fields = false, as_json = false;
  po::options_description desc(
      "name_matcher explain: why a pair matches or not, step by step\n"
      "  explain [options] NAME1 NAME2   (NAME = first|middle|last, first|last, or words:\n"
      "                                   first word first, last word last, the rest middle)\n"
      "  explain [options] --left A.csv --right B.csv --left-row ID --right-row ID\n"
      "  explain --model MODEL.json ...   the probabilistic mode's weights (explain --model M --help)\n"
      "options");
  desc.add_options()("help,h", "show this help")(
      "algorithm,a", po::value(&m.algorithm)->default_value(3),
      "1..6 (5/6: the A4 rule at the household threshold)")(
      "threshold", po::value(&threshold),
      "fuzzy threshold for A3/A4 (95, 0.95, 95%; default 0.95; env NAME_MATCHER_FUZZY_THRESHOLD)")(
      "household-threshold", po::value(&household),
      "person-pair threshold for A5/A6 (default 0.95; env NAME_MATCHER_HOUSEHOLD_THRESHOLD)")(
      "fuzzy-normalization", po::bool_switch(&m.fuzzy_normalization),
      "A1/A2 compare normalize_simple(normalize_text(x)) (env "
      "NAME_MATCHER_DIRECT_FUZZY_NORMALIZATION=1)")("json", po::bool_switch(&as_json),
                                                    "print one JSON object instead of text")(
      "left", po::value(&left), "table 1 (CSV) to take the left record from")(
      "right", po::value(&right), "table 2 (CSV) to take the right record from")(
      "left-row", po::value(&left_row), "id of the record in --left")(
      "right-row", po::value(&right_row), "id of the record in --right")(
      "map", po::value(&maps)->composing(), "FIELD=COLUMN, as for run; repeatable")(
      "date-format", po::value(&date_format)->default_value(date_format),
      "birthdate format, as for run")("trim-fields", po::bool_switch(&trim_fields),
                                      "strip spaces around fields, as for run");
  po::options_description hidden;
  hidden.add_options()("name", po::value(&names)->composing(), "names");
  po::variables_map vm;
  if (!parse_command_line(args, desc, hidden, "name", -1, vm)) return 0;

  check_algorithm(m.algorithm);
  if (vm.count("threshold"))
    m.threshold = threshold_option("explain", "--threshold", threshold, kFuzzyThresholdMin,
                                   kDefaultThreshold);
  if (vm.count("household-threshold"))
    m.household_threshold = threshold_option("explain", "--household-threshold", household,
                                             kHouseholdThresholdMin, kDefaultThreshold);
  apply_environment(m, vm.count("threshold") > 0, vm.count("household-threshold") > 0,
                    m.fuzzy_normalization);

  const bool rows = !left.empty() || !right.empty() || !left_row.empty() || !right_row.empty();
  ExplainedPerson a, b;
  if (rows) {
    if (!names.empty())
      throw InputError("give either two names or --left/--right/--left-row/--right-row, not both");
    if (left.empty() || right.empty() || left_row.empty() || right_row.empty())
      throw InputError("--left, --right, --left-row and --right-row go together");
    io::LoadOptions lo;
    lo.column_map = parse_map_options(maps);
    lo.date_format = DateFormat(date_format);
    lo.trim_fields = trim_fields;
    a = side_from_file(left, left_row, lo);
    b = side_from_file(right, right_row, lo);
  } else {
    if (names.size() != 2)
      throw InputError("expected two names (got " + std::to_string(names.size()) +
                       "); see explain --help");
    a = side_from_text(names[0]);
    b = side_from_text(names[1]);
  }
  if (algorithm_traits(m.algorithm).exact)
    explain::print_exact(a, b, m, rows, explain::explain_exact(a, b, m, rows), as_json);
  else
    explain::print_fuzzy(a, b, m, rows, explain::explain_fuzzy(a, b, m, rows), as_json);
  return 0;
}

}  // namespace nm::jobs
