#!/usr/bin/env bash
# Our probabilistic comparison vector beside rapidfuzz (issue: >= 20 M pairs/s/core): generates
# two tables, times rapidfuzz's process.cdist (Levenshtein, then JaroWinkler, workers=1) on the
# full names of 2,000 x 2,000 of their records (scripts/bench_prob_vs_rapidfuzz.py, in the venv
# of scripts/peers_venv.sh) and `name_matcher bench`'s micro_prob_compare (compare_pair on one
# thread: first, middle, last name and birthdate, on a grid of the same 2,000 x 2,000 records,
# RUNS times: the median rate is "median_pairs_per_s"), in the same run, and prints one JSON
# object: {"ours": ..., "rapidfuzz": ...}.
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
for i in $(seq 1 "$RUNS"); do
  "$NM" bench --left "$W/data/left.csv" --right "$W/data/right.csv" --threads 1 \
    --no-evaluate --micro-pairs "$MICRO_PAIRS" --output "$W/bench$i.json" >/dev/null
done
# The last run's figures, with the median of the RUNS runs' rates beside them.
ours=$(/usr/bin/python3 - "$W" "$RUNS" <<'PY'
import json, statistics, sys
runs = [json.load(open(f"{sys.argv[1]}/bench{i}.json"))["micro_prob_compare"]
        for i in range(1, int(sys.argv[2]) + 1)]
out = dict(runs[-1])
out["runs"] = len(runs)
out["median_pairs_per_s"] = statistics.median(r["pairs_per_s"] for r in runs)
out["median_plain_pairs_per_s"] = statistics.median(r["plain_pairs_per_s"] for r in runs)
print(json.dumps(out))
PY
)
theirs=$("$venv/bin/python" scripts/bench_prob_vs_rapidfuzz.py "$W/data/left.csv" \
           "$W/data/right.csv" 2000 "$RUNS")
printf '{"ours": %s, "rapidfuzz": %s}\n' "$ours" "$theirs"
