#!/usr/bin/env bash
# The probabilistic mode's pair file (docs/PAIR_FILE.md, "The probabilistic
# mode"): `run -a prob --pairs P.h5` on 1 and 2 ranks, then `reduce`, give the
# pairs and clusters byte-identical to a direct run (FEBRL4 link, FEBRL3
# dedupe, --one-to-one); a run killed mid-scoring (NAME_MATCHER_FAULT_KILL)
# leaves a file reduce refuses and --resume finishes with the same outputs,
# scoring only the chunks left; --resume refuses another rank count, other
# options, a changed input, another --model; a file of algorithm 1 given to
# the prob mode, or a prob file to algorithm 1, is refused by name. About
# 30 s on 2 cores.
# usage: mpi_prob_pairs.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
SHARED=$2
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"

need_febrl "$SHARED" mpi_prob_pairs

# mprob NP ARGS...: `run --algorithm prob` on NP ranks, one thread each.
mprob() { timeout 300 mpirun --oversubscribe -np "$1" "$NM" run --algorithm prob -t 1 "${@:2}"; }
# The rows of /pairs/rows that hold data.
stored() { h5dump -a /stored_pairs "$1" | sed -n 's/.*(0): \([0-9]*\).*/\1/p'; }

L4=$F/dataset4a.csv R4=$F/dataset4b.csv
link=(--left "$L4" --right "$R4" "${FEBRL[@]}")
# Small chunks: many units of work, several appends, so a kill falls mid-run.
small=(--chunk-pairs 2000)

"$NM" run --algorithm prob -q -t 2 "${link[@]}" --out "$T/ref.csv" --clusters "$T/ref.cl.csv"
check "FEBRL4 direct run: runs" test $? -eq 0
check "FEBRL4 direct run: pairs written" test "$(wc -l <"$T/ref.csv")" -gt 4000

# --- --pairs, then reduce: 1 and 2 ranks ---------------------------------------
for np in 1 2; do
  P=$T/p$np.h5
  mprob "$np" -q "${link[@]}" "${small[@]}" --pairs "$P" --out "$T/p$np.csv" \
    --clusters "$T/p$np.cl.csv"
  check "$np ranks --pairs: runs" test $? -eq 0
  check "$np ranks --pairs: pairs = direct run" same "$T/ref.csv" "$T/p$np.csv"
  check "$np ranks --pairs: clusters = direct run" same "$T/ref.cl.csv" "$T/p$np.cl.csv"
  check "$np ranks --pairs: model = direct run" same "$T/ref.csv.model.json" "$T/p$np.csv.model.json"
  check "$np ranks --pairs: summary counts = direct run" \
    same_counts "$T/ref.csv.summary.json" "$T/p$np.csv.summary.json"
  check "$np ranks --pairs: complete" grep -q "(0): 1" <(h5dump -a /complete "$P")
  "$NM" reduce --pairs "$P" --out "$T/r$np.csv" --clusters "$T/r$np.cl.csv" 2>/dev/null
  check "$np ranks: reduce runs" test $? -eq 0
  check "$np ranks: reduce pairs = direct run" same "$T/ref.csv" "$T/r$np.csv"
  check "$np ranks: reduce clusters = direct run" same "$T/ref.cl.csv" "$T/r$np.cl.csv"
done
check "2 ranks: several pieces (several appends)" \
  test "$(h5ls "$T/p2.h5/pairs/pieces" | grep -o '{[0-9]*' | tr -d '{')" -gt 4
"$NM" reduce --pairs "$T/p2.h5" -a prob --out "$T/ra.csv" 2>/dev/null
check "reduce -a prob = direct run" same "$T/ref.csv" "$T/ra.csv"

# --one-to-one from the file = a direct --one-to-one run.
"$NM" run --algorithm prob -q -t 2 "${link[@]}" --one-to-one --out "$T/o.csv"
"$NM" reduce --pairs "$T/p2.h5" --one-to-one --out "$T/ro.csv" 2>/dev/null
check "reduce --one-to-one = direct --one-to-one run" same "$T/o.csv" "$T/ro.csv"
check "... which keeps fewer pairs" test "$(wc -l <"$T/o.csv")" -lt "$(wc -l <"$T/ref.csv")"

# --- FEBRL3 --dedupe on 2 ranks ----------------------------------------------------
dd=(--left "$F/dataset3.csv" --dedupe "${FEBRL[@]}")
"$NM" run --algorithm prob -q -t 2 "${dd[@]}" --out "$T/d.csv" --clusters "$T/d.cl.csv"
mprob 2 -q "${dd[@]}" "${small[@]}" --pairs "$T/d.h5" --out "$T/d2.csv"
check "FEBRL3 --dedupe, 2 ranks --pairs: pairs = direct run" same "$T/d.csv" "$T/d2.csv"
"$NM" reduce --pairs "$T/d.h5" --out "$T/dr.csv" --clusters "$T/dr.cl.csv" 2>/dev/null
check "FEBRL3 --dedupe: reduce pairs = direct run" same "$T/d.csv" "$T/dr.csv"
check "FEBRL3 --dedupe: reduce clusters = direct run" same "$T/d.cl.csv" "$T/dr.cl.csv"
"$NM" reduce --pairs "$T/d.h5" --one-to-one --out "$T/x.csv" 2>"$T/err"
check "reduce --one-to-one of a --dedupe file is refused" test $? -ne 0
check "... saying so" grep -q "dedupe" "$T/err"

# --- killed mid-run, then --resume ---------------------------------------------------
for run in "2 1:3" "1 0:2"; do
  read -r np victim <<<"$run"
  P=$T/k$np.h5
  O=$T/k$np.csv
  NAME_MATCHER_FAULT_KILL=$victim mprob "$np" -q "${link[@]}" "${small[@]}" --pairs "$P" \
    --out "$O" --clusters "$T/k$np.cl.csv" >/dev/null 2>&1
  check "$np ranks, killed ($victim): the job fails" test $? -ne 0
  check "$np ranks, killed: no pairs output" test ! -e "$O"
  "$NM" reduce --pairs "$P" --out "$T/x.csv" 2>"$T/err"
  check "$np ranks, killed: reduce refuses the unfinished file (exit 1)" test $? -eq 1
  check "... saying it did not finish" grep -q "did not finish" "$T/err"
  before=$(stored "$P")
  mprob "$np" "${link[@]}" "${small[@]}" --pairs "$P" --out "$O" --clusters "$T/k$np.cl.csv" \
    --resume 2>"$T/resume.err"
  check "$np ranks, --resume: exit 0" test $? -eq 0
  check "$np ranks, --resume: pairs = direct run" same "$T/ref.csv" "$O"
  check "$np ranks, --resume: clusters = direct run" same "$T/ref.cl.csv" "$T/k$np.cl.csv"
  check "$np ranks, --resume: model = direct run" same "$T/ref.csv.model.json" "$O.model.json"
  check "$np ranks, --resume: summary's link counts = direct run" \
    same <(json "$O.summary.json" "d['blocking'], d['candidate_pairs'], d['pairs_written']") \
    <(json "$T/ref.csv.summary.json" "d['blocking'], d['candidate_pairs'], d['pairs_written']")
  done_before=$(sed -n 's/.*--resume: \([0-9]*\) of \([0-9]*\) chunks.*/\1 \2/p' "$T/resume.err")
  read -r nd nt <<<"${done_before:-0 0}"
  check "$np ranks, --resume: some chunks were done before ($nd of $nt)" test "$nd" -gt 0
  check "$np ranks, --resume: and some were not" test "$nd" -lt "$nt"
  check "$np ranks, --resume: rows written by it ($(($(stored "$P") - before))) fewer than all pairs" \
    test $(($(stored "$P") - before)) -lt $(($(wc -l <"$T/ref.csv") - 1))
  check "$np ranks, --resume: the model was not trained again" \
    test "$(grep -c 'learned:' "$T/resume.err")" -eq 0
  "$NM" reduce --pairs "$P" --out "$T/kr$np.csv" 2>/dev/null
  check "$np ranks: reduce of the resumed file = direct run" same "$T/ref.csv" "$T/kr$np.csv"
done
mprob 2 -q "${link[@]}" "${small[@]}" --pairs "$T/k2.h5" --out "$T/again.csv" --resume
check "--resume of a complete file = same output" same "$T/ref.csv" "$T/again.csv"

# --- --resume refuses another run -----------------------------------------------------
# refused WHAT PATTERN ARGS...: ARGS fails (exit 1: bad input, 2: bad usage;
# not a crash) with a message saying PATTERN, and writes no output.
refused() {
  local what=$1 pattern=$2 rc
  shift 2
  rm -f "$T/x.csv"
  "$@" >/dev/null 2>"$T/err"
  rc=$?
  check "$what: refused (exit 1 or 2, got $rc)" test "$rc" -eq 1 -o "$rc" -eq 2
  check "$what: the message says '$pattern'" grep -q -- "$pattern" "$T/err"
  check "$what: no output" test ! -e "$T/x.csv"
}
resume1=("$NM" run --algorithm prob -q -t 1 "${small[@]}" --pairs "$T/k1.h5" --out "$T/x.csv" --resume)
refused "--resume with another rank count" "number of ranks differs" \
  mprob 2 -q "${link[@]}" "${small[@]}" --pairs "$T/k1.h5" --out "$T/x.csv" --resume
refused "--resume with another --min-probability" "min-probability differs" \
  "${resume1[@]}" "${link[@]}" --min-probability 0.9
refused "--resume with another --chunk-pairs" "chunk-pairs differs" \
  "$NM" run --algorithm prob -q -t 1 "${link[@]}" --pairs "$T/k1.h5" --out "$T/x.csv" --resume
sed '5s/a/e/' "$L4" >"$T/changed.csv"
refused "--resume with a changed input" "left input differs" \
  "${resume1[@]}" --left "$T/changed.csv" --right "$R4" "${FEBRL[@]}"
"$NM" train -q -t 2 "${link[@]}" --seed 7 --model-out "$T/m7.json"
refused "--resume with another --model" "differs from the model in the file" \
  "${resume1[@]}" "${link[@]}" --model "$T/m7.json"
"$NM" run --algorithm prob -q -t 2 "${link[@]}" "${small[@]}" --pairs "$T/k1.h5" \
  --out "$T/x.csv" --resume --model "$T/ref.csv.model.json"
check "--resume with the same model as --model: accepted" same "$T/ref.csv" "$T/x.csv"
refused "--resume without --pairs" "needs --pairs" \
  "$NM" run --algorithm prob -q "${link[@]}" --out "$T/x.csv" --resume

# --- a file of algorithm 1 and a file of the prob mode are not mixed --------------------
"$NM" run -q -a 1 "${link[@]}" --skip-bad-rows --pairs "$T/a1.h5" --out "$T/a1.csv"
check "algorithm 1 --pairs: runs" test $? -eq 0
"$NM" reduce --pairs "$T/a1.h5" --out "$T/a1r.csv" 2>/dev/null
check "reduce of an algorithm-1 file still works" same "$T/a1.csv" "$T/a1r.csv"
refused "reduce -a prob of an algorithm-1 file" "not of the probabilistic mode" \
  "$NM" reduce --pairs "$T/a1.h5" -a prob --out "$T/x.csv"
refused "reduce --clusters of an algorithm-1 file" "for a pair file of run -a prob" \
  "$NM" reduce --pairs "$T/a1.h5" --clusters "$T/c.csv" --out "$T/x.csv"
refused "reduce -a 1 of a prob file" "holds the pairs of the probabilistic mode" \
  "$NM" reduce --pairs "$T/p1.h5" -a 1 --out "$T/x.csv"
refused "run -a prob --resume of an algorithm-1 file" "holds the pairs of algorithm 1" \
  "$NM" run --algorithm prob -q "${link[@]}" --pairs "$T/a1.h5" --out "$T/x.csv" --resume
refused "run -a 1 --resume of a prob file" "algorithm differs" \
  "$NM" run -q -a 1 "${link[@]}" --skip-bad-rows --pairs "$T/p1.h5" --out "$T/x.csv" --resume

finish mpi_prob_pairs
