#!/usr/bin/env bash
# Multi-rank runs: byte-identical outputs for every algorithm under
# mpirun -np 1..4 and any thread count, with and without a pair file;
# `reduce` equals the direct run; the plan cuts the skewed January-1 block.
# usage: mpi_ranks.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
HERE=$(cd "$(dirname "$0")/.." && pwd)
G=$HERE/data/golden
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
mrun() { local np=$1; shift; mpirun --oversubscribe -np "$np" "$NM" run -q "$@"; }

# --- golden data: every algorithm, 1-4 ranks, small tiles so blocks are cut --
declare -A extra=([1]="" [2]="" [3]="--threshold 0.6" [4]="--threshold 85"
                  [5]="--household-threshold 0.85" [6]="--household-threshold 0.5")
for a in 1 2 3 4 5 6; do
  for np in 1 2 3 4; do
    # shellcheck disable=SC2086
    mrun "$np" --left "$G/left.csv" --right "$G/right.csv" -a "$a" ${extra[$a]} \
      --tiles-per-rank 8 -t 2 --out "$T/g$a-$np.csv"
    check "golden A$a on $np ranks" same "$G/a$a.csv" "$T/g$a-$np.csv"
  done
done

# --- generated, skewed data: reference = 1 process, 1 thread, no MPI launcher --
"$NM" generate --rows 6000 --seed 11 --skew 0.05 --out-dir "$T/gen" -q >/dev/null ||
  bad "generate --skew"
L=$T/gen/left.csv
R=$T/gen/right.csv
opts="--threshold 0.8 --household-threshold 0.7"
for a in 1 2 3 4 5 6; do
  # shellcheck disable=SC2086
  "$NM" run -q --left "$L" --right "$R" -a "$a" $opts -t 1 --out "$T/ref$a.csv"
  for np in 2 3 4; do
    for t in 1 2; do
      # shellcheck disable=SC2086
      mrun "$np" --left "$L" --right "$R" -a "$a" $opts -t "$t" --out "$T/r$a-$np-$t.csv"
      check "A$a $np ranks x $t threads = 1 process" same "$T/ref$a.csv" "$T/r$a-$np-$t.csv"
    done
  done
  # with a pair file on 3 ranks (the output then comes from the file)
  # shellcheck disable=SC2086
  mrun 3 --left "$L" --right "$R" -a "$a" $opts --pairs "$T/p$a.h5" --out "$T/rp$a.csv"
  check "A$a 3 ranks with --pairs = 1 process" same "$T/ref$a.csv" "$T/rp$a.csv"
  "$NM" reduce --pairs "$T/p$a.h5" --out "$T/red$a.csv" 2>/dev/null
  check "A$a reduce = direct run" same "$T/ref$a.csv" "$T/red$a.csv"
done
check "A1 found matches" test "$(wc -l <"$T/ref1.csv")" -gt 100
check "A5 found households" test "$(wc -l <"$T/ref5.csv")" -gt 100

# --exhaustive and --dedupe
"$NM" run -q --left "$L" -a 4 --dedupe --threshold 0.8 --out "$T/dref.csv"
for np in 2 4; do
  mrun "$np" --left "$L" -a 4 --dedupe --threshold 0.8 --tiles-per-rank 64 --out "$T/d$np.csv"
  check "dedupe A4 on $np ranks" same "$T/dref.csv" "$T/d$np.csv"
done
"$NM" run -q --left "$L" --right "$R" -a 3 --threshold 0.8 --exhaustive --out "$T/ex1.csv"
check "--exhaustive = shortcut (1 process)" same "$T/ref3.csv" "$T/ex1.csv"
mrun 3 --left "$L" --right "$R" -a 3 --threshold 0.8 --exhaustive --out "$T/ex3.csv"
check "--exhaustive on 3 ranks" same "$T/ref3.csv" "$T/ex3.csv"

# --- reduce: re-export at a higher threshold, households from an A4 pair file --
"$NM" run -q --left "$L" --right "$R" -a 4 --threshold 0.9 -t 1 --out "$T/ref4_90.csv"
"$NM" reduce --pairs "$T/p4.h5" --threshold 0.9 --out "$T/red4_90.csv" 2>/dev/null
check "reduce --threshold 0.9 = run at 0.9" same "$T/ref4_90.csv" "$T/red4_90.csv"
for a in 5 6; do
  "$NM" run -q --left "$L" --right "$R" -a "$a" --household-threshold 0.8 --out "$T/h$a.csv"
  "$NM" reduce --pairs "$T/p4.h5" -a "$a" --household-threshold 0.8 --out "$T/hr$a.csv" \
    2>/dev/null
  check "reduce -a $a from the A4 pair file = run -a $a" same "$T/h$a.csv" "$T/hr$a.csv"
done
"$NM" reduce --pairs "$T/p4.h5" --threshold 0.7 --out "$T/x.csv" 2>"$T/err"
check "reduce below the stored threshold is refused" test $? -eq 1
check "... with a message" grep -q "keeps pairs of confidence" "$T/err"
"$NM" reduce --pairs "$T/p1.h5" -a 5 --out "$T/x.csv" 2>"$T/err"
check "households from an A1 pair file are refused" test $? -eq 1

# --- the plan splits the January-1 block, and the summary reports it ---------
mrun 4 --left "$L" --right "$R" -a 4 --out "$T/s4.csv" --pairs "$T/s4.h5"
S=$T/s4.csv.summary.json
check "summary: 4 ranks" test "$(json "$S" "d['ranks']")" = 4
check "summary: per-rank entries" test "$(json "$S" "len(d['per_rank'])")" = 4
check "plan cut the largest block into tiles" \
  test "$(json "$S" "d['plan']['largest_tile'] < d['plan']['largest_block']")" = True
check "predicted and measured imbalance present" \
  test "$(json "$S" "d['plan']['predicted_imbalance'] >= 1 and d['measured']['imbalance_pairs'] >= 1")" = True
check "every rank received records" \
  test "$(json "$S" "all(r['records_received']['left'] > 0 for r in d['per_rank'])")" = True
check "h5dump reads the pair file" h5dump -H "$T/s4.h5" >/dev/null

finish mpi_ranks
