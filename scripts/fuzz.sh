#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang and runs each for N seconds
# (default 20). Fails on any crash, leak or undefined behaviour.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-20}
CC=clang CXX=clang++ cmake -S . -B build/fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DNAME_MATCHER_FUZZ=ON -DNAME_MATCHER_SANITIZE=ON >/dev/null
targets=$(cd fuzz && ls fuzz_*.cpp | sed 's/\.cpp$//')
# shellcheck disable=SC2086
cmake --build build/fuzz -j "$(nproc)" --target $targets
n=0
for t in $targets; do
  mkdir -p "build/fuzz/corpus-$t"
  echo "fuzz: $t for ${secs}s"
  (cd build/fuzz && "./$t" -max_total_time="$secs" -print_final_stats=0 "corpus-$t" 2>"$t.log") || {
    tail -40 "build/fuzz/$t.log"; echo "fuzz: $t FAILED"; exit 1; }
  tail -1 "build/fuzz/$t.log"
  n=$((n + 1))
done
echo "fuzz: $n passed, 0 failed"
