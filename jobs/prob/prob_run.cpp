// run_prob: the probabilistic mode from the inputs to the outputs, on one
// process (threads) or several (mpirun/srun: jobs/prob/prob_ranks.hpp).
#include "jobs/prob/prob_run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "io/csv_writer.hpp"
#include "io/safe_output.hpp"
#include "io/table_loader.hpp"
#include "jobs/progress.hpp"
#include "jobs/prob/prob_engine.hpp"
#include "jobs/prob/prob_output.hpp"
#include "jobs/prob/prob_pairs.hpp"
#include "jobs/prob/prob_prepare.hpp"
#include "jobs/prob/prob_ranks.hpp"
#include "src/errors.hpp"
#include "src/log.hpp"
#include "src/match/prob/clusters.hpp"
#include "src/match/prob/linker.hpp"
#include "src/match/prob/training.hpp"
#include "src/peak_rss.hpp"
#include "src/stopwatch.hpp"

namespace nm::jobs {
namespace {

// Logs (debug) the wall and processor seconds of a prepare stage since the
// last call, so `--log-level debug` shows where the prepare time goes.
class StageClock {
 public:
  void done(const char* stage) {
    const double cpu = static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
    log(LogLevel::kDebug, fmt::format("prob prepare: {} {:.2f} s ({:.2f} s processor)", stage,
                                      wall_.seconds(), cpu - cpu_));
    wall_.restart();
    cpu_ = cpu;
  }

 private:
  Stopwatch wall_;
  double cpu_ = static_cast<double>(std::clock()) / CLOCKS_PER_SEC;
};

}  // namespace

std::string read_text_file(const std::string& path, const char* role) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + " (" + role + "): cannot be read");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Columns the loader must read besides the contract's: those compared and
// those the blocking rules name.
std::vector<std::string> prob_extra_columns(const std::vector<prob::Comparison>& comparisons,
                                           const std::vector<prob::BlockingRule>& rules) {
  std::vector<std::string> out = prob::extra_columns_of(comparisons);
  for (const auto& c : prob::rule_columns(rules))
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  return out;
}

std::vector<prob::BlockingRule> parse_prob_rules(const std::vector<std::string>& texts) {
  std::vector<prob::BlockingRule> rules;
  rules.reserve(texts.size());
  for (const auto& t : texts) rules.push_back(prob::parse_rule(t));
  return rules;
}

std::vector<std::string> scoring_rule_texts(const ProbConfig& cfg, const prob::Model* given,
                                            const std::vector<prob::Comparison>& comparisons,
                                            bool& defaults) {
  std::vector<std::string> texts = cfg.block;
  if (texts.empty() && given != nullptr) texts = given->blocking;
  defaults = texts.empty();
  if (defaults) texts = prob::default_rule_texts(comparisons);
  return texts;
}

prob::LinkData prepare_comparisons(const ProbConfig& cfg, const ProbTables& t,
                                   const std::vector<prob::Comparison>& comparisons) {
  StageClock stages;
  prob::LinkData d;
  d.dedupe = cfg.dedupe;
  d.plan = prob::plan_comparisons(comparisons, t.left, "--compare");
  const DateFormat dates(cfg.date_format);
  d.left = prob::prepare_side(d.plan, t.left, dates, cfg.threads);
  if (!cfg.dedupe) d.right = prob::prepare_side(d.plan, t.right, dates, cfg.threads);
  stages.done("compared values");
  d.tf_totals = prob::count_frequencies(d.plan, d.left, cfg.dedupe ? nullptr : &d.right);
  stages.done("term frequencies");
  return d;
}

namespace {

// The default rules that fit, in order, within the pair budget
// (prob::choose_within_budget); the others are named in a message. `keep`
// gets the indexes of those kept.
void affordable_defaults(const std::vector<prob::BlockingRule>& rules,
                         const std::vector<uint64_t>& predicted, uint64_t budget,
                         std::vector<uint32_t>& keep) {
  const prob::DefaultRuleChoice choice = prob::choose_within_budget(predicted, budget);
  for (size_t r = 0; r < rules.size(); ++r) {
    if (choice.kept[r]) {
      keep.push_back(static_cast<uint32_t>(r));
    } else {
      log(LogLevel::kInfo,
          fmt::format("default blocking rule '{}' left out: {} pairs predicted, over the budget "
                      "of {} for all default rules (give it with --block to use it)",
                      rules[r].text, choice.predicted[r], choice.budget));
    }
  }
}

// Every row's keys are computed once for the scoring rules (all the defaults
// before the budget cuts them) and the training rules together; each set
// takes its columns (prob::select_rule_keys).
prob::LinkData prepare(const ProbConfig& cfg, const ProbTables& t,
                       const std::vector<prob::Comparison>& comparisons,
                       std::vector<prob::BlockingRule> rules, bool default_rules,
                       std::vector<prob::BlockingRule> training) {
  prob::LinkData d = prepare_comparisons(cfg, t, comparisons);
  StageClock stages;
  const RawTable& right = cfg.dedupe ? t.left : t.right;
  std::vector<prob::BlockingRule> all = rules;
  all.insert(all.end(), training.begin(), training.end());
  const prob::RuleKeys lk = prob::compute_rule_keys(t.left, all, false, cfg.threads);
  const prob::RuleKeys rk = prob::compute_rule_keys(right, all, true, cfg.threads);
  stages.done("rule keys");
  std::vector<uint32_t> keep, train;
  if (default_rules) {
    // Counted for every rule (the training rules' few counts are dropped)
    // rather than on a copy of the scoring rules' keys: no second copy of
    // the keys at the peak of memory.
    std::vector<uint64_t> predicted =
        prob::predicted_pairs_per_rule(lk, rk, cfg.dedupe, cfg.threads);
    predicted.resize(rules.size());
    affordable_defaults(rules, predicted,
                        prob::default_rule_budget(t.left.size(), cfg.dedupe ? 0 : right.size()),
                        keep);
    stages.done("default rules' pair budget");
  } else {
    for (uint32_t r = 0; r < rules.size(); ++r) keep.push_back(r);
  }
  if (keep.empty()) throw UsageError("no blocking rule left: give one with --block");
  for (size_t r = 0; r < training.size(); ++r)
    train.push_back(static_cast<uint32_t>(rules.size() + r));
  for (const uint32_t r : keep) d.blocking.rules.push_back(std::move(rules[r]));
  d.blocking.left = prob::select_rule_keys(lk, keep);
  d.blocking.right = prob::select_rule_keys(rk, keep);
  d.training.rules = std::move(training);
  d.training.left = prob::select_rule_keys(lk, train);
  d.training.right = prob::select_rule_keys(rk, train);
  return d;
}

// Each rank counts its share, the counts are summed over the ranks, rank 0
// fits the model from the sums and every rank gets it.
prob::Model train(const ProbConfig& cfg, const prob::LinkData& d,
                  std::vector<prob::Comparison> comparisons, Progress& progress,
                  prob::LinkFigures& figures, ProbEngine& engine, ProbRanks& ranks) {
  prob::TrainOptions o;
  o.counting = engine.counting();
  o.u_sample_pairs = cfg.u_sample_pairs;
  o.seed = cfg.seed;
  o.chunk_pairs = cfg.chunk_pairs;
  prob::TrainingCounts counts = prob::count_training(d, o, cfg.threads,
                                                     [&](const char* stage, uint64_t n) {
                                                       progress.update(stage, n, 0, "pairs");
                                                     });
  progress.finish();
  ranks.sum(counts);
  figures = prob::figures_of(counts.patterns);
  return ranks.fit_on_root(
      [&] { return prob::fit_training(d, std::move(comparisons), o, counts); });
}

ProbResult run_ranked(const ProbConfig& cfg, ProbRanks& ranks) {
  const Stopwatch clock;
  ProbResult res;
  ProbPaths paths = prob_paths(cfg);
  ProbEngine engine(cfg.device, cfg.threads);  // --device gpu without a GPU fails here
  // The model, or what training starts from.
  std::optional<prob::Model> given;
  std::vector<prob::Comparison> comparisons;
  if (!cfg.model_in.empty()) {
    given = prob::model_from_json(read_text_file(cfg.model_in, "--model"), cfg.model_in);
    if (!cfg.compare.empty())
      throw UsageError("--compare: the comparisons are the model's (" + cfg.model_in +
                       "); give either --model or --compare");
    if (given->dedupe != cfg.dedupe)
      throw InputError(cfg.model_in + ": the model was trained " +
                       (given->dedupe ? "with" : "without") + " --dedupe");
    comparisons = given->comparisons;
  } else {
    comparisons = prob::default_comparisons(cfg.compare);
  }
  if (ranks.root()) check_prob_table_output(cfg, paths, comparisons);  // before any work
  // --resume: the model is the pair file's, the options must be its run's.
  std::optional<ProbResumeState> resumed;
  if (cfg.resume) resumed = read_prob_resume(cfg, given);
  bool default_rules = false;
  const std::vector<std::string> rule_texts =
      scoring_rule_texts(cfg, given ? &*given : nullptr, comparisons, default_rules);
  std::vector<prob::BlockingRule> rules = parse_prob_rules(rule_texts);
  std::vector<prob::BlockingRule> training = parse_prob_rules(
      cfg.train_block.empty() ? prob::default_training_rule_texts() : cfg.train_block);

  io::CommitGroup outputs;
  io::RejectsFile rejects(paths.rejects);
  Progress progress(cfg.show_progress && ranks.root());
  std::vector<prob::BlockingRule> all_rules = rules;
  all_rules.insert(all_rules.end(), training.begin(), training.end());
  StageClock load_clock;
  ProbTables tables = load_prob_tables(cfg, prob_extra_columns(comparisons, all_rules), rejects, progress);
  progress.finish();
  load_clock.done("load");
  if (given) {
    std::vector<std::string> columns = tables.left.extra_names;
    for (auto f : kFieldNames) columns.emplace_back(f);
    columns.emplace_back("birthdate");
    prob::check_model_columns(*given, columns, cfg.model_in);
  }
  res.left_rows = tables.left.size();
  res.right_rows = cfg.dedupe ? tables.left.size() : tables.right.size();
  res.rejected = rejects.count();
  prob::LinkData d =
      prepare(cfg, tables, comparisons, std::move(rules), default_rules, std::move(training));
  d.share = ranks.share();
  const double prepared_s = clock.seconds();

  prob::LinkFigures train_figures, link_figures;
  const prob::Model model = given      ? *given
                            : resumed  ? resumed->model
                                       : train(cfg, d, comparisons, progress, train_figures, engine, ranks);
  const double trained_s = clock.seconds();
  if (!given && ranks.root()) {
    if (!resumed) log(LogLevel::kInfo, "learned:\n" + prob::weights_table(model));
    if (paths.model.empty()) {
      log(LogLevel::kWarn, "the model is not saved (the pairs go to standard output): give "
                           "--model-out to keep it");
    } else {
      write_text_output(paths.model, prob::model_to_json(model), outputs, io::CommitKind::kOutput);
      res.model_path = paths.model;
    }
  }
  ProbWritten written;
  if (!cfg.train_only) {
    const prob::Scoring scoring = prob::make_scoring(model, d, cfg.min_probability);
    std::vector<prob::ScoredLink> links;
    if (cfg.pairs.empty()) {
      links = engine.score_pairs(d, scoring, cfg.chunk_pairs, cfg.threads, &link_figures,
                                 [&](uint64_t n) { progress.update("link", n, 0, "pairs"); });
      progress.finish();
      ranks.sum(link_figures);
      ranks.gather(links);  // rank 0 writes
    } else {  // the pairs of every attempt, from the file
      score_into_pair_file(cfg, tables, d, model, scoring, ranks, resumed && resumed->complete,
                           link_figures, progress);
      ranks.sum(link_figures);
      if (ranks.root()) links = read_prob_links(io::PairFileReader(cfg.pairs), cfg.pairs);
    }
    if (cfg.one_to_one) keep_one_to_one(links);
    if (ranks.root()) {
      written = write_prob_outputs(cfg, paths, model, d, tables.left,
                                   cfg.dedupe ? tables.left : tables.right, links, outputs);
      write_prob_sinks(cfg, paths, model,
                       {res.left_rows, res.right_rows, rejects.count(), prepared_s,
                        clock.seconds() - prepared_s, clock.seconds()},
                       outputs, written);
    }
  }
  if (ranks.root()) rejects.commit_to(outputs);
  ProbSummary sum;
  sum.cfg = &cfg;
  sum.model = &model;
  sum.data = &d;
  sum.train = &train_figures;
  sum.link = &link_figures;
  sum.written = &written;
  sum.engine = &engine;
  sum.left_stats = &tables.left_stats;
  sum.right_stats = &tables.right_stats;
  sum.seconds = {prepared_s, trained_s - prepared_s, clock.seconds() - trained_s};
  sum.rejected = rejects.count();
  sum.rejects_path = paths.rejects;
  sum.peak_rss = peak_rss_bytes();
  if (!paths.summary.empty() && ranks.root())
    write_text_output(paths.summary, prob_summary_json(sum), outputs, io::CommitKind::kSide);
  outputs.commit();
  res.candidate_pairs = cfg.train_only ? train_figures.candidate_pairs : link_figures.candidate_pairs;
  res.pairs_written = written.pairs;
  res.clusters = written.clusters;
  res.summary_path = paths.summary;
  res.total_s = clock.seconds();
  return res;
}

}  // namespace

ProbResult run_prob(const ProbConfig& cfg) {
  ProbRanks ranks;
  return ranks.run([&] { return run_ranked(cfg, ranks); });
}

}  // namespace nm::jobs
