#!/usr/bin/env bash
# Database benchmarks (issue targets in docs/PERFORMANCE.md), printed as one
# JSON object; medians of REPEAT runs, all in this one session, against a
# MariaDB server this script starts on loopback (tests/db/mariadb_server.sh)
# and stops at the end.
#   seed:  `seed --rows 1000000` (2 x 1M person rows + the true pairs)
#   read:  1M x 1M person rows from the tables into the pipeline (A1 run;
#          the reading seconds of each side from OUT.summary.json)
#   write: about 1M result rows into a table, LOAD DATA LOCAL vs multi-row INSERT
# usage: scripts/bench_db.sh [BINARY] [WORKDIR] [OUT.json]   (env REPEAT, default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
NM=$(realpath "${1:-build/release/name_matcher}")
W=${2:-/tmp/nm_bench_db}
OUT=${3:-}
REPEAT=${REPEAT:-3}
mkdir -p "$W"
STATE=$W/server
bash tests/db/mariadb_server.sh start "$STATE" >&2
trap 'bash tests/db/mariadb_server.sh stop "$STATE" >&2' EXIT
# shellcheck source=/dev/null
. "$STATE/env"
export NAME_MATCHER_DB_PASSWORD=$NM_DB_PASSWORD
U=mysql://$NM_DB_USER@$NM_DB_HOST:$NM_DB_PORT/$NM_DB_NAME
PY=/usr/bin/python3
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
jget() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# seed: its own timing line "... in X s (generate G s, load L s, R rows/s)"
declare -a seed_s seed_load
for _ in $(seq "$REPEAT"); do
  line=$("$NM" seed --rows 1000000 --seed 1 --if-exists replace "$U" 2>&1)
  seed_s+=("$(sed -E 's/.* in ([0-9.]+) s .*/\1/' <<<"$line")")
  seed_load+=("$(sed -E 's/.*load ([0-9.]+) s.*/\1/' <<<"$line")")
done

# read: both tables into the pipeline (A1: the least scoring work)
declare -a read_l read_r run_db run_csv
"$NM" generate --rows 1000000 --seed 1 --out-dir "$W/g1m" -q
for _ in $(seq "$REPEAT"); do
  "$NM" run -q --left "$U/nm_left" --right "$U/nm_right" -a 1 --out "$W/db.csv"
  read_l+=("$(jget "$W/db.csv.summary.json" 'd["database"]["left"]["seconds"]')")
  read_r+=("$(jget "$W/db.csv.summary.json" 'd["database"]["right"]["seconds"]')")
  run_db+=("$(jget "$W/db.csv.summary.json" 'd["total_seconds"]')")
  "$NM" run -q --left "$W/g1m/left.csv" --right "$W/g1m/right.csv" -a 1 --out "$W/csv.csv"
  run_csv+=("$(jget "$W/csv.csv.summary.json" 'd["total_seconds"]')")
done
cmp -s "$W/db.csv" "$W/csv.csv" || { echo "bench_db: database and CSV inputs gave different outputs" >&2; exit 1; }

# write: ~1M result rows (A3 on 1.2M rows whose right rows are all copies)
[ -f "$W/g12/left.csv" ] || "$NM" generate --rows 1200000 --seed 3 --overlap 1 --out-dir "$W/g12" -q
"$NM" run -q --left "$W/g12/left.csv" --right "$W/g12/right.csv" -a 3 --out "$W/res.csv"
rows=$(($(wc -l <"$W/res.csv") - 1))
declare -a w_load w_insert
for _ in $(seq "$REPEAT"); do
  for m in load-data insert; do
    "$NM" run -q --left "$W/g12/left.csv" --right "$W/g12/right.csv" -a 3 --out "$W/w.csv" \
      --out "$U/bench_results" --if-exists replace --db-write-method "$m"
    s=$(jget "$W/w.csv.summary.json" 'd["outputs"]["table"]["seconds"]')
    if [ "$m" = load-data ]; then w_load+=("$s"); else w_insert+=("$s"); fi
  done
done

ms=$(median "${seed_s[@]}"); msl=$(median "${seed_load[@]}")
ml=$(median "${read_l[@]}"); mr=$(median "${read_r[@]}")
mwl=$(median "${w_load[@]}"); mwi=$(median "${w_insert[@]}")
json=$($PY - "$ms" "$msl" "$ml" "$mr" "$(median "${run_db[@]}")" "$(median "${run_csv[@]}")" \
  "$rows" "$mwl" "$mwi" "$REPEAT" <<'EOF'
import json, sys
a = sys.argv[1:]
seed, seed_load, rl, rr, run_db, run_csv, rows, wl, wi, rep = a
f = float
print(json.dumps({
  "repeat": int(rep), "machine": "2 cores; server: tests/db/mariadb_server.sh settings",
  "seed_1m": {"seconds_median": f(seed), "load_seconds_median": f(seed_load),
              "rows": 2000000, "rows_per_second_load": 2e6 / f(seed_load), "target_seconds": 20},
  "read_1m": {"left_seconds_median": f(rl), "right_seconds_median": f(rr),
              "rows_per_second_left": 1e6 / f(rl), "target_seconds": 10,
              "note": "left and right are read at once, on two connections",
              "run_a1_db_seconds_median": f(run_db), "run_a1_csv_seconds_median": f(run_csv)},
  "write_results": {"rows": int(rows), "load_data_seconds_median": f(wl),
                    "insert_seconds_median": f(wi),
                    "load_data_rows_per_second": int(rows) / f(wl),
                    "insert_rows_per_second": int(rows) / f(wi), "target_seconds_per_1m": 10},
}, indent=2))
EOF
)
echo "$json"
[ -z "$OUT" ] || echo "$json" >"$OUT"
