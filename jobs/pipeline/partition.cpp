// The partition stage: blocks are the birthdates present in the job; each
// record learns its block and its position in the block (global row order);
// rank 0 plans the tiles (partition/plan.hpp) and every rank gets the plan.
#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include <algorithm>
#include <iterator>

#include "jobs/pipeline/stages.hpp"
#include "partition/blocks.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::jobs {
namespace {

// Distinct birthdates of a slice: a hash set, not a sort of every row.
std::vector<uint64_t> local_keys(const SideRecords& s) {
  absl::flat_hash_set<int32_t> days;
  for (int32_t d : s.table.birthdate)
    if (d != kNoDate) days.insert(d);
  std::vector<uint64_t> k;
  k.reserve(days.size());
  for (int32_t d : days) k.push_back(birthdate_key(d));
  std::sort(k.begin(), k.end());
  return k;
}

// The block keys of the whole job, sorted: the union of every rank's.
std::vector<uint64_t> job_keys(MPI_Comm comm, const LoadedTables& loaded) {
  std::vector<uint64_t> mine = local_keys(loaded.left);
  if (!loaded.dedupe) {
    std::vector<uint64_t> right_keys = local_keys(loaded.right), both;
    std::set_union(mine.begin(), mine.end(), right_keys.begin(), right_keys.end(),
                   std::back_inserter(both));
    mine.swap(both);
  }
  std::vector<uint64_t> keys = mpi::allgatherv_u64(comm, mine);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

// One side's rows per key on this rank (count), those of the lower ranks
// (base) and of all ranks (total); each row's block = its key index and its
// position = base + its place among this rank's rows of the block.
struct SideBlockSizes {
  std::vector<uint64_t> count, base, total;
};

SideBlockSizes assign_blocks(MPI_Comm comm, SideRecords& s, const std::vector<uint64_t>& keys,
                             const absl::flat_hash_map<int32_t, uint32_t>& block_of_day) {
  const size_t nkeys = keys.size();
  SideBlockSizes sizes{std::vector<uint64_t>(nkeys, 0), std::vector<uint64_t>(nkeys),
                       std::vector<uint64_t>(nkeys)};
  s.block.assign(s.table.size(), kNoBlock);
  s.pos.assign(s.table.size(), 0);
  for (size_t r = 0; r < s.table.size(); ++r) {
    if (s.table.birthdate[r] == kNoDate) continue;
    const uint32_t b = block_of_day.at(s.table.birthdate[r]);
    s.block[r] = b;
    s.pos[r] = sizes.count[b]++;
  }
  if (nkeys > 0) {
    mpi::check(MPI_Exscan(sizes.count.data(), sizes.base.data(), static_cast<int>(nkeys),
                          MPI_UINT64_T, MPI_SUM, comm),
               "MPI_Exscan (block sizes)");
    if (mpi::rank(comm) == 0) std::fill(sizes.base.begin(), sizes.base.end(), 0);
    mpi::check(MPI_Allreduce(sizes.count.data(), sizes.total.data(), static_cast<int>(nkeys),
                             MPI_UINT64_T, MPI_SUM, comm),
               "MPI_Allreduce (block sizes)");
  }
  return sizes;
}

void add_block_offsets(SideRecords& s, const std::vector<uint64_t>& base) {
  for (size_t r = 0; r < s.table.size(); ++r)
    if (s.block[r] != kNoBlock) s.pos[r] += base[s.block[r]];
}

// Rank 0 plans, every rank gets the plan.
Plan make_job_plan(const RunContext& run, const std::vector<uint64_t>& keys,
                   const SideBlockSizes& left, const SideBlockSizes& right) {
  std::string bytes;
  if (run.root) {
    std::vector<BlockSize> blocks(keys.size());
    for (size_t b = 0; b < keys.size(); ++b)
      blocks[b] = BlockSize{keys[b], left.total[b], run.dedupe ? left.total[b] : right.total[b]};
    PlanOptions po;
    po.ranks = static_cast<uint32_t>(run.ranks);
    po.dedupe = run.dedupe;
    po.tiles_per_rank = run.cfg.tiles_per_rank;
    bytes = serialize_plan(make_plan(std::move(blocks), po));
  }
  mpi::bcast_bytes(run.comm, bytes, 0);
  return deserialize_plan(bytes);
}

}  // namespace

Plan partition_blocks(RunContext& run, LoadedTables& loaded) {
  const Stopwatch partition_time;
  const std::vector<uint64_t> keys = job_keys(run.comm, loaded);
  absl::flat_hash_map<int32_t, uint32_t> block_of_day;
  block_of_day.reserve(keys.size());
  for (size_t b = 0; b < keys.size(); ++b)
    block_of_day[static_cast<int32_t>(static_cast<int64_t>(keys[b] >> 32) - (int64_t{1} << 31))] =
        static_cast<uint32_t>(b);
  const SideBlockSizes left = assign_blocks(run.comm, loaded.left, keys, block_of_day);
  const SideBlockSizes right =
      run.dedupe ? SideBlockSizes{} : assign_blocks(run.comm, loaded.right, keys, block_of_day);
  add_block_offsets(loaded.left, left.base);
  if (!run.dedupe) add_block_offsets(loaded.right, right.base);
  Plan plan = make_job_plan(run, keys, left, right);
  // Plan block index -> our key index (the plan drops blocks missing on one side).
  std::vector<uint32_t> plan_block_of_key(keys.size(), kNoBlock);
  for (uint32_t b = 0; b < plan.blocks.size(); ++b) {
    const auto k = static_cast<size_t>(
        std::lower_bound(keys.begin(), keys.end(), plan.blocks[b].key) - keys.begin());
    plan_block_of_key[k] = b;
  }
  auto to_plan_blocks = [&](SideRecords& s) {
    for (auto& b : s.block)
      if (b != kNoBlock) b = plan_block_of_key[b];
  };
  to_plan_blocks(loaded.left);
  if (!run.dedupe) to_plan_blocks(loaded.right);
  run.result.tiles_total = plan.tiles.size();
  run.result.predicted_imbalance = plan.imbalance;
  run.stats.partition_s = partition_time.seconds();
  return plan;
}

}  // namespace nm::jobs
