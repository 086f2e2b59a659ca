// The one rule for how an error ends the program: which exception gives which
// exit code, and the line that reports it (README.md, "Exit codes").
// main(), the subcommands' run_guarded and the ranks' agreement on an error
// all ask here.
#pragma once
#include <exception>
#include <string>
#include <string_view>

namespace nm {

struct ErrorExit {
  int code = 0;
  std::string message;  // the line to print (with its '\n'); empty: print nothing
};

// InputError (also BadRowError) and a command-line error: 1; UsageError and
// PeerFailed: their own code (PeerFailed prints nothing: the failing rank
// reported it); anything else: 3, an internal error. COMMAND names the
// subcommand in a command-line error's message.
ErrorExit error_exit(const std::exception_ptr& e, std::string_view command);

inline int exit_code_of(const std::exception_ptr& e) { return error_exit(e, "").code; }

}  // namespace nm
