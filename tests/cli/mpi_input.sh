#!/usr/bin/env bash
# Input edge cases under several ranks: quoted fields with line breaks and
# commas (never cut between ranks), CRLF, bad rows. Outputs, the rejects file
# and the first error are the same on 1-4 ranks as in one process.
# usage: mpi_input.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
mrun() { local np=$1; shift; mpirun --oversubscribe -np "$np" "$NM" run -q "$@"; }

# 400 people; every 7th has a first name with a quoted line break and comma,
# every 11th a quoted last name with doubled quotes; right = the same people.
/usr/bin/python3 - "$T" <<'PY'
import sys
t = sys.argv[1]
firsts = ["Ann", "Bob", "Cy", "Dee", "Eve", "Finn", "Gus"]
def rows(crlf, bad, bad_at=None):
    end = "\r\n" if crlf else "\n"
    out = ["id,uuid,first_name,middle_name,last_name,birthdate,hh_id"]
    for i in range(400):
        first = firsts[i % 7] + str(i % 13)
        if i % 7 == 0:
            first = '"' + first + '\nx, y"'
        last = "Lee" + str(i % 17)
        if i % 11 == 0:
            last = '"O""' + last + '"'
        date = "19%02d-0%d-1%d" % (50 + i % 40, 1 + i % 9, i % 10)
        out.append("%d,u%d,%s,,%s,%s,h%d" % (i, i // 3, first, last, date, i // 4))
        if bad_at is not None and i == bad_at:
            out.append("%d,u,only,three" % (3000 + i))
        if bad and i % 50 == 25:
            out.append("%d,u,only,three" % (1000 + i))        # wrong field count
            out.append("%d,u,Al,,Bo,1990-02-30,h" % (2000 + i))  # impossible date
    return end.join(out) + end
open(t + "/left.csv", "w", newline="").write(rows(False, False))
open(t + "/right.csv", "w", newline="").write(rows(True, False))
open(t + "/left_bad.csv", "w", newline="").write(rows(False, True))
open(t + "/left_late_bad.csv", "w", newline="").write(rows(False, False, bad_at=390))
open(t + "/right_early_bad.csv", "w", newline="").write(rows(True, False, bad_at=2))
PY

for a in 1 3 4; do
  "$NM" run -q --left "$T/left.csv" --right "$T/right.csv" -a "$a" --threshold 0.8 \
    --out "$T/ref$a.csv"
  check "A$a found pairs" test "$(wc -l <"$T/ref$a.csv")" -gt 300
  for np in 2 3 4; do
    mrun "$np" --left "$T/left.csv" --right "$T/right.csv" -a "$a" --threshold 0.8 \
      --out "$T/o$a-$np.csv"
    check "quoted line breaks, CRLF: A$a on $np ranks" same "$T/ref$a.csv" "$T/o$a-$np.csv"
  done
done

# Bad rows: skipped to the same rejects file (same lines, same order) ...
"$NM" run -q --left "$T/left_bad.csv" --right "$T/right.csv" -a 3 --threshold 0.8 \
  --skip-bad-rows --out "$T/bref.csv" 2>/dev/null
check "rejects file written" test "$(wc -l <"$T/bref.csv.rejects.csv")" -eq 17
for np in 2 3 4; do
  mrun "$np" --left "$T/left_bad.csv" --right "$T/right.csv" -a 3 --threshold 0.8 \
    --skip-bad-rows --out "$T/b$np.csv" 2>/dev/null
  check "--skip-bad-rows on $np ranks: same output" same "$T/bref.csv" "$T/b$np.csv"
  check "--skip-bad-rows on $np ranks: same rejects" same "$T/bref.csv.rejects.csv" \
    "$T/b$np.csv.rejects.csv"
  check "no per-rank rejects parts left" test -z "$(find "$T" -name '*part-*')"
done
# ... or the first one stops the run, with the same message and exit code 1.
"$NM" run -q --left "$T/left_bad.csv" --right "$T/right.csv" -a 3 --out "$T/x.csv" \
  2>"$T/err1"
check "bad row: exit 1 (1 process)" test $? -eq 1
for np in 2 4; do
  mrun "$np" --left "$T/left_bad.csv" --right "$T/right.csv" -a 3 --out "$T/x.csv" 2>"$T/err$np"
  check "bad row: exit 1 on $np ranks" test $? -eq 1
  # (mpirun adds its own banner about the non-zero exit; ours is the one line)
  grep '^name_matcher' "$T/err$np" >"$T/msg$np"
  check "bad row: the same single message on $np ranks" same "$T/err1" "$T/msg$np"
done
check "the message names file, line and field" grep -q "left_bad.csv:.*: record: expected 7 fields" "$T/err1"
check "no output after a bad row" test ! -e "$T/x.csv"
# Both files bad: the left file's error is the one reported, as by one process,
# even when another rank met the right file's error first.
"$NM" run -q --left "$T/left_late_bad.csv" --right "$T/right_early_bad.csv" -a 3 \
  --out "$T/x.csv" 2>"$T/both1"
check "both files bad: the left error (1 process)" grep -q "left_late_bad.csv" "$T/both1"
mrun 2 --left "$T/left_late_bad.csv" --right "$T/right_early_bad.csv" -a 3 --out "$T/x.csv" \
  2>"$T/both2"
grep '^name_matcher' "$T/both2" >"$T/bothmsg2"
check "both files bad: the same message on 2 ranks" same "$T/both1" "$T/bothmsg2"

finish mpi_input
