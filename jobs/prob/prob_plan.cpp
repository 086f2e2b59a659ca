// `plan --algorithm prob`: the candidate pairs of each blocking rule, before
// and after the dedupe across rules, without comparing a pair. The tables
// are read and the rules chosen by the run's own functions
// (prob_prepare.hpp): --block, else the model's rules, else the default
// rules cut to the pair budget (prob::choose_default_rules).
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "jobs/cli.hpp"
#include "jobs/prob/prob_prepare.hpp"
#include "jobs/prob/prob_run.hpp"
#include "src/errors.hpp"
#include "src/log.hpp"
#include "src/match/prob/blocking.hpp"
#include "src/match/prob/linker.hpp"
#include "src/parallel.hpp"
#include "src/stopwatch.hpp"

namespace nm::jobs {
namespace po = boost::program_options;

namespace {

struct RulePlan {
  std::string text;
  uint64_t predicted = 0;         // the rule's blocks, before the dedupe across rules
  bool kept = true;               // false: a default rule over the pair budget
  std::optional<uint64_t> pairs;  // after the earlier rules took theirs (when counted)
};

struct ProbPlan {
  uint64_t left_rows = 0, right_rows = 0;
  const char* rules_from = "defaults";  // "--block", "the model" or "defaults"
  std::optional<uint64_t> budget;       // defaults only
  std::vector<RulePlan> rules;
  uint64_t predicted_sum = 0;          // of the kept rules: a bound on the candidates
  std::optional<uint64_t> candidates;  // each pair once, as the run scores them
  uint64_t count_limit = 0;
  double seconds = 0;
};


ProbPlan make_prob_plan(const ProbConfig& cfg, uint64_t count_limit) {
  const Stopwatch clock;
  ProbPlan plan;
  plan.count_limit = count_limit;
  std::optional<prob::Model> model;
  if (!cfg.model_in.empty()) {
    model = prob::model_from_json(read_text_file(cfg.model_in, "--model"), cfg.model_in);
    if (model->dedupe != cfg.dedupe)
      throw InputError(cfg.model_in + ": the model was trained " +
                       (model->dedupe ? "with" : "without") + " --dedupe");
  }
  bool defaults = false;
  const std::vector<prob::Comparison> comparisons =
      model ? model->comparisons : prob::default_comparisons(cfg.compare);
  std::vector<prob::BlockingRule> rules = parse_prob_rules(
      scoring_rule_texts(cfg, model ? &*model : nullptr, comparisons, defaults));
  plan.rules_from = !cfg.block.empty() ? "--block" : defaults ? "defaults" : "the model";
  io::RejectsFile rejects("");  // no --skip-bad-rows: a bad row is an error, as in the run
  Progress progress(false);
  const ProbTables t = load_prob_tables(cfg, prob::rule_columns(rules), rejects, progress);
  const RawTable& right = cfg.dedupe ? t.left : t.right;
  plan.left_rows = t.left.size();
  plan.right_rows = right.size();

  std::vector<prob::BlockingRule> kept;
  std::vector<size_t> kept_index;  // into plan.rules
  if (defaults) {
    const prob::DefaultRuleChoice c =
        prob::choose_default_rules(rules, t.left, right, cfg.dedupe, cfg.threads);
    plan.budget = c.budget;
    for (size_t r = 0; r < rules.size(); ++r) {
      plan.rules.push_back({rules[r].text, c.predicted[r], c.kept[r], std::nullopt});
      if (!c.kept[r]) continue;
      kept_index.push_back(r);
      kept.push_back(rules[r]);
    }
  } else {
    for (size_t r = 0; r < rules.size(); ++r) {
      plan.rules.push_back({rules[r].text, 0, true, std::nullopt});
      kept_index.push_back(r);
    }
    kept = rules;
  }
  // The kept rules' keys exactly as the run makes them (rule numbers seed the keys).
  prob::LinkData d;
  d.dedupe = cfg.dedupe;
  d.left.rows = t.left.size();
  d.right.rows = cfg.dedupe ? 0 : t.right.size();
  d.blocking = prob::make_rule_set(std::move(kept), t.left, right, cfg.threads);
  const std::vector<uint64_t> predicted =
      prob::predicted_pairs_per_rule(d.blocking.left, d.blocking.right, cfg.dedupe);
  for (size_t k = 0; k < kept_index.size(); ++k) {
    plan.rules[kept_index[k]].predicted = predicted[k];
    plan.predicted_sum += predicted[k];
  }
  if (count_limit > 0 && plan.predicted_sum <= count_limit) {
    const prob::LinkFigures f = prob::count_candidates(d, cfg.chunk_pairs, cfg.threads);
    for (size_t k = 0; k < kept_index.size(); ++k)
      plan.rules[kept_index[k]].pairs = f.pairs_per_rule[k];
    plan.candidates = f.candidate_pairs;
  }
  plan.seconds = clock.seconds();
  return plan;
}

nlohmann::ordered_json optional_json(const std::optional<uint64_t>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

void print_json(const ProbConfig& cfg, const ProbPlan& p) {
  nlohmann::ordered_json j;
  j["algorithm"] = "prob";
  j["dedupe"] = cfg.dedupe;
  j["left"] = {{"path", cfg.left}, {"rows", p.left_rows}};
  if (!cfg.dedupe) j["right"] = {{"path", cfg.right}, {"rows", p.right_rows}};
  j["rules_from"] = p.rules_from;
  j["default_rule_budget"] = optional_json(p.budget);
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  for (const RulePlan& r : p.rules)
    rules.push_back({{"rule", r.text},
                     {"predicted_pairs", r.predicted},
                     {"kept", r.kept},
                     {"pairs", optional_json(r.pairs)}});
  j["blocking"] = rules;
  j["predicted_pairs"] = p.predicted_sum;
  j["candidate_pairs"] = optional_json(p.candidates);
  j["count_limit"] = p.count_limit;
  j["seconds"] = p.seconds;
  std::cout << j.dump(2) << '\n';
}

void print_text(const ProbConfig& cfg, const ProbPlan& p) {
  std::string out =
      fmt::format("probabilistic plan: {} x {} records{}; rules: {}\n", grouped(p.left_rows),
                  grouped(p.right_rows),
                  cfg.dedupe ? " (dedupe: unordered pairs of one table)" : "", p.rules_from);
  if (p.budget)
    out += fmt::format(
        "default rule budget: {} pairs (a default rule predicting more is left "
        "out)\n",
        grouped(*p.budget));
  size_t width = 4;
  for (const RulePlan& r : p.rules) width = std::max(width, r.text.size());
  out += fmt::format("\n  # {:<{}}  {:>15}  {:>20}\n", "rule", width, "predicted pairs",
                     "after earlier rules");
  for (size_t i = 0; i < p.rules.size(); ++i) {
    const RulePlan& r = p.rules[i];
    out += fmt::format("{:>3} {:<{}}  {:>15}  {:>20}\n", i + 1, r.text, width, grouped(r.predicted),
                       !r.kept   ? "left out (budget)"
                       : r.pairs ? grouped(*r.pairs)
                                 : "-");
  }
  out += fmt::format("\n{:<22}{} (the kept rules' sum: a bound on the candidate pairs)\n",
                     "predicted pairs", grouped(p.predicted_sum));
  if (p.candidates)
    out += fmt::format("{:<22}{} (each pair once: what the run scores)\n", "candidate pairs",
                       grouped(*p.candidates));
  else
    out += fmt::format("{:<22}not counted (the predicted pairs are over --count-limit {})\n",
                       "candidate pairs", grouped(p.count_limit));
  out += fmt::format("{:<22}{:.2f} s\n", "planned in", p.seconds);
  std::cout << out;
}

}  // namespace

int prob_plan_main(const std::vector<std::string>& args) {
  ProbConfig cfg;
  cfg.threads = default_threads();
  std::vector<std::string> maps;
  std::string algorithm;
  uint64_t count_limit = uint64_t{200'000'000};
  bool json = false;
  po::options_description desc(
      "name_matcher plan --algorithm prob: the candidate pairs of each blocking rule, without\n"
      "comparing any pair: predicted from the rule's blocks (before the dedupe across rules)\n"
      "and, when the sum is at most --count-limit, counted as the run scores them (each pair\n"
      "by the first rule that finds it). The rules: --block, else the model's (--model), else\n"
      "the defaults cut to the pair budget, as `run --algorithm prob` chooses them.\n"
      "Options");
  desc.add_options()("help,h", "show this help")("algorithm,a", po::value(&algorithm), "prob")(
      "left", po::value(&cfg.left),
      "table 1: a CSV file with a header row or a mysql://USER@HOST:PORT/DB/TABLE table")(
      "right", po::value(&cfg.right), "table 2 (CSV or mysql://); not with --dedupe")(
      "dedupe", po::bool_switch(&cfg.dedupe), "plan --left against itself")(
      "map", po::value(&maps)->composing(), "FIELD=COLUMN as for run; repeatable")(
      "date-format", po::value(&cfg.date_format)->default_value(cfg.date_format),
      "birthdate format, as for run")("trim-fields", po::bool_switch(&cfg.trim_fields),
                                      "strip spaces around fields, as for run")(
      "block", po::value(&cfg.block)->composing(), "a blocking rule, as for run; repeatable")(
      "compare", po::value(&cfg.compare)->composing(),
      "COLUMN=KIND as for run: each compared column also has a default rule; repeatable")(
      "model", po::value(&cfg.model_in), "take the rules from this model (as run --model)")(
      "count-limit", number_option("plan", "count-limit", &count_limit, uint64_t{0}, ~uint64_t{0}),
      "count the candidate pairs when the predicted sum is at most this (default 200000000; "
      "0: never)")("threads,t", number_option("plan", "threads", &cfg.threads, 0u, kMaxThreads),
                   "worker threads (default: all cores)")("json", po::bool_switch(&json),
                                                          "print one JSON object instead of text");
  desc.add(database_input_options(cfg.db, "plan"));
  return run_guarded("plan", [&]() -> int {
    po::variables_map vm;
    if (!parse_command_line(args, desc, vm)) return 0;
    if (algorithm != "prob") throw UsageError("plan: --algorithm prob expected");
    if (cfg.left.empty()) throw InputError("plan: --left is required (see plan -a prob --help)");
    if (cfg.dedupe && !cfg.right.empty())
      throw InputError("plan: --right cannot be used with --dedupe");
    if (!cfg.dedupe && cfg.right.empty())
      throw InputError("plan: --right is required unless --dedupe is given");
    cfg.column_map = parse_map_options(maps, "plan: ");
    if (cfg.threads == 0) cfg.threads = default_threads();
    const ProbPlan p = make_prob_plan(cfg, count_limit);
    if (json)
      print_json(cfg, p);
    else
      print_text(cfg, p);
    return 0;
  });
}

}  // namespace nm::jobs
