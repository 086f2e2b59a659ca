#include "io/db/url.hpp"

#include <charconv>

#include "src/errors.hpp"

namespace nm::db {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s, std::string_view url) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    const int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
    const int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      throw InputError(std::string(url) + ": bad percent-encoding in '" + std::string(s) + "'");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

bool is_db_url(std::string_view s) { return s.starts_with("mysql://") || s.starts_with("mariadb://"); }

std::string DbUrl::server() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (user.empty() ? std::string() : user + "@") + (v6 ? "[" + host + "]" : host) + ":" +
         std::to_string(port);
}

std::string DbUrl::text() const {
  return "mysql://" + server() + "/" + database + (table.empty() ? "" : "/" + table);
}

void check_identifier(std::string_view name, std::string_view what) {
  auto fail = [&](const std::string& why) {
    throw InputError(std::string(what) + " '" + std::string(name) + "': " + why);
  };
  if (name.empty()) fail("empty");
  if (name.size() > 64) fail("longer than 64 characters");
  bool all_digits = true;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '$';
    if (!ok)
      fail("only letters, digits, '_' and '$' are allowed in names (found '" +
           std::string(1, c) + "')");
    all_digits = all_digits && c >= '0' && c <= '9';
  }
  if (all_digits) fail("a name cannot be only digits");
}

std::string quote_identifier(std::string_view name) {
  std::string q = "`";
  for (char c : name) {
    if (c == '`') q += '`';
    q += c;
  }
  q += '`';
  return q;
}

namespace {

// The URL as messages may show it: a password (user:password@) is never
// repeated, whatever else is wrong with the URL. Everything up to the last
// '@' is the user part (names after it cannot hold '@').
std::string shown_url(std::string_view s) {
  const size_t scheme = s.find("://");
  const size_t at = s.rfind('@');
  if (scheme == std::string_view::npos || at == std::string_view::npos || at < scheme) return std::string(s);
  const std::string_view userinfo = s.substr(scheme + 3, at - scheme - 3);
  const size_t colon = userinfo.find(':');
  if (colon == std::string_view::npos) return std::string(s);
  return std::string(s.substr(0, scheme + 3)) + std::string(userinfo.substr(0, colon)) + ":***" +
         std::string(s.substr(at));
}

}  // namespace

DbUrl parse_db_url(std::string_view s, bool want_table) {
  const std::string url = shown_url(s);
  if (url != s)
    throw InputError(url + ": a password in the URL is refused, because other users can read it "
                     "in the process list (ps); set NAME_MATCHER_DB_PASSWORD or DB_PASSWORD, use "
                     "--password-file, or the MySQL option file");
  auto fail = [&](const std::string& why) -> void {
    throw InputError(url + ": " + why +
                     (want_table ? " (expected mysql://USER@HOST:PORT/DATABASE/TABLE)"
                                 : " (expected mysql://USER@HOST:PORT/DATABASE)"));
  };
  std::string_view rest = s;
  if (rest.starts_with("mysql://"))
    rest.remove_prefix(8);
  else if (rest.starts_with("mariadb://"))
    rest.remove_prefix(10);
  else
    fail("not a database URL");
  if (rest.find('?') != std::string_view::npos || rest.find('#') != std::string_view::npos)
    fail("query strings and fragments are not supported");
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos) fail("no database in the URL");
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = rest.substr(slash + 1);

  DbUrl u;
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    u.user = percent_decode(userinfo, url);
    if (u.user.empty()) fail("empty user before '@'");
    authority.remove_prefix(at + 1);
  }
  std::string_view hostport = authority;
  std::string_view port_text;
  if (hostport.starts_with("[")) {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) fail("unterminated '[' in the host");
    u.host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(":")) fail("unexpected text after the IPv6 host");
      port_text = after.substr(1);
      if (port_text.empty()) fail("empty port");
    }
  } else {
    const size_t colon = hostport.find(':');
    u.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = hostport.substr(colon + 1);
      if (port_text.empty()) fail("empty port");
    }
  }
  if (u.host.empty()) fail("no host");
  for (char c : u.host) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == ':';
    if (!ok) fail("bad character '" + std::string(1, c) + "' in the host");
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535)
      fail("bad port '" + std::string(port_text) + "'");
    u.port = static_cast<uint16_t>(port);
  }

  const size_t slash2 = path.find('/');
  u.database = percent_decode(path.substr(0, slash2), url);
  if (slash2 != std::string_view::npos) u.table = percent_decode(path.substr(slash2 + 1), url);
  if (u.database.empty()) fail("no database in the URL");
  auto check = [&](const std::string& name, const char* what) {
    try {
      check_identifier(name, what);
    } catch (const InputError& e) {
      throw InputError(url + ": " + e.what());
    }
  };
  check(u.database, "database");
  if (want_table) {
    if (slash2 == std::string_view::npos || u.table.empty()) fail("no table in the URL");
    check(u.table, "table");
  } else if (slash2 != std::string_view::npos && !path.substr(slash2 + 1).empty()) {
    fail("a table is not expected here");
  }
  return u;
}

}  // namespace nm::db
