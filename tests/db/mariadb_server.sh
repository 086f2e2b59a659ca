#!/usr/bin/env bash
# A throw-away MariaDB server for the database tests (ctest fixture "mariadb"):
#   bash tests/db/mariadb_server.sh start STATE_DIR   # fresh datadir, free loopback port, users, STATE_DIR/env
#   bash tests/db/mariadb_server.sh stop  STATE_DIR   # stops that server and removes its datadir
# Only the server whose command line names STATE_DIR/data is ever signalled, never another mariadbd.
set -euo pipefail

usage() { echo "usage: mariadb_server.sh start|stop STATE_DIR" >&2; exit 2; }
die() { echo "mariadb_server.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || usage
CMD=$1
mkdir -p "$2"
STATE=$(cd "$2" && pwd -P) # absolute, so /proc/PID/cmdline matches whatever the caller's cwd was
DATA=$STATE/data SOCK=$STATE/sock PIDFILE=$STATE/mariadbd.pid LOG=$STATE/error.log
# mariadbd refuses to run as root unless told to (CI runs as root); as anyone else it runs as them.
AS_ROOT=()
[ "$(id -u)" -eq 0 ] && AS_ROOT=(--user=root)

# PIDs of the mariadbd processes whose command line names our datadir. This finds the pid file's
# server, and also one that crashed before writing it; a stale pid file whose pid now belongs to
# another process (or another mariadbd) is never trusted.
our_pids() {
  local p comm
  for p in /proc/[0-9]*; do
    # `read` is a builtin: no process per /proc entry, so this loop stays cheap to poll.
    { read -r comm <"$p/comm"; } 2>/dev/null || continue # gone meanwhile
    [ "$comm" = mariadbd ] || continue
    grep -qzxF -- "--datadir=$DATA" "$p/cmdline" 2>/dev/null && echo "${p#/proc/}" # -z: NUL-separated args
  done
}

stop_server() {
  local pids p i
  pids=$(our_pids)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086 # word splitting of the pid list is intended
    kill -TERM $pids 2>/dev/null || true
    for ((i = 0; i < 300; i++)); do # a clean shutdown flushes InnoDB: allow 30 s
      [ -n "$(our_pids)" ] || break
      sleep 0.1
    done
    for p in $(our_pids); do
      echo "mariadb_server.sh: pid $p ignored TERM for 30 s, sending KILL" >&2
      kill -KILL "$p" 2>/dev/null || true
    done
    for ((i = 0; i < 50; i++)); do [ -n "$(our_pids)" ] || break; sleep 0.1; done
  fi
  [ -z "$(our_pids)" ] || die "could not stop mariadbd on $DATA"
  rm -rf "$DATA" "$SOCK" "$SOCK.lock" "$PIDFILE" "$STATE/env" "$STATE/root.cnf" "$STATE/tmp"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts mariadbd on $1 and waits for it to answer; returns 1 if it died or never answered.
launch() {
  local port=$1 i
  # setsid + all fds redirected: ctest waits for the test's pipes to close, so the server
  # must hold none of them, and must not get the test's signals.
  setsid /usr/sbin/mariadbd --no-defaults "${AS_ROOT[@]}" \
    --datadir="$DATA" --socket="$SOCK" --port="$port" --bind-address=127.0.0.1 \
    --pid-file="$PIDFILE" --log-error="$LOG" --tmpdir="$STATE/tmp" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
    --local-infile=1 --skip-log-bin --skip-name-resolve \
    --innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 --innodb-buffer-pool-size=512M \
    --innodb-log-file-size=512M --innodb-use-native-aio=0 \
    --innodb-buffer-pool-dump-at-shutdown=0 --innodb-buffer-pool-load-at-startup=0 \
    --max-allowed-packet=256M --max-connections=500 \
    </dev/null >>"$LOG" 2>&1 &
  # Liveness by our_pids, not $!: setsid may fork, and then $! is not the server; the first
  # second is always waited, as the child may not have exec'd mariadbd yet.
  for ((i = 0; i < 600; i++)); do # ~60 s
    mariadb-admin --no-defaults --socket="$SOCK" --user=root --connect-timeout=2 ping >/dev/null 2>&1 && return 0
    [ "$i" -lt 10 ] || [ -n "$(our_pids)" ] || return 1
    sleep 0.1
  done
  return 1
}

start_server() {
  stop_server # a crashed earlier run may have left a server or a datadir behind
  # The socket path must fit sockaddr_un.sun_path (108 bytes).
  [ ${#SOCK} -lt 100 ] || die "state dir too deep for a unix socket path: $SOCK"
  mkdir -p "$STATE/tmp"
  : >"$LOG"
  # normal: root@localhost with no password over the socket (not tied to the OS user);
  # --skip-test-db: nothing but our own databases.
  mariadb-install-db --no-defaults "${AS_ROOT[@]}" --datadir="$DATA" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
    >"$STATE/install.log" 2>&1 || { tail -30 "$STATE/install.log" >&2; die "mariadb-install-db failed"; }

  # The port is free when python releases it but another process may take it before mariadbd
  # binds it: try three ports before giving up.
  local port attempt
  for attempt in 1 2 3; do
    port=$(free_port)
    launch "$port" && break
    # The server exits by itself when the bind fails: only the log needs resetting.
    if [ "$attempt" -lt 3 ] && [ -z "$(our_pids)" ] && grep -q 'Bind on TCP/IP port' "$LOG"; then
      : >"$LOG"
      continue
    fi
    echo "---- tail of $LOG ----" >&2
    tail -40 "$LOG" >&2
    stop_server
    die "mariadbd did not start (port $port)"
  done

  mariadb --no-defaults --socket="$SOCK" --user=root <<'SQL' || die "creating the test databases and users failed"
CREATE DATABASE nmtest CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE DATABASE nmtest2 CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER 'nm'@'127.0.0.1' IDENTIFIED BY 'nm-test-pw';
CREATE USER 'nm'@'localhost' IDENTIFIED BY 'nm-test-pw';
GRANT ALL ON nmtest.* TO 'nm'@'127.0.0.1', 'nm'@'localhost';
GRANT ALL ON nmtest2.* TO 'nm'@'127.0.0.1', 'nm'@'localhost';
CREATE USER 'nmro'@'127.0.0.1' IDENTIFIED BY 'ro-pw';
GRANT SELECT ON nmtest.* TO 'nmro'@'127.0.0.1';
SQL

  printf 'NM_DB_%s=%q\n' HOST 127.0.0.1 PORT "$port" USER nm PASSWORD nm-test-pw NAME nmtest \
    SOCKET "$SOCK" PID "$(cat "$PIDFILE")" >"$STATE/env"
  # default-character-set: under env -i (C locale) the client would otherwise guess latin1.
  cat >"$STATE/root.cnf" <<EOF
[client]
socket=$SOCK
user=root
default-character-set=utf8mb4
EOF
  echo "mariadb_server.sh: mariadbd $(cat "$PIDFILE") on 127.0.0.1:$port, state in $STATE"
}

case $CMD in
  start) start_server ;;
  stop) stop_server; echo "mariadb_server.sh: stopped, $DATA removed" ;;
  *) usage ;;
esac
