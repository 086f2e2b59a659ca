#!/usr/bin/env bash
# A one-node Slurm cluster on localhost, for trying the slurm/*.sbatch scripts and for the
# Slurm end-to-end test (tests/slurm/slurm_e2e.sh). Debian 12, as root, no systemd needed.
#
# usage: scripts/slurm_local.sh up|down|clean|status|env
#   up      start munged + slurmctld + slurmd and wait until the node is idle; if this
#           cluster (same state dir) is already up and idle, do nothing
#   down    stop the three daemons by the PIDs in their pid files (keeps the state dir)
#   clean   down, then remove the state dir
#   status  print the daemons and sinfo; exit 0 when the cluster is up, 1 when not
#   env     print "export SLURM_CONF=..." (use: eval "$(scripts/slurm_local.sh env)")
# Every command is idempotent: up twice, down twice, down of a cluster never started are fine.
#
# Environment:
#   SLURM_LOCAL_BASE  state dir: slurm.conf, munge key and socket, spool, logs, pid files
#                     (default /tmp/name_matcher-slurm). Nothing under /etc is touched.
#   SLURM_LOCAL_PORT  slurmctld port; slurmd uses PORT+1. Default: the first free pair from
#                     16817 up, so a system Slurm and other local clusters are left alone.
#   SLURM_LOCAL_GPUS  GPUs the node advertises (default 0). With N > 0 the node has
#                     "Gres=gpu:N" without device files: jobs asking --gpus-per-task=1 are
#                     scheduled as on a GPU cluster, but no real GPU is there (for testing
#                     slurm/multi_node_gpu.sbatch on a machine without GPUs).
# Then in your shell:  export SLURM_CONF=$SLURM_LOCAL_BASE/slurm.conf
#
# The node is this host: NodeName = `hostname -s` at 127.0.0.1, CPUs = nproc, RealMemory from
# `slurmd -C`. No cgroups (proctrack/linuxproc, task/none), no accounting database (sacct does
# not work; jobs' state is read with squeue/scontrol while the controller keeps it).
#
# MPI: MpiDefault=pmix. On Debian 12 (Slurm 22.05 + Open MPI 4.1.4 + PMIx 4.2.2) `srun --mpi=pmix`
# works; Slurm's mpi_pmix plugin dlopen()s the unversioned libpmix.so, which is in libpmix-dev
# (scripts/deps.sh installs it). `srun --mpi=pmi2` does NOT work with Debian's Open MPI
# (it is built without the pmi2 client: MPI_Init fails), neither does `--mpi=none`.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BASE=${SLURM_LOCAL_BASE:-/tmp/name_matcher-slurm}
CONF=$BASE/slurm.conf
MSOCK=$BASE/munge/run/munge.socket.2
export SLURM_CONF=$CONF

log() { printf '[slurm_local] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1" 2>/dev/null)" 2>/dev/null; }

# The node's state as sinfo shows it ("idle", "mix", "alloc", "down*", ...), or "" if none.
node_state() {
  [[ -f $CONF ]] || return 0
  timeout 10 sinfo -h -o %t 2>/dev/null | head -n1 || true
}

is_up() {
  pid_alive "$BASE/munge/run/munged.pid" && pid_alive "$BASE/run/slurmctld.pid" &&
    pid_alive "$BASE/run/slurmd.pid" && [[ -n $(node_state) ]]
}

ensure_packages() {
  local c need=()
  for c in slurmctld slurmd sbatch srun sinfo munged munge unmunge; do
    command -v "$c" >/dev/null 2>&1 || need+=("$c")
  done
  # srun --mpi=pmix: Slurm's plugin dlopen()s the unversioned libpmix.so (Debian: libpmix-dev)
  if command -v dpkg-query >/dev/null 2>&1 && ! dpkg-query -W -f='${Status}' libpmix-dev 2>/dev/null | grep -q 'ok installed'; then
    need+=(libpmix-dev)
  fi
  ((${#need[@]} == 0)) && return 0
  log "missing: ${need[*]}; installing the project's packages (scripts/deps.sh)"
  [[ $(id -u) -eq 0 ]] || die "not root: run 'bash scripts/deps.sh' as root first"
  bash "$HERE/deps.sh" >&2
}

port_free() {  # true if nothing listens on 127.0.0.1:$1
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() {
  local p
  if [[ -n ${SLURM_LOCAL_PORT:-} ]]; then
    if ! port_free "$SLURM_LOCAL_PORT" || ! port_free $((SLURM_LOCAL_PORT + 1)); then
      die "port $SLURM_LOCAL_PORT or $((SLURM_LOCAL_PORT + 1)) is in use"
    fi
    echo "$SLURM_LOCAL_PORT"; return
  fi
  for ((p = 16817; p < 17817; p += 2)); do
    if port_free "$p" && port_free $((p + 1)); then echo "$p"; return; fi
  done
  die "no free port pair in 16817..17816"
}

stop_pidfiles() {  # stop daemons by the PIDs in their pid files: TERM all, KILL after 15 s
  local f p _ pids=() alive=() files=("$@")
  for f in "${files[@]}"; do
    [[ -f $f ]] || continue
    p=$(cat "$f" 2>/dev/null || true)
    if [[ $p =~ ^[0-9]+$ ]] && kill -0 "$p" 2>/dev/null && kill "$p" 2>/dev/null; then pids+=("$p"); fi
  done
  for _ in $(seq 1 150); do
    alive=()
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    ((${#alive[@]})) || break
    sleep 0.1
  done
  for p in "${pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then
      log "PID $p did not exit after TERM, sending KILL"
      kill -9 "$p" 2>/dev/null || true
    fi
  done
  rm -f "${files[@]}"
}

down() {
  [[ -d $BASE ]] || { log "not running (no $BASE)"; return 0; }
  # Jobs still running would keep slurmstepd processes; cancel them while the controller is up.
  if pid_alive "$BASE/run/slurmctld.pid"; then timeout 10 scancel --full -u "$(id -un)" 2>/dev/null || true; fi
  # all three at once: each takes 1-2 s to exit; slurmctld's child slurmscriptd exits with it
  stop_pidfiles "$BASE/run/slurmd.pid" "$BASE/run/slurmctld.pid" "$BASE/munge/run/munged.pid"
  log "stopped ($BASE)"
}

write_conf() {
  local host=$1 port=$2 cpus=$3 mem=$4 gpus=$5 gres="" grestypes="" i first_job_id
  # one block of 100000 ids per port pair, at a random place in it
  first_job_id=$(((port - 16817) * 50000 + (RANDOM % 90) * 1000 + 1))
  if ((gpus > 0)); then
    gres=" Gres=gpu:$gpus"
    grestypes="GresTypes=gpu"
    # Slurm drops a GPU without a device file, so each fake GPU is a link to /dev/null in $BASE/dev
    # (no cgroups here, so nothing is ever opened through it).
    mkdir -p "$BASE/dev"
    for ((i = 0; i < gpus; i++)); do ln -s /dev/null "$BASE/dev/fakegpu$i"; done
    printf 'NodeName=%s Name=gpu File=%s/dev/fakegpu[0-%d]\n' "$host" "$BASE" $((gpus - 1)) >"$BASE/gres.conf"
  fi
  cat >"$CONF" <<EOF
# written by scripts/slurm_local.sh: a one-node cluster on localhost
ClusterName=nmlocal
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MSOCK
SlurmctldPort=$port
SlurmdPort=$((port + 1))
StateSaveLocation=$BASE/ctld
SlurmdSpoolDir=$BASE/spool
TmpFS=$BASE/tmp
SlurmctldPidFile=$BASE/run/slurmctld.pid
SlurmdPidFile=$BASE/run/slurmd.pid
SlurmctldLogFile=$BASE/log/slurmctld.log
SlurmdLogFile=$BASE/log/slurmd.log
MailProg=/bin/true
# no cgroups: works in containers without cgroup delegation
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
# keep finished jobs visible to scontrol for 30 min (there is no sacct)
MinJobAge=1800
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# Job ids apart from any other local cluster's: Open MPI names its shared-memory segments
# (/dev/shm/vader_segment.*) after the PMIx namespace slurm.pmix.JOBID.STEP, so two clusters
# running job 3 at once would share them and crash
FirstJobId=$first_job_id
SchedulerType=sched/backfill
# start a submitted batch job at once (the default waits up to 3 s)
SchedulerParameters=batch_sched_delay=0
# pmix: srun of an Open MPI 4.1 program works without --mpi (pmi2 and none do not)
MpiDefault=pmix
ReturnToService=2
$grestypes
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem$gres State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

up() {
  local t0 host cpus mem port gpus=${SLURM_LOCAL_GPUS:-0} st=""
  [[ $gpus =~ ^[0-9]+$ ]] || die "SLURM_LOCAL_GPUS must be a number, not '$gpus'"
  if is_up; then
    log "already up ($BASE, node $(node_state))"
    echo "export SLURM_CONF=$CONF"
    return 0
  fi
  [[ $(id -u) -eq 0 ]] || die "must run as root (the daemons run as root with SlurmUser=root)"
  t0=$(date +%s%N)
  ensure_packages
  down >/dev/null 2>&1 || true
  rm -rf "$BASE"
  mkdir -p "$BASE"/{ctld,spool,log,run,tmp} "$BASE"/munge/{etc,run,lib,log}
  local d
  d=$(cd "$BASE/.." && pwd)
  while [[ $d != / ]]; do   # munged refuses a socket under a dir others cannot enter
    [[ $(stat -c %A "$d") == ?????????[xt] ]] ||
      die "$d is not o+x (munged needs every parent of its socket to be): chmod o+x $d, or another SLURM_LOCAL_BASE"
    d=$(dirname "$d")
  done
  chmod 755 "$BASE" "$BASE/munge" "$BASE/munge/run"   # munged wants a socket dir others can enter
  chmod 700 "$BASE/munge/etc" "$BASE/munge/lib" "$BASE/munge/log"
  chmod 1777 "$BASE/tmp"

  # munge: a fresh key; munged runs as root with everything under $BASE
  dd if=/dev/urandom of="$BASE/munge/etc/munge.key" bs=1024 count=1 status=none
  chmod 600 "$BASE/munge/etc/munge.key"
  munged -S "$MSOCK" --key-file="$BASE/munge/etc/munge.key" --pid-file="$BASE/munge/run/munged.pid" \
    --seed-file="$BASE/munge/lib/munged.seed" --log-file="$BASE/munge/log/munged.log" ||
    die "munged did not start: $(tail -n 5 "$BASE/munge/log/munged.log" 2>/dev/null)"
  munge -n -S "$MSOCK" | unmunge -S "$MSOCK" >/dev/null || die "munge self-test failed"

  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
  [[ -n $mem ]] || mem=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
  # The ports are picked and bound under one lock, so two clusters started at once do not collide.
  exec 9>"/tmp/name_matcher-slurm-ports.lock"
  flock 9
  port=$(pick_port)
  write_conf "$host" "$port" "$cpus" "$mem" "$gpus"
  slurmctld -f "$CONF" 9>&- || die "slurmctld did not start: $(tail -n 20 "$BASE/log/slurmctld.log" 2>/dev/null)"
  slurmd -f "$CONF" -N "$host" 9>&- || die "slurmd did not start: $(tail -n 20 "$BASE/log/slurmd.log" 2>/dev/null)"
  for _ in $(seq 1 300); do
    st=$(node_state)
    [[ $st == idle ]] && break
    sleep 0.1
  done
  flock -u 9
  exec 9>&-
  if [[ $st != idle ]]; then
    log "node not idle after 30 s (state '$st'); logs:"
    tail -n 20 "$BASE"/log/*.log >&2 || true
    down
    exit 1
  fi
  log "up in $((($(date +%s%N) - t0) / 1000000)) ms: node $host ($cpus CPUs, $mem MB, $gpus GPUs)," \
    "ports $port/$((port + 1)), munged $(cat "$BASE/munge/run/munged.pid")" \
    "slurmctld $(cat "$BASE/run/slurmctld.pid") slurmd $(cat "$BASE/run/slurmd.pid")"
  echo "export SLURM_CONF=$CONF"
}

status() {
  local f
  for f in munge/run/munged.pid run/slurmctld.pid run/slurmd.pid; do
    if pid_alive "$BASE/$f"; then echo "$f: running ($(cat "$BASE/$f"))"; else echo "$f: not running"; fi
  done
  if is_up; then
    timeout 10 sinfo || true
    echo "export SLURM_CONF=$CONF"
    return 0
  fi
  echo "cluster at $BASE is not up"
  return 1
}

case ${1:-} in
  up) up ;;
  down) down ;;
  clean) down; rm -rf "$BASE"; log "removed $BASE" ;;
  status) status ;;
  env) echo "export SLURM_CONF=$CONF" ;;
  *) echo "usage: $0 up|down|clean|status|env   (state dir: \$SLURM_LOCAL_BASE, default /tmp/name_matcher-slurm)" >&2; exit 2 ;;
esac
