#include "src/match/prob/em.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "src/errors.hpp"

namespace nm::prob {

namespace {
constexpr double kTiny = 1e-300;  // the floor of a parameter inside a logarithm
}  // namespace

std::vector<double> smoothed(const std::vector<double>& counts) {
  double n = 0;
  for (double c : counts) n += c;
  const double denom = n + 0.5 * static_cast<double>(counts.size());
  std::vector<double> p(counts.size());
  for (size_t l = 0; l < counts.size(); ++l) p[l] = (counts[l] + 0.5) / denom;
  return p;
}

namespace {

std::vector<uint32_t> level_counts_of(const Model& model) {
  const size_t k = model.comparisons.size();
  if (k == 0 || k > kMaxComparisons)
    throw std::invalid_argument(
        fmt::format("a model has 1 to {} comparisons, not {}", kMaxComparisons, k));
  std::vector<uint32_t> levels;
  for (const Comparison& c : model.comparisons) {
    if (c.levels.size() < 2 || c.levels.size() >= kNullLevel)
      throw std::invalid_argument(fmt::format("comparison {} has {} levels; 2 to {} allowed",
                                              c.column, c.levels.size(), kNullLevel - 1));
    levels.push_back(static_cast<uint32_t>(c.levels.size()));
  }
  return levels;
}

// The patterns' levels unpacked, pattern by pattern ([p * k + c]), so the
// iterations do not shift and mask again.
std::vector<uint8_t> unpack(const std::vector<PatternCount>& patterns, size_t k) {
  std::vector<uint8_t> out(patterns.size() * k);
  for (size_t p = 0; p < patterns.size(); ++p)
    for (size_t c = 0; c < k; ++c) out[p * k + c] = level_of(patterns[p].pattern, c);
  return out;
}

// One class's parameters from its expected counts; a comparison with no
// non-null count keeps its previous values. Returns the largest change.
double normalise_into(const std::vector<std::vector<double>>& counts,
                      std::vector<std::vector<double>>& params) {
  double delta = 0;
  for (size_t c = 0; c < counts.size(); ++c) {
    double n = 0;
    for (double x : counts[c]) n += x;
    if (n <= 0) continue;
    for (size_t l = 0; l < counts[c].size(); ++l) {
      const double v = counts[c][l] / n;
      delta = std::max(delta, std::abs(v - params[c][l]));
      params[c][l] = v;
    }
  }
  return delta;
}

std::vector<std::vector<double>> logs(const std::vector<std::vector<double>>& params) {
  std::vector<std::vector<double>> out = params;
  for (auto& v : out)
    for (double& x : v) x = std::log(std::max(x, kTiny));
  return out;
}

void initialise(MixtureFit& fit, const std::vector<PatternCount>& patterns,
                const std::vector<uint8_t>& lv, const std::vector<uint32_t>& levels) {
  const size_t k = levels.size();
  std::vector<std::vector<double>> freq(k);
  fit.m.resize(k);
  for (size_t c = 0; c < k; ++c) {
    freq[c].assign(levels[c], 0.0);
    fit.m[c].assign(levels[c], 0.0);
    // Matches mostly agree: 0.9 at level 0, the other 0.1 halving level by level.
    fit.m[c][0] = 0.9;
    // 1/2 + 1/4 + ... over levels - 1 terms.
    const double rest = 1.0 - std::ldexp(1.0, 1 - int(levels[c]));
    for (uint32_t l = 1; l < levels[c]; ++l) fit.m[c][l] = 0.1 * std::ldexp(1.0, -int(l)) / rest;
  }
  for (size_t p = 0; p < patterns.size(); ++p)
    for (size_t c = 0; c < k; ++c)
      if (lv[p * k + c] != kNullLevel) freq[c][lv[p * k + c]] += double(patterns[p].count);
  fit.u.resize(k);
  for (size_t c = 0; c < k; ++c) fit.u[c] = smoothed(freq[c]);
  fit.lambda = 0.1;
}

}  // namespace

std::vector<PatternCount> merge_patterns(std::vector<PatternCount> patterns) {
  std::sort(patterns.begin(), patterns.end(),
            [](const PatternCount& a, const PatternCount& b) { return a.pattern < b.pattern; });
  std::vector<PatternCount> out;
  for (const PatternCount& pc : patterns) {
    if (!out.empty() && out.back().pattern == pc.pattern)
      out.back().count += pc.count;
    else if (pc.count > 0)
      out.push_back(pc);
  }
  return out;
}

MixtureFit fit_mixture(const std::vector<PatternCount>& patterns,
                       const std::vector<uint32_t>& levels, const EmOptions& options) {
  const size_t k = levels.size();
  const std::vector<uint8_t> lv = unpack(patterns, k);
  double total = 0;
  for (const PatternCount& pc : patterns) total += double(pc.count);
  MixtureFit fit;
  initialise(fit, patterns, lv, levels);
  if (options.fixed_m) fit.m = *options.fixed_m;
  if (options.fixed_u) fit.u = *options.fixed_u;
  // Without an iteration, the expected match counts are the starting point's.
  fit.match_counts = fit.m;
  for (auto& v : fit.match_counts)
    for (double& x : v) x *= fit.lambda * total;
  if (total <= 0) return fit;

  std::vector<std::vector<double>> mc(k), uc(k);
  while (fit.iterations < options.max_iterations) {
    // E-step: each pattern's posterior probability of a match, in logs so
    // 16 small factors cannot underflow.
    const auto log_m = logs(fit.m), log_u = logs(fit.u);
    const double log_l = std::log(std::max(fit.lambda, kTiny));
    const double log_nl = std::log(std::max(1 - fit.lambda, kTiny));
    for (size_t c = 0; c < k; ++c) {
      mc[c].assign(levels[c], 0.0);
      uc[c].assign(levels[c], 0.0);
    }
    double matched = 0;
    for (size_t p = 0; p < patterns.size(); ++p) {
      double a = log_l, b = log_nl;
      const uint8_t* row = &lv[p * k];
      for (size_t c = 0; c < k; ++c) {
        if (row[c] == kNullLevel) continue;
        a += log_m[c][row[c]];
        b += log_u[c][row[c]];
      }
      const double r = 1.0 / (1.0 + std::exp(b - a));
      const double n = double(patterns[p].count), wm = r * n, wu = (1.0 - r) * n;
      matched += wm;
      for (size_t c = 0; c < k; ++c) {
        if (row[c] == kNullLevel) continue;
        mc[c][row[c]] += wm;
        uc[c][row[c]] += wu;
      }
    }
    // M-step.
    const double lambda = matched / total;
    double delta = std::abs(lambda - fit.lambda);
    fit.lambda = lambda;
    if (!options.fixed_m) delta = std::max(delta, normalise_into(mc, fit.m));
    if (!options.fixed_u) delta = std::max(delta, normalise_into(uc, fit.u));
    ++fit.iterations;
    fit.match_counts = mc;
    if (delta < options.tolerance) {
      fit.converged = true;
      break;
    }
  }
  return fit;
}

void estimate_u(Model& model, const LevelCounts& random_sample) {
  const std::vector<uint32_t> levels = level_counts_of(model);
  if (random_sample.counts.size() != levels.size())
    throw std::invalid_argument(fmt::format("level counts for {} comparisons; the model has {}",
                                            random_sample.counts.size(), levels.size()));
  for (size_t c = 0; c < levels.size(); ++c) {
    const auto& counts = random_sample.counts[c];
    if (counts.size() != levels[c])
      throw std::invalid_argument(fmt::format("{} level counts for {}, which has {} levels",
                                              counts.size(), model.comparisons[c].column,
                                              levels[c]));
    model.comparisons[c].u = smoothed(std::vector<double>(counts.begin(), counts.end()));
  }
  model.u_sample_pairs = random_sample.pairs;
}

void estimate_m_and_prior(Model& model, std::vector<PatternCount> candidates, uint64_t total_pairs,
                          const EmOptions& options) {
  const std::vector<uint32_t> levels = level_counts_of(model);
  // Only the model's comparisons take part: whatever the higher bits hold.
  const Pattern mask =
      levels.size() == kMaxComparisons ? ~Pattern{0} : (Pattern{1} << (4 * levels.size())) - 1;
  uint64_t n = 0;
  for (PatternCount& pc : candidates) {
    pc.pattern &= mask;
    for (uint32_t c = 0; c < levels.size(); ++c) {
      const uint8_t l = level_of(pc.pattern, c);
      if (l != kNullLevel && l >= levels[c])
        throw std::invalid_argument(fmt::format("a pattern has level {} for {}, which has {}", l,
                                                model.comparisons[c].column, levels[c]));
    }
    n += pc.count;
  }
  if (n == 0)
    throw InputError("training: the blocking rules give no candidate pairs to learn m from");
  if (total_pairs < n)
    throw std::invalid_argument(
        fmt::format("{} candidate pairs out of only {} pairs", n, total_pairs));

  const std::vector<PatternCount> patterns = merge_patterns(std::move(candidates));
  const MixtureFit fit = fit_mixture(patterns, levels, options);
  for (size_t c = 0; c < levels.size(); ++c) model.comparisons[c].m = smoothed(fit.match_counts[c]);
  model.candidate_pairs = n;
  model.distinct_patterns = patterns.size();
  model.em_iterations = fit.iterations;
  model.em_converged = fit.converged;
  model.matches_estimated = fit.lambda * double(n);
  // Half a match at least and half a non-match at most: a prior of 0 or 1
  // would make every weight moot.
  const double total = double(total_pairs);
  model.prior = std::clamp(model.matches_estimated / total, 0.5 / total, (total - 0.5) / total);
}

}  // namespace nm::prob
