#!/usr/bin/env bash
# Memory does not grow with the number of matching pairs: a rank's kept pairs
# stay in a buffer of fixed size (NAME_MATCHER_SPILL_BUFFER), spilled in
# sorted runs to unlinked temporary files (NAME_MATCHER_SPILL_DIR) and merged
# back. Checks: 3,000 identical rows deduplicated with A1 (4.5 M pairs, which
# took 2 GB before) finish under a memory limit; runs forced to spill many
# times (64K buffer, merges in passes) give byte-identical outputs for A1, A3,
# A4, A5, A6 and --dedupe on 1 and 3 ranks, and from a pair file of many
# pieces; no spill file is left behind; bad settings are refused.
# usage: bounded_memory.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
mrun() { local np=$1; shift; mpirun --oversubscribe -np "$np" "$NM" run -q "$@"; }
SP=$T/spill
mkdir -p "$SP"
export NAME_MATCHER_SPILL_DIR=$SP

# --- many pairs under a memory limit -----------------------------------------
n=3000
/usr/bin/python3 "$(dirname "$0")/../identical_persons.py" "$T/same.csv" "$n"
want=$((n * (n - 1) / 2 + 1))
if "$NM" version | grep -q asan; then
  # Sanitizers reserve terabytes of address space: a limit on it cannot be
  # used; the run's own peak resident size is checked instead.
  "$NM" run -q --left "$T/same.csv" --dedupe -a 1 -t 2 --out "$T/same_out.csv"
  check "4.5 M pairs: exit 0" test $? -eq 0
  peak=$(json "$T/same_out.csv.summary.json" 'd["per_rank"][0]["peak_rss_bytes"]')
  check "4.5 M pairs: peak RSS $peak < 1.5 GB" test "$peak" -lt 1500000000
else
  # A run of 10 rows needs about 400 MB of address space here (Open MPI,
  # thread arenas); the code before this test took over 2 GB for this one.
  (ulimit -v 1200000 && exec "$NM" run -q --left "$T/same.csv" --dedupe -a 1 -t 2 \
    --out "$T/same_out.csv")
  check "4.5 M pairs under ulimit -v 1.2 GB: exit 0" test $? -eq 0
fi
check "4.5 M pairs: n(n-1)/2 rows" test "$(wc -l <"$T/same_out.csv")" -eq "$want"
rm -f "$T/same_out.csv"

# --- forced to spill: the same bytes as without ------------------------------
# 400 rows of three similar names on two birthdates (over 25,000 pairs for
# A1, more for A3/A4, ties for the households) and 600 persons of distinct
# names in households of three, the same on both sides (A5/A6 rows).
/usr/bin/python3 - "$T/L.csv" "$T/R.csv" <<'EOF'
import sys
mass = [("John", "Smith"), ("Jon", "Smyth"), ("Johnny", "Smit")]
firsts = ["Anna", "Boris", "Clara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jamal",
          "Kasia", "Liam", "Mona", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara",
          "Umar", "Vera", "Wanda", "Xavier", "Yusuf", "Zofia", "Bruno", "Celia", "Dario", "Edith"]
lasts = ["Kowalski", "Nakamura", "Okafor", "Petrov", "Quispe", "Rossi", "Schulz", "Tanaka",
         "Usman", "Varga", "Weber", "Xu", "Yilmaz", "Zapata", "Andersen", "Bianchi", "Costa",
         "Dubois", "Eriksen", "Fischer"]
days = ["1980-03-15", "1981-07-01"]
def rows(side):
    out = []
    for i in range(400):
        f, l = mass[i % 3]
        key = ("M%d" % (i // 4)) if side == "L" else ("N%d" % (i // 3))
        out.append((key, f, l, days[i * 7 % 2]))
    for k in range(600):
        out.append((("U%d" if side == "L" else "H%d") % (k // 3), firsts[k % 30], lasts[k // 30],
                    "1975-0%d-1%d" % (1 + k % 9, k % 7)))
    return out
with open(sys.argv[1], "w") as f:
    f.write("id,uuid,first_name,middle_name,last_name,birthdate\n")
    for i, (u, fn, ln, d) in enumerate(rows("L")):
        f.write(f"{i + 1},{u},{fn},,{ln},{d}\n")
with open(sys.argv[2], "w") as f:
    f.write("hh_id,id,first_name,middle_name,last_name,birthdate\n")
    for i, (h, fn, ln, d) in enumerate(rows("R")):
        f.write(f"{h},{i + 1},{fn},,{ln},{d}\n")
EOF
declare -A opts=([1]="" [3]="--threshold 0.7" [4]="--threshold 0.8"
                 [5]="--household-threshold 0.8" [6]="--household-threshold 0.8")
for a in 1 3 4 5 6; do
  # shellcheck disable=SC2086
  "$NM" run -q --left "$T/L.csv" --right "$T/R.csv" -a "$a" ${opts[$a]} --out "$T/ref$a.csv"
  check "A$a reference has rows" test "$(wc -l <"$T/ref$a.csv")" -gt 100
  # shellcheck disable=SC2086
  NAME_MATCHER_SPILL_BUFFER=64K "$NM" run --log-level debug --left "$T/L.csv" \
    --right "$T/R.csv" -a "$a" ${opts[$a]} --out "$T/s$a.csv" 2>"$T/log$a"
  check "A$a 1 rank spilled" grep -q "runs (.* bytes) spilled to $SP" "$T/log$a"
  check "A$a 1 rank spilled = no spill" same "$T/ref$a.csv" "$T/s$a.csv"
  # shellcheck disable=SC2086
  NAME_MATCHER_SPILL_BUFFER=64K mrun 3 --left "$T/L.csv" --right "$T/R.csv" -a "$a" ${opts[$a]} \
    -t 1 --out "$T/m$a.csv"
  check "A$a 3 ranks spilled = no spill" same "$T/ref$a.csv" "$T/m$a.csv"
done
check "A1 many pairs" test "$(wc -l <"$T/ref1.csv")" -gt 25000
"$NM" run -q --left "$T/L.csv" -a 4 --dedupe --threshold 0.8 --out "$T/dref.csv"
NAME_MATCHER_SPILL_BUFFER=64K "$NM" run -q --left "$T/L.csv" -a 4 --dedupe --threshold 0.8 \
  --out "$T/d1.csv"
check "dedupe 1 rank spilled = no spill" same "$T/dref.csv" "$T/d1.csv"
NAME_MATCHER_SPILL_BUFFER=64K mrun 3 --left "$T/L.csv" -a 4 --dedupe --threshold 0.8 \
  --out "$T/d3.csv"
check "dedupe 3 ranks spilled = no spill" same "$T/dref.csv" "$T/d3.csv"
# A pair file of many small pieces: its reduce merges them in passes.
NAME_MATCHER_SPILL_BUFFER=64K mrun 3 --left "$T/L.csv" --right "$T/R.csv" -a 4 --threshold 0.8 \
  --piece-pairs 2000 --tiles-per-rank 64 --pairs "$T/p.h5" --out "$T/p4.csv"
check "A4 from a pair file of many pieces, merged in passes" same "$T/ref4.csv" "$T/p4.csv"
NAME_MATCHER_SPILL_BUFFER=64K "$NM" reduce --pairs "$T/p.h5" -a 6 --household-threshold 0.8 \
  --out "$T/p6.csv" 2>"$T/err" || cat "$T/err" >&2
check "A6 reduced from it = run -a 6" same "$T/ref6.csv" "$T/p6.csv"
# Tiles scored over several pieces (a 64K buffer allows 256 pairs a piece
# with a pair file, the tiles have chunks of 2,000): a rank killed between
# them, then --resume.
NAME_MATCHER_SPILL_BUFFER=64K NAME_MATCHER_FAULT_KILL=1:5 mrun 3 --left "$T/L.csv" \
  --right "$T/R.csv" -a 4 --threshold 0.8 --tile-pairs 2000 --pairs "$T/k.h5" --out "$T/k4.csv" \
  >/dev/null 2>&1
check "rank 1 killed mid-tile: the job fails" test $? -ne 0
NAME_MATCHER_SPILL_BUFFER=64K mrun 3 --left "$T/L.csv" --right "$T/R.csv" -a 4 --threshold 0.8 \
  --tile-pairs 2000 --pairs "$T/k.h5" --out "$T/k4.csv" --resume
check "... --resume = uninterrupted run" same "$T/ref4.csv" "$T/k4.csv"
check "no spill file is left behind" test -z "$(ls -A "$SP")"

# --- settings --------------------------------------------------------------
NAME_MATCHER_SPILL_BUFFER=lots "$NM" run -q --left "$T/L.csv" -a 1 --dedupe --out "$T/x.csv" \
  2>"$T/err"
check "a bad NAME_MATCHER_SPILL_BUFFER: exit 1" test $? -eq 1
check "... naming it" grep -q "NAME_MATCHER_SPILL_BUFFER" "$T/err"
NAME_MATCHER_SPILL_BUFFER=64K NAME_MATCHER_SPILL_DIR=$T/none "$NM" run -q --left "$T/L.csv" -a 1 \
  --dedupe --out "$T/x.csv" 2>"$T/err"
check "a missing spill folder: exit 1" test $? -eq 1
check "... naming it" grep -q "spill folder $T/none cannot be written" "$T/err"
NAME_MATCHER_SPILL_BUFFER=1X mrun 2 --left "$T/L.csv" -a 1 --dedupe --out "$T/x.csv" 2>"$T/err"
check "a bad NAME_MATCHER_SPILL_BUFFER on 2 ranks: exit 1" test $? -eq 1
check "... said once" test "$(grep -c NAME_MATCHER_SPILL_BUFFER "$T/err")" -eq 1

finish bounded_memory
