// `name_matcher generate`: the command line of generate_dataset.
#include <fmt/core.h>

#include <boost/program_options.hpp>
#include <cstdint>
#include <iostream>

#include "jobs/cli.hpp"
#include "jobs/generate/generate.hpp"

namespace nm::jobs {

int generate_main(const std::vector<std::string>& args) {
  namespace po = boost::program_options;
  po::options_description desc(
      "Usage: name_matcher generate --out-dir DIR [--rows N] [--seed S] [--overlap F] [--skew F]\n"
      "       [--threads N] [--quiet]\n"
      "Writes DIR/left.csv, DIR/right.csv (N synthetic person records each) and DIR/truth.csv\n"
      "(left_id,right_id of every true pair). The same options give byte-identical files.\n"
      "Options");
  GenerateOptions o;
  desc.add_options()("help,h", "show this help")(
      "rows", number_option("generate", "rows", &o.rows, uint64_t{0}, kMaxRows), "rows per table")(
      "seed", number_option("generate", "seed", &o.seed, uint64_t{0}, ~uint64_t{0}), "random seed")(
      "out-dir", po::value(&o.out_dir), "output directory (created if missing)")(
      "overlap", number_option("generate", "overlap", &o.overlap, 0.0, 1.0),
      "fraction of right rows that are copies of left persons, 0..1")(
      "skew", number_option("generate", "skew", &o.skew, 0.0, 1.0),
      "fraction of persons born 1970-01-01 (an unknown date recorded as 1 January), 0..1;\n"
      "a person and their copy keep the same date")(
      "threads", number_option("generate", "threads", &o.threads, 0u, kMaxThreads),
      "worker threads, 0..1024, 0 = all cores")("quiet,q", "no summary line");
  return run_guarded("generate", [&]() -> int {
    po::variables_map vm;
    if (!parse_command_line(args, desc, vm)) return 0;
    const GenerateStats s = generate_dataset(o);
    if (!vm.count("quiet"))
      std::cerr << fmt::format(
          "generate: {} left rows, {} right rows, {} true pairs -> {} ({:.2f} s)\n", s.left_rows,
          s.right_rows, s.true_pairs, o.out_dir, s.seconds);
    return 0;
  });
}

}  // namespace nm::jobs
