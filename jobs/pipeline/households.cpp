// Household sizes of the whole job, counted from each rank's loaded slice and
// summed on rank 0: A5 divides by table 1's sizes (by uuid), A6 by table 2's
// (by household key); A4 pair files keep both so they can be reduced as A5 or A6.
#include <string>

#include "jobs/pipeline/stages.hpp"
#include "src/byte_codec.hpp"
#include "src/match/algorithm.hpp"
#include "src/match/households.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::jobs {
namespace {

std::string serialize_counts(const HouseholdSizes& m) {
  ByteWriter w;
  for (const auto& [k, v] : m) w.varint(k.size()).bytes(k).u64(v);
  return w.take();
}

void merge_counts(std::string_view b, int from_rank, HouseholdSizes& m) {
  ByteReader in(b, "household sizes from rank " + std::to_string(from_rank));
  while (in.remaining() > 0) {
    const std::string_view k = in.bytes(in.varint());
    m[std::string(k)] += in.u64();
  }
}

}  // namespace

HouseholdCounts count_households(RunContext& run, const LoadedTables& loaded) {
  HouseholdCounts sizes;
  if (!algorithm_traits(run.algorithm).a4_family || run.dedupe) return sizes;
  HouseholdSizes mine1, mine2;
  count_household_sizes(loaded.left.table, /*table2=*/false, mine1);
  count_household_sizes(loaded.right.table, /*table2=*/true, mine2);
  const auto all1 = mpi::gather_bytes(run.comm, serialize_counts(mine1), 0);
  const auto all2 = mpi::gather_bytes(run.comm, serialize_counts(mine2), 0);
  for (size_t r = 0; r < all1.size(); ++r) merge_counts(all1[r], static_cast<int>(r), sizes.table1);
  for (size_t r = 0; r < all2.size(); ++r) merge_counts(all2[r], static_cast<int>(r), sizes.table2);
  return sizes;
}

}  // namespace nm::jobs
