#include "jobs/prob/prob_ranks.hpp"

#include <algorithm>
#include <cstdint>

#include "src/byte_codec.hpp"

namespace nm::jobs {

ProbRanks::ProbRanks() : comm_(mpi::ensure_initialized()) {
  rank_ = mpi::rank(comm_);
  ranks_ = mpi::size(comm_);
}

prob::RankShare ProbRanks::share() const {
  return {static_cast<uint32_t>(rank_), static_cast<uint32_t>(ranks_)};
}

void ProbRanks::agree_now(const std::exception_ptr& e) {
  try {
    agree(comm_, e);
  } catch (...) {
    agreed_ = true;
    throw;
  }
}

void ProbRanks::begin_exchange() {
  agree_now(nullptr);
  in_exchange_ = true;
}

std::string encode_training_counts(const prob::TrainingCounts& c) {
  ByteWriter w;
  w.varint(c.u_sample.counts.size());
  for (const auto& levels : c.u_sample.counts) {
    w.varint(levels.size());
    for (uint64_t n : levels) w.varint(n);
  }
  w.varint(c.patterns.size());
  for (const auto& rule : c.patterns) {
    w.varint(rule.size());
    for (const auto& pc : rule) w.u64(pc.pattern).varint(pc.count);
  }
  return w.take();
}

prob::TrainingCounts decode_training_counts(const std::string& bytes,
                                            const prob::TrainingCounts& shape) {
  ByteReader in(bytes, "training counts from another rank");
  prob::TrainingCounts c;
  c.samples = shape.samples;
  c.u_sample.pairs = shape.u_sample.pairs;
  if (in.varint() != shape.u_sample.counts.size()) in.fail("another number of comparisons");
  c.u_sample.counts.resize(shape.u_sample.counts.size());
  for (size_t k = 0; k < c.u_sample.counts.size(); ++k) {
    if (in.varint() != shape.u_sample.counts[k].size()) in.fail("another number of levels");
    c.u_sample.counts[k].resize(shape.u_sample.counts[k].size());
    for (uint64_t& n : c.u_sample.counts[k]) n = in.varint();
  }
  if (in.varint() != shape.patterns.size()) in.fail("another number of training rules");
  c.patterns.resize(shape.patterns.size());
  for (auto& rule : c.patterns) {
    const uint64_t n = in.varint();
    if (n > in.remaining() / 9) in.fail("truncated");  // 8 bytes and a varint each
    rule.resize(n);
    for (auto& pc : rule) {
      pc.pattern = in.u64();
      pc.count = in.varint();
    }
  }
  if (in.remaining() != 0) in.fail("bytes left over");
  return c;
}

std::string encode_links(const std::vector<prob::ScoredLink>& links) {
  ByteWriter w;
  for (const auto& l : links)
    w.u32(l.left).u32(l.right).u64(static_cast<uint64_t>(l.weight)).u64(l.pattern);
  return w.take();
}

void decode_links_into(const std::string& bytes, std::vector<prob::ScoredLink>& out) {
  constexpr size_t kBytes = 24;
  ByteReader in(bytes, "kept pairs from another rank");
  if (bytes.size() % kBytes != 0) in.fail("truncated");
  out.reserve(out.size() + bytes.size() / kBytes);
  while (in.remaining() > 0) {
    prob::ScoredLink l{};
    l.left = in.u32();
    l.right = in.u32();
    l.weight = static_cast<int64_t>(in.u64());
    l.pattern = in.u64();
    out.push_back(l);
  }
}

void ProbRanks::sum(prob::TrainingCounts& counts) {
  begin_exchange();
  // Rank 0 adds the ranks' counts in rank order and sends the sums back.
  const std::vector<std::string> all = mpi::gather_bytes(comm_, encode_training_counts(counts), 0);
  std::string sums;
  if (root()) {
    for (size_t r = 1; r < all.size(); ++r)
      prob::sum_training_counts(counts, decode_training_counts(all[r], counts));
    sums = encode_training_counts(counts);
  }
  mpi::bcast_bytes(comm_, sums, 0);
  if (!root()) counts = decode_training_counts(sums, counts);
  in_exchange_ = false;
}

prob::Model ProbRanks::fit_on_root(const std::function<prob::Model()>& fit) {
  if (ranks_ == 1) return fit();
  prob::Model model;
  if (root()) model = fit();  // an error here is agreed by begin_exchange
  begin_exchange();
  std::string text = root() ? prob::model_to_json(model) : std::string();
  mpi::bcast_bytes(comm_, text, 0);
  if (!root()) model = prob::model_from_json(text, "the model from rank 0");
  in_exchange_ = false;
  return model;
}

void ProbRanks::sum(prob::LinkFigures& figures) {
  begin_exchange();
  const std::vector<uint64_t> all = mpi::allgatherv_u64(comm_, figures.pairs_per_rule);
  const size_t rules = figures.pairs_per_rule.size();
  if (all.size() != rules * static_cast<size_t>(ranks_))
    throw std::runtime_error("the ranks counted pairs for different numbers of rules");
  figures.candidate_pairs = 0;
  for (size_t r = 0; r < rules; ++r) {
    uint64_t n = 0;
    for (size_t k = 0; k < static_cast<size_t>(ranks_); ++k) n += all[k * rules + r];
    figures.pairs_per_rule[r] = n;
    figures.candidate_pairs += n;
  }
  in_exchange_ = false;
}

void ProbRanks::gather(std::vector<prob::ScoredLink>& links, uint64_t piece_bytes) {
  begin_exchange();
  if (ranks_ == 1) {  // already sorted (score_pairs): nothing to move
    in_exchange_ = false;
    return;
  }
  const std::string mine = encode_links(links);
  links.clear();
  const uint64_t piece =
      piece_bytes > 0 ? piece_bytes
                      : std::max<uint64_t>(1, (uint64_t{1} << 30) / static_cast<uint64_t>(ranks_));
  const uint64_t rounds = mpi::allreduce_max(comm_, (mine.size() + piece - 1) / piece);
  std::vector<std::string> per_rank(root() ? static_cast<size_t>(ranks_) : 0);
  for (uint64_t k = 0; k < rounds; ++k) {
    const size_t at = std::min<size_t>(mine.size(), k * piece);
    std::vector<std::string> got = mpi::gather_bytes(comm_, mine.substr(at, piece), 0);
    for (size_t r = 0; r < got.size(); ++r) per_rank[r] += got[r];
  }
  for (const std::string& bytes : per_rank) decode_links_into(bytes, links);
  prob::sort_links(links);
  in_exchange_ = false;
}

}  // namespace nm::jobs
