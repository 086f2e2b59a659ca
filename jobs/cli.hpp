// Shared command-line handling of the subcommands.
#pragma once
#include <fmt/format.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "jobs/progress.hpp"
#include "src/env_flag.hpp"
#include "src/errors.hpp"
#include "src/exit_code.hpp"
#include "src/mpi/mpi_env.hpp"
#include "src/match/options.hpp"
#include "src/match/algorithm.hpp"

namespace nm::jobs {

// The --map FIELD=COLUMN options as a map (a later one for the same field
// wins); InputError "<prefix>--map expects FIELD=COLUMN (got 'X')" for one
// without a field or a column.
inline std::map<std::string, std::string> parse_map_options(const std::vector<std::string>& maps,
                                                            const std::string& prefix = "") {
  std::map<std::string, std::string> out;
  for (const auto& m : maps) {
    const auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
      throw InputError(prefix + "--map expects FIELD=COLUMN (got '" + m + "')");
    out[m.substr(0, eq)] = m.substr(eq + 1);
  }
  return out;
}

// 1234567 -> "1,234,567"
inline std::string grouped(uint64_t v) {
  std::string digits = std::to_string(v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

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

// The one rule for a numeric option: TEXT must be a number (a whole one for an integer T) from
// LO to HI, else an InputError (exit 1) naming the command, the option and the range. Options are
// read as text and checked here because program_options reads "-1" into an unsigned as 2^64-1.
template <class T>
T parse_number_option(const char* command, const char* option, const std::string& text, T lo,
                      T hi) {
  static_assert(std::is_arithmetic_v<T>);
  using Wide =
      std::conditional_t<std::is_floating_point_v<T>, double,
                         std::conditional_t<std::is_signed_v<T>, long long, unsigned long long>>;
  Wide v{};
  const char* b = text.data();
  const char* e = b + text.size();
  // from_chars reads no sign into an unsigned: "-1" is refused, not wrapped.
  const auto [p, ec] = std::from_chars(b, e, v);
  bool ok = !text.empty() && ec == std::errc() && p == e;
  if constexpr (std::is_floating_point_v<T>) ok = ok && std::isfinite(v);
  if (ok) ok = !(v < static_cast<Wide>(lo)) && !(v > static_cast<Wide>(hi));
  if (!ok) {
    if constexpr (std::is_floating_point_v<T>)
      throw InputError(fmt::format("{}: --{} must be a number from {} to {}, got '{}'", command,
                                   option, lo, hi, text));
    else
      throw InputError(fmt::format("{}: --{} must be a whole number from {} to {}, got '{}'",
                                   command, option, lo, hi, text));
  }
  return static_cast<T>(v);
}

// A numeric option for options_description: read as text (shown with *target as its default)
// and stored into *target by parse_number_option when the options are notified.
template <class T>
boost::program_options::typed_value<std::string>* number_option(const char* command,
                                                                const char* option, T* target, T lo,
                                                                T hi) {
  auto* v = boost::program_options::value<std::string>();
  v->default_value(fmt::format("{}", *target));
  v->notifier([=](const std::string& text) {
    *target = parse_number_option(command, option, text, lo, hi);
  });
  return v;
}

// The ranges of the options several commands share.
inline constexpr unsigned kMaxThreads = 1024;                     // --threads (0: all cores)
inline constexpr uint32_t kMaxTilesPerRank = 1000000;             // --tiles-per-rank
inline constexpr uint64_t kMaxPairs = uint64_t{1} << 40;          // --tile-pairs, --piece-pairs
inline constexpr uint64_t kMaxGpuBatchPairs = uint64_t{1} << 32;  // --gpu-batch-pairs
inline constexpr uint64_t kMaxRows = (uint64_t{1} << 32) - 1;     // generated rows per table

// A threshold given as TEXT by WHERE (an option such as "--threshold" or an environment
// variable): parsed as the contract says (src/match/options.hpp), values below LO raised to LO.
// Unparsable text gives FALLBACK (the contract's 0.95, or for reduce the run's own threshold)
// and one warning naming WHERE and the value used, printed by the launcher's rank 0 only, so
// a run under mpirun says it once.
// FALLBACK_TEXT says what FALLBACK means when it is not a threshold itself (reduce's -1).
inline float threshold_option(const char* command, const std::string& where,
                              const std::string& text, double lo, float fallback,
                              const std::string& fallback_text = "") {
  if (const auto v = try_parse_threshold(text, lo)) return *v;
  if (mpi::launcher_rank() == 0)
    log(LogLevel::kWarn,
        fmt::format("{}: {} '{}' is not a threshold (such as 95, 0.95 or 95%); using {}", command,
                    where, text,
                    fallback_text.empty() ? fmt::format("{}", fallback) : fallback_text));
  return fallback;
}

// --algorithm N of any command: 1..6; 7 was removed (exit 2, as for run).
inline void check_algorithm(int algorithm) {
  if (algorithm == kRemovedAlgorithm)
    throw UsageError("algorithm 7 is deprecated and was removed; use algorithm 3 or 4", 2);
  if (!is_algorithm(algorithm))
    throw InputError("--algorithm must be 1..6 (got " + std::to_string(algorithm) + ")");
}

// The contract's environment variables (NAME_MATCHER_FUZZY_THRESHOLD,
// NAME_MATCHER_HOUSEHOLD_THRESHOLD, NAME_MATCHER_DIRECT_FUZZY_NORMALIZATION),
// applied to the options not given on the command line.
inline void apply_environment(MatchOptions& m, bool threshold_given, bool household_given,
                              bool fuzzy_norm_given) {
  if (!threshold_given)
    if (const char* v = std::getenv("NAME_MATCHER_FUZZY_THRESHOLD"))
      m.threshold = threshold_option("name_matcher", "NAME_MATCHER_FUZZY_THRESHOLD", v,
                                     kFuzzyThresholdMin, kDefaultThreshold);
  if (!household_given)
    if (const char* v = std::getenv("NAME_MATCHER_HOUSEHOLD_THRESHOLD"))
      m.household_threshold = threshold_option("name_matcher", "NAME_MATCHER_HOUSEHOLD_THRESHOLD",
                                               v, kHouseholdThresholdMin, kDefaultThreshold);
  if (!fuzzy_norm_given && env_flag_set("NAME_MATCHER_DIRECT_FUZZY_NORMALIZATION"))
    m.fuzzy_normalization = true;
}

// Runs a subcommand's body: option and input errors become a message on
// stderr and their exit code (src/exit_code.hpp), so an entry point can also
// be called directly (tests) without the handlers of main().
template <class Body>
int run_guarded(const char* command, Body&& body) {
  auto report = [&] {
    const ErrorExit x = error_exit(std::current_exception(), command);
    std::cerr << x.message;
    return x.code;
  };
  try {
    return body();
  } catch (const boost::program_options::error&) {
    return report();
  } catch (const InputError&) {
    return report();
  }
}

}  // namespace nm::jobs
