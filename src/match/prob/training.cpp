#include "src/match/prob/training.hpp"

#include <algorithm>
#include <tuple>

#include "src/errors.hpp"

namespace nm::prob {

std::vector<bool> blocked_comparisons(const std::vector<Comparison>& comparisons,
                                      const BlockingRule& rule) {
  std::vector<bool> out(comparisons.size(), false);
  for (const KeyTerm& t : rule.terms)
    for (size_t c = 0; c < comparisons.size(); ++c)
      if (comparisons[c].column == t.column ||
          (!t.column_b.empty() && comparisons[c].column == t.column_b))
        out[c] = true;
  return out;
}

namespace {

// The patterns with the masked comparisons' levels made null (no evidence),
// merged again.
std::vector<PatternCount> without(const std::vector<PatternCount>& patterns,
                                  const std::vector<bool>& mask) {
  std::vector<PatternCount> out;
  out.reserve(patterns.size());
  for (PatternCount pc : patterns) {
    for (uint32_t c = 0; c < mask.size(); ++c)
      if (mask[c]) pc.pattern = with_level(pc.pattern, c, kNullLevel);
    out.push_back(pc);
  }
  return merge_patterns(std::move(out));
}

uint64_t total_count(const std::vector<PatternCount>& p) {
  uint64_t n = 0;
  for (const auto& pc : p) n += pc.count;
  return n;
}

}  // namespace

namespace {

bool has_date_term(const BlockingRule& rule) {
  for (const KeyTerm& t : rule.terms)
    if (t.column == kBirthdateColumn) return true;
  return false;
}

// The probability that a match has equal keys under the rule: the product of
// m at "equal" over the rule's columns, when every term is a plain column
// (its key equality is the comparison's level 0); 0 when it cannot be told.
double rule_recall(const Model& model, const BlockingRule& rule) {
  double recall = 1;
  for (const KeyTerm& t : rule.terms) {
    if (t.kind != TermKind::kValue) return 0;
    bool found = false;
    for (const auto& c : model.comparisons)
      if (c.column == t.column) {
        recall *= c.m[0];
        found = true;
      }
    if (!found) return 0;
  }
  return recall;
}

}  // namespace

namespace {

// One EM session: a training rule's pairs without the comparisons it blocks on.
struct Session {
  MixtureFit fit;
  std::vector<bool> mask;
  std::vector<bool> informative;  // per comparison: unmasked and non-null in >= 10 % of pairs
  uint32_t informative_count = 0;
  uint64_t pairs = 0;
};

Session run_session(const std::vector<PatternCount>& patterns, std::vector<bool> mask,
                    const std::vector<uint32_t>& levels, const EmOptions& em) {
  Session s;
  s.mask = std::move(mask);
  const size_t nc = levels.size();
  const std::vector<PatternCount> p = without(patterns, s.mask);
  s.pairs = total_count(p);
  std::vector<uint64_t> present(nc, 0);
  for (const auto& pc : p)
    for (uint32_t c = 0; c < nc; ++c)
      if (level_of(pc.pattern, c) != kNullLevel) present[c] += pc.count;
  s.informative.assign(nc, false);
  for (size_t c = 0; c < nc; ++c) {
    s.informative[c] = !s.mask[c] && present[c] * 10 >= s.pairs && s.pairs > 0;
    s.informative_count += s.informative[c] ? 1 : 0;
  }
  if (s.pairs > 0) s.fit = fit_mixture(p, levels, em);
  return s;
}

// The fewest expected matches a session needs to be preferred for a
// comparison's m: below that, a level of a few percent is a handful of
// pairs (at scale a name-only training rule, on blocks of at most two
// records a side, finds a few dozen pairs, whose look-alike non-matches
// then set m: at 1M generated rows, m of an equal birthdate 0.81 instead of
// 0.99 and the prior 23 % high).
constexpr double kMinSessionMatches = 100;

// The session a comparison's m is taken from: among those where it is
// informative, first one with another informative comparison (with a
// single free comparison and u fixed the mixture cannot be told apart from
// its share of matches), then one with kMinSessionMatches expected matches,
// then the one with the most other informative comparisons (the more
// evidence beside it, the less a group of look-alike non-matches can pass
// for matches), then the densest in matches; -1 when none.
int session_for(const std::vector<Session>& sessions, size_t c) {
  auto key = [](const Session& s) {
    const double matches = s.fit.lambda * static_cast<double>(s.pairs);
    return std::tuple(s.informative_count >= 2, matches >= kMinSessionMatches,
                      s.informative_count, s.fit.lambda);
  };
  int best = -1;
  for (size_t k = 0; k < sessions.size(); ++k) {
    if (!sessions[k].informative[c]) continue;
    if (best < 0 || key(sessions[k]) > key(sessions[static_cast<size_t>(best)]))
      best = static_cast<int>(k);
  }
  return best;
}

}  // namespace

Model fit_model(std::vector<Comparison> comparisons, const std::vector<BlockingRule>& training,
                const LevelCounts& u_sample,
                const std::vector<std::vector<PatternCount>>& patterns, uint64_t total_pairs,
                bool dedupe, const EmOptions& em, const std::vector<RuleSample>& samples) {
  Model model;
  model.comparisons = std::move(comparisons);
  model.dedupe = dedupe;
  estimate_u(model, u_sample);
  const size_t nc = model.comparisons.size();
  std::vector<uint32_t> levels(nc);
  std::vector<std::vector<double>> u_random(nc);
  for (size_t c = 0; c < nc; ++c) {
    levels[c] = static_cast<uint32_t>(model.comparisons[c].levels.size());
    u_random[c] = model.comparisons[c].u;
  }
  // m: one EM session per training rule, u fixed at the random sample's.
  EmOptions session_em = em;
  session_em.fixed_u = &u_random;
  std::vector<Session> sessions;
  uint64_t candidates = 0;
  model.em_converged = true;
  for (size_t r = 0; r < training.size(); ++r) {
    sessions.push_back(run_session(patterns[r], blocked_comparisons(model.comparisons, training[r]),
                                   levels, session_em));
    candidates += sessions.back().pairs;
    model.em_iterations += sessions.back().fit.iterations;
    if (sessions.back().pairs > 0)
      model.em_converged = model.em_converged && sessions.back().fit.converged;
  }
  if (candidates == 0) throw InputError("training: the training rules give no candidate pairs");
  for (size_t c = 0; c < nc; ++c) {
    const int k = session_for(sessions, c);
    // A comparison no session can estimate (never present): no evidence either way.
    model.comparisons[c].m = k < 0 ? model.comparisons[c].u
                                   : smoothed(sessions[static_cast<size_t>(k)].fit.match_counts[c]);
  }
  // The prior: a session's matches divided by the share of all matches its
  // rule can find (rule_recall) and by the share of records it was counted
  // for, from the densest session where that share is known, the fit is
  // identified and every block was counted; else the largest session's
  // matches (a lower bound).
  double matches = 0, best_lambda = -1, fallback = 0;
  for (size_t r = 0; r < training.size(); ++r) {
    const Session& s = sessions[r];
    const RuleSample sample = r < samples.size() ? samples[r] : RuleSample{};
    if (sample.max_side > 0) continue;  // a share of the blocks: not all the rule finds
    const double found = s.fit.lambda * static_cast<double>(s.pairs) / sample.left_share;
    fallback = std::max(fallback, found);
    const double recall = rule_recall(model, training[r]);
    if (found > 0 && recall > 0 && s.informative_count >= 2 && s.fit.lambda > best_lambda) {
      best_lambda = s.fit.lambda;
      matches = found / recall;
    }
  }
  if (best_lambda < 0) matches = fallback;
  model.candidate_pairs = candidates;
  std::vector<PatternCount> all;
  for (const auto& p : patterns) all.insert(all.end(), p.begin(), p.end());
  model.distinct_patterns = merge_patterns(std::move(all)).size();
  model.matches_estimated = matches;
  const double total = static_cast<double>(std::max<uint64_t>(total_pairs, 1));
  model.prior = std::clamp(matches, 0.5, std::max(0.5, total - 0.5)) / total;
  return model;
}

std::vector<std::string> default_training_rule_texts() {
  return {"birthdate", "first_name + last_name", "first_name", "last_name"};
}

Model train_model(const LinkData& d, std::vector<Comparison> comparisons,
                  const TrainOptions& options, unsigned threads, LinkFigures* figures,
                  const std::function<void(const char*, uint64_t)>& progress) {
  if (progress) progress("train: u sample", 0);
  LevelCounts sample = sample_levels(d, options.u_sample_pairs, options.seed, threads);
  sample.pairs = options.u_sample_pairs;
  // Each training rule counts at most options.pairs_per_rule pairs: beyond
  // that, a share of the left records (a fixed hash of the row).
  const std::vector<uint64_t> predicted =
      predicted_pairs_per_rule(d.training.left, d.training.right, d.dedupe);
  std::vector<RuleSample> samples(predicted.size());
  for (size_t r = 0; r < predicted.size(); ++r) {
    if (predicted[r] > options.pairs_per_rule)
      samples[r].left_share =
          static_cast<double>(options.pairs_per_rule) / static_cast<double>(predicted[r]);
    if (!has_date_term(d.training.rules[r])) samples[r].max_side = options.max_name_block_side;
  }
  const auto patterns = count_patterns(d, d.training, samples, options.chunk_pairs, threads, figures,
                                       [&](uint64_t n) {
                                         if (progress) progress("train: patterns", n);
                                       });
  Model m = fit_model(std::move(comparisons), d.training.rules, sample, patterns,
                      d.total_pairs(), d.dedupe, options.em, samples);
  for (const auto& r : d.blocking.rules) m.blocking.push_back(r.text);
  m.u_sample_pairs = options.u_sample_pairs;
  return m;
}

}  // namespace nm::prob
