// Error types that carry the context a user needs to fix their input.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace nm {

// A problem with the user's input or options: reported as a message, exit code 1.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad row: `file:line: field: reason`.
class BadRowError : public InputError {
 public:
  BadRowError(std::string file, uint64_t line, std::string field, std::string reason)
      : InputError(file + ":" + std::to_string(line) + ": " + field + ": " + reason),
        file_(std::move(file)),
        line_(line),
        field_(std::move(field)),
        reason_(std::move(reason)) {}
  // A row named by a text key instead of a line number (a database row's
  // primary key, which may be negative).
  BadRowError(std::string file, const std::string& key, std::string field, std::string reason)
      : InputError(file + ":" + key + ": " + field + ": " + reason),
        file_(std::move(file)),
        line_(0),
        field_(std::move(field)),
        reason_(std::move(reason)) {}
  const std::string& file() const { return file_; }
  uint64_t line() const { return line_; }
  const std::string& field() const { return field_; }
  const std::string& reason() const { return reason_; }

 private:
  std::string file_;
  uint64_t line_;
  std::string field_;
  std::string reason_;
};

// A request that cannot be served (deprecated algorithm...): exit code 2.
class UsageError : public std::runtime_error {
 public:
  UsageError(const std::string& what, int exit_code = 2)
      : std::runtime_error(what), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Another rank of the job failed and reported it; this rank exits with the
// same code without printing anything more.
class PeerFailed : public std::runtime_error {
 public:
  explicit PeerFailed(int exit_code)
      : std::runtime_error("another rank failed"), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

}  // namespace nm
