#include "jobs/generate/rng.hpp"

namespace nm::jobs::generator {

Alias::Alias(const std::vector<double>& w) {
  const size_t n = w.size();
  prob_.assign(n, 0);
  alias_.assign(n, 0);
  double total = 0;
  for (double x : w) total += x;
  std::vector<double> p(n);
  std::vector<uint32_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    p[i] = w[i] * static_cast<double>(n) / total;
    (p[i] < 1 ? small : large).push_back(static_cast<uint32_t>(i));
  }
  while (!small.empty() && !large.empty()) {
    uint32_t s = small.back(), l = large.back();
    small.pop_back();
    prob_[s] = p[s];
    alias_[s] = l;
    p[l] = (p[l] + p[s]) - 1;
    if (p[l] < 1) {
      large.pop_back();
      small.push_back(l);
    }
  }
  for (uint32_t i : large) prob_[i] = 1;
  for (uint32_t i : small) prob_[i] = 1;
}

}  // namespace nm::jobs::generator
