// Shared command-line handling of the subcommands.
#pragma once
#include <boost/program_options.hpp>
#include <iostream>
#include <string>
#include <vector>

namespace nm::jobs {

// Parses `args` against `desc` into `vm`; stray positional arguments are an
// error. Returns false when --help was asked for (the help is then printed).
inline bool parse_command_line(const std::vector<std::string>& args,
                               const boost::program_options::options_description& desc,
                               boost::program_options::variables_map& vm) {
  namespace po = boost::program_options;
  // An empty positional description makes any stray argument an error.
  po::store(po::command_line_parser(args).options(desc).positional({}).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return false;
  }
  return true;
}

}  // namespace nm::jobs
