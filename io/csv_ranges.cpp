#include "io/csv_ranges.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "src/text/stable_hash.hpp"
#include "src/errors.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::io {
namespace {

constexpr uint64_t kChecksumBlock = 64 * 1024;
constexpr size_t kReadBytes = 1 << 20;

class Fd {
 public:
  explicit Fd(const std::string& path) : path_(path), fd_(::open(path.c_str(), O_RDONLY)) {
    if (fd_ < 0) throw InputError("cannot open " + path + ": " + std::strerror(errno));
  }
  ~Fd() { ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  // Reads up to n bytes at off; fewer only at end of file.
  size_t pread_full(char* dst, size_t n, uint64_t off) const {
    size_t got = 0;
    while (got < n) {
      const ssize_t r = ::pread(fd_, dst + got, n - got, static_cast<off_t>(off + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        throw InputError("cannot read " + path_ + ": " + std::strerror(errno));
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    return got;
  }

 private:
  std::string path_;
  int fd_;
};

}  // namespace

uint64_t file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError("cannot open " + path + ": " + std::strerror(errno));
  return static_cast<uint64_t>(st.st_size);
}

SliceScan scan_slice(const std::string& path, uint64_t s, uint64_t e) {
  SliceScan out;
  if (s >= e) return out;
  Fd fd(path);
  const uint64_t size = file_size(path);
  e = std::min(e, size);
  auto buf = std::make_unique<char[]>(kReadBytes);
  // The byte before s tells whether an LF at s ends a CRLF (counted at its CR).
  char prev = 0;
  if (s > 0) fd.pread_full(&prev, 1, s - 1);
  auto count = [&](const char* p, uint64_t n) {
    for (uint64_t i = 0; i < n; ++i) {
      const char c = p[i];
      out.quotes += c == '"';
      if (c == '\r' || (c == '\n' && prev != '\r')) ++out.breaks;
      prev = c;
    }
  };
  // Head: the bytes before the first checksum block that starts in the slice.
  const uint64_t first_block = (s + kChecksumBlock - 1) / kChecksumBlock * kChecksumBlock;
  for (uint64_t off = s, head_end = std::min(e, first_block); off < head_end;) {
    const uint64_t got =
        fd.pread_full(buf.get(), std::min<uint64_t>(kReadBytes, head_end - off), off);
    if (got == 0) break;
    count(buf.get(), got);
    off += got;
  }
  // Whole blocks from there (the last one may run past e: the checksum covers
  // every block that starts in the slice, so the sum over slices is the file's).
  for (uint64_t bs = first_block; bs < e;) {
    const uint64_t want = std::min<uint64_t>(
        {kReadBytes, (e - bs + kChecksumBlock - 1) / kChecksumBlock * kChecksumBlock, size - bs});
    const uint64_t got = fd.pread_full(buf.get(), want, bs);
    if (got == 0) break;
    count(buf.get(), std::min(got, e - bs));
    for (uint64_t i = 0; i < got && bs + i < e; i += kChecksumBlock)
      out.checksum +=
          stable_hash(std::string_view(buf.get() + i, std::min(kChecksumBlock, got - i)),
                      (bs + i) / kChecksumBlock);
    bs += got;
  }
  return out;
}

BoundaryScan find_boundary(const std::string& path, uint64_t s, uint64_t e,
                           uint64_t quotes_before) {
  BoundaryScan out;
  if (s == 0 || s >= e) return out;
  Fd fd(path);
  auto buf = std::make_unique<char[]>(kReadBytes);
  // State before byte s-1: parity of quotes in [0, s-1).
  char last = 0;
  fd.pread_full(&last, 1, s - 1);
  bool in_quotes = ((quotes_before - (last == '"' ? 1 : 0)) & 1) != 0;
  char prev = 0;
  if (s >= 2) fd.pread_full(&prev, 1, s - 2);
  uint64_t breaks = 0;
  for (uint64_t off = s - 1; off < e - 1;) {
    const uint64_t got = fd.pread_full(buf.get(), std::min<uint64_t>(kReadBytes, e - 1 - off), off);
    if (got == 0) break;
    for (uint64_t i = 0; i < got; ++i) {
      const char c = buf[i];
      const uint64_t pos = off + i;
      if (c == '"') in_quotes = !in_quotes;
      if (c == '\n' && !in_quotes) {
        out.found = true;
        out.pos = pos + 1;
        // breaks in [s, pos]: this LF counts unless it ends a CRLF whose CR was counted.
        if (pos >= s && prev != '\r') ++breaks;
        out.breaks = breaks;
        return out;
      }
      if (pos >= s) {
        if (c == '\n') {
          if (prev != '\r') ++breaks;
        } else if (c == '\r') {
          ++breaks;
        }
      }
      prev = c;
    }
    off += got;
  }
  return out;
}

namespace {

// Turns gathered slice scans and boundary candidates into ranges.
std::vector<ByteRange> compose(const std::vector<uint64_t>& starts, uint64_t size,
                               const std::vector<SliceScan>& scans,
                               const std::vector<BoundaryScan>& cands) {
  const size_t n = scans.size();
  std::vector<uint64_t> begin(n + 1, size), line(n + 1, 0);
  std::vector<uint64_t> breaks_before(n + 1, 0);
  for (size_t k = 0; k < n; ++k) breaks_before[k + 1] = breaks_before[k] + scans[k].breaks;
  begin[0] = 0;
  line[0] = 1;
  // Boundary of part k: the first candidate in slices k, k+1, ...
  uint64_t next_begin = size, next_line = 1 + breaks_before[n];
  for (size_t k = n; k-- > 1;) {
    if (cands[k].found) {
      next_begin = cands[k].pos;
      next_line = 1 + breaks_before[k] + cands[k].breaks;
    }
    begin[k] = next_begin;
    line[k] = next_line;
  }
  (void)starts;
  std::vector<ByteRange> out(n);
  for (size_t k = 0; k < n; ++k) {
    out[k].begin = begin[k];
    out[k].end = k + 1 < n ? begin[k + 1] : size;
    out[k].first_line = line[k];
    if (out[k].end < out[k].begin) out[k].end = out[k].begin;
  }
  return out;
}

std::vector<uint64_t> nominal_starts(uint64_t size, uint32_t parts) {
  std::vector<uint64_t> s(parts + 1);
  for (uint32_t k = 0; k <= parts; ++k)
    s[k] = static_cast<uint64_t>((static_cast<unsigned __int128>(size) * k) / parts);
  return s;
}

}  // namespace

FileSplit split_file(const std::string& path, uint32_t parts) {
  FileSplit out;
  out.size = file_size(path);
  parts = std::max(1u, parts);
  const auto s = nominal_starts(out.size, parts);
  std::vector<SliceScan> scans(parts);
  for (uint32_t k = 0; k < parts; ++k) {
    scans[k] = scan_slice(path, s[k], s[k + 1]);
    out.checksum += scans[k].checksum;
  }
  std::vector<BoundaryScan> cands(parts);
  uint64_t quotes = 0;
  for (uint32_t k = 0; k < parts; ++k) {
    if (k > 0) cands[k] = find_boundary(path, s[k], s[k + 1], quotes);
    quotes += scans[k].quotes;
  }
  out.ranges = compose(s, out.size, scans, cands);
  return out;
}

RankSplit split_file_mpi(MPI_Comm comm, const std::string& path) {
  const int me = mpi::rank(comm), n = mpi::size(comm);
  RankSplit out;
  // Every rank stats the file; a rank that cannot see it must not hang the others.
  uint64_t size = 0;
  std::string err;
  try {
    size = file_size(path);
  } catch (const InputError& e) {
    err = e.what();
  }
  if (mpi::allreduce_max(comm, static_cast<uint64_t>(err.empty() ? 0 : 1)) != 0) {
    if (err.empty()) err = path + ": not readable on every rank";
    throw InputError(err);
  }
  const auto s = nominal_starts(size, static_cast<uint32_t>(n));
  const SliceScan mine = scan_slice(path, s[me], s[me + 1]);
  std::vector<SliceScan> scans(static_cast<size_t>(n));
  mpi::check(MPI_Allgather(&mine, sizeof(SliceScan), MPI_BYTE, scans.data(), sizeof(SliceScan),
                           MPI_BYTE, comm),
             "MPI_Allgather (slice scans)");
  uint64_t quotes = 0;
  for (int k = 0; k < me; ++k) quotes += scans[static_cast<size_t>(k)].quotes;
  BoundaryScan cand;
  if (me > 0) cand = find_boundary(path, s[me], s[me + 1], quotes);
  std::vector<BoundaryScan> cands(static_cast<size_t>(n));
  mpi::check(MPI_Allgather(&cand, sizeof(BoundaryScan), MPI_BYTE, cands.data(),
                           sizeof(BoundaryScan), MPI_BYTE, comm),
             "MPI_Allgather (boundaries)");
  const auto ranges = compose(s, size, scans, cands);
  out.mine = ranges[static_cast<size_t>(me)];
  out.size = size;
  for (const auto& sc : scans) out.checksum += sc.checksum;
  return out;
}

}  // namespace nm::io
