// Cutting a CSV file into per-rank byte ranges at record boundaries.
//
// Rank k of R takes the nominal slice [s_k, s_{k+1}) with s_k = size*k/R and
// moves its start forward to the next record boundary: the byte after the
// first LF that lies outside quotes. Whether a byte is inside quotes follows
// from the parity of the quote characters before it (RFC 4180: `""` inside a
// quoted field toggles twice), so a quoted field with line breaks in it is
// never cut. The parity of each slice is gathered first (one pass over the
// slice, which also counts line breaks for global line numbers and computes
// the file checksum), then each rank looks for its boundary.
//
// Limits: a stray quote inside an unquoted field (a bad row the reader
// reports) breaks the parity, so the cut after it may fall elsewhere than one
// process would read; files whose records end in a lone CR (no LF) are not cut
// and go to one rank. Both are documented in docs/DISTRIBUTED.md.
#pragma once
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nm::io {

struct ByteRange {
  uint64_t begin = 0, end = 0;  // [begin, end), begin at a record boundary
  uint64_t first_line = 1;      // physical line number at `begin`
};

// What one pass over a nominal slice finds.
struct SliceScan {
  uint64_t quotes = 0;    // quote bytes in [s, e)
  uint64_t breaks = 0;    // line breaks (LF, CR, CRLF once) counted by their last byte in [s, e)
  uint64_t checksum = 0;  // sum of stable_hash of the 64 KiB file blocks starting in [s, e)
};
SliceScan scan_slice(const std::string& path, uint64_t s, uint64_t e);

struct BoundaryScan {
  bool found = false;
  uint64_t pos = 0;     // record start (byte after the LF), in [s, e)
  uint64_t breaks = 0;  // line breaks in [s, pos)
};
// Looks in [s-1, e-1) for the first LF outside quotes; `quotes_before` is
// the number of quote bytes in [0, s). s >= 1.
BoundaryScan find_boundary(const std::string& path, uint64_t s, uint64_t e, uint64_t quotes_before);

uint64_t file_size(const std::string& path);  // throws InputError

struct FileSplit {
  std::vector<ByteRange> ranges;  // one per part
  uint64_t size = 0;
  uint64_t checksum = 0;  // independent of the number of parts
};
// The whole computation in one process (tests; the MPI version must agree).
FileSplit split_file(const std::string& path, uint32_t parts);
// The same with each rank of `comm` scanning its own slice; every rank gets
// its own range, the file size and the checksum.
struct RankSplit {
  ByteRange mine;
  uint64_t size = 0;
  uint64_t checksum = 0;
};
RankSplit split_file_mpi(MPI_Comm comm, const std::string& path);

}  // namespace nm::io
