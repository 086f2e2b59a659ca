// The probabilistic mode's exchanges between ranks (jobs/prob/prob_ranks.hpp)
// on 1 to 4 ranks: training counts and figures summed exactly on every rank,
// kept pairs gathered sorted on rank 0 whatever the piece size (records cut
// between rounds, ranks with none), and an error on one rank only ending
// every rank: the failing rank with its error, the others with PeerFailed.
#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "jobs/prob/prob_ranks.hpp"
#include "src/errors.hpp"
#include "src/mpi/mpi_env.hpp"

namespace {

using nm::prob::ScoredLink;

// Rank r's training counts: a pure function of r (two comparisons, two
// rules; patterns shared between ranks and patterns of one rank only).
nm::prob::TrainingCounts counts_of(int r) {
  const auto u = static_cast<uint64_t>(r);
  nm::prob::TrainingCounts c;
  c.u_sample.counts = {{u + 1, 2 * u, uint64_t{1} << 40}, {7, u}};
  c.u_sample.pairs = 1000;
  c.samples.resize(2);
  c.patterns = {{{1, u + 1}, {100 + u, 3}}, {}};
  if (r % 2 == 1) c.patterns[1] = {{5, (uint64_t{1} << 35) + u}};
  return c;
}

// Rank r's kept pairs, sorted, disjoint between ranks: left rows r, r + R, ...
std::vector<ScoredLink> links_of(int r, int ranks) {
  std::vector<ScoredLink> out;
  for (uint32_t i = 0; i < static_cast<uint32_t>(3 * r); ++i)  // rank 0 has none
    out.push_back({static_cast<uint32_t>(r) + i * static_cast<uint32_t>(ranks), 9 - i,
                   -static_cast<int64_t>(i) << 33, (uint64_t{1} << 63) + i});
  return out;
}

}  // namespace

TEST_CASE("prob ranks (MPI): training counts and figures are summed on every rank") {
  nm::jobs::ProbRanks ranks;
  nm::prob::TrainingCounts c = counts_of(ranks.rank());
  ranks.sum(c);
  nm::prob::TrainingCounts want = counts_of(0);
  for (int r = 1; r < ranks.ranks(); ++r) nm::prob::sum_training_counts(want, counts_of(r));
  CHECK(c.u_sample.counts == want.u_sample.counts);
  CHECK(c.patterns == want.patterns);
  CHECK(c.u_sample.pairs == 1000);  // drawn once, not per rank

  nm::prob::LinkFigures f;
  f.pairs_per_rule = {static_cast<uint64_t>(ranks.rank()), uint64_t{1} << 40};
  ranks.sum(f);
  const auto n = static_cast<uint64_t>(ranks.ranks());
  CHECK(f.pairs_per_rule == std::vector<uint64_t>{n * (n - 1) / 2, n << 40});
  CHECK(f.candidate_pairs == n * (n - 1) / 2 + (n << 40));
}

TEST_CASE("prob ranks (MPI): kept pairs are gathered sorted on rank 0, in any piece size") {
  nm::jobs::ProbRanks ranks;
  std::vector<ScoredLink> want;
  for (int r = 0; r < ranks.ranks(); ++r) {
    const auto l = links_of(r, ranks.ranks());
    want.insert(want.end(), l.begin(), l.end());
  }
  nm::prob::sort_links(want);
  for (const uint64_t piece : {uint64_t{0}, uint64_t{1}, uint64_t{5}, uint64_t{24}, uint64_t{100}}) {
    CAPTURE(piece);
    std::vector<ScoredLink> links = links_of(ranks.rank(), ranks.ranks());
    ranks.gather(links, piece);
    if (ranks.root())
      CHECK(links == want);
    else
      CHECK(links.empty());
  }
}

TEST_CASE("prob ranks (MPI): an error on one rank ends every rank, none waits") {
  nm::jobs::ProbRanks ranks;
  const int failing = ranks.ranks() - 1;
  bool own = false, peer = false;
  int code = 0;
  try {
    ranks.run([&] {
      if (ranks.rank() == failing) throw nm::InputError("rank's own failure");
      nm::prob::LinkFigures f;
      f.pairs_per_rule = {1};
      ranks.sum(f);  // the others wait here: the failing rank joins the agreement
      return 0;
    });
  } catch (const nm::PeerFailed& e) {
    peer = true;
    code = e.exit_code();
  } catch (const nm::InputError&) {
    own = true;
  }
  CHECK(own == (ranks.rank() == failing));
  CHECK(peer == (ranks.rank() != failing));
  if (peer) CHECK(code == 1);
  // And an error after the last exchange (rank 0 writing) is agreed at the end.
  bool ended = false;
  try {
    ranks.run([&] {
      if (ranks.root()) throw nm::InputError("cannot write");
      return 0;
    });
  } catch (const std::exception&) {
    ended = true;
  }
  CHECK(ended);
}

TEST_CASE("prob ranks (MPI): the model is fitted on rank 0 alone and every rank gets it exactly") {
  nm::jobs::ProbRanks ranks;
  int fits = 0;
  const nm::prob::Model got = ranks.fit_on_root([&] {
    ++fits;
    nm::prob::Model m;
    // Values that do not print short, different on each rank that fits:
    // only rank 0's may reach anyone.
    m.prior = 1.0 / (3e5 + ranks.rank());
    m.blocking = {"birthdate", "swap(first_name, last_name)"};
    nm::prob::Comparison c;
    c.column = "first_name";
    c.levels = {"exact", "jw>=0.92", "else"};
    c.m = {0.1 + 0.2, 1.0 / 3, 0};
    c.m[2] = 1 - c.m[0] - c.m[1];
    c.u = {1e-9, 2.5e-5, 1 - 1e-9 - 2.5e-5};
    m.comparisons = {c};
    return m;
  });
  CHECK(fits == (ranks.root() ? 1 : 0));
  CHECK(got.prior == 1.0 / 3e5);
  REQUIRE(got.comparisons.size() == 1);
  CHECK(got.comparisons[0].m[0] == 0.1 + 0.2);
  CHECK(got.comparisons[0].m[1] == 1.0 / 3);
  CHECK(got.comparisons[0].u[1] == 2.5e-5);
  CHECK(got.blocking == std::vector<std::string>{"birthdate", "swap(first_name, last_name)"});
}

TEST_CASE("prob ranks (MPI): a fit failing on rank 0 ends every rank, none waits") {
  nm::jobs::ProbRanks ranks;
  bool own = false, peer = false;
  try {
    ranks.run([&] {
      return ranks.fit_on_root([]() -> nm::prob::Model { throw nm::InputError("EM failed"); });
    });
  } catch (const nm::PeerFailed&) {
    peer = true;
  } catch (const nm::InputError&) {
    own = true;
  }
  CHECK(own == ranks.root());
  CHECK(peer == (!ranks.root()));
}
