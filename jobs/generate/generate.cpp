// Synthetic registries with known truth (see generate.hpp): the model, and
// generate_dataset, which runs the chunks on worker threads and writes them.
//
// The model
// ---------
// People live in households of 1-6 (weights 28/31/16/14/7/4 %). A household has
// an origin (English, Hispanic, German, French, Polish/Czech/Russian, Vietnamese,
// Arabic, Italian, South Asian, East Asian, Nordic, Turkish, African, Hungarian)
// that drives the surname and, 78 % of the time, each member's first name. Name
// pools are Zipf-weighted by list position (w = 1 / (rank + 2)^0.8), so common
// names repeat and birthdate blocks collide the way real ones do. Families: a
// head, usually a partner (72 % share the surname; Polish/Czech/Russian
// surnames take the feminine form), children born 19-45 years after the mother
// (3 % twins), sometimes a grandparent; Spanish compound surnames ("García
// López"), hyphenated double surnames, "Jr."/"III" suffixes (some written
// "Smith, Jr.", which needs CSV quoting), sons named after their father.
// Birthdates: years 1930-2020, 2.75 % forced to January 1 (about 3 % in total
// with the natural 1/365), 0.4 % missing. With --skew F, a fraction F of all
// persons (left persons and right-only persons alike, whatever their date)
// are written with 1970-01-01 in both tables (and no date corruption), drawn
// from a separate RNG stream per chunk so that nothing else changes.
//
// Table 1 (left) renders each person almost cleanly: 12 % of records are folded
// to ASCII (José -> Jose, Müller -> Muller or Mueller), 2 % are ALL CAPS, 1.5 %
// use a nickname; the middle name is written in full, as an initial ("M" or
// "M."), or not at all. The household key `uuid` is a random UUID per
// household (0.3 % of households have none).
//
// Table 2 (right): `overlap` of its rows are copies of left persons, taken
// household by household (92 % of a household's members; 6 % of copied
// households have a member who moved to their own household; 5 % gain a new
// member; 0.4 % of copies appear twice). The rest are other people. Each copy is
// re-rendered from the person and then corrupted:
//   ASCII folding 35 % of records, ALL CAPS 6 %, lower case 1 %, one field's case
//   mangled 0.4 %; nickname / spelling variant of the first name 5 % (Catherine/
//   Katherine, Jon/John, Steven/Stephen, Mohammed/Muhammad, Bob/Robert ...), of
//   the surname 2.5 % (Smith/Smyth, Meyer/Meier, MacDonald/McDonald ...);
//   typos (substitution by a keyboard neighbour or sound-alike, insertion,
//   deletion, adjacent transposition; 10 % of them double) in 3 % of first
//   names, 3 % of surnames, 1 % of middle names; middle name re-rendered 30 %
//   (full <-> initial <-> missing); missing first name 0.4 %, surname 0.3 %;
//   first/last swapped 0.2 %; first and middle in one field 0.5 %; compound
//   surnames shortened or re-joined 30 %; suffix dropped 40 %; women's surname
//   changed 1.2 %; stray space 0.3 %; a quoted nickname (`William "Bill"`)
//   0.1 %. Birthdate: day/month swapped (1.2 % when the swap is a real date),
//   missing 0.5 %, year off by one 0.3 %, day off by one 0.3 % -- about 1.6 % of
//   true pairs have different birthdates and cannot be matched by design; they
//   are still in truth.csv.
// Right households: hh_id is 4000000000 + the 1-based row of the household's
// first member; 30 % of one-person households and 1.5 % of other members have
// no hh_id (the id stands in).
//
// Determinism and speed: rows are made in chunks of kChunkRows. Chunk c makes
// left rows [c*K, c*K+n) and right rows [c*K, c*K+n), the right copies coming
// from the same chunk's left rows, with an RNG seeded from (seed, c) only. Worker
// threads format chunks into byte buffers; the calling thread writes them in
// chunk order with fwrite.
//
// The parts, one file each: rng (random streams, alias tables), accents
// (folding and case), name_pools (the tables), people (households and
// families), records and typo (how a person is written, and the corruptions
// of a copy), csv_rows (the CSV text), chunk (one chunk of both tables and the
// truth), command (the CLI).
#include "jobs/generate/generate.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <string_view>
#include <thread>
#include <vector>

#include "io/safe_output.hpp"
#include "jobs/generate/chunk.hpp"
#include "jobs/generate/name_pools.hpp"
#include "src/errors.hpp"
#include "src/stopwatch.hpp"

namespace nm::jobs {
namespace {

using generator::ChunkOut;
using generator::kChunkRows;

// One generated file: written under a unique temporary name beside its
// final name and renamed into place only when complete (io/safe_output.hpp).
class OutFile {
 public:
  explicit OutFile(const std::filesystem::path& final_path) : file_(final_path.string()) {
    std::setvbuf(file_.stream(), nullptr, _IOFBF, 1 << 20);
  }
  void write(std::string_view s) { file_.write(s); }
  void commit() { file_.commit(); }

 private:
  io::StagedFile file_;
};

}  // namespace

GenerateStats generate_dataset(const GenerateOptions& o) {
  const Stopwatch t0;
  if (o.out_dir.empty()) throw InputError("generate: --out-dir is required");
  if (!(o.overlap >= 0.0 && o.overlap <= 1.0))
    throw InputError(fmt::format("generate: --overlap must be in [0, 1], got {}", o.overlap));
  if (!(o.skew >= 0.0 && o.skew <= 1.0))
    throw InputError(fmt::format("generate: --skew must be in [0, 1], got {}", o.skew));
  (void)generator::names();  // build the pools before the threads start
  std::filesystem::path dir(o.out_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw InputError(fmt::format("{}: cannot create output directory: {}", o.out_dir,
                                 ec ? ec.message() : "not a directory"));

  static constexpr std::string_view kHeader =
      "id,uuid,first_name,middle_name,last_name,birthdate,hh_id\n";
  io::check_output_paths({}, {{(dir / "left.csv").string(), "generate output"},
                              {(dir / "right.csv").string(), "generate output"},
                              {(dir / "truth.csv").string(), "generate output"}});
  OutFile left(dir / "left.csv"), right(dir / "right.csv"), truth(dir / "truth.csv");
  left.write(kHeader);
  right.write(kHeader);
  truth.write("left_id,right_id\n");

  const uint64_t chunks = (o.rows + kChunkRows - 1) / kChunkRows;
  unsigned threads = o.threads != 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::max<uint64_t>(1, std::min<uint64_t>(threads, chunks)));
  const size_t window = 2 * static_cast<size_t>(threads);

  std::vector<ChunkOut> slots(window);
  std::mutex mu;
  std::condition_variable cv;
  uint64_t next_chunk = 0, written = 0;
  bool abort = false;
  std::exception_ptr error;

  auto worker = [&] {
    for (;;) {
      uint64_t c;
      {
        std::unique_lock lock(mu);
        cv.wait(lock,
                [&] { return abort || next_chunk >= chunks || next_chunk < written + window; });
        if (abort || next_chunk >= chunks) return;
        c = next_chunk++;
      }
      ChunkOut result;
      try {
        generator::generate_chunk(o, c, result);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!error) error = std::current_exception();
        abort = true;
        cv.notify_all();
        return;
      }
      {
        std::lock_guard lock(mu);
        result.ready = true;
        slots[c % window] = std::move(result);
      }
      cv.notify_all();
    }
  };

  GenerateStats stats;
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (unsigned i = 0; i < threads && chunks > 0; ++i) pool.emplace_back(worker);
  try {
    for (uint64_t c = 0; c < chunks; ++c) {
      ChunkOut chunk;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return abort || slots[c % window].ready; });
        if (abort) break;
        chunk = std::move(slots[c % window]);
        slots[c % window] = ChunkOut{};
      }
      left.write(chunk.left);
      right.write(chunk.right);
      truth.write(chunk.truth);
      stats.true_pairs += chunk.pairs;
      {
        std::lock_guard lock(mu);
        ++written;
      }
      cv.notify_all();
    }
  } catch (...) {
    {
      std::lock_guard lock(mu);
      abort = true;
      if (!error) error = std::current_exception();
    }
    cv.notify_all();
  }
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);

  left.commit();
  right.commit();
  truth.commit();
  stats.left_rows = o.rows;
  stats.right_rows = o.rows;
  stats.seconds = t0.seconds();
  return stats;
}

}  // namespace nm::jobs
