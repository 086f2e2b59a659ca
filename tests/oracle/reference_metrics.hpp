// Plain, obviously-correct implementations of the contract's metrics
// (matching.md section 3), written straight from the wording of the contract
// with no optimisation. Used only by the tests, as the oracle the fast
// kernels in kernels/metrics.hpp are compared against.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nm::ref {

using CodePoints = std::vector<uint32_t>;

inline CodePoints to_code_points(const std::u32string& s) {
  CodePoints out;
  out.reserve(s.size());
  for (char32_t c : s) out.push_back(static_cast<uint32_t>(c));
  return out;
}

// Number of bytes the code point takes in UTF-8.
inline size_t utf8_length(uint32_t c) {
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c < 0x10000) return 3;
  return 4;
}

inline size_t utf8_length(const CodePoints& s) {
  size_t n = 0;
  for (uint32_t c : s) n += utf8_length(c);
  return n;
}

// Levenshtein distance over code points: the full (la + 1) x (lb + 1) matrix.
inline uint32_t levenshtein(const CodePoints& a, const CodePoints& b) {
  const size_t la = a.size(), lb = b.size();
  const size_t w = lb + 1;
  std::vector<uint32_t> d((la + 1) * w, 0);  // d[i * w + j]: distance of a[0..i) and b[0..j)
  for (size_t i = 0; i <= la; ++i) d[i * w] = static_cast<uint32_t>(i);
  for (size_t j = 0; j <= lb; ++j) d[j] = static_cast<uint32_t>(j);
  for (size_t i = 1; i <= la; ++i) {
    for (size_t j = 1; j <= lb; ++j) {
      const uint32_t del = d[(i - 1) * w + j] + 1;
      const uint32_t ins = d[i * w + j - 1] + 1;
      const uint32_t sub = d[(i - 1) * w + j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u);
      d[i * w + j] = std::min({del, ins, sub});
    }
  }
  return d[la * w + lb];
}

inline uint32_t levenshtein(const std::u32string& a, const std::u32string& b) {
  return levenshtein(to_code_points(a), to_code_points(b));
}

// Jaro exactly as the contract words it.
inline double jaro(const CodePoints& a, const CodePoints& b) {
  const size_t la = a.size(), lb = b.size();
  if (la == 0 && lb == 0) return 1.0;
  if (la == 0 || lb == 0) return 0.0;
  // range = max(la, lb) / 2 - 1, integer, floored at 0.
  const long long half = static_cast<long long>(std::max(la, lb) / 2);
  const long long range = std::max(0LL, half - 1);
  std::vector<bool> matched_a(la, false), matched_b(lb, false);
  size_t m = 0;
  // For each i of a in order, the first unmatched j of b with |i - j| <= range
  // and a[i] == b[j] is matched.
  for (size_t i = 0; i < la; ++i) {
    for (size_t j = 0; j < lb; ++j) {
      const long long gap = static_cast<long long>(i) - static_cast<long long>(j);
      if (gap > range || -gap > range) continue;
      if (matched_b[j] || a[i] != b[j]) continue;
      matched_a[i] = true;
      matched_b[j] = true;
      ++m;
      break;
    }
  }
  if (m == 0) return 0.0;
  // The matched sequences, in order, and the positions where they differ.
  CodePoints seq_a, seq_b;
  for (size_t i = 0; i < la; ++i)
    if (matched_a[i]) seq_a.push_back(a[i]);
  for (size_t j = 0; j < lb; ++j)
    if (matched_b[j]) seq_b.push_back(b[j]);
  size_t t = 0;
  for (size_t k = 0; k < m; ++k)
    if (seq_a[k] != seq_b[k]) ++t;
  t = t / 2;  // floor
  const double md = static_cast<double>(m);
  return (md / static_cast<double>(la) + md / static_cast<double>(lb) +
          (md - static_cast<double>(t)) / md) /
         3.0;
}

inline double jaro(const std::u32string& a, const std::u32string& b) {
  return jaro(to_code_points(a), to_code_points(b));
}

// Jaro–Winkler: the boost only when jaro > 0.7; common prefix at most 4;
// scale 0.1.
inline double jaro_winkler(const CodePoints& a, const CodePoints& b) {
  const double j = jaro(a, b);
  if (j <= 0.7) return j;
  size_t l = 0;
  while (l < 4 && l < a.size() && l < b.size() && a[l] == b[l]) ++l;
  return j + 0.1 * static_cast<double>(l) * (1.0 - j);
}

inline double jaro_winkler(const std::u32string& a, const std::u32string& b) {
  return jaro_winkler(to_code_points(a), to_code_points(b));
}

// Levenshtein %: the distance over code points, the denominator the larger
// UTF-8 byte length; 100 when both are empty.
inline double levenshtein_pct(const CodePoints& a, const CodePoints& b) {
  const size_t max_len = std::max(utf8_length(a), utf8_length(b));
  if (max_len == 0) return 100.0;
  const double dist = static_cast<double>(levenshtein(a, b));
  return (1.0 - dist / static_cast<double>(max_len)) * 100.0;
}

inline double levenshtein_pct(const std::u32string& a, const std::u32string& b) {
  return levenshtein_pct(to_code_points(a), to_code_points(b));
}

}  // namespace nm::ref
