#!/usr/bin/env bash
# A full disk ends the job, on every rank, with exit 1 and one message naming
# the file and "No space left on device" — never a hang (each run is under
# `timeout 120`: 124 would be a rank left waiting in MPI_Recv or a
# collective). Cases: the CSV output (A1, A3, households), the workbook, on
# 1, 2 and 3 ranks; the spill folder full while scoring; one rank's spill
# folder full only while it merges its runs for rank 0 (the error travels to
# rank 0 in place of a batch).
# usage: mpi_disk_full.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
FULL=$T/full
SMALL=$T/small
mkdir -p "$FULL" "$SMALL"
mount -t tmpfs -o size=1m tmpfs "$FULL" || { echo "mpi_disk_full: cannot mount a tmpfs (root needed)" >&2; exit 1; }
mount -t tmpfs -o size=16m tmpfs "$SMALL" || { umount "$FULL"; exit 1; }
trap 'umount "$FULL" "$SMALL"; rm -rf "$T"' EXIT

# N identical persons: N(N-1)/2 pairs. 700: 244,650 pairs, a CSV of about
# 27 MB. Under ASan (about 10 times slower) the cases that only need to fill
# the 1 MB folder use 300 persons (44,850 pairs, 5 MB) and two rank counts;
# the merge case at the end needs 700 whatever the build.
same() { /usr/bin/python3 "$(dirname "$0")/../identical_persons.py" "$1" "$2" div 2; }
same "$T/same700.csv" 700
rank_counts="0 2 3"
if "$NM" version | grep -q asan; then
  same "$T/same.csv" 300
  rank_counts="0 2"
else
  cp "$T/same700.csv" "$T/same.csv"
fi
cp "$T/same.csv" "$T/same_r.csv"
sed -i '1s/uuid/hh_id/' "$T/same_r.csv"

# expect_full WHAT NAMED_FILE NP ARGS...: exit 1 within the time, the message
# once, naming the file and the cause.
expect_full() {
  local what=$1 named=$2 np=$3
  shift 3
  if [ "$np" -eq 0 ]; then
    timeout 120 "$NM" run -q "$@" >"$T/out" 2>"$T/err"
  else
    timeout 120 mpirun --oversubscribe -np "$np" "$NM" run -q "$@" >"$T/out" 2>"$T/err"
  fi
  local rc=$?
  check "$what: exit 1 (got $rc; 124 = a hang)" test "$rc" -eq 1
  check "$what: names $named" grep -q "$named" "$T/err"
  check "$what: says No space left on device" grep -q "No space left on device" "$T/err"
  check "$what: one error message" test "$(grep -c "name_matcher: error:" "$T/err")" -eq 1
  [ "$rc" -eq 1 ] || cat "$T/err" >&2
  rm -f "$FULL"/* "$SMALL"/* 2>/dev/null
}

for np in $rank_counts; do
  ranks=$([ "$np" -eq 0 ] && echo "1 process" || echo "$np ranks")
  expect_full "A1 CSV, $ranks" "$FULL/o.csv" "$np" --left "$T/same.csv" --dedupe -a 1 \
    --out "$FULL/o.csv"
  expect_full "A1 workbook, $ranks" "$FULL/o.xlsx" "$np" --left "$T/same.csv" --dedupe -a 1 \
    --out "$T/o.csv" --out "$FULL/o.xlsx"
done
expect_full "A3 CSV, 2 ranks" "$FULL/o3.csv" 2 --left "$T/same.csv" --dedupe -a 3 \
  --out "$FULL/o3.csv"
# Households: the output is small, so the folder is filled first.
cat /dev/zero >"$FULL/filler" 2>/dev/null
expect_full "A5 households, 2 ranks" "$FULL/o5.csv" 2 --left "$T/same.csv" \
  --right "$T/same_r.csv" -a 5 --out "$FULL/o5.csv"

# The spill folder full while scoring (every rank spills).
NAME_MATCHER_SPILL_BUFFER=64K NAME_MATCHER_SPILL_DIR=$FULL \
  expect_full "spill folder full while scoring, 2 ranks" "spill file in $FULL" 2 \
  --left "$T/same.csv" --dedupe -a 1 --out "$T/o.csv"
NAME_MATCHER_SPILL_BUFFER=64K NAME_MATCHER_SPILL_DIR=$FULL \
  expect_full "spill folder full while scoring, 1 process" "spill file in $FULL" 0 \
  --left "$T/same.csv" --dedupe -a 1 --out "$T/o.csv"
# Rank 1's spill folder holds its runs (about 12 MB) but not their merge
# passes: it fails while serving rank 0, which reports it.
rm -f "$T/o.csv"
timeout 120 mpirun --oversubscribe \
  -np 1 env NAME_MATCHER_SPILL_BUFFER=64K NAME_MATCHER_SPILL_DIR="$T" "$NM" run -q \
  --left "$T/same700.csv" --dedupe -a 1 -t 1 --out "$T/o.csv" : \
  -np 1 env NAME_MATCHER_SPILL_BUFFER=64K NAME_MATCHER_SPILL_DIR="$SMALL" "$NM" run -q \
  --left "$T/same700.csv" --dedupe -a 1 -t 1 --out "$T/o.csv" >"$T/out" 2>"$T/err"
rc=$?
check "rank 1's merge fails: exit 1 (got $rc; 124 = a hang)" test "$rc" -eq 1
check "... rank 0 reports rank 1's error" grep -q "name_matcher: error: rank 1: cannot write a spill file in $SMALL: No space left on device" "$T/err"
check "... once" test "$(grep -c "name_matcher: error:" "$T/err")" -eq 1
check "... and no output" test ! -e "$T/o.csv"
[ "$rc" -eq 1 ] || cat "$T/err" >&2

finish mpi_disk_full
