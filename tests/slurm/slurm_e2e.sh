#!/usr/bin/env bash
# Slurm end-to-end test: the sbatch scripts users submit (slurm/*.sbatch) on a real one-node
# Slurm cluster on localhost, checked byte for byte against an mpirun run of the same data.
#
# usage: tests/slurm/slurm_e2e.sh BINARY SRCDIR      (ctest: slurm_e2e, label "slurm")
#
# 1. scripts/slurm_local.sh up with its state dir in a fresh temp dir and 2 fake GPUs (the
#    daemons are stopped again on any exit);
# 2. `BINARY generate` writes small tables; `mpirun -np 2 BINARY run` writes the reference
#    (and a plain single-process run must equal it);
# 3. sbatch, each waited for (state polled with scontrol, timeout per job), each OUT compared
#    with cmp to the reference:
#      one_node.sbatch                       1 rank x all CPUs, with a pair file
#      one_node.sbatch RESUME=1              again from the finished pair file
#      multi_node_gpu.sbatch                 2 ranks, --gpus-per-task=1 on the fake GPUs
#                                            (overridden: -N 1 --ntasks-per-node=2 -c 1)
#      multi_node_gpu.sbatch --gpus-per-task=0   the documented CPU-only override
#      stress.sbatch ROWS=<small> -n 2       its generated tables must equal step 2's, its OUT
#                                            the reference, its summary must have every line
# Any mismatch, failed or timed-out job fails the test and prints the job's log.
#
# Needs root (the daemons run as root). Not root, or Slurm/munge missing: the test FAILS.
# NAME_MATCHER_SKIP_SLURM=1 skips it (prints "skipped: NAME_MATCHER_SKIP_SLURM=1", exit 0).
# Knobs: SLURM_E2E_ROWS (default 2000), SLURM_E2E_RANKS (default 2), SLURM_E2E_ALGORITHM
# (default 3), SLURM_E2E_PAIRS (default 1; 0 runs without pair files and skips the resume job),
# SLURM_E2E_JOB_TIMEOUT (seconds per job, default 180), SLURM_E2E_KEEP=1 keeps the temp dir.
set -euo pipefail

if [[ ${NAME_MATCHER_SKIP_SLURM:-0} == 1 ]]; then
  echo "skipped: NAME_MATCHER_SKIP_SLURM=1"
  exit 0
fi

T_START=$SECONDS
fail() { echo "slurm_e2e: FAIL: $*" >&2; exit 1; }
note() { echo "slurm_e2e: [$((SECONDS - T_START))s] $*"; }

[[ $# -eq 2 ]] || fail "usage: $0 BINARY SRCDIR"
BIN=$(realpath "$1")
SRC=$(realpath "$2")
[[ -x $BIN ]] || fail "binary $BIN not found or not executable"
[[ -f $SRC/scripts/slurm_local.sh && -d $SRC/slurm ]] || fail "$SRC is not the name_matcher source dir"
[[ $(id -u) -eq 0 ]] ||
  fail "must run as root (it starts munged, slurmctld and slurmd); set NAME_MATCHER_SKIP_SLURM=1 to skip"
for c in mpirun sbatch squeue scontrol scancel slurmctld slurmd munged cmp; do
  command -v "$c" >/dev/null || fail "'$c' not found: run 'bash scripts/deps.sh' first"
done

# A Slurm job's environment (when this runs inside an allocation) would leak into sbatch/srun.
while read -r v; do
  case $v in SLURM_E2E_*) ;; SLURM_* | SBATCH_* | SRUN_* | SALLOC_*) unset "$v" ;; esac
done < <(compgen -e)
# the scripts read these from the environment: none may come from outside
unset NAME_MATCHER LEFT RIGHT OUT PAIRS RESUME THREADS MPI EXTRA_ARGS ROWS OVERLAP WORKDIR MEASURE

ROWS=${SLURM_E2E_ROWS:-2000}
RANKS=${SLURM_E2E_RANKS:-2}
ALGORITHM=${SLURM_E2E_ALGORITHM:-3}
USE_PAIRS=${SLURM_E2E_PAIRS:-1}
JOB_TIMEOUT=${SLURM_E2E_JOB_TIMEOUT:-180}
SEED=11

WORK=$(mktemp -d /tmp/name_matcher-slurm-e2e.XXXXXX)
chmod 755 "$WORK"   # munged wants every parent of its socket enterable by all
export SLURM_LOCAL_BASE=$WORK/cluster SLURM_LOCAL_GPUS=$RANKS
export TMPDIR=$WORK/tmp   # Open MPI's session dirs: apart from any other test's
mkdir -p "$TMPDIR" "$WORK/jobs"
cleanup() {
  local rc=$?
  bash "$SRC/scripts/slurm_local.sh" down >/dev/null 2>&1 || true
  if ((rc == 0)) && [[ ${SLURM_E2E_KEEP:-0} != 1 ]]; then
    rm -rf "$WORK"
  else
    echo "slurm_e2e: files kept in $WORK (cluster logs in $WORK/cluster/log)" >&2
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT HUP
trap 'exit 143' TERM

note "cluster up ($SLURM_LOCAL_BASE)"
bash "$SRC/scripts/slurm_local.sh" up >/dev/null || fail "scripts/slurm_local.sh up failed"
export SLURM_CONF=$SLURM_LOCAL_BASE/slurm.conf

# --- data and the mpirun reference
DATA=$WORK/data
"$BIN" generate --rows "$ROWS" --seed "$SEED" --out-dir "$DATA" --quiet || fail "generate failed"
LEFT=$DATA/left.csv RIGHT=$DATA/right.csv TRUTH=$DATA/truth.csv
for f in "$LEFT" "$RIGHT" "$TRUTH"; do [[ -s $f ]] || fail "generate did not write $f"; done
REF=$WORK/ref.csv
note "reference: mpirun -np $RANKS"
mpirun --allow-run-as-root --oversubscribe -np "$RANKS" "$BIN" run --left "$LEFT" --right "$RIGHT" \
  --algorithm "$ALGORITHM" --out "$REF" --threads 1 --quiet || fail "mpirun -np $RANKS run failed"
[[ -s $REF ]] || fail "mpirun run wrote no $REF"
"$BIN" run --left "$LEFT" --right "$RIGHT" --algorithm "$ALGORITHM" --out "$WORK/single.csv" --quiet ||
  fail "single-process run failed"
cmp "$WORK/single.csv" "$REF" || fail "single-process output differs from mpirun -np $RANKS output"
REF_ROWS=$(($(wc -l <"$REF") - 1))
((REF_ROWS > 0)) || fail "the reference has no matches: the test data is too small"
note "reference: $REF_ROWS matches"

# --- jobs
show_job_failure() {  # jid log
  echo "----- scontrol show job $1" >&2
  scontrol show job "$1" >&2 || true
  echo "----- job log $2" >&2
  cat "$2" >&2 2>/dev/null || echo "(no log file)" >&2
  echo "----- slurmd/slurmctld log tails" >&2
  tail -n 15 "$SLURM_LOCAL_BASE"/log/*.log >&2 || true
}

# submit NAME SCRIPT [sbatch options...] -- [VAR=value...]: prints the job id
submit() {
  local name=$1 script=$2 opts=() vars=() jid
  shift 2
  while (($#)) && [[ $1 != -- ]]; do opts+=("$1"); shift; done
  (($#)) && shift
  vars=("$@")
  mkdir -p "$WORK/jobs/$name"
  jid=$(env NAME_MATCHER="$BIN" "${vars[@]}" sbatch --parsable --job-name="e2e-$name" \
    --output="$WORK/jobs/$name.log" --chdir="$WORK/jobs/$name" "${opts[@]}" "$SRC/slurm/$script") ||
    fail "sbatch of $script ($name) failed"
  echo "${jid%%;*}"
}

# wait_job JID NAME: until COMPLETED; any other end state or the timeout fails the test
wait_job() {
  local jid=$1 name=$2 log=$WORK/jobs/$2.log deadline=$((SECONDS + JOB_TIMEOUT)) line state reason
  while :; do
    line=$(scontrol -o show job "$jid" 2>/dev/null || true)
    state=$(sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' <<<"$line")
    case $state in
      COMPLETED) return 0 ;;
      PENDING | RUNNING | CONFIGURING | COMPLETING | SUSPENDED | REQUEUED | RESIZING | "") ;;
      *) show_job_failure "$jid" "$log"; fail "job $name ($jid) ended $state" ;;
    esac
    if ((SECONDS >= deadline)); then
      reason=$(sed -n 's/.*Reason=\([^ ]*\).*/\1/p' <<<"$line")
      scancel "$jid" 2>/dev/null || true
      show_job_failure "$jid" "$log"
      fail "job $name ($jid) not done after ${JOB_TIMEOUT}s (state '$state', reason '$reason')"
    fi
    sleep 0.3
  done
}

same_as_ref() {  # same_as_ref FILE WHAT
  [[ -f $1 ]] || fail "$2: no output $1"
  cmp "$1" "$REF" || fail "$2: $1 differs from the mpirun -np $RANKS reference $REF"
  note "ok: $2 output is byte-identical to the reference"
}

run_job() {  # run_job NAME SCRIPT [sbatch options] -- [VAR=value...]
  local name=$1 jid t0=$SECONDS
  jid=$(submit "$@")
  wait_job "$jid" "$name"
  note "job $name ($jid) COMPLETED in $((SECONDS - t0))s"
}

pairs_var=()
[[ $USE_PAIRS == 1 ]] || pairs_var=(PAIRS=)
common=(LEFT="$LEFT" RIGHT="$RIGHT" ALGORITHM="$ALGORITHM")

# one node, one rank with every CPU
OUT1=$WORK/jobs/one_node/out.csv
run_job one_node one_node.sbatch -- "${common[@]}" OUT="$OUT1" "${pairs_var[@]}"
same_as_ref "$OUT1" one_node.sbatch
if [[ $USE_PAIRS == 1 ]]; then
  [[ -s $WORK/jobs/one_node/out.pairs.h5 ]] || fail "one_node.sbatch wrote no pair file out.pairs.h5"
  # RESUME=1 from the finished pair file gives the same bytes again
  mv "$OUT1" "$WORK/jobs/one_node/out.first.csv"
  run_job one_node_resume one_node.sbatch -- "${common[@]}" OUT="$OUT1" RESUME=1
  same_as_ref "$OUT1" "one_node.sbatch RESUME=1"
  grep -q -- '--resume' "$WORK/jobs/one_node_resume.log" || fail "one_node.sbatch RESUME=1 did not pass --resume"
fi

# several ranks with one (fake) GPU each; the localhost node stands in for the nodes
OUT2=$WORK/jobs/multi_gpu/out.csv
run_job multi_gpu multi_node_gpu.sbatch --nodes=1 --ntasks-per-node="$RANKS" --cpus-per-task=1 -- \
  "${common[@]}" OUT="$OUT2" "${pairs_var[@]}"
same_as_ref "$OUT2" "multi_node_gpu.sbatch ($RANKS ranks, 1 GPU each)"
grep -q "$RANKS rank(s) on 1 node(s)" "$WORK/jobs/multi_gpu.log" || fail "multi_node_gpu.sbatch did not run $RANKS ranks"
grep -q "1 GPU(s) per rank" "$WORK/jobs/multi_gpu.log" || fail "multi_node_gpu.sbatch ranks got no GPU"

# the documented CPU-only override of the same script
OUT3=$WORK/jobs/multi_cpu/out.csv
run_job multi_cpu multi_node_gpu.sbatch --nodes=1 --ntasks-per-node="$RANKS" --cpus-per-task=1 \
  --gpus-per-task=0 -- "${common[@]}" OUT="$OUT3" "${pairs_var[@]}"
same_as_ref "$OUT3" "multi_node_gpu.sbatch --gpus-per-task=0"

# stress with small data: same rows and seed as above, so the same tables and the same output
SD=$WORK/jobs/stress/work
run_job stress stress.sbatch --ntasks="$RANKS" -- ROWS="$ROWS" SEED="$SEED" ALGORITHM="$ALGORITHM" \
  WORKDIR="$SD" "${pairs_var[@]}"
for f in left.csv right.csv truth.csv; do
  cmp "$SD/data/$f" "$DATA/$f" || fail "stress.sbatch generated a different $f than 'generate' with the same rows and seed"
done
same_as_ref "$SD/matches.csv" "stress.sbatch ($RANKS ranks)"
[[ $USE_PAIRS != 1 || -s $SD/matches.pairs.h5 ]] || fail "stress.sbatch wrote no pair file"
LOG=$WORK/jobs/stress.log
summary=$(sed -n '/^==== name_matcher stress summary ====$/,/^==== end ====$/p' "$LOG")
[[ -n $summary ]] || { cat "$LOG" >&2; fail "stress.sbatch printed no summary block"; }
num='[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?'
expect() {  # expect REGEX: one summary line must match ^REGEX$
  grep -qxE -- "$1" <<<"$summary" || { echo "$summary" >&2; fail "stress summary has no line matching '^$1\$'"; }
}
expect "rows: $ROWS"
expect "algorithm: $ALGORITHM"
expect "ranks: $RANKS"
expect "threads_per_rank: [0-9]+"
for k in generate_seconds run_seconds evaluate_seconds total_seconds; do expect "$k: $num"; done
expect "matches: $REF_ROWS"
if [[ $ALGORITHM =~ ^[1-4]$ ]]; then
  expect "true_pairs: [0-9]+"
  for k in precision recall f1; do expect "$k: $num"; done
fi
expect "run_peak_rss_mb: ($num \(.*\)|n/a)"
for k in generate_peak_rss_mb evaluate_peak_rss_mb; do expect "$k: ($num|n/a)"; done
expect "output: .*matches\.csv"
expect "summary_json: .*"
expect "status: ok"
note "ok: stress.sbatch summary has every line"
# precision/recall must be the evaluate command's own numbers for that output
if [[ $ALGORITHM =~ ^[1-4]$ ]]; then
  ev=$("$BIN" evaluate --truth "$TRUTH" --matches "$REF" --json)
  for k in precision recall; do
    want=$(sed -n "s/.*\"$k\" *: *\\([-0-9.eE+]*\\).*/\\1/p" <<<"$ev" | head -n 1)
    expect "$k: $want"
  done
fi

note "all checks passed ($(($(grep -c '' <<<"$summary") - 2)) summary lines) in $((SECONDS - T_START))s"
