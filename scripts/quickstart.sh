#!/usr/bin/env bash
# First run on a fresh Debian 12 machine: installs the packages, builds, and
# runs the main job end to end on a built-in example (generate -> run -> evaluate).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
bash scripts/build.sh release name_matcher
NM=build/release/name_matcher
D=${1:-example}
mkdir -p "$D"
$NM generate --rows 20000 --seed 7 --out-dir "$D"
for a in 1 3; do
  $NM run --left "$D/left.csv" --right "$D/right.csv" --algorithm $a --out "$D/matches_a$a.csv"
  echo "algorithm $a:"
  $NM evaluate --truth "$D/truth.csv" --matches "$D/matches_a$a.csv"
done
$NM run --left "$D/left.csv" --right "$D/right.csv" --algorithm 5 --out "$D/households_a5.csv"
echo "example outputs are in $D/: $(ls "$D" | tr '\n' ' ')"
