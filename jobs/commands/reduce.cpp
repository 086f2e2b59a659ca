// The `reduce` command: a finished run's outputs rebuilt from its pair file.
#include "jobs/commands/reduce.hpp"

#include <boost/program_options.hpp>

#include "io/safe_output.hpp"
#include "jobs/cli.hpp"
#include "jobs/pipeline/reduce.hpp"
#include "jobs/prob/prob_pairs.hpp"
#include "src/errors.hpp"
#include "src/match/options.hpp"

namespace nm::jobs {

int reduce_main(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  ReduceRequest req;
  std::string threshold, household, algorithm;
  ProbReduceRequest prob_req;
  po::options_description desc(
      "name_matcher reduce: rebuild the outputs of a finished run from its pair file, without "
      "rescoring");
  desc.add_options()("help,h", "show this help")("pairs", po::value(&req.pairs_path),
                                                 "pair file written by run --pairs")(
      "out,o", po::value(&req.out), "output CSV")(
      "algorithm,a", po::value(&algorithm),
      "output of algorithm N (default: the run's; an A4/A5/A6 file gives 4, 5 or 6), or prob "
      "for a file of run -a prob")(
      "threshold", po::value(&threshold),
      "A3/A4: keep pairs at or above this (not below the run's)")(
      "household-threshold", po::value(&household), "A5/A6: person-pair threshold")(
      "clusters", po::value(&prob_req.clusters),
      "prob: also write each record's cluster (as run -a prob --clusters)")(
      "one-to-one", po::bool_switch(&prob_req.one_to_one),
      "prob: each record in at most one pair, best weight first (as run -a prob --one-to-one)");
  po::variables_map vm;
  if (!parse_command_line(args, desc, vm)) return 0;
  if (req.pairs_path.empty()) throw InputError("reduce: --pairs is required");
  if (req.out.empty()) throw InputError("reduce: --out is required");
  const bool want_prob = algorithm == "prob";
  if (!algorithm.empty() && !want_prob) {
    try {
      size_t used = 0;
      req.algorithm = std::stoi(algorithm, &used);
      if (used != algorithm.size()) throw std::invalid_argument(algorithm);
    } catch (const std::logic_error&) {
      throw InputError("reduce: --algorithm '" + algorithm + "': give 1-6 or prob");
    }
    check_algorithm(req.algorithm);  // before the file is opened
  }
  req.out = io::resolve_output_path(req.out);
  if (!prob_req.clusters.empty()) prob_req.clusters = io::resolve_output_path(prob_req.clusters);
  std::vector<io::NamedPath> outputs{{req.out, "--out"}};
  if (!prob_req.clusters.empty()) outputs.push_back({prob_req.clusters, "--clusters"});
  io::check_output_paths({{req.pairs_path, "--pairs"}}, outputs);
  const bool prob_options = !prob_req.clusters.empty() || prob_req.one_to_one;
  {
    const io::PairFileReader file(req.pairs_path);
    if (is_prob_pair_file(file.meta())) {
      if (!algorithm.empty() && !want_prob)
        throw InputError(req.pairs_path + " holds the pairs of the probabilistic mode (run -a "
                                          "prob); reduce it with -a prob or without -a");
      if (vm.count("threshold") || vm.count("household-threshold"))
        throw UsageError("reduce: --threshold and --household-threshold are for algorithms 1-6; " +
                         req.pairs_path + " is of the probabilistic mode");
      prob_req.pairs_path = req.pairs_path;
      prob_req.out = req.out;
      const uint64_t n = reduce_prob_pair_file(file, prob_req);
      log(LogLevel::kInfo, "reduce: " + std::to_string(n) + " pairs -> " + req.out);
      return 0;
    }
    if (want_prob)
      throw InputError(req.pairs_path + " holds the pairs of algorithm " +
                       std::to_string(file.meta().algorithm) +
                       ", not of the probabilistic mode: reduce it without -a prob");
    if (prob_options)
      throw UsageError("reduce: --clusters and --one-to-one are for a pair file of run -a prob; " +
                       req.pairs_path + " is of algorithm " +
                       std::to_string(file.meta().algorithm));
  }
  // Unparsable: the run's own threshold (the default here), with a warning.
  if (vm.count("threshold"))
    req.threshold = threshold_option("reduce", "--threshold", threshold, kFuzzyThresholdMin, -1,
                                     "the run's own threshold");
  if (vm.count("household-threshold"))
    req.household_threshold =
        threshold_option("reduce", "--household-threshold", household, kHouseholdThresholdMin, -1,
                         "the run's own threshold");
  const OutputResult r = reduce_pair_file(req);
  log(LogLevel::kInfo, "reduce: " + std::to_string(r.pairs_in) + " pairs -> " +
                           std::to_string(r.rows) + " rows in " + req.out);
  return 0;
}

}  // namespace nm::jobs
