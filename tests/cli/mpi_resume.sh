#!/usr/bin/env bash
# Crash and --resume: a rank killed with SIGKILL mid-scoring (and rank 0, which
# takes the whole job down) leaves an incomplete pair file; `reduce` refuses
# it; --resume finishes with output byte-identical to an uninterrupted run.
# Corrupt, truncated and foreign pair files get a clear error.
# usage: mpi_resume.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
mrun() { local np=$1; shift; mpirun --oversubscribe -np "$np" "$NM" run -q "$@"; }

"$NM" generate --rows 8000 --seed 5 --skew 0.03 --out-dir "$T/gen" -q >/dev/null || bad generate
L=$T/gen/left.csv
R=$T/gen/right.csv
"$NM" run -q --left "$L" --right "$R" -a 4 --threshold 0.8 -t 1 --out "$T/ref.csv"
common=(--left "$L" --right "$R" -a 4 --threshold 0.8 --piece-pairs 300 --tiles-per-rank 64)

for victim in 1 0; do
  P=$T/p$victim.h5
  O=$T/o$victim.csv
  NAME_MATCHER_FAULT_KILL="$victim:2" mrun 3 "${common[@]}" --pairs "$P" --out "$O" \
    >/dev/null 2>&1
  check "rank $victim killed: the job fails" test $? -ne 0
  check "rank $victim killed: no output file" test ! -e "$O"
  "$NM" reduce --pairs "$P" --out "$T/x.csv" 2>"$T/err"
  check "reduce refuses the unfinished file (exit 1)" test $? -eq 1
  check "... saying it did not finish" grep -q "did not finish" "$T/err"
  mrun 3 "${common[@]}" --pairs "$P" --out "$O" --resume
  check "rank $victim killed, --resume: exit 0" test $? -eq 0
  check "rank $victim killed, --resume = uninterrupted run" same "$T/ref.csv" "$O"
  check "--resume kept finished tiles" \
    test "$(json "$O.summary.json" "d['resume']['tiles_already_done'] > 0")" = True
  "$NM" reduce --pairs "$P" --out "$T/red$victim.csv"
  check "reduce of the resumed file = uninterrupted run" same "$T/ref.csv" "$T/red$victim.csv"
done

# Resuming a finished file only rebuilds the outputs.
mrun 3 "${common[@]}" --pairs "$T/p0.h5" --out "$T/again.csv" --resume
check "--resume of a complete file = same output" same "$T/ref.csv" "$T/again.csv"
# A different run cannot resume this file.
mrun 2 "${common[@]}" --pairs "$T/p0.h5" --out "$T/x.csv" --resume 2>"$T/err"
check "--resume with another rank count is refused" test $? -eq 1
check "... naming what differs" grep -q "number of ranks differs" "$T/err"
"$NM" run -q --left "$L" --right "$R" -a 4 --threshold 0.9 --pairs "$T/p0.h5" --out "$T/x.csv" \
  --resume 2>"$T/err"
check "--resume with another threshold is refused" test $? -eq 1
"$NM" run -q "${common[@]}" --pairs "$T/none.h5" --out "$T/x.csv" --resume 2>"$T/err"
check "--resume without a pair file is refused" test $? -eq 1

# Damaged pair files.
size=$(stat -c %s "$T/p0.h5")
head -c $((size / 2)) "$T/p0.h5" >"$T/trunc.h5"
"$NM" reduce --pairs "$T/trunc.h5" --out "$T/x.csv" 2>"$T/err"
check "truncated pair file: exit 1" test $? -eq 1
check "... with a message naming the file" grep -q "trunc.h5" "$T/err"
head -c 100000 /dev/urandom >"$T/random.h5"
"$NM" reduce --pairs "$T/random.h5" --out "$T/x.csv" 2>"$T/err"
check "random bytes: exit 1" test $? -eq 1
h5copy -i "$T/p0.h5" -o "$T/foreign.h5" -s /plan -d /plan 2>/dev/null
"$NM" reduce --pairs "$T/foreign.h5" --out "$T/x.csv" 2>"$T/err"
check "an HDF5 file that is not a pair file: exit 1" test $? -eq 1
check "... saying so" grep -q "not a name_matcher pair file" "$T/err"
"$NM" reduce --pairs "$T/missing.h5" --out "$T/x.csv" 2>/dev/null
check "missing pair file: exit 1" test $? -eq 1
check "no output left behind by failed reduces" test ! -e "$T/x.csv"

finish mpi_resume
