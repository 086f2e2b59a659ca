#!/usr/bin/env bash
# Dropped connections while reading a big (1M-row) table: KILL CONNECTION of the reading
# connection -> the run reconnects, reads on after the last key and writes exactly what the CSV
# run writes; kill -9 of the server in the middle of a read -> exit 1, a clear message, no
# output. The server is started again at the end (on a new port) for the tests that follow.
# usage: kill_test.sh <name_matcher> <STATE_DIR> <shared dir>
set -uo pipefail
NM=$(realpath "${1:?usage: kill_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
DB_STATE=$(realpath "${2:?usage: kill_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
SERVER_SH=$(cd "$(dirname "$0")" && pwd)/mariadb_server.sh
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
# shellcheck source=tests/db/db_lib.sh
source "$(dirname "$0")/db_lib.sh"
cd "$T" || exit 1
fresh_db
ROWS=1000000

# The tables and, from the same generator, the CSV files and the CSV run's output.
"$NM" seed --rows $ROWS --seed 5 -q "mysql://$NM_DB_USER@$NM_DB_HOST:$NM_DB_PORT/$NM_DB_NAME"
check "seeded" eq "$(sql 'SELECT COUNT(*) FROM nm_left UNION ALL SELECT COUNT(*) FROM nm_right')" "$ROWS
$ROWS"
"$NM" generate --rows $ROWS --seed 5 --out-dir "$T/gen" >/dev/null 2>&1
"$NM" run -q --left "$T/gen/left.csv" --right "$T/gen/right.csv" -a 1 --out "$T/ref.csv"
check "reference run: a real result" test "$(wc -l <"$T/ref.csv")" -gt 100000

# reading_connection TABLE: waits (up to 120 s) until a connection of $NM_DB_USER is sending
# TABLE's rows, prints its id; empty if none was seen.
reading_connection() {
  local id i
  for ((i = 0; i < 2400; i++)); do
    id=$(sql "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '$NM_DB_USER'
              AND COMMAND <> 'Sleep' AND INFO LIKE 'SELECT %FROM \`$NM_DB_NAME\`.\`$1\`%'
              AND STATE IN ('Sending data', 'Writing to net') LIMIT 1" 2>/dev/null)
    [ -n "$id" ] && { echo "$id"; return 0; }
    kill -0 "$2" 2>/dev/null || return 1 # the run ended before its read was seen
    sleep 0.05
  done
  return 1
}

# --- KILL CONNECTION of the reading connection: reconnect, same output ----------------------
for side in left right; do
  tab=nm_$side
  rm -f "$T/k_$side.csv"*
  timeout 600 "$NM" run -q --left "$(url nm_left)" --right "$(url nm_right)" -a 1 --out "$T/k_$side.csv" \
    2>"$T/k_$side.err" &
  pid=$!
  id=$(reading_connection "$tab" "$pid")
  check "kill $side: the read was seen" test -n "$id"
  [ -n "$id" ] && sql "KILL CONNECTION $id"
  wait "$pid"
  rc=$?
  check "kill $side: exit 0" test "$rc" -eq 0
  check "kill $side: the connection was gone" eq "$(sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ${id:-0}")" 0
  check "kill $side: the reconnect is reported" grep -qi "reconnect" "$T/k_$side.err"
  check "kill $side: output identical to the CSV run" same "$T/ref.csv" "$T/k_$side.csv"
  check "kill $side: reconnects counted in the summary" \
    test "$(json "$T/k_$side.csv.summary.json" "d['database']['$side']['reconnects']")" -ge 1
  check "kill $side: every row read once" \
    eq "$(json "$T/k_$side.csv.summary.json" "d['per_rank'][0]['records_loaded']['$side']")" $ROWS
done

# --- kill -9 of the server during the read: exit 1, a clear message, no output -------------
check "the server pid is ours" grep -qzxF -- "--datadir=$DB_STATE/data" "/proc/$NM_DB_PID/cmdline"
rm -f "$T/dead.csv"*
timeout 600 "$NM" run -q --left "$(url nm_left)" --right "$(url nm_right)" -a 1 --out "$T/dead.csv" \
  2>"$T/dead.err" &
pid=$!
id=$(reading_connection nm_left "$pid")
check "server kill: the read was seen" test -n "$id"
kill -KILL "$NM_DB_PID"
wait "$pid"
rc=$?
check "server kill: exit 1" test "$rc" -eq 1
check "server kill: one error message" eq "$(grep -c ': error: ' "$T/dead.err")" 1
check "server kill: says the connection was lost and not reopened" \
  grep -qiE "lost connection|connection was lost|could not (be )?reopen" "$T/dead.err"
check "server kill: names the table" has "$T/dead.err" "$(url nm_left)"
check "server kill: no output" test ! -e "$T/dead.csv"
check "server kill: no partial output file" eq "$(find "$T" -maxdepth 1 -name 'dead.csv*' ! -name '*.summary.json' | wc -l)" 0

# --- the server again, for the tests after this one -----------------------------------------
bash "$SERVER_SH" start "$DB_STATE" >"$T/restart.log" 2>&1
check "server restarted" test $? -eq 0
# shellcheck source=/dev/null
. "$DB_STATE/env"
check "restarted server answers" eq "$(sql 'SELECT 1')" 1
check "restarted server: nm logs in" eq "$(sql_as nm "$NM_DB_PASSWORD" 'SELECT CURRENT_USER()')" nm@127.0.0.1

finish db_kill
