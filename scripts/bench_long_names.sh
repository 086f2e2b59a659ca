#!/usr/bin/env bash
# Long-name benchmark (issue 11, docs/PERFORMANCE.md "Very long names"): two
# one-row tables whose first names are N-code-point strings of random letters
# with shared structure (the right name is the left one with every fifth
# letter, on average, replaced, and the same first 32 letters, so that the
# metaphone codes agree and the rule needs the exact Levenshtein distance:
# the worst case for the scorer). For each N, `run -a 3 --threshold 0.5` is
# timed as a whole process (and `explain` on the same pair for N <= 100,000);
# one JSON object per line: {"case", "n", "seconds", "result"}.
# usage: scripts/bench_long_names.sh [BINARY] [WORKDIR] [N ...]
#   defaults: build/release/name_matcher, /tmp/nm_bench_long, 40000 100000 1000000
#   env TIMEOUT: seconds after which a command is stopped (default 3600; such a
#   case prints "seconds": null and "result": "timeout")
set -euo pipefail
cd "$(dirname "$0")/.."
NM=$(realpath "${1:-build/release/name_matcher}")
W=${2:-/tmp/nm_bench_long}
shift 2 2>/dev/null || shift $#
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(40000 100000 1000000)
TIMEOUT=${TIMEOUT:-3600}
PY=/usr/bin/python3
mkdir -p "$W"

# The two tables of one size (seeded: the same files every time).
make_tables() {
  $PY - "$1" "$W/left_$1.csv" "$W/right_$1.csv" <<'EOF'
import random, sys
n, left, right = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rng = random.Random(11 + n)
letters = "abcdefghijklmnopqrstuvwxyz"
a = [rng.choice(letters) for _ in range(n)]
b = list(a)
for _ in range(n // 5):
    i = rng.randrange(32, n)
    b[i] = rng.choice(letters)
head = "id,uuid,first_name,middle_name,last_name,birthdate,hh_id\n"
with open(left, "w") as f:
    f.write(head + "1,u1," + "".join(a) + ",,Smith,1990-01-01,\n")
with open(right, "w") as f:
    f.write(head + "2,u2," + "".join(b) + ",,Smith,1990-01-01,\n")
EOF
}

# Runs "$@" with the timeout; prints its wall seconds, or "null" on timeout.
# Its stdout and stderr go to $W/last.log.
timed() {
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  timeout "$TIMEOUT" "$@" >"$W/last.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  if [ "$rc" -eq 124 ]; then echo null; return 0; fi
  if [ "$rc" -ne 0 ]; then
    echo "command failed ($rc): $*" >&2
    cat "$W/last.log" >&2
    exit 1
  fi
  $PY -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 3))" "$t0" "$t1"
}

for n in "${sizes[@]}"; do
  make_tables "$n"
  l=$W/left_$n.csv r=$W/right_$n.csv
  s=$(timed "$NM" run --left "$l" --right "$r" -a 3 --threshold 0.5 -q -o "$W/out_$n.csv")
  if [ "$s" = null ]; then
    result=timeout
  else
    # The label and confidence of the pair (or "no pair").
    result=$($PY -c 'import csv, sys
csv.field_size_limit(1 << 30)
rows = list(csv.DictReader(open(sys.argv[1])))
print(" ".join([rows[0]["MatchedFields"].split(",")[1], rows[0]["Confidence"]]) if rows else "no pair")' \
      "$W/out_$n.csv")
  fi
  echo "{\"case\": \"run\", \"n\": $n, \"seconds\": $s, \"result\": \"$result\"}"
  if [ "$n" -le 100000 ]; then
    s=$(timed "$NM" explain --left "$l" --right "$r" --left-row 1 --right-row 2 -a 3 --threshold 0.5)
    result=$([ "$s" = null ] && echo timeout || grep -m1 '^label' "$W/last.log" | awk '{$1=""; print substr($0, 2)}' | cut -c1-40)
    echo "{\"case\": \"explain\", \"n\": $n, \"seconds\": $s, \"result\": \"$result\"}"
  fi
done
