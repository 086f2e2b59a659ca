// The shuffle (jobs/pipeline/shuffle.hpp) carries a record's extra columns
// (the probabilistic mode's --compare/--block values) with it: records sent
// to other ranks and those kept on their own rank arrive with the same
// values, in global row order.
#include <doctest/doctest.h>

#include <numeric>
#include <string>
#include <vector>

#include "jobs/pipeline/shuffle.hpp"
#include "src/mpi/mpi_env.hpp"

namespace {

using nm::jobs::SideRecords;

std::string id_of(uint64_t g) { return "row" + std::to_string(g); }
// Lengths 0, 1, 2, ...: the wire form's padding differs from record to record.
std::string postcode_of(uint64_t g) { return std::string(g % 11, static_cast<char>('0' + g % 10)); }
std::string suburb_of(uint64_t g) { return "suburb of " + id_of(g); }

// Rank r's slice: three records of block 0 (global rows 3r..3r+2) and one
// that no tile needs (it must not be sent).
SideRecords slice_of(int rank) {
  SideRecords s;
  s.table.extra_names = {"postcode", "suburb"};
  for (uint64_t i = 0; i < 4; ++i) {
    const uint64_t g = 3 * static_cast<uint64_t>(rank) + i;
    const std::string id = i < 3 ? id_of(g) : "unused";
    s.table.push({id, "", "ann", "", "lee", ""}, static_cast<int32_t>(g), g + 2);
    s.table.push_extra(postcode_of(g));
    s.table.push_extra(suburb_of(g));
    s.global.push_back(g);
    s.block.push_back(i < 3 ? 0 : nm::jobs::kNoBlock);
    s.pos.push_back(g);
  }
  return s;
}

}  // namespace

TEST_CASE("shuffle: extra columns travel with their records") {
  MPI_Comm world = nm::mpi::ensure_initialized();
  const int n = nm::mpi::size(world);
  const uint64_t rows = 3 * static_cast<uint64_t>(n);
  // One block whose one slice every rank needs: each rank gets every record.
  nm::BlockRouting all;
  all.left_cuts = {0, rows};
  all.left_ranks.emplace_back(static_cast<size_t>(n));
  std::iota(all.left_ranks[0].begin(), all.left_ranks[0].end(), 0u);
  const SideRecords mine = slice_of(nm::mpi::rank(world));
  uint64_t sent = 0;
  const SideRecords got = nm::jobs::shuffle(world, mine, {all}, true, &sent);
  CHECK(got.table.extra_names == mine.table.extra_names);
  REQUIRE(got.table.size() == rows);
  REQUIRE(got.table.extra.size() == 2 * rows);
  for (uint64_t g = 0; g < rows; ++g) {
    CAPTURE(g);
    CHECK(got.global[g] == g);
    CHECK(got.table.get(g, nm::Field::kId) == id_of(g));
    CHECK(got.table.get(g, nm::Field::kLast) == "lee");
    CHECK(got.table.get_extra(g, 0) == postcode_of(g));
    CHECK(got.table.get_extra(g, 1) == suburb_of(g));
    CHECK(got.table.birthdate[g] == static_cast<int32_t>(g));
  }
}
