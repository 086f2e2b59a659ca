#!/usr/bin/env bash
# Refactoring check: runs two builds of name_matcher on the same inputs and
# compares every output byte for byte (CSV, rejects, workbook cells, pair-file
# exports, explain, plan, evaluate, generate), for A1-A6, dedupe, thresholds
# below 2/3, 1-4 MPI ranks and --device emulate. Summaries are compared
# without their timings, paths and timestamps.
# usage: scripts/compare_builds.sh OLD_BINARY NEW_BINARY [ROWS] [SHARED_DIR]
set -u
OLD=$(realpath "${1:?usage: compare_builds.sh OLD_BINARY NEW_BINARY [ROWS] [SHARED_DIR]}")
NEW=$(realpath "${2:?}")
ROWS=${3:-20000}
SHARED=${4:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
W=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$W"' EXIT; echo "work folder: $W"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
PY=/usr/bin/python3
fail=0 cases=0
"$OLD" generate --rows "$ROWS" --seed 5 --out-dir "$W/data" >/dev/null 2>&1 || { echo "generate failed"; exit 1; }
"$NEW" generate --rows "$ROWS" --seed 5 --out-dir "$W/data_new" >/dev/null 2>&1
for f in left right truth; do
  cmp -s "$W/data/$f.csv" "$W/data_new/$f.csv" || { echo "DIFF: generate $f.csv"; fail=1; }
done
L=$W/data/left.csv R=$W/data/right.csv
FL=$SHARED/data/febrl
# Strips what legitimately differs between two runs from a summary JSON.
norm_summary() {
  "$PY" - "$1" <<'PYEOF'
import json, sys
def clean(x):
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()
                if not any(w in k for w in ("second", "time", "rss", "memory", "bytes_per", "_s", "path",
                                              "host", "version", "build", "rate", "per_second", "started", "finished", "bytes"))}
    if isinstance(x, list):
        return [clean(v) for v in x]
    return x
print(json.dumps(clean(json.load(open(sys.argv[1]))), sort_keys=True, indent=1))
PYEOF
}
# run_case NAME [launcher...] -- ARGS...: runs both builds with --out DIR/m.csv
run_case() {
  local name=$1; shift
  local launch=()
  while [ "$1" != "--" ]; do launch+=("$1"); shift; done
  shift
  cases=$((cases + 1))
  for side in old new; do
    local bin=$OLD; [ $side = new ] && bin=$NEW
    mkdir -p "$W/$name/$side"
    (cd "$W/$name/$side" && "${launch[@]}" "$bin" "$@" >stdout.txt 2>stderr.txt; echo $? >rc.txt)
  done
  local o=$W/$name/old n=$W/$name/new
  cmp -s "$o/rc.txt" "$n/rc.txt" || { echo "DIFF: $name: exit $(cat $o/rc.txt) vs $(cat $n/rc.txt)"; fail=1; }
  for f in $(cd "$o" && find . -type f ! -name stderr.txt ! -name rc.txt | sort); do
    case "$f" in
      *.summary.json)
        [ -f "$n/$f" ] && diff -q <(norm_summary "$o/$f") <(norm_summary "$n/$f") >/dev/null ||
          { echo "DIFF: $name: $f"; fail=1; } ;;
      *.h5|*.xlsx) [ -f "$n/$f" ] || { echo "MISSING: $name: $f"; fail=1; } ;;
      # Printed JSON (plan, bench) is compared like a summary.
      *) cmp -s "$o/$f" "$n/$f" ||
           { [ -f "$n/$f" ] && norm_summary "$o/$f" >"$W/a.json" 2>/dev/null && norm_summary "$n/$f" >"$W/b.json" &&
               cmp -s "$W/a.json" "$W/b.json"; } || { echo "DIFF: $name: $f"; fail=1; } ;;
    esac
  done
}
for a in 1 2 3 4 5 6; do
  run_case a$a -- run --left "$L" --right "$R" --algorithm $a --out m.csv
  run_case a${a}_t06 -- run --left "$L" --right "$R" --algorithm $a --threshold 0.6 --household-threshold 0.6 --out m.csv --out m.xlsx
done
for a in 1 3 4 5; do run_case dedupe$a -- run --left "$L" --dedupe --algorithm $a --out m.csv; done
run_case febrl_a3 -- run --left "$FL/febrl4_a.csv" --right "$FL/febrl4_b.csv" --algorithm 3 --threshold 0.6 --out m.csv 2>/dev/null
run_case exhaustive -- run --left "$L" --right "$R" --algorithm 4 --threshold 0.7 --exhaustive --out m.csv
run_case emulate3 -- run --left "$L" --right "$R" --algorithm 3 --device emulate --out m.csv
run_case emulate4 -- run --left "$L" --right "$R" --algorithm 4 --threshold 0.8 --device emulate --out m.csv
for np in 1 2 3 4; do
  for a in 3 6; do
    run_case np${np}_a$a mpirun --oversubscribe -np $np -- run --left "$L" --right "$R" --algorithm $a --out m.csv --pairs p.h5
  done
  run_case np${np}_dedupe mpirun --oversubscribe -np $np -- run --left "$L" --dedupe --algorithm 4 --out m.csv --pairs p.h5
done
# The pair files read back by each build's own reduce.
for spec in "np2_a3 r97.csv --threshold 0.97" "np3_a6 r5.csv --algorithm 5" "np2_dedupe r4.csv --threshold 0.99"; do
  set -- $spec
  d=$1 out=$2; shift 2
  for side in old new; do
    bin=$OLD; [ $side = new ] && bin=$NEW
    (cd "$W/$d/$side" && "$bin" reduce --pairs p.h5 --out "$out" "$@" >/dev/null 2>&1; echo $? >"$out.rc")
  done
  cases=$((cases + 1))
  [ "$(cat "$W/$d/old/$out.rc")" = 0 ] || { echo "FAILED: reduce $d $out with the old build"; fail=1; }
  cmp -s "$W/$d/old/$out" "$W/$d/new/$out" && cmp -s "$W/$d/old/$out.rc" "$W/$d/new/$out.rc" ||
    { echo "DIFF: reduce $d $out"; fail=1; }
done
run_case explain3 -- explain --algorithm 3 "John|Michael|Smith" "Jon|Michael|Smyth" --json
run_case explain5 -- explain --algorithm 1 "John|Michael|Smith|1990-01-02" "John|Michael|Smith|1990-01-02"
run_case plan -- plan --left "$L" --right "$R" --ranks 64 --json
run_case evaluate -- evaluate --truth "$W/data/truth.csv" --matches "$W/a3/old/m.csv" --json
run_case bad_input -- run --left "$SHARED/testdata/README.md" --right "$R" --algorithm 3 --out m.csv
echo "compare_builds: $cases cases, $([ $fail = 0 ] && echo 'all identical' || echo 'DIFFERENCES above')"
exit $fail
