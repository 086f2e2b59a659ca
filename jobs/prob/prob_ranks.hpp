// The probabilistic mode under mpirun/srun (docs/DISTRIBUTED.md, "The
// probabilistic mode"): every rank reads the tables and prepares the same
// LinkData; each does its share of the pairs (prob::RankShare); the counts
// are summed here and the kept pairs gathered on rank 0, which alone writes.
// A process started alone is a job of one rank: the same code runs.
#pragma once
#include <mpi.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "jobs/pipeline/agreement.hpp"
#include "src/match/prob/linker.hpp"
#include "src/match/prob/model.hpp"
#include "src/match/prob/training.hpp"
#include "src/mpi/mpi_env.hpp"

namespace nm::jobs {

class ProbRanks {
 public:
  ProbRanks();  // initialises MPI
  int rank() const { return rank_; }
  int ranks() const { return ranks_; }
  bool root() const { return rank_ == 0; }
  prob::RankShare share() const;
  MPI_Comm comm() const { return comm_; }
  // Collective: agrees that no rank has failed (an error on a rank that
  // failed before is reported on every rank), before a collective call
  // that is not one of those below (the pair file's).
  void agree_no_failure() { agree_now(nullptr); }

  // Runs body (this rank's whole run) so that an error on one rank never
  // leaves the others waiting in a collective: each collective below first
  // agrees that no rank has failed (jobs/pipeline/agreement.hpp), a rank that
  // failed joins the others' next agreement with its error, and after body a
  // last agreement covers rank 0's writing. The lowest failing rank reports
  // its error, the others end with PeerFailed (nothing printed). An error
  // inside a collective's exchange is not agreed: main then aborts the job.
  // Collective.
  template <class F>
  auto run(F&& body) -> decltype(body()) {
    agreed_ = in_exchange_ = false;
    try {
      auto result = body();
      agree_now(nullptr);
      return result;
    } catch (...) {
      if (agreed_ || in_exchange_) throw;
      agree_now(std::current_exception());  // rethrows, as this rank failed
      throw;
    }
  }

  // Collective: every rank's training counts summed, on every rank.
  void sum(prob::TrainingCounts& counts);
  // Collective: every rank's figures summed, on every rank.
  void sum(prob::LinkFigures& figures);
  // Collective: the model `fit` gives on rank 0, on every rank (sent as its
  // JSON, which reads back exactly), so the ranks never depend on fitting
  // the same floating-point sums alike. On one rank: fit().
  prob::Model fit_on_root(const std::function<prob::Model()>& fit);
  // Collective: every rank's kept pairs on rank 0, sorted by (left, right)
  // (the shares' pairs are disjoint); the other ranks' vectors are emptied.
  // On one rank nothing moves: the pairs stay in score_pairs' order. The
  // bytes move in rounds of piece_bytes a rank (0: 1 GiB at the root in
  // all, as MPI counts are int).
  void gather(std::vector<prob::ScoredLink>& links, uint64_t piece_bytes = 0);

 private:
  // jobs::agree; an error it reports (this rank's or another's) is agreed.
  void agree_now(const std::exception_ptr& e);
  // Agrees that no rank failed, then marks the exchange that follows.
  void begin_exchange();
  MPI_Comm comm_;
  int rank_ = 0, ranks_ = 1;
  bool in_exchange_ = false, agreed_ = false;
};

// The byte forms the ranks exchange (ByteWriter; a reader refuses a
// truncated or corrupt one with ByteCodecError).
std::string encode_training_counts(const prob::TrainingCounts& c);
// Counts read into `into`'s shape: rules and samples stay `into`'s.
prob::TrainingCounts decode_training_counts(const std::string& bytes,
                                            const prob::TrainingCounts& shape);
std::string encode_links(const std::vector<prob::ScoredLink>& links);
void decode_links_into(const std::string& bytes, std::vector<prob::ScoredLink>& out);

}  // namespace nm::jobs
