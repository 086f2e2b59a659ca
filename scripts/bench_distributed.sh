#!/usr/bin/env bash
# Benchmarks of the distributed pipeline (issue targets in docs/PERFORMANCE.md),
# printed as one JSON object. Medians of REPEAT runs, all in this one session.
#   A3 --exhaustive on 1M x 1M: 2 ranks x 1 thread vs 1 rank x 1 thread (speed-up)
#   A3 on 1M x 1M, 1 rank: with --pairs vs CSV only (time ratio)
#   plan on a skewed 10M x 10M: 1,024 and 100,000 ranks (imbalance, planning time)
# usage: scripts/bench_distributed.sh [BINARY] [WORKDIR]   (env REPEAT, default 3)
set -euo pipefail
NM=${1:-build/release/name_matcher}
W=${2:-/tmp/nm_bench_distributed}
REPEAT=${REPEAT:-3}
mkdir -p "$W"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -f "$W/g1m/left.csv" ] || "$NM" generate --rows 1000000 --seed 1 --out-dir "$W/g1m" -q
[ -f "$W/s10m/left.csv" ] || "$NM" generate --rows 10000000 --seed 7 --skew 0.05 --out-dir "$W/s10m" -q
L=$W/g1m/left.csv
R=$W/g1m/right.csv

wall() {  # prints the wall seconds of the command
  local t0 t1
  t0=$(date +%s%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s%N)
  awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e9 }'
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

declare -a one two csv pairs
for _ in $(seq "$REPEAT"); do
  one+=("$(wall "$NM" run -q --left "$L" --right "$R" -a 3 --exhaustive -t 1 --out "$W/ex1.csv")")
  two+=("$(wall mpirun --oversubscribe -np 2 "$NM" run -q --left "$L" --right "$R" -a 3 --exhaustive -t 1 --out "$W/ex2.csv")")
  csv+=("$(wall "$NM" run -q --left "$L" --right "$R" -a 3 --out "$W/c.csv")")
  pairs+=("$(wall "$NM" run -q --left "$L" --right "$R" -a 3 --out "$W/p.csv" --pairs "$W/p.h5")")
done
cmp -s "$W/ex1.csv" "$W/ex2.csv" || { echo "2-rank output differs" >&2; exit 1; }
cmp -s "$W/c.csv" "$W/p.csv" || { echo "--pairs output differs" >&2; exit 1; }
m1=$(median "${one[@]}"); m2=$(median "${two[@]}"); mc=$(median "${csv[@]}"); mp=$(median "${pairs[@]}")

p1k=$("$NM" plan --left "$W/s10m/left.csv" --right "$W/s10m/right.csv" --ranks 1024 --json)
p100k=$("$NM" plan --left "$W/s10m/left.csv" --right "$W/s10m/right.csv" --ranks 100000 --json)

/usr/bin/python3 - "$m1" "$m2" "$mc" "$mp" "$p1k" "$p100k" "$REPEAT" "$(nproc)" \
  "$(stat -c %s "$W/p.h5")" <<'PY'
import json, sys
m1, m2, mc, mp = map(float, sys.argv[1:5])
p1k, p100k = json.loads(sys.argv[5]), json.loads(sys.argv[6])
def pick(p):
    return {k: p.get(k) for k in ("ranks", "tiles", "imbalance", "plan_seconds", "read_seconds")}
print(json.dumps({
    "repeat": int(sys.argv[7]), "cores": int(sys.argv[8]),
    "a3_exhaustive_1m": {"rank1_thread1_s": m1, "rank2_thread1_s": m2, "speedup": m1 / m2,
                         "target_speedup": 1.8},
    "a3_1m_pair_file": {"csv_only_s": mc, "with_pairs_s": mp, "ratio": mp / mc,
                        "pair_file_bytes": int(sys.argv[9]), "target_ratio": 1.15},
    "plan_skewed_10m": {"ranks_1024": pick(p1k), "ranks_100000": pick(p100k),
                        "target_imbalance_1024": 1.05, "target_seconds_100000": 10},
}, indent=2))
PY
