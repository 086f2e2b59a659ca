#include "src/exit_code.hpp"

#include <boost/program_options/errors.hpp>

#include "src/errors.hpp"

namespace nm {

ErrorExit error_exit(const std::exception_ptr& e, std::string_view command) {
  try {
    std::rethrow_exception(e);
  } catch (const PeerFailed& p) {
    return {p.exit_code(), ""};
  } catch (const UsageError& u) {
    return {u.exit_code(), "name_matcher: " + std::string(u.what()) + "\n"};
  } catch (const InputError& x) {
    return {1, "name_matcher: error: " + std::string(x.what()) + "\n"};
  } catch (const boost::program_options::error& x) {
    return {1, "name_matcher " + std::string(command) + ": " + x.what() + " (see --help)\n"};
  } catch (const std::exception& x) {
    return {3, "name_matcher: internal error: " + std::string(x.what()) + "\n"};
  } catch (...) {
    return {3, "name_matcher: internal error: unknown error\n"};
  }
}

}  // namespace nm
