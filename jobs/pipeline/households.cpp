// Household sizes of the whole job, counted from each rank's loaded slice and
// summed on rank 0: A5 divides by table 1's sizes (by uuid), A6 by table 2's
// (by household key); A4 pair files keep both so they can be reduced as A5 or A6.
#include "jobs/pipeline/byte_codec.hpp"
#include "jobs/pipeline/stages.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::jobs {
namespace {

std::string serialize_counts(const HouseholdSizes& m) {
  std::string b;
  for (const auto& [k, v] : m) {
    put_u32(b, static_cast<uint32_t>(k.size()));
    b += k;
    put_u64(b, v);
  }
  return b;
}

void merge_counts(std::string_view b, HouseholdSizes& m) {
  const char* p = b.data();
  const char* e = p + b.size();
  while (p < e) {
    const uint32_t n = get<uint32_t>(p);
    std::string k(p, n);
    p += n;
    m[k] += get<uint64_t>(p);
  }
}

}  // namespace

HouseholdCounts count_households(RunContext& run, const LoadedTables& loaded) {
  HouseholdCounts sizes;
  if (run.algorithm < 4 || run.dedupe) return sizes;
  HouseholdSizes mine1, mine2;
  for (size_t r = 0; r < loaded.left.table.size(); ++r) {
    const std::string_view u = loaded.left.table.get(r, Field::kUuid);
    if (!u.empty()) ++mine1[std::string(u)];
  }
  for (size_t r = 0; r < loaded.right.table.size(); ++r) {
    std::string_view hh = loaded.right.table.get(r, Field::kHhId);
    if (hh.empty()) hh = loaded.right.table.get(r, Field::kId);
    ++mine2[std::string(hh)];
  }
  const auto all1 = mpi::gather_bytes(run.comm, serialize_counts(mine1), 0);
  const auto all2 = mpi::gather_bytes(run.comm, serialize_counts(mine2), 0);
  for (const auto& x : all1) merge_counts(x, sizes.table1);
  for (const auto& x : all2) merge_counts(x, sizes.table2);
  return sizes;
}

}  // namespace nm::jobs
