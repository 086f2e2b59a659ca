#!/usr/bin/env bash
# Our probabilistic comparison vector beside rapidfuzz (issue: >= 20 M pairs/s/core): generates
# two tables, times rapidfuzz's process.cdist (Levenshtein, then JaroWinkler, workers=1) on the
# full names of 2,000 x 2,000 of their records (scripts/bench_prob_vs_rapidfuzz.py, in the venv
# of scripts/peers_venv.sh) and `name_matcher bench`'s micro_prob_compare (compare_pair on one
# thread: first, middle, last name and birthdate, on a grid of the same 2,000 x 2,000 records),
# in the same run, and prints one JSON object: {"ours": ..., "rapidfuzz": ...}.
# Rates are pairs per second on one core; the machine's load moves them, so compare figures of
# one run, or medians of several (RUNS).
# usage: scripts/bench_prob_vs_rapidfuzz.sh [BINARY] [WORKDIR]
#   env ROWS (rows generated, default 2000), SEED (default 1), RUNS (default 5),
#   MICRO_PAIRS (bench --micro-pairs; our micro runs a quarter of it, default 80000000)
set -euo pipefail
cd "$(dirname "$0")/.."
NM=$(realpath "${1:-build/release/name_matcher}")
W=${2:-/tmp/nm_bench_prob_rapidfuzz}
ROWS=${ROWS:-2000} SEED=${SEED:-1} RUNS=${RUNS:-5} MICRO_PAIRS=${MICRO_PAIRS:-80000000}
mkdir -p "$W"
venv=$(bash scripts/peers_venv.sh | tail -1)
"$NM" generate --rows "$ROWS" --seed "$SEED" --out-dir "$W/data" --quiet
ours=$("$NM" bench --left "$W/data/left.csv" --right "$W/data/right.csv" --threads 1 \
         --no-evaluate --micro-pairs "$MICRO_PAIRS" --output "$W/bench.json" >/dev/null &&
       /usr/bin/python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["micro_prob_compare"]))' "$W/bench.json")
theirs=$("$venv/bin/python" scripts/bench_prob_vs_rapidfuzz.py "$W/data/left.csv" \
           "$W/data/right.csv" 2000 "$RUNS")
printf '{"ours": %s, "rapidfuzz": %s}\n' "$ours" "$theirs"
