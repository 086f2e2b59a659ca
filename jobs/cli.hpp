// Shared command-line handling of the subcommands.
#pragma once
#include <boost/program_options.hpp>
#include <iostream>
#include <string>
#include <vector>

#include "src/errors.hpp"

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

// The same for a command that takes positional arguments: each goes into the
// option `positional` (declared in `hidden`, not shown by --help), at most
// `max_count` of them (-1: any number).
inline bool parse_command_line(const std::vector<std::string>& args,
                               const boost::program_options::options_description& desc,
                               const boost::program_options::options_description& hidden,
                               const char* positional, int max_count,
                               boost::program_options::variables_map& vm) {
  namespace po = boost::program_options;
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add(positional, max_count);
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return false;
  }
  return true;
}

// Runs a subcommand's body: option and input errors become a message on
// stderr and exit code 1, so an entry point can also be called directly
// (tests) without the handlers of main().
template <class Body>
int run_guarded(const char* command, Body&& body) {
  try {
    return body();
  } catch (const boost::program_options::error& e) {
    std::cerr << command << ": " << e.what() << "\n(see --help)\n";
    return 1;
  } catch (const InputError& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
}

}  // namespace nm::jobs
