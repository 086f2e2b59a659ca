#include "src/match/prob/training.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
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

// The probability that a match has equal keys under the rule: the product,
// over the rule's columns, of m at "equal" and of the share of pairs with
// the value on both sides (a pair with a blank birthdate is in no birthdate
// block; the random sample's share, missing values taken as unrelated to
// matching), when every term is a plain column (its key equality is the
// comparison's level 0); 0 when it cannot be told.
double rule_recall(const Model& model, const BlockingRule& rule, const LevelCounts& u_sample) {
  double recall = 1;
  for (const KeyTerm& t : rule.terms) {
    if (t.kind != TermKind::kValue) return 0;
    bool found = false;
    for (size_t c = 0; c < model.comparisons.size(); ++c)
      if (model.comparisons[c].column == t.column) {
        double present = 0;
        for (uint64_t x : u_sample.counts[c]) present += static_cast<double>(x);
        if (u_sample.pairs > 0) recall *= std::min(1.0, present / double(u_sample.pairs));
        recall *= model.comparisons[c].m[0];
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

// u is fitted again until no level's moves by more than this share, for at
// most this many rounds.
constexpr double kUSettled = 1e-4;
constexpr uint32_t kMaxURounds = 20;

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

namespace {

// m and the prior from the training sessions, u fixed at the model's.
// Returns the sessions.
std::vector<Session> fit_m_and_prior(Model& model, const std::vector<BlockingRule>& training,
                                     const std::vector<std::vector<PatternCount>>& patterns,
                                     const LevelCounts& u_sample, uint64_t total_pairs,
                                     const EmOptions& em,
                                     const std::vector<RuleSample>& samples) {
  const size_t nc = model.comparisons.size();
  std::vector<uint32_t> levels(nc);
  std::vector<std::vector<double>> u(nc);
  for (size_t c = 0; c < nc; ++c) {
    levels[c] = static_cast<uint32_t>(model.comparisons[c].levels.size());
    u[c] = model.comparisons[c].u;
  }
  // m: one EM session per training rule, u fixed.
  EmOptions session_em = em;
  session_em.fixed_u = &u;
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
    const double recall = rule_recall(model, training[r], u_sample);
    if (found > 0 && recall > 0 && s.informative_count >= 2 && s.fit.lambda > best_lambda) {
      best_lambda = s.fit.lambda;
      matches = found / recall;
    }
  }
  if (best_lambda < 0) matches = fallback;
  model.candidate_pairs = candidates;
  model.matches_estimated = matches;
  const double total = static_cast<double>(std::max<uint64_t>(total_pairs, 1));
  model.prior = std::clamp(matches, 0.5, std::max(0.5, total - 0.5)) / total;
  return sessions;
}

// u at "equal" of a comparison a training rule blocks on alone (its key is
// the comparison's value, every block counted): that rule's pairs are every
// pair equal on it, so its non-matches, (1 - lambda) x its pairs, are
// counted rather than sampled; over all non-match pairs where the value is
// present on both sides (the random sample's share). The other levels keep
// their proportions. A sample of 2M pairs sees ~80 pairs with equal
// birthdates at 100k x 100k rows; the birthdate blocks hold all 480,000.
void count_blocked_u(Model& model, const std::vector<BlockingRule>& training,
                     const std::vector<Session>& sessions, const LevelCounts& u_sample,
                     uint64_t total_pairs, const std::vector<RuleSample>& samples) {
  for (size_t r = 0; r < training.size(); ++r) {
    const RuleSample sample = r < samples.size() ? samples[r] : RuleSample{};
    const BlockingRule& rule = training[r];
    if (sample.max_side > 0 || rule.terms.size() != 1 || rule.terms[0].kind != TermKind::kValue ||
        sessions[r].pairs == 0)
      continue;
    for (size_t c = 0; c < model.comparisons.size(); ++c) {
      Comparison& cmp = model.comparisons[c];
      if (cmp.column != rule.terms[0].column) continue;
      const std::vector<uint64_t>& k = u_sample.counts[c];
      double present = 0;
      for (uint64_t x : k) present += static_cast<double>(x);
      if (present == 0 || u_sample.pairs == 0) continue;
      const double pairs = static_cast<double>(total_pairs) * present /
                           static_cast<double>(u_sample.pairs) * (1 - model.prior);
      const double equal = (1 - sessions[r].fit.lambda) *
                           static_cast<double>(sessions[r].pairs) / sample.left_share;
      if (pairs <= 0 || equal <= 0) continue;
      // Half a pair at least, as the smoothing of a sampled level.
      const double u0 = std::clamp(equal, 0.5, pairs - 0.5) / pairs;
      double others = 0;
      for (size_t l = 1; l < cmp.u.size(); ++l) others += cmp.u[l];
      cmp.u[0] = u0;
      for (size_t l = 1; l < cmp.u.size(); ++l) cmp.u[l] *= (1 - u0) / others;
    }
  }
}

// u of the non-matches from the random sample: it holds model.prior x its
// pairs of matches, whose levels follow m; their expected counts are taken
// off each level's (at least 0 left) and the rest smoothed as estimate_u
// does. Then count_blocked_u.
std::vector<std::vector<double>> non_match_u(const Model& model,
                                             const std::vector<BlockingRule>& training,
                                             const std::vector<Session>& sessions,
                                             const LevelCounts& u_sample, uint64_t total_pairs,
                                             const std::vector<RuleSample>& samples) {
  Model next = model;
  for (size_t c = 0; c < next.comparisons.size(); ++c) {
    const std::vector<uint64_t>& k = u_sample.counts[c];
    double n = 0;
    for (uint64_t x : k) n += static_cast<double>(x);
    std::vector<double> rest(k.size());
    for (size_t l = 0; l < k.size(); ++l)
      rest[l] = std::max(0.0, static_cast<double>(k[l]) - model.prior * n * model.comparisons[c].m[l]);
    next.comparisons[c].u = smoothed(rest);
  }
  count_blocked_u(next, training, sessions, u_sample, total_pairs, samples);
  std::vector<std::vector<double>> u;
  for (const Comparison& c : next.comparisons) u.push_back(c.u);
  return u;
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
  model.em_iterations = 0;
  std::vector<Session> sessions =
      fit_m_and_prior(model, training, patterns, u_sample, total_pairs, em, samples);
  // The random sample holds the matches as well: where they are dense
  // (FEBRL3's deduplication, 2.5 records a person) most random pairs with
  // equal birthdates are matches (u 5.0e-4 sampled, 2.7e-5 among the
  // non-matches). u is taken as the non-matches' (non_match_u, given m and
  // the prior) and m and the prior fitted again with it, until u settles.
  for (uint32_t round = 0; round < kMaxURounds; ++round) {
    const auto u = non_match_u(model, training, sessions, u_sample, total_pairs, samples);
    double delta = 0;
    for (size_t c = 0; c < u.size(); ++c)
      for (size_t l = 0; l < u[c].size(); ++l) {
        const double was = model.comparisons[c].u[l];
        delta = std::max(delta, std::abs(u[c][l] - was) / std::min(u[c][l], was));
      }
    if (delta < kUSettled) break;
    for (size_t c = 0; c < u.size(); ++c) model.comparisons[c].u = u[c];
    sessions = fit_m_and_prior(model, training, patterns, u_sample, total_pairs, em, samples);
  }
  std::vector<PatternCount> all;
  for (const auto& p : patterns) all.insert(all.end(), p.begin(), p.end());
  model.distinct_patterns = merge_patterns(std::move(all)).size();
  return model;
}

std::vector<std::string> default_training_rule_texts() {
  return {"birthdate", "first_name + last_name", "first_name", "last_name"};
}

TrainingCounts count_training(const LinkData& d, const TrainOptions& options, unsigned threads,
                              const std::function<void(const char*, uint64_t)>& progress) {
  TrainingCounts t;
  if (progress) progress("train: u sample", 0);
  t.u_sample = sample_levels(d, options.u_sample_pairs, options.seed, threads);
  t.u_sample.pairs = options.u_sample_pairs;
  // Each training rule counts at most options.pairs_per_rule pairs: beyond
  // that, a share of the left records (a fixed hash of the row).
  const std::vector<uint64_t> predicted =
      predicted_pairs_per_rule(d.training.left, d.training.right, d.dedupe);
  t.samples.resize(predicted.size());
  for (size_t r = 0; r < predicted.size(); ++r) {
    if (predicted[r] > options.pairs_per_rule)
      t.samples[r].left_share =
          static_cast<double>(options.pairs_per_rule) / static_cast<double>(predicted[r]);
    if (!has_date_term(d.training.rules[r])) t.samples[r].max_side = options.max_name_block_side;
  }
  const std::function<void(uint64_t)> counted = [&](uint64_t n) {
    if (progress) progress("train: patterns", n);
  };
  t.patterns = options.counting != nullptr
                   ? options.counting->count(d, d.training, t.samples, options.chunk_pairs,
                                             threads, nullptr, counted)
                   : count_patterns(d, d.training, t.samples, options.chunk_pairs, threads,
                                    nullptr, counted);
  return t;
}

void sum_training_counts(TrainingCounts& into, const TrainingCounts& other) {
  if (other.u_sample.counts.size() != into.u_sample.counts.size() ||
      other.patterns.size() != into.patterns.size())
    throw std::logic_error("sum_training_counts: counts of different training runs");
  for (size_t c = 0; c < into.u_sample.counts.size(); ++c) {
    auto& a = into.u_sample.counts[c];
    const auto& b = other.u_sample.counts[c];
    if (a.size() != b.size()) throw std::logic_error("sum_training_counts: level counts differ");
    for (size_t lev = 0; lev < a.size(); ++lev) a[lev] += b[lev];
  }
  for (size_t r = 0; r < into.patterns.size(); ++r) {
    std::vector<PatternCount> both = std::move(into.patterns[r]);
    both.insert(both.end(), other.patterns[r].begin(), other.patterns[r].end());
    into.patterns[r] = merge_patterns(std::move(both));
  }
}

Model fit_training(const LinkData& d, std::vector<Comparison> comparisons,
                   const TrainOptions& options, const TrainingCounts& counts) {
  Model m = fit_model(std::move(comparisons), d.training.rules, counts.u_sample, counts.patterns,
                      d.total_pairs(), d.dedupe, options.em, counts.samples);
  for (const auto& r : d.blocking.rules) m.blocking.push_back(r.text);
  m.u_sample_pairs = options.u_sample_pairs;
  return m;
}

Model train_model(const LinkData& d, std::vector<Comparison> comparisons,
                  const TrainOptions& options, unsigned threads, LinkFigures* figures,
                  const std::function<void(const char*, uint64_t)>& progress) {
  const TrainingCounts counts = count_training(d, options, threads, progress);
  if (figures) *figures = figures_of(counts.patterns);
  return fit_training(d, std::move(comparisons), options, counts);
}

}  // namespace nm::prob
