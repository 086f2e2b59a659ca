#include "io/safe_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "src/errors.hpp"

namespace nm::io {
namespace fs = std::filesystem;
namespace {

std::string errno_text(int e) { return std::strerror(e); }

// What a path is, for the identity checks: an existing file by its device
// and inode (symbolic links followed), a path not there yet by its folder's
// device and inode and its last name.
struct Identity {
  bool exists = false;
  dev_t dev = 0;
  ino_t ino = 0;
  std::string name;  // only when !exists
  bool operator==(const Identity& o) const {
    return exists == o.exists && dev == o.dev && ino == o.ino && name == o.name;
  }
};

std::string folder_of(const std::string& path) {
  const fs::path p(path);
  const fs::path d = p.parent_path();
  return d.empty() ? std::string(".") : d.string();
}

const char* kind_of(mode_t m) {
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISDIR(m)) return "a folder";
  return "not a regular file";
}

Identity output_identity(const NamedPath& o) {
  const std::string& p = o.path;
  if (p.empty()) throw InputError(o.role + ": empty file name");
  if (p.back() == '/') throw InputError(o.role + " " + p + " names a folder; give a file name");
  struct stat st {};
  if ((o.follow_links ? ::stat(p.c_str(), &st) : ::lstat(p.c_str(), &st)) == 0) {
    if (S_ISLNK(st.st_mode)) return Identity{true, st.st_dev, st.st_ino, {}};  // replaced itself
    if (S_ISDIR(st.st_mode)) throw InputError(o.role + " " + p + " is a folder; give a file name");
    if (!S_ISREG(st.st_mode))
      throw InputError(o.role + " " + p + " is " + kind_of(st.st_mode) +
                       ", not a regular file: outputs are never written over devices or pipes "
                       "(give a file name" +
                       (o.role == "--out" ? std::string(", or - for standard output)") : ")"));
    return Identity{true, st.st_dev, st.st_ino, {}};
  }
  // Not there (or a dangling link, which the new file will replace).
  const std::string dir = folder_of(p);
  if (::stat(dir.c_str(), &st) != 0)
    throw InputError(o.role + " " + p + ": folder " + dir + ": " + errno_text(errno));
  if (!S_ISDIR(st.st_mode)) throw InputError(o.role + " " + p + ": " + dir + " is not a folder");
  return Identity{false, st.st_dev, st.st_ino, fs::path(p).filename().string()};
}

mode_t creation_mode() {
  // The mode fopen() would give a new file: 0666 less the umask (read once;
  // umask() can only be read by setting it).
  static const mode_t mode = [] {
    const mode_t mask = ::umask(022);
    ::umask(mask);
    return static_cast<mode_t>(0666 & ~mask);
  }();
  return mode;
}

// Template for mkostemp beside `target`: TARGET.partial-XXXXXX, or a short
// hidden name in the same folder when the target's name is too long.
std::string temp_template(const std::string& target) {
  const fs::path p(target);
  const std::string name = p.filename().string();
  if (name.size() + 15 <= NAME_MAX) return target + ".partial-XXXXXX";
  return (fs::path(folder_of(target)) / ".nm-partial-XXXXXX").string();
}

}  // namespace

std::string resolve_output_path(const std::string& path) {
  struct stat st {};
  if (path.empty() || is_stdout_path(path) || ::lstat(path.c_str(), &st) != 0 ||
      !S_ISLNK(st.st_mode))
    return path;
  std::error_code ec;
  const fs::path r = fs::weakly_canonical(fs::path(path), ec);
  // Unresolvable (a loop, a magic link to a pipe): left as it is, for
  // check_output_paths to refuse by what stat() finds.
  return ec || r.empty() ? path : r.string();
}

void check_output_paths(const std::vector<NamedPath>& inputs,
                        const std::vector<NamedPath>& outputs) {
  std::vector<std::pair<Identity, const NamedPath*>> seen;
  for (const NamedPath& in : inputs) {
    if (in.path.empty() || is_stdout_path(in.path)) continue;
    struct stat st {};
    if (::stat(in.path.c_str(), &st) != 0) continue;  // its reader reports it
    seen.emplace_back(Identity{true, st.st_dev, st.st_ino, {}}, &in);
  }
  const size_t n_inputs = seen.size();
  for (const NamedPath& out : outputs) {
    if (is_stdout_path(out.path)) continue;
    const Identity id = output_identity(out);
    for (size_t i = 0; i < seen.size(); ++i) {
      if (!(seen[i].first == id)) continue;
      const NamedPath& other = *seen[i].second;
      const bool same_text = other.path == out.path;
      throw InputError(out.role + " " + out.path + " is the same file as " + other.role +
                       (same_text ? std::string() : " " + other.path) +
                       (i < n_inputs ? ": an output never overwrites an input"
                                     : ": two outputs cannot share one file"));
    }
    seen.emplace_back(id, &out);
  }
}

// ---------------------------------------------------------------- StagedFile

StagedFile::StagedFile(std::string target, std::string display)
    : target_(std::move(target)), display_(display.empty() ? target_ : std::move(display)) {
  std::string tmpl = temp_template(target_);
  const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0)
    throw InputError("cannot write " + display_ + ": cannot create a temporary file in " +
                     folder_of(target_) + ": " + errno_text(errno));
  temp_ = tmpl;
  struct stat st {};
  if (::fchmod(fd, creation_mode()) != 0 || ::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    ::unlink(temp_.c_str());
    temp_.clear();
    throw InputError("cannot write " + display_ + ": " + errno_text(e));
  }
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  hold_fd_ = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  f_ = hold_fd_ < 0 ? nullptr : ::fdopen(fd, "wb");
  if (f_ == nullptr) {
    const int e = errno;
    ::close(fd);
    if (hold_fd_ >= 0) ::close(std::exchange(hold_fd_, -1));
    ::unlink(temp_.c_str());
    temp_.clear();
    throw InputError("cannot write " + display_ + ": " + errno_text(e));
  }
}

StagedFile StagedFile::for_library(std::string target, std::string display) {
  StagedFile s;
  s.target_ = std::move(target);
  s.display_ = display.empty() ? s.target_ : std::move(display);
  std::string tmpl = temp_template(s.target_);
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw InputError("cannot write " + s.display_ + ": cannot create a temporary folder in " +
                     folder_of(s.target_) + ": " + errno_text(errno));
  s.private_dir_ = tmpl;
  s.temp_ = (fs::path(tmpl) / fs::path(s.target_).filename()).string();
  return s;
}

StagedFile::StagedFile(StagedFile&& o) noexcept
    : target_(std::move(o.target_)),
      display_(std::move(o.display_)),
      temp_(std::exchange(o.temp_, std::string())),
      private_dir_(std::exchange(o.private_dir_, std::string())),
      f_(std::exchange(o.f_, nullptr)),
      hold_fd_(std::exchange(o.hold_fd_, -1)),
      dev_(o.dev_),
      ino_(o.ino_) {}

StagedFile& StagedFile::operator=(StagedFile&& o) noexcept {
  if (this != &o) {
    discard();
    target_ = std::move(o.target_);
    display_ = std::move(o.display_);
    temp_ = std::exchange(o.temp_, std::string());
    private_dir_ = std::exchange(o.private_dir_, std::string());
    f_ = std::exchange(o.f_, nullptr);
    hold_fd_ = std::exchange(o.hold_fd_, -1);
    dev_ = o.dev_;
    ino_ = o.ino_;
  }
  return *this;
}

StagedFile::~StagedFile() { discard(); }

void StagedFile::write(std::string_view bytes) {
  if (bytes.empty()) return;
  if (f_ == nullptr) throw std::logic_error("StagedFile::write after finish: " + display_);
  if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size()) {
    const int e = errno;
    discard();
    throw InputError("cannot write " + display_ + ": " + errno_text(e));
  }
}

void StagedFile::finish() {
  if (!private_dir_.empty() && ino_ == 0 && !temp_.empty()) {
    // The library has written and closed its file: make it durable and
    // remember what it is.
    const int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || (::fsync(fd) != 0 && errno != EINVAL)) {
      const int e = errno;
      if (fd >= 0) ::close(fd);
      discard();
      throw InputError("cannot write " + display_ + ": " + errno_text(e));
    }
    hold_fd_ = fd;
    dev_ = st.st_dev;
    ino_ = st.st_ino;
    return;
  }
  if (f_ == nullptr) return;
  std::FILE* f = std::exchange(f_, nullptr);
  int e = 0;
  if (std::fflush(f) != 0) e = errno;
  // fsync before the rename: a crash after it never leaves an empty or short
  // file under the final name. EINVAL: a file system without fsync.
  if (e == 0 && ::fsync(::fileno(f)) != 0 && errno != EINVAL) e = errno;
  if (std::fclose(f) != 0 && e == 0) e = errno;
  if (e != 0) {
    discard();
    throw InputError("cannot write " + display_ + ": " + errno_text(e));
  }
}

void StagedFile::commit() {
  if (!active()) throw std::logic_error("StagedFile::commit without a file: " + display_);
  finish();
  struct stat st {};
  if (::lstat(temp_.c_str(), &st) != 0 || st.st_dev != dev_ || st.st_ino != ino_ ||
      !S_ISREG(st.st_mode)) {
    const std::string t = temp_;
    temp_.clear();  // not ours any more: never remove it
    discard();
    throw InputError("cannot write " + display_ + ": its temporary file " + t +
                     " was removed or replaced by another program during the run");
  }
  if (::rename(temp_.c_str(), target_.c_str()) != 0) {
    const int e = errno;
    discard();
    throw InputError("cannot write " + display_ +
                     ": cannot rename its temporary file: " + errno_text(e));
  }
  temp_.clear();
  if (!private_dir_.empty()) ::rmdir(std::exchange(private_dir_, std::string()).c_str());
  ::close(std::exchange(hold_fd_, -1));
}

void StagedFile::discard() noexcept {
  if (f_ != nullptr) {
    std::fclose(f_);
    f_ = nullptr;
  }
  if (!temp_.empty()) {
    // Only the file this object created: a name that now holds another file
    // (replaced behind our back) is left alone.
    struct stat st {};
    if (!private_dir_.empty() ||
        (::lstat(temp_.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_))
      ::unlink(temp_.c_str());
    temp_.clear();
  }
  if (!private_dir_.empty()) ::rmdir(std::exchange(private_dir_, std::string()).c_str());
  if (hold_fd_ >= 0) ::close(std::exchange(hold_fd_, -1));
}

// ---------------------------------------------------------------- CommitGroup

CommitGroup::~CommitGroup() = default;  // each StagedFile removes its temporary file

void CommitGroup::add(StagedFile file, CommitKind kind) {
  for (const auto& s : staging_)
    if (s.first == file.target()) kind = CommitKind::kStaging;
  files_.push_back(Entry{std::move(file), kind});
}

void CommitGroup::set_staging(const std::string& target, const std::string& display) {
  staging_.emplace_back(target, display);
}

std::string CommitGroup::display_for(const std::string& target) const {
  for (const auto& s : staging_)
    if (s.first == target) return s.second;
  return {};
}

std::string CommitGroup::current_path(const std::string& target) const {
  for (const Entry& e : files_)
    if (e.file.target() == target) return e.file.temp_path();
  return target;
}

void CommitGroup::remove_at_commit(std::string path) { stale_.push_back(std::move(path)); }

void CommitGroup::commit() {
  for (const CommitKind pass : {CommitKind::kSide, CommitKind::kOutput, CommitKind::kMain})
    for (Entry& e : files_)
      if (e.kind == pass) e.file.commit();
  for (Entry& e : files_)
    if (e.kind == CommitKind::kStaging) e.file.discard();
  for (const std::string& p : stale_) {
    // A side file of an earlier run: removed (a regular file, or a link,
    // which is removed itself), never a folder or a device.
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
      ::unlink(p.c_str());
  }
  files_.clear();
  stale_.clear();
}

}  // namespace nm::io
