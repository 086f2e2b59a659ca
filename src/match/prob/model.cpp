#include "src/match/prob/model.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "src/errors.hpp"

namespace nm::prob {

namespace {

// ±(2^31 - 1) / 2: a sum of two clamped weights still fits an int32, and a
// sum of up to kMaxComparisons + 1 of them fits an int64 with room to spare.
constexpr double kMaxFixed = 1073741823.0;

constexpr CompareKind kKinds[] = {CompareKind::kName, CompareKind::kDate, CompareKind::kExact,
                                  CompareKind::kPrefix, CompareKind::kNumeric};

}  // namespace

int32_t to_fixed(double log2_weight) {
  // NaN carries no evidence either way: 0. Clamping before rounding keeps
  // llround defined for ±infinity (m or u of 0) and for huge weights.
  if (std::isnan(log2_weight)) return 0;
  const double x = std::clamp(log2_weight * kWeightScale, -kMaxFixed, kMaxFixed);
  return static_cast<int32_t>(std::llround(x));
}

double from_fixed(int64_t fixed) { return static_cast<double>(fixed) / kWeightScale; }

double probability_of(int64_t fixed_weight) {
  // 1 / (1 + 2^-w), arranged so 2^x is only taken of x <= 0: it may
  // underflow to 0 (giving exactly 0 or 1) but never overflows.
  const double w = from_fixed(fixed_weight);
  if (w >= 0) return 1.0 / (1.0 + std::exp2(-w));
  const double t = std::exp2(w);
  return t / (1.0 + t);
}

const char* compare_kind_name(CompareKind kind) {
  switch (kind) {
    case CompareKind::kName:
      return "name";
    case CompareKind::kDate:
      return "date";
    case CompareKind::kExact:
      return "exact";
    case CompareKind::kPrefix:
      return "prefix";
    case CompareKind::kNumeric:
      return "numeric";
  }
  return "?";
}

std::optional<CompareKind> compare_kind_from_name(std::string_view name) {
  for (CompareKind k : kKinds)
    if (name == compare_kind_name(k)) return k;
  return std::nullopt;
}

FixedWeights fixed_weights(const Model& model) {
  FixedWeights w;
  w.prior = to_fixed(std::log2(model.prior / (1.0 - model.prior)));
  w.level.reserve(model.comparisons.size());
  for (const Comparison& c : model.comparisons) {
    std::vector<int32_t>& lv = w.level.emplace_back(c.levels.size(), 0);
    for (size_t l = 0; l < lv.size() && l < c.m.size() && l < c.u.size(); ++l)
      lv[l] = to_fixed(std::log2(c.m[l] / c.u[l]));
  }
  return w;
}

int64_t match_weight(const FixedWeights& weights, Pattern pattern) {
  int64_t sum = weights.prior;
  for (uint32_t c = 0; c < weights.level.size(); ++c) {
    const uint8_t l = level_of(pattern, c);
    if (l != kNullLevel) sum += weights.level[c][l];
  }
  return sum;
}

void check_model_columns(const Model& model, const std::vector<std::string>& available_columns,
                         const std::string& source) {
  for (const Comparison& c : model.comparisons) {
    if (std::find(available_columns.begin(), available_columns.end(), c.column) !=
        available_columns.end())
      continue;
    throw InputError(fmt::format(
        "{}: has no column \"{}\", which the model compares ({}); its columns: {}", source,
        c.column, compare_kind_name(c.kind), fmt::join(available_columns, ", ")));
  }
}

std::string weights_table(const Model& model) {
  size_t cw = std::string_view("comparison").size(), lw = std::string_view("level").size();
  for (const Comparison& c : model.comparisons) {
    cw = std::max(cw, c.column.size());
    for (const std::string& l : c.levels) lw = std::max(lw, l.size());
  }
  std::string out = fmt::format("{:<{}}  {:<{}}  {:>10}  {:>10}  {:>8}\n", "comparison", cw,
                                "level", lw, "m", "u", "weight");
  for (const Comparison& c : model.comparisons) {
    for (size_t l = 0; l < c.levels.size() && l < c.m.size() && l < c.u.size(); ++l)
      out += fmt::format("{:<{}}  {:<{}}  {:>10.4g}  {:>10.4g}  {:>8.2f}\n", l == 0 ? c.column : "",
                         cw, c.levels[l], lw, c.m[l], c.u[l], std::log2(c.m[l] / c.u[l]));
  }
  out += fmt::format("prior (P(match) of a random pair) {:.4g}, weight {:.2f}\n", model.prior,
                     std::log2(model.prior / (1.0 - model.prior)));
  return out;
}

}  // namespace nm::prob
