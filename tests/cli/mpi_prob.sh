#!/usr/bin/env bash
# The probabilistic mode under mpirun: `run --algorithm prob` and `train` on
# 1-4 ranks and 1-2 threads write pairs, clusters, the model and the
# summary's counts byte-identical to one process's, linking (FEBRL4) and
# deduplicating (FEBRL3), on the CPU and the emulated device; only rank 0
# writes and talks; an error on rank 0 alone (its output disk full) ends
# every rank with the error said once, no rank left waiting. About 40 s on
# 2 cores.
# usage: mpi_prob.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
SHARED=$2
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"

need_febrl "$SHARED" mpi_prob

# mprob NP THREADS ARGS...: `run --algorithm prob` on NP ranks.
mprob() {
  local np=$1 t=$2
  shift 2
  timeout 300 mpirun --oversubscribe -np "$np" "$NM" run --algorithm prob -q -t "$t" "$@"
}
# Every output of run GOT equals REF's: pairs, clusters, model, summary counts.
same_outputs() {
  local ref=$1 got=$2 what=$3
  check "$what: pairs" same "$ref.csv" "$got.csv"
  check "$what: clusters" same "$ref.clusters.csv" "$got.clusters.csv"
  check "$what: model" same "$ref.csv.model.json" "$got.csv.model.json"
  check "$what: summary counts" same_counts "$ref.csv.summary.json" "$got.csv.summary.json"
}

# --- FEBRL4: train and link ----------------------------------------------------
L4=$F/dataset4a.csv R4=$F/dataset4b.csv
link=(--left "$L4" --right "$R4" "${FEBRL[@]}")
"$NM" run --algorithm prob -q -t 1 "${link[@]}" --out "$T/l.csv" --clusters "$T/l.clusters.csv"
check "FEBRL4, one process: runs" test $? -eq 0
check "FEBRL4, one process: pairs written" test "$(wc -l <"$T/l.csv")" -gt 4000
for run in "1 2" "2 1" "3 2" "4 1"; do
  read -r np t <<<"$run"
  mprob "$np" "$t" "${link[@]}" --out "$T/l$np$t.csv" --clusters "$T/l$np$t.clusters.csv" \
    >"$T/l$np$t.out" 2>"$T/l$np$t.err"
  check "FEBRL4, $np ranks x $t threads: runs" test $? -eq 0
  same_outputs "$T/l" "$T/l$np$t" "FEBRL4, $np ranks x $t threads"
done
check "FEBRL4, 4 ranks, quiet: nothing said" test ! -s "$T/l41.err"
# Only rank 0 writes: no rank's temporary file left behind.
check "FEBRL4: no temporary files left" test -z "$(find "$T" -name '*partial*')"

# --device emulate on 3 ranks: the device is fed each rank's share (for_each_pair_batch).
mprob 3 1 "${link[@]}" --device emulate --out "$T/em.csv" --clusters "$T/em.clusters.csv"
check "FEBRL4, 3 ranks, --device emulate: runs" test $? -eq 0
check "FEBRL4, 3 ranks, --device emulate: pairs" same "$T/l.csv" "$T/em.csv"
check "FEBRL4, 3 ranks, --device emulate: clusters" same "$T/l.clusters.csv" "$T/em.clusters.csv"
check "FEBRL4, 3 ranks, --device emulate: model" same "$T/l.csv.model.json" "$T/em.csv.model.json"

# Rank 0's messages, once: the learned table and the closing line.
timeout 300 mpirun --oversubscribe -np 3 "$NM" run --algorithm prob -t 1 "${link[@]}" \
  --out "$T/v.csv" >"$T/v.out" 2>"$T/v.err"
check "FEBRL4, 3 ranks, not quiet: runs" test $? -eq 0
check "FEBRL4, 3 ranks: one closing line" test "$(grep -c 'pairs written' "$T/v.err")" -eq 1
check "FEBRL4, 3 ranks: one learned table" test "$(grep -c 'learned:' "$T/v.err")" -eq 1

# train on 3 ranks = the run's model; a saved model reused on 2 ranks = the same pairs
timeout 300 mpirun --oversubscribe -np 3 "$NM" train -q -t 2 "${link[@]}" --model-out "$T/m3.json"
check "train, 3 ranks: runs" test $? -eq 0
check "train, 3 ranks: the one-process run's model" same "$T/l.csv.model.json" "$T/m3.json"
mprob 2 2 "${link[@]}" --model "$T/m3.json" --out "$T/reuse.csv" --one-to-one
check "--model on 2 ranks: runs" test $? -eq 0
"$NM" run --algorithm prob -q -t 2 "${link[@]}" --model "$T/m3.json" --out "$T/reuse1.csv" --one-to-one
check "--model --one-to-one: 2 ranks = one process" same "$T/reuse1.csv" "$T/reuse.csv"

# --skip-bad-rows: every rank reads the bad row, rank 0 alone writes it and says so.
{ cat "$L4"; printf '\n, zed, smith, 1, a, b, c, 2000, nsw, 19800101\n'; } >"$T/bad.csv"
bad=(--left "$T/bad.csv" --right "$R4" "${FEBRL[@]}" --skip-bad-rows --u-sample-pairs 100000)
"$NM" run --algorithm prob -q -t 2 "${bad[@]}" --out "$T/b.csv" 2>/dev/null
mprob 3 1 "${bad[@]}" --out "$T/b3.csv" 2>"$T/b3.err"
check "--skip-bad-rows, 3 ranks: runs" test $? -eq 0
check "--skip-bad-rows, 3 ranks: the one-process rejects" same "$T/b.csv.rejects.csv" "$T/b3.csv.rejects.csv"
check "--skip-bad-rows, 3 ranks: one bad row" test "$(wc -l <"$T/b3.csv.rejects.csv")" -eq 2
check "--skip-bad-rows, 3 ranks: the one-process pairs" same "$T/b.csv" "$T/b3.csv"
check "--skip-bad-rows, 3 ranks: said once" test "$(grep -c 'bad rows skipped' "$T/b3.err")" -eq 1
check "--skip-bad-rows, 3 ranks: no temporary files left" test -z "$(find "$T" -name '*partial*')"

# --- FEBRL3: --dedupe ------------------------------------------------------------
dd=(--left "$F/dataset3.csv" --dedupe "${FEBRL[@]}")
"$NM" run --algorithm prob -q -t 2 "${dd[@]}" --out "$T/d.csv" --clusters "$T/d.clusters.csv"
check "FEBRL3 --dedupe, one process: runs" test $? -eq 0
check "FEBRL3 --dedupe, one process: pairs written" test "$(wc -l <"$T/d.csv")" -gt 1000
for run in "2 2" "3 1" "4 2"; do
  read -r np t <<<"$run"
  mprob "$np" "$t" "${dd[@]}" --out "$T/d$np$t.csv" --clusters "$T/d$np$t.clusters.csv"
  check "FEBRL3 --dedupe, $np ranks x $t threads: runs" test $? -eq 0
  same_outputs "$T/d" "$T/d$np$t" "FEBRL3 --dedupe, $np ranks x $t threads"
done

# --- an error on rank 0 alone: its output on a full disk (a tmpfs too small for
# the pairs; only rank 0 writes). Every rank ends, the error said once, no hang.
# Needs root for mount (CI runs as root).
D=$T/tiny
mkdir -p "$D"
trap 'umount "$D" 2>/dev/null; rm -rf "$T"' EXIT
if mount -t tmpfs -o size=64k tmpfs "$D"; then
  mprob 3 1 "${link[@]}" --out "$D/full.csv" >"$T/e.out" 2>"$T/e.err"
  code=$?
  check "rank 0's disk full: exit 1 (not a hang, not a crash: got $code)" test "$code" -eq 1
  check "rank 0's disk full: the reason" grep -q "No space left on device" "$T/e.err"
  check "rank 0's disk full: said once" test "$(grep -c "No space left" "$T/e.err")" -eq 1
  check "rank 0's disk full: no rank's message but rank 0's" bash -c "! grep -q '\[rank' '$T/e.err'"
  check "rank 0's disk full: nothing left on the disk" test -z "$(ls -A "$D")"
  grep -q "No space left" "$T/e.err" || head -c 600 "$T/e.err" >&2
  umount "$D"
else
  bad "mount -t tmpfs (needs root)"
fi

finish mpi_prob
