// The `reduce` command: a finished run's outputs rebuilt from its pair file.
#include "jobs/commands/reduce.hpp"

#include <boost/program_options.hpp>

#include "io/safe_output.hpp"
#include "jobs/cli.hpp"
#include "jobs/pipeline/reduce.hpp"
#include "src/errors.hpp"
#include "src/match/options.hpp"

namespace nm::jobs {

int reduce_main(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  ReduceRequest req;
  std::string threshold, household;
  po::options_description desc(
      "name_matcher reduce: rebuild the outputs of a finished run from its pair file, without "
      "rescoring");
  desc.add_options()("help,h", "show this help")("pairs", po::value(&req.pairs_path),
                                                 "pair file written by run --pairs")(
      "out,o", po::value(&req.out), "output CSV")(
      "algorithm,a", po::value(&req.algorithm),
      "output of algorithm N (default: the run's; an A4/A5/A6 file gives 4, 5 or 6)")(
      "threshold", po::value(&threshold),
      "A3/A4: keep pairs at or above this (not below the run's)")(
      "household-threshold", po::value(&household), "A5/A6: person-pair threshold");
  po::variables_map vm;
  if (!parse_command_line(args, desc, vm)) return 0;
  if (req.pairs_path.empty()) throw InputError("reduce: --pairs is required");
  if (req.out.empty()) throw InputError("reduce: --out is required");
  if (req.algorithm != 0) check_algorithm(req.algorithm);  // before the file is opened
  req.out = io::resolve_output_path(req.out);
  io::check_output_paths({{req.pairs_path, "--pairs"}}, {{req.out, "--out"}});
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
