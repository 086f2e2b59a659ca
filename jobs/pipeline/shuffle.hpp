// The shuffle: each record goes to the ranks whose tiles need it
// (MPI_Alltoallv of records in a wire form of their own).
#pragma once
#include <mpi.h>

#include <cstdint>
#include <vector>

#include "jobs/pipeline/records.hpp"
#include "partition/plan.hpp"

namespace nm::jobs {

// Sends each record to the ranks the routing gives for its (block, position)
// on this side (`left`: the left side's routing, else the right's); returns
// what this rank got, sources in rank order, so the rows stay in global row
// order. *bytes_sent: the bytes this rank sent to other ranks. Collective.
SideRecords shuffle(MPI_Comm comm, const SideRecords& from, const std::vector<BlockRouting>& routing,
                    bool left, uint64_t* bytes_sent);

}  // namespace nm::jobs
