#!/usr/bin/env bash
# Very long names (issue 11): a pair of 300,000-code-point first names on one
# birthdate is scored exactly within a time bound (before the block
# Levenshtein and the union-find Jaro it took minutes: 9 * 10^10 steps of
# dynamic programming and as many of the greedy Jaro loop), `run` logs a note
# naming the two records, and `run` and `explain` agree on the score.
# usage: long_names.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
BOUND=50  # seconds per command; about 2 s here, more under the sanitizers

/usr/bin/python3 - "$T" <<'EOF'
import random, sys
t = sys.argv[1]
rng = random.Random(2024)
n = 300000
a = [rng.choice("abcdefghijklmnopqrstuvwxyzé") for _ in range(n)]
b = list(a)
for _ in range(n // 10):  # edits after a shared start: the metaphone codes agree
    b[rng.randrange(40, n)] = rng.choice("abcdefghijklmnopqrstuvwxyzé")
head = "id,uuid,first_name,middle_name,last_name,birthdate,hh_id\n"
open(t + "/left.csv", "w").write(head + "L1,u1," + "".join(a) + ",,Smith,1990-01-01,\n")
open(t + "/right.csv", "w").write(head + "R7,u2," + "".join(b) + ",,Smith,1990-01-01,\n")
EOF

timeout "$BOUND" "$NM" run --left "$T/left.csv" --right "$T/right.csv" -a 3 --threshold 0.6 \
  --threads 1 --out "$T/out.csv" 2>"$T/run.err"
check "run on 300,000-code-point names finishes within $BOUND s" test $? -eq 0
check "run logs a note naming the two long records" \
  grep -q "long names: table 1 id L1 and table 2 id R7 .*300007 and 300007 code points" "$T/run.err"
read_pair() {
  /usr/bin/python3 -c 'import csv, sys
csv.field_size_limit(1 << 30)
rows = list(csv.DictReader(open(sys.argv[1])))
print(len(rows), rows[0]["Confidence"], rows[0]["MatchedFields"]) if rows else print(0)' "$1"
}
got=$(read_pair "$T/out.csv")
check "run keeps the pair (CASE 1 or 2)" grep -Eq '^1 0\.[0-9]+ fuzzy,CASE [12],birthdate$' <<<"$got"

timeout "$BOUND" "$NM" explain --json --left "$T/left.csv" --right "$T/right.csv" \
  --left-row L1 --right-row R7 -a 3 --threshold 0.6 >"$T/explain.json" 2>"$T/explain.err"
check "explain on 300,000-code-point names finishes within $BOUND s" test $? -eq 0
check "explain logs the estimate" grep -q "explain: full names of 300007 and 300007" "$T/explain.err"
conf=$(json "$T/explain.json" 'd["confidence"]' 2>/dev/null)
check "explain gives run's confidence ($got / $conf)" test "${got#1 }" != "$got" -a "$(cut -d' ' -f2 <<<"$got")" = "$conf"

finish long_names
