// Random tiles through the GPU backend compared with the CPU backend: the
// heart of `name_matcher gpu-selftest` and of the kernel-emulation tests.
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "src/match/engine.hpp"
#include "src/gpu/gpu_scorer.hpp"
#include "src/match/table.hpp"

namespace nm::gpu {

struct RandomTableOptions {
  size_t rows = 1000;
  int dates = 20;             // distinct birthdates (fewer = denser blocks)
  double near_copy = 0.5;     // share of rows that are an edited copy of an earlier name
  double non_ascii = 0.15;    // share of names drawn from non-ASCII pools
  double long_names = 0.02;   // share of full names over 64 code points
  double empty_names = 0.02;  // share of records with an empty first or last name
};
// One random edit at a random byte of `s`: insert, delete or substitute an
// ASCII letter, or swap two ASCII bytes. Nothing happens when that byte is
// not ASCII, so valid UTF-8 stays valid. The typo of random_table; tests that
// need edited names use it too.
std::string random_typo(std::mt19937_64& rng, std::string s);

// A table of random person names (deterministic for a seed). Rows of `base`
// are copied with typos into the new table when `base` is given, so the two
// tables have real matches.
RawTable random_table(uint64_t seed, const RandomTableOptions& o, const RawTable* base = nullptr);

struct BackendComparison {
  bool equal = false;
  std::string first_difference;  // empty when equal
  uint64_t cpu_pairs_scored = 0, device_pairs_scored = 0;
  uint64_t cpu_kept = 0, device_kept = 0;
  ScoreHistogram cpu_hist{}, device_hist{};
  double cpu_seconds = 0, device_seconds = 0;
};

// Scores left x right (one job cut into chunks of opt.tile_pairs, as
// find_pairs does) with the CPU backend and with `scorer`, and compares every
// kept pair (rows, tag, label, confidence and metrics bit for bit), the
// number of pairs scored and the histograms.
BackendComparison compare_backends(const RawTable& left, const RawTable& right,
                                   const MatchOptions& opt, GpuScorer& scorer, unsigned threads);

}  // namespace nm::gpu
