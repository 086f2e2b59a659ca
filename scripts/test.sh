#!/usr/bin/env bash
# The test command: builds Release and AddressSanitizer+UBSan, runs every test
# (ctest) on both, then a short libFuzzer run of each fuzz target.
# usage: scripts/test.sh [release|asan|fuzz]...   (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(release asan fuzz)
for step in "${steps[@]}"; do
  case "$step" in
    release|asan)
      echo "=== $step build"
      bash scripts/build.sh "$step"
      # clang-tidy (.clang-tidy) on the C++ files this branch changed; on a clean main, those of the last commit.
      [ "$step" != release ] || bash scripts/tidy_changed.sh
      echo "=== $step tests"
      # Open MPI and HDF5 keep some allocations until exit: tests/lsan.supp
      # names those libraries (and only them). Their stacks can only be read
      # (and so matched) with the slow unwinder: fast_unwind_on_malloc=0.
      (cd "build/$step" && ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 \
        LSAN_OPTIONS="suppressions=$PWD/../../tests/lsan.supp:print_suppressions=0" \
        ctest --output-on-failure -j 2)
      ;;
    fuzz)
      echo "=== fuzz"
      bash scripts/fuzz.sh "${NM_FUZZ_SECONDS:-20}"
      ;;
    *) echo "unknown step $step" >&2; exit 1 ;;
  esac
done
