// The original tool's positional command line mapped onto `name_matcher run`
// (see legacy.hpp). Nothing here reads the process environment, prints or
// touches a file: the caller does that with what map_legacy returns.
#include "jobs/commands/legacy.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/errors.hpp"

namespace nm::jobs {
namespace {

constexpr const char* kPasswordEnv = "NAME_MATCHER_DB_PASSWORD";
constexpr const char* kSynopsis =
    "HOST PORT USER PASSWORD DATABASE TABLE1 TABLE2 ALGO OUT_PATH [csv|xlsx|both]";

// The subcommands of src/main.cpp's dispatch (and its help/version spellings
// without a dash): a first argument equal to one of them is never a HOST.
constexpr std::array<std::string_view, 11> kSubcommands = {
    "run",   "generate", "evaluate",     "plan",    "explain",
    "bench", "reduce",   "gpu-selftest", "seed", "version", "help"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool is_hex(char c) { return is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && lower(s.substr(s.size() - suffix.size())) == suffix;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

// A TCP port in decimal digits only (leading zeros allowed), 1..65535.
std::optional<unsigned> parse_port(std::string_view s) {
  if (!all_digits(s)) return std::nullopt;
  uint32_t value = 0;
  for (char c : s) {
    value = value * 10 + static_cast<uint32_t>(c - '0');
    if (value > 65535) return std::nullopt;
  }
  if (value == 0) return std::nullopt;
  return value;
}

unsigned require_port(std::string_view s, std::string_view what) {
  const auto port = parse_port(s);
  if (!port) {
    throw InputError(std::string(what) + " '" + std::string(s) +
                     "' is not a port number (1..65535)");
  }
  return *port;
}

// A host name ([A-Za-z0-9._-], not starting with '-' or '.') or an IPv6
// literal in brackets ("[::1]": hex digits, ':' and '.', at least two ':').
// Anything else (a '/', '@', ':', '%', space...) would change what the URL
// means, so it is refused rather than encoded.
std::string require_host(std::string_view host, std::string_view what) {
  const std::string shown = std::string(what) + " '" + std::string(host) + "'";
  if (host.empty()) throw InputError(std::string(what) + " is empty: it must name the server");
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      throw InputError(shown + " is not an IPv6 address in brackets such as [::1]");
    }
    const std::string_view inner = host.substr(1, host.size() - 2);
    int colons = 0;
    for (char c : inner) {
      if (c == ':') {
        ++colons;
      } else if (!is_hex(c) && c != '.') {
        throw InputError(shown + " is not an IPv6 address in brackets such as [::1]");
      }
    }
    if (colons < 2) throw InputError(shown + " is not an IPv6 address in brackets such as [::1]");
    return std::string(host);
  }
  if (host.front() == '-' || host.front() == '.') {
    throw InputError(shown + " is not a host name (it starts with '" +
                     std::string(1, host.front()) + "')");
  }
  for (char c : host) {
    if (is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_') continue;
    if (c == ':') {
      throw InputError(shown + " is not a host name: it contains ':' (the port is given " +
                       "separately; write an IPv6 address in brackets, such as [::1])");
    }
    throw InputError(shown + " is not a host name: it contains '" + std::string(1, c) +
                     "' (allowed: letters, digits, '.', '-', '_', or an IPv6 address in "
                     "brackets such as [::1])");
  }
  return std::string(host);
}

void require_name(std::string_view value, std::string_view what) {
  if (value.empty()) throw InputError(std::string(what) + " is empty");
}

std::string table_url(const std::string& user, const std::string& host, unsigned port,
                      const std::string& database, const std::string& table) {
  return "mysql://" + encode_url_identifier(user) + "@" + host + ":" + std::to_string(port) + "/" +
         encode_url_identifier(database) + "/" + encode_url_identifier(table);
}

// An --out value: a path starting with '-' gets "./" in front so the option
// parser cannot take it for an option.
std::string out_arg(std::string path) {
  if (!path.empty() && path.front() == '-') return "./" + path;
  return path;
}

// Characters a POSIX shell takes literally anywhere in a word.
bool shell_safe(char c) {
  return is_alpha(c) || is_digit(c) ||
         std::string_view("_@%+=:,./-").find(c) != std::string_view::npos;
}

std::string shell_quote(const std::string& arg) {
  bool safe = !arg.empty();
  for (char c : arg) safe = safe && shell_safe(c);
  if (safe) return arg;
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

}  // namespace

std::string encode_url_identifier(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const bool only_dots = !name.empty() && name.find_first_not_of('.') == std::string_view::npos;
  std::string out;
  out.reserve(name.size());
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    const bool keep = (is_alpha(ch) || is_digit(ch) || ch == '_' || ch == '$' || ch == '-' ||
                       (ch == '.' && !only_dots));
    if (keep) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

bool looks_like_legacy(const std::vector<std::string>& args) {
  if (args.size() != 9 && args.size() != 10) return false;
  const std::string& first = args[0];
  if (first.empty() || first.front() == '-') return false;
  for (std::string_view cmd : kSubcommands) {
    if (first == cmd) return false;
  }
  // Any number: an out-of-range port (99999) is the original command line with a bad PORT
  // (map_legacy says so), not an unknown command.
  return all_digits(args[1]);
}

LegacyInvocation map_legacy(const std::vector<std::string>& args, const GetEnv& getenv) {
  if (args.size() != 9 && args.size() != 10) {
    throw InputError(std::string("the original command line is ") + kSynopsis + ": 9 or 10 " +
                     "arguments, got " + std::to_string(args.size()));
  }
  // DB2_HOST, DB2_USER, DB2_PORT and DB2_DATABASE: empty counts as not set.
  auto env_value = [&](const std::string& name) -> std::optional<std::string> {
    auto v = getenv(name);
    if (v && v->empty()) return std::nullopt;
    return v;
  };

  LegacyInvocation inv;
  inv.password_arg_index = 3;

  const std::string host = require_host(args[0], "HOST");
  const unsigned port = require_port(args[1], "PORT");
  const std::string& user = args[2];
  require_name(user, "USER");
  const std::string& password = args[3];
  const std::string& database = args[4];
  require_name(database, "DATABASE");
  const std::string& table1 = args[5];
  require_name(table1, "TABLE1");
  const std::string& table2 = args[6];
  require_name(table2, "TABLE2");
  const std::string& algorithm = args[7];
  if (!all_digits(algorithm)) {
    throw InputError("ALGO '" + algorithm + "' is not an algorithm number (an integer such as 3)");
  }
  const std::string& out_path = args[8];
  if (out_path.empty()) throw InputError("OUT_PATH is empty: it must name the output file");
  if (out_path.back() == '/' || out_path == "." || out_path == ".." ||
      ends_with_ci(out_path, "/.") || ends_with_ci(out_path, "/..")) {
    throw InputError("OUT_PATH '" + out_path + "' names a directory, not an output file");
  }
  const std::string format = args.size() == 10 ? lower(args[9]) : "csv";
  if (format != "csv" && format != "xlsx" && format != "both") {
    throw InputError("output format '" + args[9] + "' is not csv, xlsx or both");
  }

  // Left: the first server. Right: the same, or the DB2_* server.
  const std::string left = table_url(user, host, port, database, table1);
  std::string right;
  bool right_password_from_db2_pass = false;
  if (const auto db2_host = env_value("DB2_HOST")) {
    const std::string host2 = require_host(*db2_host, "DB2_HOST");
    const auto db2_port = env_value("DB2_PORT");
    const unsigned port2 = db2_port ? require_port(*db2_port, "DB2_PORT") : port;
    const std::string user2 = env_value("DB2_USER").value_or(user);
    const std::string database2 = env_value("DB2_DATABASE").value_or(database);
    right = table_url(user2, host2, port2, database2, table2);
    // DB2_PASS "-" means "not set" (the same password as the first server);
    // an empty DB2_PASS is an empty password.
    const auto db2_pass = getenv("DB2_PASS");
    right_password_from_db2_pass = db2_pass && *db2_pass != "-";
  } else {
    right = table_url(user, host, port, database, table2);
    std::vector<std::string> ignored;
    for (const char* name : {"DB2_PORT", "DB2_USER", "DB2_PASS", "DB2_DATABASE"}) {
      const bool is_pass = std::string_view(name) == "DB2_PASS";
      const auto v = is_pass ? getenv(name) : env_value(name);
      if (v && !(is_pass && *v == "-")) ignored.emplace_back(name);
    }
    if (!ignored.empty()) {
      std::string names;
      for (const std::string& name : ignored) names += (names.empty() ? "" : ", ") + name;
      inv.warnings.push_back(names + (ignored.size() == 1 ? " is" : " are") +
                             " set but DB2_HOST is not: ignored, TABLE2 is read from the "
                             "first server (HOST)");
    }
  }

  if (password != "-") {
    inv.set_env.emplace_back(kPasswordEnv, password);
    inv.warnings.push_back(
        "the password was given on the command line, where other users can see it (ps); use - "
        "and set NAME_MATCHER_DB_PASSWORD or DB_PASSWORD instead");
    if (getenv(kPasswordEnv)) {
      inv.warnings.push_back(
          "NAME_MATCHER_DB_PASSWORD is set in the environment: the password from the command "
          "line replaces it for this run");
    }
  }

  inv.run_args = {"--left", left, "--right", right, "--algorithm", algorithm};
  if (right_password_from_db2_pass) {
    inv.run_args.insert(inv.run_args.end(), {"--right-password-env", "DB2_PASS"});
  }
  std::string base = out_path;
  if (ends_with_ci(base, ".csv")) {
    base.resize(base.size() - 4);
  } else if (ends_with_ci(base, ".xlsx")) {
    base.resize(base.size() - 5);
  }
  if (format == "csv" || format == "both") {
    inv.run_args.insert(inv.run_args.end(), {"--out", out_arg(base + ".csv")});
  }
  if (format == "xlsx" || format == "both") {
    inv.run_args.insert(inv.run_args.end(), {"--out", out_arg(base + ".xlsx")});
  }
  return inv;
}

std::string describe(const LegacyInvocation& invocation) {
  std::string out = "name_matcher run";
  for (const std::string& arg : invocation.run_args) {
    out += ' ';
    out += shell_quote(arg);
  }
  return out;
}

}  // namespace nm::jobs
