// `explain --model`: the command line, the two records (from the command
// line or from the tables, read and prepared by the run's own functions) and
// the waterfall of their weight (explain_prob.hpp). explain_prob_print.cpp
// shows it.
#include "jobs/commands/explain_prob.hpp"

#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <optional>

#include "jobs/cli.hpp"
#include "jobs/commands/explain_pair.hpp"
#include "jobs/prob/prob_prepare.hpp"
#include "partition/blocks.hpp"
#include "src/errors.hpp"
#include "src/log.hpp"
#include "src/match/prob/blocking.hpp"
#include "src/parallel.hpp"
#include "src/text/dates.hpp"

namespace nm::jobs::explain {
namespace po = boost::program_options;

namespace {

// ------------------------------------------------------------- the pair ----

// A copy of one row (extra columns too): the blocking keys of two records
// need no more than the records.
RawTable row_copy(const RawTable& t, size_t row) {
  RawTable out;
  out.source = t.source;
  out.extra_names = t.extra_names;
  std::array<std::string_view, kTextFieldCount> v;
  for (size_t f = 0; f < kTextFieldCount; ++f) v[f] = t.get(row, static_cast<Field>(f));
  out.push(v, t.birthdate[row], t.line[row]);
  for (size_t k = 0; k < t.extra_names.size(); ++k) out.push_extra(t.get_extra(row, k));
  return out;
}

// The first rule under which the two records share a key (the rule that
// scores the pair in a run), or -1.
int first_rule_of_pair(const std::vector<prob::BlockingRule>& rules, const RawTable& left,
                       uint32_t lrow, const RawTable& right, uint32_t rrow) {
  if (rules.empty()) return -1;
  const prob::RuleKeys lk = prob::compute_rule_keys(row_copy(left, lrow), rules, false, 1);
  const prob::RuleKeys rk = prob::compute_rule_keys(row_copy(right, rrow), rules, true, 1);
  for (uint32_t r = 0; r < rules.size(); ++r)
    if (lk.at(0, r) != kNoKey && lk.at(0, r) == rk.at(0, r)) return static_cast<int>(r);
  return -1;
}

std::string value_text(const RawTable& t, const prob::ComparisonPlan& plan, size_t c,
                       uint32_t row) {
  const prob::ColumnRef col = plan.columns[c];
  if (col.kind == prob::ColumnRef::kBirthdate)
    return t.birthdate[row] == kNoDate ? std::string() : iso_date(t.birthdate[row]);
  return std::string(prob::column_text(t, col, row));
}

// What a term-frequency or whole-name step weighs, in words.
std::string frequency_note(const prob::LinkData& d, const ProbStep& st, uint32_t lrow) {
  const auto c = static_cast<size_t>(st.comparison);
  const uint32_t slot = d.plan.items[c].slot;
  if (st.kind == prob::WeightTerm::kTermFrequency)
    return fmt::format(
        "term frequency: the value is {} of {} values of both tables, {} of other "
        "people's (the records with its birthdate taken as its own; the model's 'equal' "
        "weighs {:.2f})",
        d.left.frequency[lrow * d.left.text_slots + slot], d.tf_totals.values[c],
        prob::others_frequency(d.left, lrow, slot), st.model_weight);
  return fmt::format(
      "first and last name equal: weighed as one whole name (includes "
      "last_name), {} of {} names of both tables; u = the larger of the names' "
      "frequencies multiplied and the whole name's own",
      d.left.name_frequency[lrow], d.tf_totals.names);
}

// The last name's null level of a swapped pair (both values present).
bool swap_partner(const prob::LinkData& d, size_t c, uint32_t lrow, uint32_t rrow) {
  const auto& it = d.plan.items[c];
  if (it.set != prob::LevelSet::kNameSwapPartner) return false;
  const prob::PreparedSide& r = d.right_side();
  return d.left.length[lrow * d.left.text_slots + it.slot] != 0 &&
         r.length[rrow * r.text_slots + it.slot] != 0;
}

}  // namespace

ProbExplanation explain_prob_pair(const prob::Model& model, const prob::LinkData& d,
                                  const prob::Scoring& s, const RawTable& left,
                                  const RawTable& right, uint32_t lrow, uint32_t rrow) {
  ProbExplanation e;
  e.prior = model.prior;
  for (const auto& c : model.comparisons) e.term_frequency_used |= c.term_frequency;
  std::vector<uint32_t> scratch(
      kernels::device_metric_scratch_words(std::max(d.left.max_len, d.right_side().max_len) + 1));
  const prob::Pattern p = prob::compare_pair(d.plan, prob::side_view(d.left), lrow,
                                             prob::side_view(d.right_side()), rrow, scratch.data());
  int64_t total = 0;
  e.weight = prob::pair_weight_terms(s, d, p, lrow, [&](const prob::WeightTerm& t) {
    total += t.weight;
    ProbStep st;
    st.kind = t.kind;
    st.comparison = t.comparison;
    st.weight = t.weight;
    st.total = total;
    if (t.comparison < 0) {
      st.column = "prior";
      st.level = fmt::format("P(match) {:.4g}", model.prior);
      e.steps.push_back(std::move(st));
      return;
    }
    const auto c = static_cast<size_t>(t.comparison);
    const prob::Comparison& cmp = model.comparisons[c];
    const uint8_t lev = prob::level_of(p, static_cast<uint32_t>(c));
    st.column = cmp.column;
    st.level = lev == prob::kNullLevel ? "missing" : cmp.levels[lev];
    st.values = {value_text(left, d.plan, c, lrow), value_text(right, d.plan, c, rrow)};
    if (lev != prob::kNullLevel) {
      st.m = cmp.m[lev];
      st.u = cmp.u[lev];
      st.model_weight = std::log2(st.m / st.u);
    }
    switch (t.kind) {
      case prob::WeightTerm::kMissing:
        if (swap_partner(d, c, lrow, rrow)) {
          st.level = "swapped";
          st.note = "first and last name swapped: weighed once, on first_name";
        } else {
          st.note = "a value is missing: no evidence";
        }
        break;
      case prob::WeightTerm::kInWholeName:
        st.note = "counted in the whole name (first_name)";
        st.m = st.u = 0;
        break;
      case prob::WeightTerm::kWholeName: {
        const auto lc = static_cast<size_t>(s.last_c);
        st.m = cmp.m[0] * model.comparisons[lc].m[0];
        st.u = st.m / std::exp2(prob::from_fixed(t.weight));
        st.note = frequency_note(d, st, lrow);
        break;
      }
      case prob::WeightTerm::kTermFrequency:
        st.u = st.m / std::exp2(prob::from_fixed(t.weight));
        st.note = frequency_note(d, st, lrow);
        break;
      default:
        break;
    }
    e.steps.push_back(std::move(st));
  });
  return e;
}

// -------------------------------------------------------- command line ----

bool asks_for_model(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--model" || a.rfind("--model=", 0) == 0) return true;
  return false;
}

namespace {

struct ProbArgs {
  std::string model, left, right, left_row, right_row, birthdate[2];
  std::vector<std::string> names, fields[2], maps, block;
  std::string date_format = "%Y-%m-%d";
  bool trim_fields = false, as_json = false;
  double min_probability = 0.7;
  DbRunOptions db;  // for mysql:// --left/--right
};

std::pair<std::string, std::string> column_value(const std::string& text, const char* option) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError(std::string(option) + " expects COLUMN=VALUE (got '" + text + "')");
  return {text.substr(0, eq), text.substr(eq + 1)};
}

// One record from the command line: NAME, --birthdate and --field values.
// Columns besides the contract's fields are those of `extras` (the model's).
RawTable record_from_args(const ProbArgs& a, int side, const std::vector<std::string>& extras) {
  const ExplainedPerson person =
      a.names.empty() ? ExplainedPerson{} : side_from_text(a.names[static_cast<size_t>(side)]);
  std::array<std::string, kTextFieldCount> f;
  f[static_cast<size_t>(Field::kFirst)] = person.name[0];
  f[static_cast<size_t>(Field::kMiddle)] = person.name[1];
  f[static_cast<size_t>(Field::kLast)] = person.name[2];
  std::vector<std::string> extra(extras.size());
  std::string date = a.birthdate[side];
  const char* option = side == 0 ? "--field" : "--field2";
  for (const auto& text : a.fields[side]) {
    auto [column, value] = column_value(text, option);
    if (column == "birthdate") {
      date = value;
      continue;
    }
    bool found = false;
    for (size_t k = 0; k < kTextFieldCount && !found; ++k)
      if (kFieldNames[k] == column) f[k] = value, found = true;
    for (size_t k = 0; k < extras.size() && !found; ++k)
      if (extras[k] == column) extra[k] = value, found = true;
    if (!found) {
      std::string have = "first_name, middle_name, last_name, birthdate";
      for (const auto& x : extras) have += ", " + x;
      throw UsageError(std::string(option) + " " + text + ": the model reads no column '" + column +
                       "' (columns: " + have + ")");
    }
  }
  int32_t day = kNoDate;
  if (!trim_date_blanks(date).empty()) {
    std::string why;
    const auto d = DateFormat(a.date_format).parse(trim_date_blanks(date), why);
    if (!d)
      throw UsageError(fmt::format("{} '{}': not a date in {} ({})",
                                   side == 0 ? "--birthdate" : "--birthdate2", date, a.date_format,
                                   why));
    day = *d;
  }
  RawTable t;
  t.source = "command line";
  t.extra_names = extras;
  std::array<std::string_view, kTextFieldCount> v;
  for (size_t k = 0; k < kTextFieldCount; ++k) v[k] = f[k];
  t.push(v, day, 0);
  for (const auto& x : extra) t.push_extra(x);
  return t;
}

// The row of `id` in t (the first, with a warning when there are several).
uint32_t row_of(const RawTable& t, const std::string& id, const std::string& path) {
  std::optional<uint32_t> row;
  size_t count = 0;
  for (uint32_t r = 0; r < t.size(); ++r) {
    if (t.get(r, Field::kId) != id) continue;
    if (!row) row = r;
    ++count;
  }
  if (!row) throw InputError(path + ": no row with id '" + id + "'");
  if (count > 1)
    log(LogLevel::kWarn, fmt::format("{}: id '{}' appears {} times; using the first (line {})",
                                     path, id, count, t.line[*row]));
  return *row;
}

ProbExplanation explain_from_tables(const ProbArgs& a, const prob::Model& model,
                                    const std::vector<prob::BlockingRule>& rules) {
  ProbConfig cfg;
  cfg.dedupe = model.dedupe;
  cfg.left = a.left;
  cfg.right = a.right;
  cfg.db = a.db;
  cfg.date_format = a.date_format;
  cfg.trim_fields = a.trim_fields;
  cfg.threads = default_threads();
  cfg.column_map = parse_map_options(a.maps);
  io::RejectsFile rejects("");  // no --skip-bad-rows: a bad row is an error
  Progress progress(false);
  const ProbTables t =
      load_prob_tables(cfg, prob_extra_columns(model.comparisons, rules), rejects, progress);
  std::vector<std::string> columns = t.left.extra_names;
  for (auto f : kFieldNames) columns.emplace_back(f);
  columns.emplace_back("birthdate");
  prob::check_model_columns(model, columns, a.model);
  const RawTable& right = cfg.dedupe ? t.left : t.right;
  uint32_t l = row_of(t.left, a.left_row, cfg.left);
  uint32_t r = row_of(right, a.right_row, cfg.dedupe ? cfg.left : cfg.right);
  if (cfg.dedupe && l == r) throw InputError("--left-row and --right-row name the same record");
  // With dedupe a run scores (l, r) with l < r: the left row's term frequencies.
  if (cfg.dedupe && l > r) std::swap(l, r);
  const prob::LinkData d = prepare_comparisons(cfg, t, model.comparisons);
  const prob::Scoring s = prob::make_scoring(model, d, a.min_probability);
  ProbExplanation e = explain_prob_pair(model, d, s, t.left, right, l, r);
  e.from_tables = true;
  e.records[0] = {cfg.left, std::string(t.left.get(l, Field::kId)), t.left.line[l]};
  e.records[1] = {cfg.dedupe ? cfg.left : cfg.right, std::string(right.get(r, Field::kId)),
                  right.line[r]};
  e.found_by_rule = first_rule_of_pair(rules, t.left, l, right, r);
  return e;
}

ProbExplanation explain_from_args(const ProbArgs& a, const prob::Model& model,
                                  const std::vector<prob::BlockingRule>& rules) {
  const std::vector<std::string> extras = prob_extra_columns(model.comparisons, rules);
  const RawTable left = record_from_args(a, 0, extras), right = record_from_args(a, 1, extras);
  // The comparisons' values prepared as the run prepares them; no term
  // frequencies: two records are no table to count values in.
  prob::LinkData d;
  d.plan = prob::plan_comparisons(model.comparisons, left, "--model");
  const DateFormat dates(a.date_format);
  d.left = prob::prepare_side(d.plan, left, dates, 1);
  d.right = prob::prepare_side(d.plan, right, dates, 1);
  d.tf_totals.values.assign(d.plan.items.size(), 0);
  const prob::Scoring s = prob::make_scoring(model, d, a.min_probability);
  ProbExplanation e = explain_prob_pair(model, d, s, left, right, 0, 0);
  e.records[0].source = e.records[1].source = "command line";
  e.found_by_rule = first_rule_of_pair(rules, left, 0, right, 0);
  return e;
}

}  // namespace

int prob_explain_main(const std::vector<std::string>& args) {
  ProbArgs a;
  std::string left_id, right_id;
  po::options_description desc(
      "name_matcher explain --model: the probabilistic mode's match weight of one pair, step by\n"
      "step (the prior, each comparison's level with m, u and weight log2(m/u), the running\n"
      "total), computed by the run's own code\n"
      "  explain --model M.json NAME1 NAME2 [--birthdate D --birthdate2 D]\n"
      "          [--field COLUMN=VALUE ... --field2 COLUMN=VALUE ...]\n"
      "      (NAME = first|middle|last, first|last, or words; no term frequencies)\n"
      "  explain --model M.json --left A.csv --right B.csv --left-row ID --right-row ID\n"
      "      (with the run's term-frequency weights; a --dedupe model: both ids in --left)\n"
      "options");
  desc.add_options()("help,h", "show this help")("model", po::value(&a.model),
                                                 "the model (from train or a run)")(
      "json", po::bool_switch(&a.as_json), "print one JSON object instead of text")(
      "birthdate", po::value(&a.birthdate[0]), "the left record's birthdate (--date-format)")(
      "birthdate2", po::value(&a.birthdate[1]), "the right record's birthdate")(
      "field", po::value(&a.fields[0])->composing(),
      "COLUMN=VALUE of the left record (a name, or a --compare column); repeatable")(
      "field2", po::value(&a.fields[1])->composing(), "COLUMN=VALUE of the right record")(
      "left", po::value(&a.left), "table 1 (CSV or mysql://) to take the left record from")(
      "right", po::value(&a.right), "table 2 (CSV or mysql://); not for a --dedupe model")(
      "left-row", po::value(&a.left_row), "id of the record in --left")(
      "right-row", po::value(&a.right_row), "id of the record in --right")(
      "left-id", po::value(&left_id), "the same as --left-row")("right-id", po::value(&right_id),
                                                                "the same as --right-row")(
      "map", po::value(&a.maps)->composing(), "FIELD=COLUMN, as for run; repeatable")(
      "date-format", po::value(&a.date_format)->default_value(a.date_format),
      "birthdate format, as for run")("trim-fields", po::bool_switch(&a.trim_fields),
                                      "strip spaces around fields, as for run")(
      "block", po::value(&a.block)->composing(),
      "the run's blocking rule (repeatable; default: the model's rules)")(
      "min-probability", po::value(&a.min_probability)->default_value(a.min_probability),
      "the run's threshold: says whether the pair would be written");
  desc.add(database_input_options(a.db, "explain"));
  po::options_description hidden;
  hidden.add_options()("name", po::value(&a.names)->composing(), "names");
  po::variables_map vm;
  if (!parse_command_line(args, desc, hidden, "name", -1, vm)) return 0;
  for (auto [id, row] : {std::pair{&left_id, &a.left_row}, std::pair{&right_id, &a.right_row}}) {
    if (id->empty()) continue;
    if (!row->empty()) throw UsageError("give a record's id once (--left-row or --left-id)");
    *row = *id;
  }
  if (!(a.min_probability > 0 && a.min_probability < 1))
    throw UsageError("--min-probability must be between 0 and 1 (exclusive)");
  const prob::Model model = prob::model_from_json(read_text_file(a.model, "--model"), a.model);
  const std::vector<prob::BlockingRule> rules =
      parse_prob_rules(a.block.empty() ? model.blocking : a.block);
  const bool tables =
      !a.left.empty() || !a.right.empty() || !a.left_row.empty() || !a.right_row.empty();
  ProbExplanation e;
  if (tables) {
    if (!a.names.empty() || !a.fields[0].empty() || !a.fields[1].empty() ||
        !a.birthdate[0].empty() || !a.birthdate[1].empty())
      throw InputError(
          "give either the records' values or --left/--right/--left-row/--right-row, "
          "not both");
    if (a.left.empty() || a.left_row.empty() || a.right_row.empty() ||
        (a.right.empty() != model.dedupe))
      throw InputError(model.dedupe ? "a --dedupe model: give --left, --left-row and --right-row "
                                      "(both records from --left; no --right)"
                                    : "--left, --right, --left-row and --right-row go together");
    e = explain_from_tables(a, model, rules);
  } else {
    if (a.names.size() != 2 && !a.names.empty())
      throw InputError(
          fmt::format("expected two names (got {}); see explain --model M --help", a.names.size()));
    e = explain_from_args(a, model, rules);
  }
  e.model_path = a.model;
  e.min_probability = a.min_probability;
  for (const auto& r : rules) e.rules.push_back(r.text);
  print_prob(e, a.as_json);
  return 0;
}

}  // namespace nm::jobs::explain
