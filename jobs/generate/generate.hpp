// `name_matcher generate`: a synthetic pair of person registries with known truth.
//
// Writes three files into an output directory:
//   left.csv   table 1: id,uuid,first_name,middle_name,last_name,birthdate,hh_id
//              ids `L00000001`..., `uuid` = household key (UUID text), hh_id empty
//   right.csv  table 2: same header; ids are integers 1..N, uuid empty, hh_id =
//              numeric household key (sometimes missing: the id then stands in)
//   truth.csv  left_id,right_id: every pair of rows that are the same person,
//              sorted by left row then right row
// About `overlap` of the right rows are (possibly corrupted) copies of left
// persons; the rest are other people. The corruptions, name pools and rates are
// described at the top of generate.cpp.
//
// `skew` (default 0) gives that fraction of persons the birthdate 1970-01-01,
// the way registries record an unknown date: one birthdate block then holds a
// few percent of both tables. It is drawn per person from its own random
// stream, so a person's copy in table 2 keeps the date (true pairs still
// match), the names are the same as without skew, and skew 0 writes exactly
// the files it wrote before the option existed.
//
// Deterministic: the same (rows, seed, overlap, skew) gives byte-identical files
// whatever the thread count (rows are made in fixed-size chunks, each with its
// own RNG seeded from (seed, chunk index), and written in chunk order).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nm::jobs {

struct GenerateOptions {
  uint64_t rows = 1000;  // rows per table
  uint64_t seed = 1;
  std::string out_dir;
  double overlap = 0.6;  // fraction of right rows that are copies of left persons, in [0, 1]
  double skew = 0.0;     // fraction of persons born "1970-01-01" (unknown date), in [0, 1]
  unsigned threads = 0;  // 0 = all cores
};

struct GenerateStats {
  uint64_t left_rows = 0, right_rows = 0, true_pairs = 0;
  double seconds = 0;
};

// Throws nm::InputError on bad options or I/O problems. The files are written
// under temporary names and renamed into place only when complete.
GenerateStats generate_dataset(const GenerateOptions& options);

// CLI: --rows N --seed S --out-dir D [--overlap F] [--skew F] [--threads N] [--quiet] [--help].
// Prints a one-line summary to stderr (unless --quiet). Returns the exit code:
// 0 on success, 1 on bad options or I/O errors (message on stderr).
int generate_main(const std::vector<std::string>& args);

}  // namespace nm::jobs
