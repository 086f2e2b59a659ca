// Another rank's sorted pairs, streamed to rank 0 in batches (the reduce
// stage of a run without a pair file).
#pragma once
#include <mpi.h>

#include <functional>
#include <memory>
#include <vector>

#include "jobs/pipeline/merge.hpp"

namespace nm::jobs {

// The sorted pairs of another rank, pulled in batches of at most about
// batch_bytes; that rank runs serve_pairs() at the same time. Dropped before
// its end (an error on this rank), it tells the server to stop. A server's
// error arrives here in place of a batch and is thrown, as "rank N: ...".
std::unique_ptr<PairRun> remote_run(MPI_Comm comm, int from, uint64_t batch_bytes);
// Serves the merge of make()'s runs to rank `to` until it has them all or
// asks to stop. An error here (in make(), or reading a run) is sent to `to`
// in place of the next batch and rethrown: neither side is left waiting.
void serve_pairs(MPI_Comm comm, int to,
                 const std::function<std::vector<std::unique_ptr<PairRun>>()>& make);
}  // namespace nm::jobs
