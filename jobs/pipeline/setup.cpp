// Before any work: the options checked, the output paths checked, the scoring
// device chosen and the database connections opened, so a mistake fails in
// seconds, not after hours of work.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "io/db/url.hpp"
#include "jobs/cli.hpp"
#include "jobs/pipeline/agreement.hpp"
#include "jobs/pipeline/stages.hpp"
#include "src/errors.hpp"
#include "src/match/algorithm.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::jobs {
namespace {

// The option checks that need no other rank (see RunContext's constructor).
int checked_algorithm(const RunConfig& cfg) {
  const int algo = cfg.match.algorithm;
  check_algorithm(algo);
  if (cfg.match.dedupe && algorithm_traits(algo).households)
    throw InputError("algorithms 5 and 6 need two tables; they cannot be used with --dedupe");
  if (!cfg.match.dedupe && cfg.right.empty())
    throw InputError("--right is required (or use --dedupe)");
  if (cfg.out.empty()) throw InputError("--out is required");
  if (cfg.resume && cfg.pairs.empty()) throw InputError("--resume needs --pairs PAIRS.h5");
  return algo;
}

// No output may be an input or another output (compared by identity,
// io/safe_output.hpp), a folder or a device, and the output folders must be
// writable. Rank 0.
void check_paths(const RunContext& run) {
  const RunConfig& cfg = run.cfg;
  std::vector<io::NamedPath> inputs, outputs;
  if (!run.left_url) inputs.push_back({cfg.left, "--left"});
  if (!run.dedupe && !run.right_url) inputs.push_back({cfg.right, "--right"});
  add_db_option_inputs(cfg.db, inputs);
  if (!cfg.out_is_temporary) outputs.push_back({cfg.out, "--out"});
  if (!cfg.out_xlsx.empty()) outputs.push_back({cfg.out_xlsx, "--out"});
  if (run.side_files) {
    outputs.push_back({run.side_base + ".summary.json", "the summary file", false});
    outputs.push_back({run.rejects_path, "the rejects file", false});
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
}

// Database connections: opened and checked now, so the timed work pays no
// connect cost and a wrong password or missing table fails before it.
void connect_databases(RunContext& run) {
  const RunConfig& cfg = run.cfg;
  auto settings = [&](const db::DbUrl& u, const std::string& env) {
    return db_connect_settings(cfg.db, u, env);
  };
  if (run.left_url) {
    run.left_connection = db::Connection::open(settings(*run.left_url, cfg.db.left_password_env),
                                               &run.query_log);
    run.left_info = db::describe_table(run.left_connection, *run.left_url, cfg.db.key_column);
  }
  if (run.right_url) {
    run.right_connection = db::Connection::open(
        settings(*run.right_url, cfg.db.right_password_env), &run.query_log);
    run.right_info = db::describe_table(run.right_connection, *run.right_url, cfg.db.key_column);
  }
  if (run.out_url && run.root) {
    run.out_settings = settings(*run.out_url, cfg.db.out_password_env);
    run.pool.warm(run.out_settings, 1);
    db::Connection c = run.pool.take(run.out_settings);
    db::check_output_table(c, *run.out_url, run.algorithm, run.write_options.if_exists,
                           run.write_options.method);
    run.pool.give_back(std::move(c));
  }
}

}  // namespace

RunContext::RunContext(const RunConfig& config)
    : cfg(config), algorithm(checked_algorithm(config)), dedupe(config.match.dedupe) {
  // Database URLs and options, checked before anything runs.
  if (db::is_db_url(cfg.left)) left_url = db::parse_db_url(cfg.left, true);
  if (!dedupe && db::is_db_url(cfg.right)) right_url = db::parse_db_url(cfg.right, true);
  if (!cfg.out_db.empty()) out_url = db::parse_db_url(cfg.out_db, true);
  check_db_output_not_input(out_url, left_url, right_url);
  write_options = checked_db_options(cfg.db);
  side_base = cfg.side_base.empty() ? cfg.out : cfg.side_base;
  side_files = !io::is_stdout_path(side_base);
  if (!side_files && cfg.skip_bad_rows)
    throw InputError("--skip-bad-rows writes OUT.rejects.csv beside a file output; with only "
                     "--out - (standard output) there is none: add --out FILE.xlsx or write to a "
                     "file");
  rejects_path = side_base + ".rejects.csv";

  comm = mpi::ensure_initialized();
  rank = mpi::rank(comm);
  ranks = mpi::size(comm);
  root = rank == 0;
  result.ranks = ranks;
  stats.rank = static_cast<uint32_t>(rank);
}

void open_run(RunContext& run) {
  const RunConfig& cfg = run.cfg;
  stage(run.comm, [&] {
    if (run.root) check_paths(run);
  });
  // The scoring device, chosen before the work: --device gpu without a GPU
  // fails here. Each rank takes the GPU of its local rank.
  stage(run.comm, [&] {
    gpu::GpuOptions go;
    go.batch_pairs = std::max<uint64_t>(1, cfg.gpu_batch_pairs);
    run.backend = gpu::open_backend(gpu::parse_device(cfg.device),
                                    algorithm_traits(run.algorithm).fuzzy,
                                    std::max(1u, cfg.match.threads), go);
  });
  const gpu::Backend& backend = *run.backend;
  run.result.backend = backend.used;
  if (const std::string line = gpu::device_line(backend); run.root && !line.empty())
    log(LogLevel::kInfo, line);
  stage(run.comm, [&] { connect_databases(run); });
  run.progress.emplace(cfg.show_progress && run.root);
}

}  // namespace nm::jobs
