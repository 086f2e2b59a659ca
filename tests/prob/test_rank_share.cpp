// The probabilistic mode's split between ranks (prob::RankShare): for 1 to 4
// ranks, the shares' pattern counts, u sample and training counts summed,
// their kept pairs gathered and sorted, their candidate figures and their
// batches of pairs are those of one process; the byte forms the ranks
// exchange (jobs/prob/prob_ranks.hpp) read back what was written and refuse
// a truncated one. The same run under mpirun: tests/cli/mpi_prob.sh.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "jobs/prob/prob_ranks.hpp"
#include "src/byte_codec.hpp"
#include "src/match/prob/linker.hpp"
#include "src/match/prob/training.hpp"
#include "tests/support/prob_link.hpp"

namespace {

using nm::prob::LinkData;
using nm::prob::PatternCount;
using nm::prob::RankShare;
using nm::prob::ScoredLink;

void add_figures(nm::prob::LinkFigures& into, const nm::prob::LinkFigures& f) {
  into.pairs_per_rule.resize(f.pairs_per_rule.size(), 0);
  for (size_t r = 0; r < f.pairs_per_rule.size(); ++r) into.pairs_per_rule[r] += f.pairs_per_rule[r];
  into.candidate_pairs += f.candidate_pairs;
}

nm::prob::TrainOptions train_options() {
  nm::prob::TrainOptions o;
  o.u_sample_pairs = 30011;
  o.seed = 3;
  o.chunk_pairs = 64;  // many chunks: every rank has some of each rule
  o.pairs_per_rule = 4000;  // some rules sampled
  return o;
}

}  // namespace

TEST_CASE("prob ranks: the shares of 1-4 ranks add up to one process's counts and pairs") {
  for (const bool dedupe : {false, true}) {
    CAPTURE(dedupe);
    auto k = nm::test::make_link(21, 700, 600, dedupe);
    LinkData& d = k->d;
    const uint64_t chunk = 64;
    const nm::prob::Scoring s = nm::prob::make_scoring(k->model, d, 0.5);
    nm::prob::LinkFigures count_all, score_all;
    const auto patterns_all = nm::prob::count_patterns(d, d.training, {}, chunk, 2, &count_all);
    const auto links_all = nm::prob::score_pairs(d, s, chunk, 2, &score_all);
    const auto sample_all = nm::prob::sample_levels(d, 30011, 9, 2);
    const nm::prob::TrainingCounts train_all = nm::prob::count_training(d, train_options(), 2);
    std::set<std::pair<uint32_t, uint32_t>> batch_all;
    nm::prob::for_each_pair_batch(d, d.blocking, {}, true, chunk, 100, 2,
                                  [&](uint32_t, std::span<const nm::kernels::prob::RowPair> p) {
                                    for (const auto& rp : p) batch_all.insert({rp.left, rp.right});
                                  });
    REQUIRE(count_all.candidate_pairs > 2000);
    REQUIRE(links_all.size() > 10);
    REQUIRE(batch_all.size() == score_all.candidate_pairs);
    for (uint32_t ranks = 1; ranks <= 4; ++ranks) {
      CAPTURE(ranks);
      std::vector<std::vector<PatternCount>> patterns(d.training.rules.size());
      std::vector<ScoredLink> links;
      nm::prob::LinkFigures count_sum, score_sum, candidates_sum;
      nm::prob::LevelCounts sample_sum;
      nm::prob::TrainingCounts train_sum;
      std::set<std::pair<uint32_t, uint32_t>> batch_sum;
      uint64_t batch_pairs = 0;
      for (uint32_t rank = 0; rank < ranks; ++rank) {
        d.share = RankShare{rank, ranks};
        nm::prob::LinkFigures cf, sf;
        const auto p = nm::prob::count_patterns(d, d.training, {}, chunk, 2, &cf);
        for (size_t r = 0; r < p.size(); ++r) {
          patterns[r].insert(patterns[r].end(), p[r].begin(), p[r].end());
          patterns[r] = nm::prob::merge_patterns(std::move(patterns[r]));
        }
        add_figures(count_sum, cf);
        const auto l = nm::prob::score_pairs(d, s, chunk, 2, &sf);
        links.insert(links.end(), l.begin(), l.end());
        add_figures(score_sum, sf);
        add_figures(candidates_sum, nm::prob::count_candidates(d, chunk, 2));
        const auto u = nm::prob::sample_levels(d, 30011, 9, 2);
        if (rank == 0) {
          sample_sum = u;
        } else {
          for (size_t c = 0; c < u.counts.size(); ++c)
            for (size_t lev = 0; lev < u.counts[c].size(); ++lev)
              sample_sum.counts[c][lev] += u.counts[c][lev];
        }
        // count_training and sum_training_counts, through the ranks' byte form.
        const nm::prob::TrainingCounts t = nm::prob::count_training(d, train_options(), 2);
        const auto back = nm::jobs::decode_training_counts(nm::jobs::encode_training_counts(t), t);
        CHECK(back.patterns == t.patterns);
        CHECK(back.u_sample.counts == t.u_sample.counts);
        if (rank == 0)
          train_sum = back;
        else
          nm::prob::sum_training_counts(train_sum, back);
        nm::prob::for_each_pair_batch(d, d.blocking, {}, true, chunk, 100, 2,
                                      [&](uint32_t, std::span<const nm::kernels::prob::RowPair> b) {
                                        for (const auto& rp : b) batch_sum.insert({rp.left, rp.right});
                                        batch_pairs += b.size();
                                      });
      }
      d.share = RankShare{};
      CHECK(patterns == patterns_all);
      CHECK(count_sum.pairs_per_rule == count_all.pairs_per_rule);
      nm::prob::sort_links(links);
      CHECK(links == links_all);
      CHECK(score_sum.pairs_per_rule == score_all.pairs_per_rule);
      CHECK(score_sum.candidate_pairs == score_all.candidate_pairs);
      CHECK(candidates_sum.pairs_per_rule == score_all.pairs_per_rule);
      CHECK(sample_sum.counts == sample_all.counts);
      CHECK(train_sum.patterns == train_all.patterns);
      CHECK(train_sum.u_sample.counts == train_all.u_sample.counts);
      CHECK(batch_sum == batch_all);
      CHECK(batch_pairs == batch_all.size());  // no pair in two shares
      // The model of the summed counts is the one process's.
      const auto m1 = nm::prob::fit_training(d, k->model.comparisons, train_options(), train_sum);
      const auto m0 = nm::prob::fit_training(d, k->model.comparisons, train_options(), train_all);
      CHECK(nm::prob::model_to_json(m1) == nm::prob::model_to_json(m0));
    }
  }
}

TEST_CASE("prob ranks: a share of more ranks than chunks has no pairs, and a share is not all") {
  auto k = nm::test::make_link(5, 200, 150, false);
  LinkData& d = k->d;
  nm::prob::LinkFigures all;
  nm::prob::count_patterns(d, d.training, {}, 1u << 20, 1, &all);
  d.share = RankShare{1, 2};
  nm::prob::LinkFigures half;
  nm::prob::count_patterns(d, d.training, {}, 1u << 20, 1, &half);
  CHECK(half.candidate_pairs > 0);
  CHECK(half.candidate_pairs < all.candidate_pairs);
  d.share = RankShare{100000, 100001};
  nm::prob::LinkFigures none;
  nm::prob::count_patterns(d, d.training, {}, 1u << 20, 1, &none);
  CHECK(none.candidate_pairs == 0);
}

TEST_CASE("prob ranks: the exchanged byte forms read back, and a truncated one is refused") {
  const std::vector<ScoredLink> links = {{1, 2, -5, 7}, {3, 4, int64_t{1} << 40, ~uint64_t{0}}};
  std::vector<ScoredLink> back;
  const std::string bytes = nm::jobs::encode_links(links);
  nm::jobs::decode_links_into(bytes, back);
  CHECK(back == links);
  std::vector<ScoredLink> cut;
  CHECK_THROWS_AS(nm::jobs::decode_links_into(bytes.substr(0, bytes.size() - 1), cut),
                  nm::ByteCodecError);

  nm::prob::TrainingCounts t;
  t.u_sample.counts = {{1, 2, 3}, {4, 5}};
  t.patterns = {{{10, 1}, {12, 300}}, {}};
  const std::string tb = nm::jobs::encode_training_counts(t);
  const auto tr = nm::jobs::decode_training_counts(tb, t);
  CHECK(tr.u_sample.counts == t.u_sample.counts);
  CHECK(tr.patterns == t.patterns);
  CHECK_THROWS_AS(nm::jobs::decode_training_counts(tb.substr(0, tb.size() - 2), t),
                  nm::ByteCodecError);
  nm::prob::TrainingCounts other = t;
  other.patterns.pop_back();  // counts of another run: refused
  CHECK_THROWS_AS(nm::jobs::decode_training_counts(tb, other), nm::ByteCodecError);
}
