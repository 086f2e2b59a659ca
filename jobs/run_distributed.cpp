// The pipeline on every rank: load -> partition -> shuffle -> normalise ->
// score -> write -> reduce (see ../shared/spec/design.md and docs/DISTRIBUTED.md).
//
// Every stage ends at a collective point where errors are agreed on: the
// lowest rank that failed reports (the same error one process would report
// first), every other rank leaves quietly with the same exit code.
#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <numeric>

#include "io/csv_ranges.hpp"
#include "io/db/db_reader.hpp"
#include "io/db/db_writer.hpp"
#include "io/xlsx_writer.hpp"
#include "io/match_writer.hpp"
#include "io/pair_file.hpp"
#include "io/safe_output.hpp"
#include "io/table_loader.hpp"
#include "jobs/cli.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/reduce.hpp"
#include "partition/blocks.hpp"
#include "partition/plan.hpp"
#include "src/errors.hpp"
#include "src/gpu/backend.hpp"
#include "src/gpu/collectives.hpp"
#include "src/mpi/mpi_env.hpp"
#include "src/parallel.hpp"

namespace nm::jobs {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

uint64_t peak_rss_bytes() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<uint64_t>(ru.ru_maxrss) * 1024;
}

// Collective: if any rank failed, the lowest failing rank rethrows its
// error and the others throw PeerFailed.
void agree(MPI_Comm comm, const std::exception_ptr& e) {
  const int mine = e ? exit_code_of(e) : 0;
  const int n = mpi::size(comm);
  std::vector<int> codes(static_cast<size_t>(n));
  mpi::check(MPI_Allgather(&mine, 1, MPI_INT, codes.data(), 1, MPI_INT, comm),
             "MPI_Allgather (errors)");
  for (int r = 0; r < n; ++r) {
    if (codes[static_cast<size_t>(r)] == 0) continue;
    mpi::mark_error_agreed();
    if (r == mpi::rank(comm)) std::rethrow_exception(e);
    throw PeerFailed(codes[static_cast<size_t>(r)]);
  }
}

template <class F>
void stage(MPI_Comm comm, F&& body) {
  std::exception_ptr e;
  try {
    body();
  } catch (...) {
    e = std::current_exception();
  }
  agree(comm, e);
}

// The records of one side that this rank holds: loaded (its slice of the
// file) or received (the records its tiles need).
struct Side {
  RawTable table;
  std::vector<uint64_t> global;  // global row number of each local row
  std::vector<uint32_t> block;   // plan block index; UINT32_MAX = cannot match
  std::vector<uint64_t> pos;     // position among the block's rows (global row order)
};

constexpr uint32_t kNoBlock = UINT32_MAX;

// ---- shuffle wire format: one record ----
void put_u64(std::string& b, uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); }
void put_u32(std::string& b, uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); }
template <class T>
T get(const char*& p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  p += sizeof v;
  return v;
}

// Wire form of one record, padded to 8 bytes: global row, line, birthdate,
// block, position, the six field lengths, the field bytes.
constexpr size_t kRecordHeader = 8 + 8 + 4 + 4 + 8 + 4 * kTextFieldCount;

size_t record_bytes(const Side& s, size_t r) {
  size_t n = kRecordHeader;
  for (size_t f = 0; f < kTextFieldCount; ++f) n += s.table.fields[r][f].length;
  return (n + 7) & ~size_t{7};
}

char* pack_record(char* p, const Side& s, size_t r) {
  char* const start = p;
  auto put = [&](const auto v) {
    std::memcpy(p, &v, sizeof v);
    p += sizeof v;
  };
  put(s.global[r]);
  put(s.table.line[r]);
  put(static_cast<uint32_t>(s.table.birthdate[r]));
  put(s.block[r]);
  put(s.pos[r]);
  for (size_t f = 0; f < kTextFieldCount; ++f) put(s.table.fields[r][f].length);
  for (size_t f = 0; f < kTextFieldCount; ++f) {
    const std::string_view v = s.table.get(r, static_cast<Field>(f));
    std::memcpy(p, v.data(), v.size());
    p += v.size();
  }
  const size_t used = static_cast<size_t>(p - start);
  const size_t padded = (used + 7) & ~size_t{7};
  std::memset(p, 0, padded - used);
  return start + padded;
}

void unpack_records(const char* p, const char* end, Side& s) {
  std::array<std::string_view, kTextFieldCount> v;
  while (p < end) {
    const char* const start = p;
    const uint64_t g = get<uint64_t>(p);
    const uint64_t line = get<uint64_t>(p);
    const int32_t bd = static_cast<int32_t>(get<uint32_t>(p));
    const uint32_t blk = get<uint32_t>(p);
    const uint64_t pos = get<uint64_t>(p);
    uint32_t len[kTextFieldCount];
    for (auto& l : len) l = get<uint32_t>(p);
    for (size_t f = 0; f < kTextFieldCount; ++f) {
      v[f] = std::string_view(p, len[f]);
      p += len[f];
    }
    s.table.push(v, bd, line);
    s.global.push_back(g);
    s.block.push_back(blk);
    s.pos.push_back(pos);
    p = start + ((static_cast<size_t>(p - start) + 7) & ~size_t{7});
  }
}

// Sends each record to the ranks the routing gives for its (block, position)
// on this side; returns what this rank got.
Side shuffle(MPI_Comm comm, const Side& from, const std::vector<BlockRouting>& routing, bool left,
             uint64_t* bytes_sent) {
  const int n = mpi::size(comm);
  // Most blocks are one tile: their records have one destination, looked up
  // in a flat array instead of the block's slice table.
  constexpr uint32_t kMany = UINT32_MAX;
  std::vector<uint32_t> single(routing.size(), kMany);
  for (size_t b = 0; b < routing.size(); ++b) {
    const auto& ranks = left ? routing[b].left_ranks : routing[b].right_ranks;
    if (ranks.size() == 1 && ranks[0].size() == 1) single[b] = ranks[0][0];
  }
  std::vector<uint32_t> many;
  auto dest = [&](size_t r) -> const uint32_t* {
    const uint32_t b = from.block[r];
    if (single[b] != kMany) return &single[b];
    const BlockRouting& br = routing[b];
    const auto& cuts = left ? br.left_cuts : br.right_cuts;
    const auto s = static_cast<size_t>(std::upper_bound(cuts.begin(), cuts.end(), from.pos[r]) -
                                       cuts.begin() - 1);
    many = (left ? br.left_ranks : br.right_ranks)[s];
    return nullptr;
  };
  auto for_each_dest = [&](size_t r, auto&& f) {
    if (const uint32_t* one = dest(r))
      f(*one);
    else
      for (uint32_t d : many) f(d);
  };
  // Pass 1: bytes per destination; pass 2: pack straight into one buffer.
  // Records that stay on this rank are not packed: they are copied into
  // place between the other sources' records (sources in rank order keep the
  // received rows in global row order).
  const auto me = static_cast<uint32_t>(mpi::rank(comm));
  std::vector<uint32_t> stay;
  std::vector<uint64_t> bytes(static_cast<size_t>(n), 0);
  for (size_t r = 0; r < from.table.size(); ++r) {
    if (from.block[r] == kNoBlock) continue;
    const size_t sz = record_bytes(from, r);
    for_each_dest(r, [&](uint32_t d) {
      if (d == me)
        stay.push_back(static_cast<uint32_t>(r));
      else
        bytes[d] += sz;
    });
  }
  std::vector<int> send_counts(static_cast<size_t>(n)), send_displs(static_cast<size_t>(n));
  std::vector<int> recv_counts(static_cast<size_t>(n)), recv_displs(static_cast<size_t>(n));
  std::vector<uint64_t> at(static_cast<size_t>(n));
  uint64_t total = 0;
  for (int d = 0; d < n; ++d) {
    if (total / 8 > INT32_MAX || bytes[static_cast<size_t>(d)] / 8 > INT32_MAX)
      throw InputError("shuffle: more than 16 GiB from one rank; run with more ranks");
    send_displs[static_cast<size_t>(d)] = static_cast<int>(total / 8);
    send_counts[static_cast<size_t>(d)] = static_cast<int>(bytes[static_cast<size_t>(d)] / 8);
    at[static_cast<size_t>(d)] = total;
    total += bytes[static_cast<size_t>(d)];
  }
  std::vector<uint64_t> send(total / 8);
  char* const base = reinterpret_cast<char*>(send.data());
  for (size_t r = 0; r < from.table.size(); ++r) {
    if (from.block[r] == kNoBlock) continue;
    for_each_dest(r, [&](uint32_t d) {
      if (d != me) at[d] = static_cast<uint64_t>(pack_record(base + at[d], from, r) - base);
    });
  }
  *bytes_sent = total;
  mpi::check(MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT, comm),
             "MPI_Alltoall (shuffle sizes)");
  uint64_t recv_total = 0;
  for (int d = 0; d < n; ++d) {
    recv_displs[static_cast<size_t>(d)] = static_cast<int>(recv_total);
    recv_total += static_cast<uint64_t>(recv_counts[static_cast<size_t>(d)]);
    if (recv_total > INT32_MAX)
      throw InputError("shuffle: more than 16 GiB to one rank; run with more ranks");
  }
  std::vector<uint64_t> recv(recv_total);
  mpi::check(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), MPI_UINT64_T,
                           recv.data(), recv_counts.data(), recv_displs.data(), MPI_UINT64_T, comm),
             "MPI_Alltoallv (shuffle)");
  std::vector<uint64_t>().swap(send);
  Side got;
  got.table.source = from.table.source;
  {  // Reserve for everything at once: growing the arena would copy it again and again.
    size_t records = stay.size(), text = recv_total * 8;
    for (uint32_t r : stay)
      for (size_t f = 0; f < kTextFieldCount; ++f) text += from.table.fields[r][f].length;
    for (const char *q = reinterpret_cast<const char*>(recv.data()), *e = q + recv_total * 8; q < e;
         ++records) {
      uint32_t len[kTextFieldCount];
      std::memcpy(len, q + kRecordHeader - sizeof len, sizeof len);
      size_t sz = kRecordHeader;
      for (uint32_t l : len) sz += l;
      q += (sz + 7) & ~size_t{7};
    }
    got.table.arena.reserve(text);
    got.table.fields.reserve(records);
    got.table.birthdate.reserve(records);
    got.table.line.reserve(records);
    got.global.reserve(records);
    got.block.reserve(records);
    got.pos.reserve(records);
  }
  const char* p = reinterpret_cast<const char*>(recv.data());
  for (int src = 0; src < n; ++src) {
    const char* b = p + static_cast<uint64_t>(recv_displs[static_cast<size_t>(src)]) * 8;
    unpack_records(b, b + static_cast<uint64_t>(recv_counts[static_cast<size_t>(src)]) * 8, got);
    if (static_cast<uint32_t>(src) == me) {
      for (uint32_t r : stay) {
        std::array<std::string_view, kTextFieldCount> v;
        for (size_t f = 0; f < kTextFieldCount; ++f)
          v[f] = from.table.get(r, static_cast<Field>(f));
        got.table.push(v, from.table.birthdate[r], from.table.line[r]);
        got.global.push_back(from.global[r]);
        got.block.push_back(from.block[r]);
        got.pos.push_back(from.pos[r]);
      }
    }
  }
  return got;
}

// Local rows of each block, ordered by position: block -> [begin, end) of `order`.
struct BlockIndex {
  std::vector<uint32_t> order;
  absl::flat_hash_map<uint32_t, std::pair<uint32_t, uint32_t>> range;
  // Counting sort by block (rows of one block keep their local order, which
  // is their position order for loaded and received rows alike; checked).
  void build(const Side& s, size_t blocks) {
    std::vector<uint32_t> start(blocks + 1, 0);
    for (uint32_t b : s.block)
      if (b != kNoBlock) ++start[b + 1];
    for (size_t b = 0; b < blocks; ++b) start[b + 1] += start[b];
    order.assign(start[blocks], 0);
    std::vector<uint32_t> fill(start.begin(), start.end() - 1);
    for (uint32_t r = 0; r < s.table.size(); ++r)
      if (s.block[r] != kNoBlock) order[fill[s.block[r]]++] = r;
    for (size_t b = 0; b < blocks; ++b) {
      if (start[b] == start[b + 1]) continue;
      auto first = order.begin() + start[b], last = order.begin() + start[b + 1];
      if (!std::is_sorted(first, last, [&](uint32_t x, uint32_t y) { return s.pos[x] < s.pos[y]; }))
        std::sort(first, last, [&](uint32_t x, uint32_t y) { return s.pos[x] < s.pos[y]; });
      range[static_cast<uint32_t>(b)] = {start[b], start[b + 1]};
    }
  }
  // Local rows of block b with position in [pb, pe).
  std::vector<uint32_t> slice(const Side& s, uint32_t b, uint64_t pb, uint64_t pe) const {
    std::vector<uint32_t> out;
    auto it = range.find(b);
    if (it == range.end()) return out;
    auto first = order.begin() + it->second.first, last = order.begin() + it->second.second;
    auto lo = std::partition_point(first, last, [&](uint32_t r) { return s.pos[r] < pb; });
    auto hi = std::partition_point(lo, last, [&](uint32_t r) { return s.pos[r] < pe; });
    out.assign(lo, hi);
    return out;
  }
};

std::string serialize_counts(const std::map<std::string, uint64_t, std::less<>>& m) {
  std::string b;
  for (const auto& [k, v] : m) {
    put_u32(b, static_cast<uint32_t>(k.size()));
    b += k;
    put_u64(b, v);
  }
  return b;
}

void merge_counts(std::string_view b, std::map<std::string, uint64_t, std::less<>>& m) {
  const char* p = b.data();
  const char* e = p + b.size();
  while (p < e) {
    const uint32_t n = get<uint32_t>(p);
    std::string k(p, n);
    p += n;
    m[k] += get<uint64_t>(p);
  }
}

// Test hook (docs/DISTRIBUTED.md): NAME_MATCHER_FAULT_KILL=RANK:PIECES makes
// rank RANK kill itself with SIGKILL after writing PIECES pieces.
void maybe_fault(int rank, uint64_t pieces_written) {
  const char* v = std::getenv("NAME_MATCHER_FAULT_KILL");
  if (v == nullptr) return;
  int r = -1;
  unsigned long long k = 0;
  if (std::sscanf(v, "%d:%llu", &r, &k) == 2 && r == rank && pieces_written == k) {
    std::fflush(nullptr);
    std::raise(SIGKILL);
  }
}

void check_resume_meta(const io::PairFileMeta& have, const io::PairFileMeta& want,
                       const std::string& path) {
  auto differs = [&](const char* what, auto a, auto b) {
    if (a != b)
      throw InputError("--resume: " + path + " was written by a different run (" + what +
                       " differs); start again without --resume");
  };
  differs("algorithm", have.algorithm, want.algorithm);
  differs("threshold", have.threshold, want.threshold);
  differs("household threshold", have.household_threshold, want.household_threshold);
  differs("dedupe", have.dedupe, want.dedupe);
  differs("fuzzy normalization", have.fuzzy_normalization, want.fuzzy_normalization);
  differs("exhaustive", have.exhaustive, want.exhaustive);
  differs("number of ranks", have.ranks, want.ranks);
  differs("left input", have.left_checksum, want.left_checksum);
  differs("left input size", have.left_bytes, want.left_bytes);
  differs("right input", have.right_checksum, want.right_checksum);
  differs("right input size", have.right_bytes, want.right_bytes);
  differs("partition plan", have.plan_hash, want.plan_hash);
}

}  // namespace

RunResult run_pipeline(const RunConfig& cfg) {
  const auto t_start = Clock::now();
  const int algo = cfg.match.algorithm;
  // Option checks: every rank runs them on the same options, so every rank
  // throws the same error (main prints it once, on rank 0).
  check_algorithm(algo);
  if (cfg.match.dedupe && algo >= 5)
    throw InputError("algorithms 5 and 6 need two tables; they cannot be used with --dedupe");
  if (!cfg.match.dedupe && cfg.right.empty())
    throw InputError("--right is required (or use --dedupe)");
  if (cfg.out.empty()) throw InputError("--out is required");
  if (cfg.resume && cfg.pairs.empty()) throw InputError("--resume needs --pairs PAIRS.h5");
  // Database URLs and options, checked before anything runs.
  std::optional<db::DbUrl> lurl, rurl, ourl;
  if (db::is_db_url(cfg.left)) lurl = db::parse_db_url(cfg.left, true);
  if (!cfg.match.dedupe && db::is_db_url(cfg.right)) rurl = db::parse_db_url(cfg.right, true);
  if (!cfg.out_db.empty()) ourl = db::parse_db_url(cfg.out_db, true);
  db::TableWriteOptions wopts;
  wopts.if_exists = db::parse_if_exists(cfg.db.if_exists);
  wopts.method = db::parse_write_method(cfg.db.write_method);
  wopts.batch_rows = cfg.db.batch_rows;
  if (!cfg.db.key_column.empty()) db::check_identifier(cfg.db.key_column, "--db-key");
  // BASE.summary.json and BASE.rejects.csv beside the outputs; none when the
  // only output is standard output.
  const std::string side_base = cfg.side_base.empty() ? cfg.out : cfg.side_base;
  const bool side_files = !io::is_stdout_path(side_base);
  if (!side_files && cfg.skip_bad_rows)
    throw InputError("--skip-bad-rows writes OUT.rejects.csv beside a file output; with only "
                     "--out - (standard output) there is none: add --out FILE.xlsx or write to a "
                     "file");
  const std::string rejects_path = side_base + ".rejects.csv";

  MPI_Comm comm = mpi::ensure_initialized();
  const int me = mpi::rank(comm), nranks = mpi::size(comm);
  const bool root = me == 0;
  const bool dedupe = cfg.match.dedupe;
  RunResult res;
  res.ranks = nranks;
  io::RankStats st{};
  st.rank = static_cast<uint32_t>(me);

  // Fail before hours of work, not after: no output may be an input or
  // another output (compared by identity, io/safe_output.hpp), a folder or a
  // device, and the output folders must be writable.
  stage(comm, [&] {
    if (!root) return;
    std::vector<io::NamedPath> inputs, outputs;
    if (!lurl) inputs.push_back({cfg.left, "--left"});
    if (!dedupe && !rurl) inputs.push_back({cfg.right, "--right"});
    inputs.push_back({cfg.db.password_file, "--password-file"});
    inputs.push_back({cfg.db.option_file, "--db-option-file"});
    if (!cfg.out_is_temporary) outputs.push_back({cfg.out, "--out"});
    if (!cfg.out_xlsx.empty()) outputs.push_back({cfg.out_xlsx, "--out"});
    if (side_files) {
      outputs.push_back({side_base + ".summary.json", "the summary file", false});
      outputs.push_back({rejects_path, "the rejects file", false});
    }
    if (!cfg.pairs.empty()) outputs.push_back({cfg.pairs, "--pairs"});
    io::check_output_paths(inputs, outputs);
    for (const io::NamedPath& o : outputs) {
      if (io::is_stdout_path(o.path)) continue;
      const std::filesystem::path dir = std::filesystem::path(o.path).parent_path();
      const std::string d = dir.empty() ? "." : dir.string();
      if (access(d.c_str(), W_OK) != 0)
        throw InputError("cannot write " + o.path + " (" + o.role + "): folder " + d + ": " +
                         std::strerror(errno));
    }
    if (cfg.resume && !std::filesystem::exists(cfg.pairs))
      throw InputError("--resume: " + cfg.pairs +
                       " does not exist (start the run without --resume)");
  });

  // The scoring device, chosen before the work: --device gpu without a GPU
  // fails here. Each rank takes the GPU of its local rank.
  std::unique_ptr<gpu::Backend> backend;
  stage(comm, [&] {
    gpu::GpuOptions go;
    go.batch_pairs = std::max<uint64_t>(1, cfg.gpu_batch_pairs);
    backend = gpu::open_backend(gpu::parse_device(cfg.device), algo >= 3,
                                std::max(1u, cfg.match.threads), go);
  });
  res.backend = backend->used;
  if (root && !(backend->requested == gpu::DeviceChoice::kCpu && backend->used == "cpu"))
    log(LogLevel::kInfo, "device: " + backend->used + " (" + backend->reason + ")" +
                             (backend->gpu() ? ", " + backend->info.name : std::string()));

  // Database connections: opened and checked now, so the timed work pays no
  // connect cost and a wrong password or missing table fails before it.
  db::QueryLog qlog;
  db::Pool pool(&qlog);
  auto settings = [&](const db::DbUrl& u, const std::string& env) {
    db::ConnectSettings s = db::connect_settings(u, {cfg.db.password_file, env}, cfg.db.option_file);
    s.retries = cfg.db.retries;
    return s;
  };
  db::ConnectSettings lset, rset, oset;
  db::Connection lconn, rconn;
  db::TableInfo linfo, rinfo;
  stage(comm, [&] {
    if (lurl) {
      lset = settings(*lurl, cfg.db.left_password_env);
      lconn = db::Connection::open(lset, &qlog);
      linfo = db::describe_table(lconn, *lurl, cfg.db.key_column);
    }
    if (rurl) {
      rset = settings(*rurl, cfg.db.right_password_env);
      rconn = db::Connection::open(rset, &qlog);
      rinfo = db::describe_table(rconn, *rurl, cfg.db.key_column);
    }
    if (ourl && root) {
      oset = settings(*ourl, cfg.db.out_password_env);
      pool.warm(oset, 1);
      db::Connection c = pool.take(oset);
      db::check_output_table(c, *ourl, algo, wopts.if_exists, wopts.method);
      pool.give_back(std::move(c));
    }
  });

  Progress progress(cfg.show_progress && root);

  // ---- load: each rank reads its own byte range of each file (or key
  // range of each table) ----
  auto t0 = Clock::now();
  io::RankSplit lsplit, rsplit;
  if (!lurl) stage(comm, [&] { lsplit = io::split_file_mpi(comm, cfg.left); });
  if (!dedupe && !rurl) stage(comm, [&] { rsplit = io::split_file_mpi(comm, cfg.right); });
  db::DbReadStats ldb, rdb;
  const db::DbReadOptions dro{me, nranks, cfg.db.key_column};
  Side left, right_loaded;
  // Each rank's rejected rows go to temporary files of its own beside the
  // rejects file; rank 0 joins them into the one rejects file.
  io::RejectsFile lrej(rejects_path), rrej(rejects_path);
  io::LoadStats ls, rs;
  stage(comm, [&] {
    io::LoadOptions lo{cfg.column_map,  DateFormat(cfg.date_format),
                       cfg.trim_fields, cfg.skip_bad_rows,
                       &lrej,           nullptr,
                       &lsplit.mine};
    io::LoadOptions ro = lo;
    ro.rejects = &rrej;
    ro.range = &rsplit.mine;
    lo.progress = [&](uint64_t n) { progress.update("load", n, 0, "records (left, rank 0)"); };
    std::future<RawTable> right_future;
    if (!dedupe)
      right_future = std::async(cfg.match.threads > 1 ? std::launch::async : std::launch::deferred,
                                [&] {
                                  return rurl ? db::load_db_table(rconn, *rurl, rinfo, ro, dro, &rs, &rdb)
                                              : io::load_csv_table(cfg.right, ro, &rs);
                                });
    std::exception_ptr left_error;
    try {
      left.table = lurl ? db::load_db_table(lconn, *lurl, linfo, lo, dro, &ls, &ldb)
                        : io::load_csv_table(cfg.left, lo, &ls);
    } catch (...) {
      left_error = std::current_exception();
    }
    std::exception_ptr right_error;
    if (right_future.valid()) {
      try {
        right_loaded.table = right_future.get();
      } catch (...) {
        right_error = std::current_exception();
      }
    }
    // One process reports a bad left file before a bad right one; so do many
    // ranks: a right-side error counts only when no rank failed on the left.
    const bool any_left_error = mpi::allreduce_max(comm, uint64_t{left_error ? 1u : 0u}) != 0;
    if (left_error) std::rethrow_exception(left_error);
    if (right_error && !any_left_error) std::rethrow_exception(right_error);
  });
  lrej.close();
  rrej.close();
  lconn = db::Connection{};  // the reads are done: give the server its connections back
  rconn = db::Connection{};
  // Global row numbers: rows of lower ranks come first.
  auto number_rows = [&](Side& s) {
    const uint64_t base = mpi::exscan_sum(comm, s.table.size());
    s.global.resize(s.table.size());
    std::iota(s.global.begin(), s.global.end(), base);
    return mpi::allreduce_sum(comm, s.table.size());
  };
  res.left_rows = number_rows(left);
  res.right_rows = dedupe ? res.left_rows : number_rows(right_loaded);
  const Side& right = dedupe ? left : right_loaded;
  st.left_loaded = left.table.size();
  st.right_loaded = right.table.size();

  // Rejected rows: one file, left rows then right rows, each in file order.
  const uint64_t lrej_n = lrej.count(), rrej_n = rrej.count();
  const std::vector<uint64_t> lrej_all = mpi::allgather_u64(comm, lrej_n);
  const std::vector<uint64_t> rrej_all = mpi::allgather_u64(comm, rrej_n);
  const std::vector<std::string> rej_parts =
      mpi::gather_bytes(comm, lrej.data_path() + '\0' + rrej.data_path(), 0);
  io::RejectsFile rejects(rejects_path);  // rank 0's; committed with the outputs
  stage(comm, [&] {
    if (!root) return;
    for (int side = 0; side < 2; ++side)
      for (int r = 0; r < nranks; ++r) {
        const std::string& both = rej_parts[static_cast<size_t>(r)];
        const size_t cut = both.find('\0');
        const std::string path = side == 0 ? both.substr(0, cut) : both.substr(cut + 1);
        rejects.absorb_file(path, (side == 0 ? lrej_all : rrej_all)[static_cast<size_t>(r)]);
      }
    rejects.close();
    res.rejected = rejects.count();
    if (res.rejected > 0) res.rejects_path = rejects.path();
  });
  // Duplicate ids: exact within one process; across ranks, ids are compared
  // within each rank's slice only (a warning, it changes no output).
  res.duplicate_ids = mpi::allreduce_sum(comm, ls.duplicate_ids + rs.duplicate_ids);
  if (root && res.duplicate_ids > 0)
    log(LogLevel::kWarn,
        std::to_string(res.duplicate_ids) + " duplicate ids (rows are still matched by position)");
  st.load_s = since(t0);
  res.load_s = st.load_s;

  // ---- partition: blocks = birthdates present on both sides; rank 0 plans ----
  t0 = Clock::now();
  // Distinct birthdates of a slice: a hash set, not a sort of every row.
  auto local_keys = [](const Side& s) {
    absl::flat_hash_set<int32_t> days;
    for (int32_t d : s.table.birthdate)
      if (d != kNoDate) days.insert(d);
    std::vector<uint64_t> k;
    k.reserve(days.size());
    for (int32_t d : days) k.push_back(birthdate_key(d));
    std::sort(k.begin(), k.end());
    return k;
  };
  std::vector<uint64_t> keys;
  {
    std::vector<uint64_t> mine = local_keys(left);
    if (!dedupe) {
      std::vector<uint64_t> rk = local_keys(right), both;
      std::set_union(mine.begin(), mine.end(), rk.begin(), rk.end(), std::back_inserter(both));
      mine.swap(both);
    }
    keys = mpi::allgatherv_u64(comm, mine);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  }
  const size_t nkeys = keys.size();
  absl::flat_hash_map<int32_t, uint32_t> block_of_day;
  block_of_day.reserve(keys.size());
  for (size_t b = 0; b < keys.size(); ++b)
    block_of_day[static_cast<int32_t>(static_cast<int64_t>(keys[b] >> 32) - (int64_t{1} << 31))] =
        static_cast<uint32_t>(b);
  auto assign_blocks = [&](Side& s, std::vector<uint64_t>& count) {
    count.assign(nkeys, 0);
    s.block.assign(s.table.size(), kNoBlock);
    s.pos.assign(s.table.size(), 0);
    for (size_t r = 0; r < s.table.size(); ++r) {
      if (s.table.birthdate[r] == kNoDate) continue;
      const uint32_t b = block_of_day.at(s.table.birthdate[r]);
      s.block[r] = b;
      s.pos[r] = count[b]++;
    }
  };
  std::vector<uint64_t> lcount, rcount, lbase(nkeys), rbase(nkeys), ltot(nkeys), rtot(nkeys);
  assign_blocks(left, lcount);
  Side* right_mut = dedupe ? nullptr : &right_loaded;
  if (!dedupe) assign_blocks(*right_mut, rcount);
  auto scan_counts = [&](const std::vector<uint64_t>& c, std::vector<uint64_t>& base,
                         std::vector<uint64_t>& tot) {
    if (nkeys == 0) return;
    mpi::check(
        MPI_Exscan(c.data(), base.data(), static_cast<int>(nkeys), MPI_UINT64_T, MPI_SUM, comm),
        "MPI_Exscan (block sizes)");
    if (me == 0) std::fill(base.begin(), base.end(), 0);
    mpi::check(
        MPI_Allreduce(c.data(), tot.data(), static_cast<int>(nkeys), MPI_UINT64_T, MPI_SUM, comm),
        "MPI_Allreduce (block sizes)");
  };
  scan_counts(lcount, lbase, ltot);
  if (!dedupe) scan_counts(rcount, rbase, rtot);
  for (size_t r = 0; r < left.table.size(); ++r)
    if (left.block[r] != kNoBlock) left.pos[r] += lbase[left.block[r]];
  if (!dedupe)
    for (size_t r = 0; r < right_mut->table.size(); ++r)
      if (right_mut->block[r] != kNoBlock) right_mut->pos[r] += rbase[right_mut->block[r]];

  Plan plan;
  {
    std::string bytes;
    if (root) {
      std::vector<BlockSize> blocks(nkeys);
      for (size_t b = 0; b < nkeys; ++b)
        blocks[b] = BlockSize{keys[b], ltot[b], dedupe ? ltot[b] : rtot[b]};
      PlanOptions po;
      po.ranks = static_cast<uint32_t>(nranks);
      po.dedupe = dedupe;
      po.tiles_per_rank = cfg.tiles_per_rank;
      bytes = serialize_plan(make_plan(std::move(blocks), po));
    }
    mpi::bcast_bytes(comm, bytes, 0);
    plan = deserialize_plan(bytes);
  }
  // Plan block index -> our key index (plan drops blocks missing on one side).
  std::vector<uint32_t> plan_block_of_key(nkeys, kNoBlock);
  for (uint32_t b = 0; b < plan.blocks.size(); ++b) {
    const auto k = static_cast<size_t>(
        std::lower_bound(keys.begin(), keys.end(), plan.blocks[b].key) - keys.begin());
    plan_block_of_key[k] = b;
  }
  auto to_plan_blocks = [&](Side& s) {
    for (auto& b : s.block)
      if (b != kNoBlock) b = plan_block_of_key[b];
  };
  to_plan_blocks(left);
  if (!dedupe) to_plan_blocks(*right_mut);
  res.tiles_total = plan.tiles.size();
  res.predicted_imbalance = plan.imbalance;
  st.partition_s = since(t0);

  // ---- the pair file: created (or reopened for --resume) before scoring ----
  io::PairFileMeta meta;
  meta.program_version = NM_VERSION;
  meta.algorithm = algo;
  meta.threshold = cfg.match.threshold;
  meta.household_threshold = cfg.match.household_threshold;
  meta.min_confidence = algo >= 5   ? cfg.match.household_threshold
                        : algo >= 3 ? cfg.match.threshold
                                    : 1.0f;
  meta.dedupe = dedupe;
  meta.fuzzy_normalization = cfg.match.fuzzy_normalization;
  meta.exhaustive = cfg.match.exhaustive;
  meta.ranks = static_cast<uint32_t>(nranks);
  meta.left_path = cfg.left;
  meta.right_path = dedupe ? cfg.left : cfg.right;
  meta.left_bytes = lsplit.size;
  meta.left_checksum = lsplit.checksum;
  meta.right_bytes = dedupe ? lsplit.size : rsplit.size;
  meta.right_checksum = dedupe ? lsplit.checksum : rsplit.checksum;
  meta.left_rows = res.left_rows;
  meta.right_rows = res.right_rows;
  meta.plan_hash = plan_hash(plan);
  std::optional<io::PairFileWriter> pf;
  std::vector<uint32_t> done(plan.tiles.size(), 0);
  bool already_complete = false;
  if (!cfg.pairs.empty()) {
    stage(comm, [&] {
      if (cfg.resume) {
        if (root) {  // a finished file needs no writer: only the reduce below
          io::PairFileReader check(cfg.pairs);
          check_resume_meta(check.meta(), meta, cfg.pairs);
          already_complete = check.complete();
        }
      }
    });
    int complete_flag = already_complete ? 1 : 0;
    mpi::check(MPI_Bcast(&complete_flag, 1, MPI_INT, 0, comm), "MPI_Bcast");
    already_complete = complete_flag != 0;
    if (!already_complete) {
      stage(comm, [&] {
        if (cfg.resume) {
          pf.emplace(io::PairFileWriter::open_for_resume(comm, cfg.pairs));
          done = pf->done_marks();
        } else {
          std::vector<io::TileRecord> tiles(plan.tiles.size());
          for (size_t t = 0; t < plan.tiles.size(); ++t) {
            const PlanTile& p = plan.tiles[t];
            tiles[t] = io::TileRecord{
                plan.blocks[p.block].key, p.l_begin, p.l_end, p.r_begin, p.r_end, p.cost, p.rank};
          }
          pf.emplace(io::PairFileWriter::create(comm, cfg.pairs, meta, tiles));
        }
      });
    } else {
      std::fill(done.begin(), done.end(), 1u);
    }
  }

  // ---- shuffle: records to the ranks that own their tiles ----
  t0 = Clock::now();
  const std::vector<BlockRouting> routing = make_routing(plan);
  Side L, R;
  bool same_table = false;
  if (nranks == 1) {
    L = std::move(left);
    if (dedupe)
      same_table = true;
    else
      R = std::move(right_loaded);
  } else {
    stage(comm, [&] {
      uint64_t sent = 0;
      L = shuffle(comm, left, routing, true, &sent);
      st.bytes_shuffled += sent;
      R = shuffle(comm, dedupe ? left : right_loaded, routing, false, &sent);
      st.bytes_shuffled += sent;
    });
  }
  const Side& RR = same_table ? L : R;
  st.left_received = L.table.size();
  st.right_received = RR.table.size();
  st.shuffle_s = since(t0);
  res.shuffle_s = st.shuffle_s;

  // Household sizes (A4–A6 pair files and A5/A6 outputs), from the loaded slices.
  HouseholdSizes t1_sizes, t2_sizes;
  if (algo >= 4 && !dedupe) {
    std::map<std::string, uint64_t, std::less<>> a, b;
    const Side& lsrc = nranks == 1 ? L : left;
    const Side& rsrc = nranks == 1 ? R : right_loaded;
    for (size_t r = 0; r < lsrc.table.size(); ++r) {
      const std::string_view u = lsrc.table.get(r, Field::kUuid);
      if (!u.empty()) ++a[std::string(u)];
    }
    for (size_t r = 0; r < rsrc.table.size(); ++r) {
      std::string_view hh = rsrc.table.get(r, Field::kHhId);
      if (hh.empty()) hh = rsrc.table.get(r, Field::kId);
      ++b[std::string(hh)];
    }
    const auto ga = mpi::gather_bytes(comm, serialize_counts(a), 0);
    const auto gb = mpi::gather_bytes(comm, serialize_counts(b), 0);
    for (const auto& x : ga) merge_counts(x, t1_sizes);
    for (const auto& x : gb) merge_counts(x, t2_sizes);
  }
  // The loaded slices are no longer needed (their records were sent on).
  left = Side{};
  right_loaded = Side{};

  // ---- normalise the records this rank scores ----
  t0 = Clock::now();
  const unsigned threads = std::max(1u, cfg.match.threads);
  MatchOptions m = cfg.match;
  const PreparedTables prep(L.table, RR.table, m, same_table, threads);
  if (const std::string note = long_names_note(prep); !note.empty()) log(LogLevel::kInfo, note);
  res.engine.shortcut = prep.shortcut;
  st.normalize_s = since(t0);
  res.engine.normalize_s = st.normalize_s;

  // ---- score my tiles, piece by piece ----
  t0 = Clock::now();
  BlockIndex lidx, ridx;
  lidx.build(L, plan.blocks.size());
  if (!same_table) ridx.build(R, plan.blocks.size());
  const BlockIndex& ridx_ref = same_table ? lidx : ridx;
  std::vector<uint32_t> my_tiles;
  for (uint32_t t = 0; t < plan.tiles.size(); ++t)
    if (plan.tiles[t].rank == static_cast<uint32_t>(me)) {
      if (done[t] != 0)
        ++res.tiles_skipped;
      else
        my_tiles.push_back(t);
    }
  st.tiles = my_tiles.size();
  const PairOrder order{dedupe, L.global.data(), RR.global.data()};
  // A GPU scores a default piece in about a millisecond, less than the
  // piece's own costs (jobs, sorting, payloads, the pair-file append): its
  // pieces are 64 times larger unless --piece-pairs was given.
  const uint64_t kPieceCost = std::max<uint64_t>(
      1, backend->gpu() != nullptr && !cfg.piece_pairs_given ? cfg.piece_pairs * 64
                                                             : cfg.piece_pairs);
  // Sub-tiles split a block for the CPU threads; on the GPU a column is one
  // right record x its sub-tile's left slice, so big blocks keep long columns.
  const uint64_t sub_tile_pairs =
      backend->gpu() != nullptr ? std::max<uint64_t>(m.tile_pairs, uint64_t{1} << 26) : m.tile_pairs;
  constexpr size_t kPieceTiles = 8192;
  // Without a pair file this rank's kept pairs go to a buffer of fixed size,
  // spilled in sorted runs to a temporary file when full (docs/DISTRIBUTED.md,
  // "Memory").
  SpillOptions spill_options;
  stage(comm, [&] {
    spill_options = SpillOptions::from_environment();
    if (!pf && access(spill_options.dir.c_str(), W_OK | X_OK) != 0)
      throw InputError("the spill folder " + spill_options.dir + " cannot be written: " +
                       std::strerror(errno) + " (set NAME_MATCHER_SPILL_DIR or TMPDIR)");
  });
  PairSpill spill(spill_options);
  // A piece also holds at most fine_cap pairs after the fine grouping (what
  // is scored, and so at most what is kept): about the spill buffer's size
  // in scored pairs, or in rendered pairs with a pair file. A tile with more
  // is scored over several pieces, a run of its sub-tiles at a time.
  const uint64_t fine_cap =
      std::max<uint64_t>(1, spill_options.buffer_bytes / (pf ? 256 : 2 * sizeof(ScoredPair)));
  auto fine_pairs = [](const std::vector<Tile>& t, size_t b, size_t e) {
    uint64_t n = 0;
    for (size_t i = b; i < e; ++i) n += t[i].pairs();
    return n;
  };
  RectJob pending;        // the tile whose sub-tiles are being scored ...
  size_t pending_at = 0;  // ... from this one on
  bool have_pending = false;
  size_t next = 0;
  uint64_t pieces = 0;
  std::vector<ScoredPair> scored;
  ScoreHistogram hist{};  // CPU backend (the GPU backend counts on the device)
  std::vector<io::PairRecord> recs;
  std::string payload;
  std::vector<uint64_t> offsets;
  // An error while scoring is agreed on after the loop; with a pair file the
  // ranks leave the loop together (each piece's append is collective).
  std::exception_ptr score_error;
  for (;;) {
    std::vector<RectJob> jobs;
    std::vector<uint32_t> finished;  // tiles whose last sub-tiles are in this piece
    try {
      uint64_t cost = 0, fine = 0;
      for (;;) {
        if (!have_pending) {
          if (next >= my_tiles.size() || cost >= kPieceCost || jobs.size() >= kPieceTiles ||
              (!jobs.empty() && fine >= fine_cap))
            break;
          const uint32_t id = my_tiles[next++];
          const PlanTile& t = plan.tiles[id];
          cost += t.cost;
          const std::vector<uint32_t> ls = lidx.slice(L, t.block, t.l_begin, t.l_end);
          const std::vector<uint32_t> rs = ridx_ref.slice(RR, t.block, t.r_begin, t.r_end);
          pending = RectJob{};
          pending.lk = sort_rows_by_key(prep.lkeys, ls.data(), ls.size());
          pending.rk = sort_rows_by_key(prep.rkeys, rs.data(), rs.size());
          pending.sub = plan_tiles(pending.lk, pending.rk, sub_tile_pairs);
          pending.tag = id;
          pending_at = 0;
          have_pending = true;
        }
        const std::vector<Tile>& subs = pending.sub.tiles;
        if (pending_at == 0 && fine + fine_pairs(subs, 0, subs.size()) <= fine_cap) {
          fine += fine_pairs(subs, 0, subs.size());  // the whole tile fits
          finished.push_back(pending.tag);
          jobs.push_back(std::move(pending));
          have_pending = false;
          continue;
        }
        // Sub-tiles up to the cap (at least one per piece).
        size_t e = pending_at;
        uint64_t f = 0;
        while (e < subs.size() &&
               (fine + f + subs[e].pairs() <= fine_cap || (jobs.empty() && e == pending_at)))
          f += subs[e++].pairs();
        if (e == pending_at) break;  // the next piece goes on with it
        RectJob part;
        part.lk = pending.lk;
        part.rk = pending.rk;
        part.sub.tiles.assign(subs.begin() + static_cast<ptrdiff_t>(pending_at),
                              subs.begin() + static_cast<ptrdiff_t>(e));
        part.sub.candidate_pairs = f;
        part.tag = pending.tag;
        jobs.push_back(std::move(part));
        fine += f;
        pending_at = e;
        if (e == subs.size()) {
          finished.push_back(pending.tag);
          have_pending = false;
        }
      }
    } catch (...) {
      score_error = std::current_exception();
    }
    if (pf) {
      const uint64_t v = mpi::allreduce_max(comm, uint64_t{score_error ? 2u : jobs.empty() ? 0u : 1u});
      if (v != 1) break;
    } else if (score_error || jobs.empty()) {
      break;
    }
    try {
      scored.clear();
      st.pairs_scored += score_jobs(prep, jobs, order, threads, scored, {}, backend->gpu(), &hist);
      st.pairs_kept += scored.size();
      // In (left, right) order: the records are then read in order while the
      // payloads are rendered (much faster than at random), and the runs
      // come out nearly sorted.
      std::sort(scored.begin(), scored.end(), [&](const ScoredPair& a, const ScoredPair& b) {
        const uint64_t la = L.global[a.left], lb = L.global[b.left];
        return la != lb ? la < lb : RR.global[a.right] < RR.global[b.right];
      });
      // The stored form of a scored pair: global rows and its figures.
      auto record_of = [&](const ScoredPair& s) {
        io::PairRecord p{};
        p.left = L.global[s.left];
        p.right = RR.global[s.right];
        p.tile = s.tile;
        p.confidence = s.confidence;
        p.lev = s.lev;
        p.jw = s.jw;
        p.mp = s.mp;
        p.label = s.label;
        return p;
      };
      if (!pf) {
        for (const ScoredPair& s : scored) {
          spill.add(record_of(s), [&](std::string& b) {
            io::append_payload(b, algo, L.table, s.left, RR.table, s.right);
          });
        }
      } else {
        recs.clear();
        payload.clear();
        offsets.clear();
        for (const ScoredPair& s : scored) {
          offsets.push_back(payload.size());
          io::append_payload(payload, algo, L.table, s.left, RR.table, s.right);
          io::PairRecord p = record_of(s);
          p.payload_len = static_cast<uint32_t>(payload.size() - offsets.back());
          recs.push_back(p);
        }
        offsets.push_back(payload.size());
      }
    } catch (...) {
      score_error = std::current_exception();
    }
    if (pf) {
      if (mpi::allreduce_max(comm, uint64_t{score_error ? 1u : 0u}) != 0) break;
      try {  // every rank returns from the collective append; a failure is agreed on
        pf->append_piece(recs, payload, recs.empty() ? std::span<const uint64_t>() : offsets,
                         finished);
      } catch (...) {
        score_error = std::current_exception();
      }
      ++pieces;
      maybe_fault(me, pieces);
    } else if (score_error) {
      break;
    }
    progress.update("score", next, my_tiles.size(), "tiles (rank 0)");
  }
  std::vector<ScoredPair>().swap(scored);
  std::vector<io::PairRecord>().swap(recs);
  std::string().swap(payload);
  stage(comm, [&] {
    if (score_error) std::rethrow_exception(score_error);
  });
  progress.finish();
  st.score_s = since(t0);
  res.engine.score_s = st.score_s;
  st.peak_rss_bytes = peak_rss_bytes();

  // ---- counters and the score histogram, summed over the ranks: on the
  // GPUs with NCCL when every rank has one, else with MPI ----
  gpu::ScoreCounters counters_total;
  std::string collectives_name;
  stage(comm, [&] {
    gpu::ScoreCounters mine;
    mine.pairs_scored = st.pairs_scored;
    mine.pairs_kept = st.pairs_kept;
    void* device_counters = nullptr;
    if (gpu::GpuScorer* g = backend->gpu()) {
      const auto c = g->counters();
      std::copy(c.begin() + 2, c.end(), mine.hist.begin());
      device_counters = g->device_counters();
    } else {
      std::copy(hist.begin(), hist.end(), mine.hist.begin());
    }
    const auto coll = gpu::make_collectives(comm, backend->gpu() ? backend->device.get() : nullptr);
    counters_total = coll->allreduce(mine, device_counters);
    collectives_name = coll->name();
  });

  // ---- write: statistics, household sizes, completion mark ----
  t0 = Clock::now();
  if (pf) {
    stage(comm, [&] {
      pf->write_rank_stats(st);
      if (algo >= 4 && !dedupe) {
        std::vector<std::string> k1, k2;
        std::vector<uint64_t> c1, c2;
        for (const auto& [k, c] : t1_sizes) {
          k1.push_back(k);
          c1.push_back(c);
        }
        for (const auto& [k, c] : t2_sizes) {
          k2.push_back(k);
          c2.push_back(c);
        }
        pf->write_key_counts("t1_household_sizes", k1, c1, 0);
        pf->write_key_counts("t2_household_sizes", k2, c2, 0);
      }
      pf->mark_complete();
      pf.reset();
    });
  }

  // ---- reduce: rank 0 writes the outputs in canonical order ----
  // Every output of rank 0 is staged in `outputs` and renamed into place at
  // the very end, after everything that can fail (the CSV last).
  io::CommitGroup outputs;
  if (cfg.out_is_temporary)
    outputs.set_staging(cfg.out, "the CSV staging file for " +
                                     (!cfg.out_xlsx.empty() ? cfg.out_xlsx : cfg.out_db));
  OutputResult out;
  stage(comm, [&] {
    if (!cfg.pairs.empty()) {
      if (root) {
        ReduceRequest req;
        req.pairs_path = cfg.pairs;
        req.out = cfg.out;
        req.group = &outputs;
        out = reduce_pair_file(req);
      }
      return;
    }
    // Without a pair file: rank 0 merges its own runs and the other ranks'
    // streams. Their remote runs are made first: if anything here fails,
    // dropping them tells their servers to stop, so no rank waits forever.
    if (root) {
      std::vector<std::unique_ptr<PairRun>> runs;
      const uint64_t batch = spill_options.remote_batch_bytes(static_cast<size_t>(nranks - 1));
      for (int r = 1; r < nranks; ++r) runs.push_back(remote_run(comm, r, batch));
      for (auto& run : spill.finish()) runs.push_back(std::move(run));
      OutputSpec spec{cfg.out, algo, algo >= 5 ? m.household_threshold : 0.0f,
                      algo == 5   ? &t1_sizes
                      : algo == 6 ? &t2_sizes
                                  : nullptr};
      spec.group = &outputs;
      out = merge_and_write(runs, spec);
    } else {
      serve_pairs(comm, 0, [&] { return spill.finish(); });
    }
  });
  if (spill.runs_spilled() > 0)
    log(LogLevel::kDebug, "rank " + std::to_string(me) + ": " +
                              std::to_string(spill.runs_spilled()) + " runs (" +
                              std::to_string(spill.bytes_spilled()) + " bytes) spilled to " +
                              spill_options.dir);
  st.write_s = since(t0);
  res.write_s = st.write_s;
  res.output_rows = out.rows;
  res.output_bytes = out.bytes;

  // ---- summary: every rank's figures, gathered on rank 0 ----
  st.peak_rss_bytes = peak_rss_bytes();
  std::vector<io::RankStats> stats(root ? static_cast<size_t>(nranks) : 0);
  mpi::check(MPI_Gather(&st, sizeof st, MPI_BYTE, stats.data(), sizeof st, MPI_BYTE, 0, comm),
             "MPI_Gather (stats)");
  const uint64_t scored_total = mpi::allreduce_sum(comm, st.pairs_scored);
  const uint64_t tiles_skipped = mpi::allreduce_sum(comm, res.tiles_skipped);
  res.engine.pairs_scored = scored_total;
  res.tiles_skipped = tiles_skipped;
  res.engine.tiles = plan.tiles.size();
  res.engine.blocks = plan.blocks.size();
  res.engine.pairs_kept = mpi::allreduce_sum(comm, st.pairs_kept);
  res.engine.partition_s = st.partition_s;
  // ---- the other outputs, made from the finished CSV on rank 0: the
  // database table (first: it is all or nothing), then the workbook ----
  nlohmann::json sinks = nlohmann::json::object();
  const std::string csv_now = outputs.current_path(cfg.out);  // the staged CSV
  stage(comm, [&] {
    if (!root) return;
    if (ourl) {
      db::Connection c = pool.take(oset);
      log(LogLevel::kInfo, "writing " + std::to_string(res.output_rows) + " rows into " +
                               ourl->text() + " (" + db::method_name(wopts.method) + ", if-exists " +
                               cfg.db.if_exists + ")");
      const db::TableWriteResult tr =
          db::write_results_table(c, csv_now, algo, *ourl, wopts, res.output_rows);
      sinks["table"] = {{"url", ourl->text()},
                        {"rows", tr.rows},
                        {"if_exists", cfg.db.if_exists},
                        {"method", db::method_name(wopts.method)},
                        {"seconds", tr.seconds},
                        {"rows_per_second", tr.seconds > 0 ? static_cast<double>(tr.rows) / tr.seconds : 0.0}};
      pool.give_back(std::move(c));
    }
    if (!cfg.out_xlsx.empty()) {
      io::WorkbookSummary ws;
      ws.algorithm = algo;
      ws.left_source = cfg.left;
      ws.right_source = dedupe ? std::string() : cfg.right;
      ws.left_rows = res.left_rows;
      ws.right_rows = dedupe ? 0 : res.right_rows;
      ws.rejected_rows = res.rejected;
      ws.unit_name = algo >= 5 ? "households" : "records";
      ws.left_units = algo >= 5 ? t1_sizes.size() : res.left_rows;
      ws.right_units = algo >= 5 ? t2_sizes.size() : ws.right_rows;
      double score_s = 0;
      for (const auto& s : stats) score_s = std::max(score_s, s.score_s);
      ws.load_s = res.load_s;
      ws.score_s = score_s;
      ws.write_s = res.write_s;
      ws.total_s = since(t_start);
      ws.finished_at = utc_timestamp();
      const auto t = Clock::now();
      log(LogLevel::kInfo, "writing " + cfg.out_xlsx + " (" + std::to_string(res.output_rows) +
                               " rows)");
      const io::WorkbookResult wr =
          io::write_xlsx_workbook(csv_now, cfg.out_xlsx, ws, io::kXlsxMaxDataRows, &outputs);
      sinks["xlsx"] = {{"path", cfg.out_xlsx},       {"rows", wr.rows},
                       {"sheets", wr.result_sheets}, {"bytes", wr.bytes},
                       {"seconds", since(t)}};
    }
  });
  res.total_s = since(t_start);
  // ---- summary, then every output renamed into place (the CSV last) ----
  stage(comm, [&] {
    if (!root) return;
    uint64_t max_scored = 0;
    double max_score_s = 0, sum_score_s = 0;
    for (const auto& s : stats) {
      max_scored = std::max(max_scored, s.pairs_scored);
      max_score_s = std::max(max_score_s, s.score_s);
      sum_score_s += s.score_s;
    }
    res.measured_imbalance =
        scored_total == 0 ? 1.0
                          : static_cast<double>(max_scored) /
                                (static_cast<double>(scored_total) / static_cast<double>(nranks));
    nlohmann::json j;
    j["program"] = {{"name", "name_matcher"}, {"version", NM_VERSION}, {"build", NM_BUILD_FLAGS}};
    j["algorithm"] = algo;
    // The thresholds applied (after --threshold, the environment and the contract's fallback
    // for unparsable text), as the CSV writes a confidence.
    auto written = [](float f) {
      std::string s;
      io::append_confidence(s, f);
      return std::stod(s);
    };
    j["thresholds"] = {{"fuzzy", written(cfg.match.threshold)},
                       {"household", written(cfg.match.household_threshold)}};
    j["ranks"] = nranks;
    j["threads_per_rank"] = threads;
    j["inputs"] = {{"left", {{"path", cfg.left}, {"rows", res.left_rows}, {"bytes", lsplit.size}}},
                   {"right",
                    {{"path", dedupe ? cfg.left : cfg.right},
                     {"rows", res.right_rows},
                     {"bytes", dedupe ? lsplit.size : rsplit.size}}},
                   {"rejected", res.rejected}};
    j["plan"] = {{"blocks", plan.blocks.size()},           {"tiles", plan.tiles.size()},
                 {"candidate_pairs", plan.total_cost},     {"tile_cap", plan.tile_cap},
                 {"largest_tile", plan.largest_tile},      {"largest_block", plan.largest_block},
                 {"predicted_rank_pairs", plan.rank_cost}, {"predicted_imbalance", plan.imbalance}};
    j["measured"] = {
        {"pairs_scored", scored_total},
        {"imbalance_pairs", res.measured_imbalance},
        {"imbalance_score_time",
         sum_score_s > 0 ? max_score_s / (sum_score_s / static_cast<double>(nranks)) : 1.0}};
    nlohmann::json per_rank = nlohmann::json::array();
    for (const auto& s : stats)
      per_rank.push_back(
          {{"rank", s.rank},
           {"records_loaded", {{"left", s.left_loaded}, {"right", s.right_loaded}}},
           {"records_received", {{"left", s.left_received}, {"right", s.right_received}}},
           {"tiles", s.tiles},
           {"pairs_scored", s.pairs_scored},
           {"pairs_kept", s.pairs_kept},
           {"bytes_shuffled", s.bytes_shuffled},
           {"peak_rss_bytes", s.peak_rss_bytes},
           {"seconds",
            {{"load", s.load_s},
             {"partition", s.partition_s},
             {"shuffle", s.shuffle_s},
             {"normalize", s.normalize_s},
             {"score", s.score_s},
             {"write", s.write_s}}}});
    j["per_rank"] = per_rank;
    j["resume"] = {{"resumed", cfg.resume}, {"tiles_already_done", tiles_skipped}};
    j["device"] = backend->to_json();
    j["collectives"] = collectives_name;
    j["score_histogram"] = {
        {"what", "matching pairs (any label but NO MATCH) by floor(score), before the output "
                 "threshold; index = score 0..100"},
        {"counts", counters_total.hist}};
    if (lurl || rurl || ourl) {
      auto read_json = [](const db::DbReadStats& d) {
        return nlohmann::json{{"key", d.key}, {"rank0_range", d.range},
                              {"reconnects", d.reconnects}, {"seconds", d.seconds}};
      };
      nlohmann::json dbj;
      if (lurl) dbj["left"] = read_json(ldb);
      if (rurl) dbj["right"] = read_json(rdb);
      dbj["queries"] = qlog.to_json();
      dbj["what"] = "rank 0's connections: time and rows per kind of query";
      j["database"] = dbj;
    }
    j["outputs"] = sinks;
    j["output"] = {
        {"path", cfg.out_is_temporary ? nlohmann::json() : nlohmann::json(cfg.out)},
        {"rows", res.output_rows},
        {"bytes", res.output_bytes},
        {"pairs_file", cfg.pairs.empty() ? nlohmann::json() : nlohmann::json(cfg.pairs)}};
    j["total_seconds"] = res.total_s;
    if (side_files) {
      res.summary_path = side_base + ".summary.json";
      io::OutputFile f(res.summary_path, &outputs, io::CommitKind::kSide);
      // Paths are bytes on Linux: one that is not UTF-8 is shown with U+FFFD
      // in the JSON rather than failing the run.
      f.buffer() = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
      f.close();
      rejects.commit_to(outputs);
    }
    outputs.commit();
  });
  return res;
}

}  // namespace nm::jobs
