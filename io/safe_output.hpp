// How every file the program writes reaches the disk (docs/RELIABILITY.md):
//
// - Before any work, each output path (and each side file) is compared with
//   every input and with every other output by identity (device + inode of
//   what the path resolves to; a path that does not exist yet by its folder's
//   identity + name). A clash, a folder, a device, a FIFO or a socket at an
//   output path is an InputError (exit 1). "-" names standard output.
// - Data is written to a temporary file created exclusively (mkostemp:
//   O_CREAT|O_EXCL, so a symbolic link planted at its name is never followed)
//   with a unique name beside the target, fsync'ed and renamed onto the
//   target only when complete. A symbolic link at the target itself is
//   replaced by the new file; its target is never written.
// - Outputs that belong together go into one CommitGroup, renamed in order
//   after everything that can fail has succeeded (the main output last).
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nm::io {

// "-": standard output.
inline bool is_stdout_path(std::string_view path) { return path == "-"; }

// A path named on the command line, with what names it there ("--left",
// "--out", "summary file of --out") for messages.
struct NamedPath {
  std::string path;
  std::string role;
  // false for side files: a link at their name is replaced, never followed,
  // so the link itself is what must not clash.
  bool follow_links = true;
};

// Throws InputError when an output is the same file as an input or another
// output, is a folder (or ends with '/'), or exists and is not a regular file
// (a device, FIFO or socket: only "-" writes to a stream). Inputs that do
// not exist are skipped here (their readers report them). Outputs named "-"
// are skipped.
void check_output_paths(const std::vector<NamedPath>& inputs,
                        const std::vector<NamedPath>& outputs);

// The path an output is written at: a symbolic link is followed to its final
// target (the link stays; what it points to is replaced, and must be a
// regular file or not exist — check_output_paths says so), any other path is
// returned as it is. Side files (OUT.summary.json, ...) are named after the
// result, and a link at a side file's name is replaced, never followed.
std::string resolve_output_path(const std::string& path);

// A file written under a unique temporary name beside `target` and renamed
// onto it by commit(); removed by the destructor unless committed. Errors
// are InputErrors naming `display` (the user's name for this output, which
// may differ from target when the file is a staging copy).
class StagedFile {
 public:
  StagedFile() = default;
  explicit StagedFile(std::string target, std::string display = {});
  // For a library that opens the file by name itself (libxlsxwriter): a
  // private folder (mode 0700, created exclusively) beside the target, and
  // temp_path() a name inside it; no stream. Nobody else can plant a link
  // there, so the library's open cannot be redirected.
  static StagedFile for_library(std::string target, std::string display = {});
  StagedFile(StagedFile&& o) noexcept;
  StagedFile& operator=(StagedFile&& o) noexcept;
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;
  ~StagedFile();

  bool active() const { return !temp_.empty(); }
  // The open stream (until finish()).
  std::FILE* stream() const { return f_; }
  void write(std::string_view bytes);
  // Flushes, fsyncs and closes the stream; the temporary file stays until
  // commit(). Idempotent.
  void finish();
  // finish(), then renames the temporary file onto the target, after
  // checking that the temporary name still holds the file this object
  // created.
  void commit();
  // Removes the temporary file now (nothing is renamed).
  void discard() noexcept;

  const std::string& target() const { return target_; }
  const std::string& temp_path() const { return temp_; }
  const std::string& display() const { return display_; }

 private:
  std::string target_, display_, temp_;
  std::string private_dir_;  // for_library(): the folder holding temp_
  std::FILE* f_ = nullptr;
  // Held open until commit/discard, so the inode cannot be freed and reused
  // by another file at the temporary name (which the identity check would
  // then take for ours).
  int hold_fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

// Finished outputs waiting to be renamed into place together. commit()
// renames them kind by kind (side files, outputs, the main output last); a
// kStaging file is only read (by another output) and removed at the end. Side files that this run
// does not produce are removed at commit (remove_at_commit), so no stale one is left beside fresh
// outputs. The destructor removes whatever was not committed.
enum class CommitKind {
  kSide,     // summary, rejects: renamed first
  kOutput,   // other outputs (the workbook)
  kMain,     // the main output: renamed last
  kStaging,  // read by other outputs, then removed
};

class CommitGroup {
 public:
  CommitGroup() = default;
  CommitGroup(const CommitGroup&) = delete;
  CommitGroup& operator=(const CommitGroup&) = delete;
  ~CommitGroup();

  void add(StagedFile file, CommitKind kind);
  // A target whose file is only a staging copy (a CSV made for a workbook
  // or a table when no CSV was asked for): added as kStaging whatever the
  // kind given, and errors name it by `display`.
  void set_staging(const std::string& target, const std::string& display);
  std::string display_for(const std::string& target) const;  // empty: not staging
  // The path holding target's data now: its temporary file while staged,
  // else target itself.
  std::string current_path(const std::string& target) const;
  void remove_at_commit(std::string path);
  // Renames every kept file in order (the caller adds the main output
  // last), removes the staging copies and the stale side files.
  void commit();

 private:
  struct Entry {
    StagedFile file;
    CommitKind kind;
  };
  std::vector<Entry> files_;
  std::vector<std::pair<std::string, std::string>> staging_;  // target, display
  std::vector<std::string> stale_;
};

}  // namespace nm::io
