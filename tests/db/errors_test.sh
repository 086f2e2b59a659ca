#!/usr/bin/env bash
# Database passwords and connection errors: where the password comes from (--password-file, the
# --left/--right/--out-password-env variables, NAME_MATCHER_DB_PASSWORD, DB_PASSWORD, the MySQL
# option file) and in which order; a password in the URL refused; the password in no output,
# log or summary; wrong password, unknown database, missing table or column, names that try SQL
# injection, bad and closed ports: exit 1, one clear message, no output.
# usage: errors_test.sh <name_matcher> <STATE_DIR> <shared dir>
set -uo pipefail
NM=$(realpath "${1:?usage: errors_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
DB_STATE=$(realpath "${2:?usage: errors_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
G=$(cd "$(dirname "$0")/../data/golden" && pwd)
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
# shellcheck source=tests/db/db_lib.sh
source "$(dirname "$0")/db_lib.sh"
cd "$T" || exit 1
fresh_db
# one_error ERRFILE: exactly one error line.
one_error() { eq "$(grep -c ': error: ' "$1")" 1 || { cat "$1" >&2; return 1; }; }

PW=$NM_DB_PASSWORD
load_csv_into gl "$G/left.csv"
load_csv_into gr "$G/right.csv"
L=$(url gl) R=$(url gr)
RO_L="mysql://nmro@$NM_DB_HOST:$NM_DB_PORT/nmtest/gl"
RO_R="mysql://nmro@$NM_DB_HOST:$NM_DB_PORT/nmtest/gr"
# a1 [ENV...] -- [OPTIONS...]: the golden A1 run with this environment and these options,
# stderr to $T/a1.err; true when it succeeds with the golden output.
a1() {
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  rm -f "$T/a1.csv"
  env -u NAME_MATCHER_DB_PASSWORD -u DB_PASSWORD "${envs[@]}" \
    "$NM" run -q --left "$L" --right "$R" -a 1 --out "$T/a1.csv" "$@" 2>"$T/a1.err" &&
    same "$G/a1.csv" "$T/a1.csv"
}
denied() { ! a1 "$@" && has "$T/a1.err" "Access denied" && test ! -e "$T/a1.csv"; }

# --- where the password comes from ---------------------------------------------------------
printf '%s\nnot-the-password\n' "$PW" >"$T/pw.txt"
printf 'wrong-pw-1\n%s\n' "$PW" >"$T/badpw.txt"
printf '[client]\npassword=%s\n' "$PW" >"$T/client.cnf"
printf '[name_matcher]\npassword=%s\n' "$PW" >"$T/nm.cnf"
printf '[client]\npassword=wrong-pw-2\n' >"$T/badclient.cnf"
check "NAME_MATCHER_DB_PASSWORD" a1 NAME_MATCHER_DB_PASSWORD="$PW" --
check "DB_PASSWORD" a1 DB_PASSWORD="$PW" --
check "NAME_MATCHER_DB_PASSWORD before DB_PASSWORD" a1 NAME_MATCHER_DB_PASSWORD="$PW" DB_PASSWORD=wrong-pw-3 --
check "NAME_MATCHER_DB_PASSWORD before DB_PASSWORD (wrong one wins)" \
  denied NAME_MATCHER_DB_PASSWORD=wrong-pw-3 DB_PASSWORD="$PW" --
check "--password-file: its first line" a1 -- --password-file "$T/pw.txt"
check "--password-file before the environment" \
  a1 NAME_MATCHER_DB_PASSWORD=wrong-pw-3 DB_PASSWORD=wrong-pw-4 -- --password-file "$T/pw.txt"
check "--password-file: only the first line" denied NAME_MATCHER_DB_PASSWORD="$PW" -- --password-file "$T/badpw.txt"
check "--password-file missing: refused" not a1 NAME_MATCHER_DB_PASSWORD="$PW" -- --password-file "$T/nope.txt"
check "--password-file missing: named" has "$T/a1.err" "nope.txt"
check "option file [client] password" a1 -- --db-option-file "$T/client.cnf"
check "option file [name_matcher] password" a1 -- --db-option-file "$T/nm.cnf"
check "environment before the option file" denied NAME_MATCHER_DB_PASSWORD=wrong-pw-3 -- --db-option-file "$T/client.cnf"
check "DB_PASSWORD before the option file" a1 DB_PASSWORD="$PW" -- --db-option-file "$T/badclient.cnf"
check "no password anywhere: access denied" denied HOME="$T" --
# the default option file ~/.my.cnf
mkdir -p "$T/home"
cp "$T/client.cnf" "$T/home/.my.cnf"
chmod 600 "$T/home/.my.cnf"
check "the default option file HOME/.my.cnf" a1 HOME="$T/home" --
# one password per side: nmro reads with its own password, nm with the common one
# sides [ENV...] -- LEFT RIGHT [OPTIONS...]: the golden A1 run; stderr to $T/sides.err.
sides() {
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  rm -f "$T/sides.csv"
  env "${envs[@]}" "$NM" run -q --left "$1" --right "$2" -a 1 --out "$T/sides.csv" "${@:3}" 2>"$T/sides.err" &&
    same "$G/a1.csv" "$T/sides.csv"
}
check "--left-password-env" sides LEFT_PW=ro-pw -- "$RO_L" "$R" --left-password-env LEFT_PW
check "--right-password-env" sides RIGHT_PW=ro-pw -- "$L" "$RO_R" --right-password-env RIGHT_PW
check "--password-file before --left-password-env" \
  sides LEFT_PW=wrong-pw-8 -- "$L" "$R" --left-password-env LEFT_PW --password-file "$T/pw.txt"
check "--left-password-env before NAME_MATCHER_DB_PASSWORD" \
  sides LEFT_PW=ro-pw NAME_MATCHER_DB_PASSWORD="$PW" DB_PASSWORD=wrong-pw-8 -- "$RO_L" "$R" --left-password-env LEFT_PW
check "nmro with nm's password: denied" not sides -- "$L" "$RO_R"
check "nmro with nm's password: access denied" has "$T/sides.err" "Access denied for user 'nmro'"
check "--left-password-env naming an unset variable: refused" \
  not sides -- "$L" "$R" --left-password-env NM_NO_SUCH_VAR
check "--left-password-env naming an unset variable: named" has "$T/sides.err" "NM_NO_SUCH_VAR"
# --out-password-env: each of the three connections has its own variable, the common one is wrong
env NAME_MATCHER_DB_PASSWORD=wrong-pw-5 LPW="$PW" RPW="$PW" OPW="$PW" "$NM" run -q --left "$L" --right "$R" -a 1 \
  --left-password-env LPW --right-password-env RPW --out-password-env OPW --out "$(url outpw)" --out "$T/outpw.csv"
check "--left/--right/--out-password-env: run" same "$G/a1.csv" "$T/outpw.csv"
check "--out-password-env: table written" eq "$(sql 'SELECT COUNT(*) FROM outpw')" "$(($(wc -l <"$G/a1.csv") - 1))"
refused "$T/outpw.err" env OPW=wrong-pw-6 "$NM" run -q --left "$L" --right "$R" -a 1 \
  --out-password-env OPW --out "$(url outpw2)" --out "$T/outpw2.csv"
check "--out-password-env wrong: access denied on the output" has "$T/outpw.err" "$(url outpw2): connect: Access denied"
check "--out-password-env wrong: no table" eq "$(sql "SHOW TABLES LIKE 'outpw2'")" ""
check "--out-password-env wrong: no CSV" test ! -e "$T/outpw2.csv"

# --- a password in the URL is refused ------------------------------------------------------
for u in "mysql://nm:$PW@$NM_DB_HOST:$NM_DB_PORT/nmtest/gl" "mariadb://nm:$PW@$NM_DB_HOST/nmtest/gl"; do
  refused "$T/urlpw.err" "$NM" run -q --left "$u" --right "$R" -a 1 --out "$T/urlpw.csv"
  check "password in --left URL refused" has "$T/urlpw.err" "password in the URL is refused"
  check "password in the URL: not repeated" not grep -qF -- "$PW" "$T/urlpw.err"
  check "password in the URL: no output" test ! -e "$T/urlpw.csv"
done
refused "$T/urlpw.err" "$NM" run -q --left "$L" --right "$R" -a 1 \
  --out "mysql://nm:$PW@$NM_DB_HOST:$NM_DB_PORT/nmtest/urlpw" --out "$T/urlpw.csv"
check "password in --out URL refused" has "$T/urlpw.err" "password in the URL is refused"
check "password in --out URL: not repeated" not grep -qF -- "$PW" "$T/urlpw.err"
check "password in --out URL: no table" eq "$(sql "SHOW TABLES LIKE 'urlpw'")" ""
refused "$T/urlpw.err" "$NM" seed --rows 10 "mysql://nm:$PW@$NM_DB_HOST:$NM_DB_PORT/nmtest"
check "password in the seed URL refused" has "$T/urlpw.err" "password in the URL is refused"
check "password in the seed URL: nothing created" eq "$(sql "SHOW TABLES LIKE 'nm\\_%'")" ""

# --- the password is in no output, log or summary ------------------------------------------
SECRET="Sec-$RANDOM$RANDOM-pw"
sql "DROP USER IF EXISTS 'nmsecret'@'127.0.0.1'; CREATE USER 'nmsecret'@'127.0.0.1' IDENTIFIED BY '$SECRET';
     GRANT ALL ON nmtest.* TO 'nmsecret'@'127.0.0.1'"
SB="mysql://nmsecret@$NM_DB_HOST:$NM_DB_PORT/nmtest"
SL=$SB/gl SR=$SB/gr
mkdir -p "$T/leak"
printf '%s\n' "$SECRET" >"$DB_STATE/secret.pw" # outside $T/leak: only what name_matcher writes is searched
for lvl in debug info; do
  env NAME_MATCHER_DB_PASSWORD="$SECRET" "$NM" run --log-level $lvl --left "$SL" --right "$SR" -a 3 --threshold 0.6 \
    --skip-bad-rows --out "$T/leak/o_$lvl.csv" --out "$T/leak/o_$lvl.xlsx" --out "$SB/leak_$lvl" \
    >"$T/leak/stdout_$lvl" 2>"$T/leak/stderr_$lvl"
  check "secret user run ($lvl)" same "$G/a3.csv" "$T/leak/o_$lvl.csv"
done
"$NM" run --log-level debug --left "$SL" --right "$SR" -a 1 --password-file "$DB_STATE/secret.pw" \
  --out "$SB/leak_tab" >"$T/leak/stdout_tab" 2>"$T/leak/stderr_tab"
check "secret user run, only a table output" eq "$(sql 'SELECT COUNT(*) FROM leak_tab')" 7
# failures too: a wrong password (the attempted one must not be echoed either), a bad row
env NAME_MATCHER_DB_PASSWORD="$SECRET-x" "$NM" run --log-level debug --left "$SL" --right "$SR" -a 1 \
  --out "$T/leak/wrong.csv" >"$T/leak/stdout_wrong" 2>"$T/leak/stderr_wrong"
check "wrong password: access denied" has "$T/leak/stderr_wrong" "Access denied"
env MYSQL_PWD="$SECRET" "$NM" seed --rows 50 --password-file "$DB_STATE/secret.pw" \
  "mysql://nmsecret@$NM_DB_HOST:$NM_DB_PORT/nmtest" >"$T/leak/stdout_seed" 2>"$T/leak/stderr_seed"
check "seed as the secret user" eq "$(sql 'SELECT COUNT(*) FROM nm_left')" 50
cp leak_*.summary.json "$T/leak/" 2>/dev/null
check "summary of the table-only run" test -s "$T/leak/leak_tab.summary.json"
# every file name_matcher wrote, xlsx unzipped
leaks() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
root, secret = sys.argv[1], sys.argv[2].encode()
found = []
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        data = [open(p, "rb").read()]
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                data += [z.read(n) for n in z.namelist()]
        if any(secret in x for x in data):
            found.append(p)
print("\n".join(found))
sys.exit(1 if found else 0)
PY
}
check "files were written" test "$(find "$T/leak" -type f | wc -l)" -ge 14
check "the password is in no output, log or summary" leaks "$T/leak" "$SECRET"
check "the password is in no output table" eq \
  "$(sql "SELECT COUNT(*) FROM leak_debug WHERE CONCAT_WS('|', Table1_ID, Table1_UUID, Table1_FirstName, MatchedFields) LIKE '%$SECRET%'")" 0
sql "DROP USER 'nmsecret'@'127.0.0.1'"
rm -f "$DB_STATE/secret.pw"

# --- connection and schema errors: exit 1, one clear message, no output -----------------------
# fails WHAT ERRFILE [ENV...] -- RUN-ARGS...: the run exits 1 with one error and writes nothing.
fails() {
  local what=$1 err=$2 envs=()
  shift 2
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  rm -f "$T/err.csv"
  refused "$err" env "${envs[@]}" "$NM" run -q -a 1 --out "$T/err.csv" "$@"
  check "$what: exit 1" test $? -eq 0
  check "$what: one message" one_error "$err"
  check "$what: no output" test ! -e "$T/err.csv"
}
fails "wrong password" "$T/e1" NAME_MATCHER_DB_PASSWORD=wrong-pw-7 -- --left "$L" --right "$R"
check "wrong password: access denied" has "$T/e1" "Access denied for user 'nm'"
check "wrong password: names the URL" has "$T/e1" "$L"
check "wrong password: not echoed" not grep -q wrong-pw-7 "$T/e1"
# unknown database: one nm may use but that does not exist, and one it may not use
sql "GRANT SELECT ON nmgone.* TO 'nm'@'127.0.0.1'"
fails "unknown database" "$T/e2" -- --left "mysql://nm@$NM_DB_HOST:$NM_DB_PORT/nmgone/gl" --right "$R"
check "unknown database: said so" has "$T/e2" "Unknown database 'nmgone'"
sql "REVOKE ALL PRIVILEGES ON nmgone.* FROM 'nm'@'127.0.0.1'"
fails "database without rights" "$T/e3" -- --left "$L" --right "mysql://nm@$NM_DB_HOST:$NM_DB_PORT/nmnone/gr"
check "database without rights: named" has "$T/e3" "'nmnone'"
fails "missing table" "$T/e4" -- --left "$L" --right "$(url nosuchtable)"
check "missing table: named" has "$T/e4" "table 'nosuchtable' not found"
sql "CREATE TABLE nofirst (pk INT PRIMARY KEY, id VARCHAR(9), given_name VARCHAR(9), last_name VARCHAR(9), birthdate DATE)"
fails "missing column" "$T/e5" -- --left "$(url nofirst)" --right "$R"
check "missing column: named" has "$T/e5" "'first_name'"
check "missing column: the table's columns listed" has "$T/e5" "pk, id, given_name, last_name, birthdate"
fails "missing mapped column" "$T/e6" -- --left "$L" --right "$R" --map last_name=surname
check "missing mapped column: named, columns listed" has "$T/e6" \
  "'surname' (for last_name) not found; the table has: pk, id, uuid, first_name, middle_name, last_name, birthdate, hh_id"
fails "nmro on nmtest2" "$T/e7" RO=ro-pw -- --left "mysql://nmro@$NM_DB_HOST:$NM_DB_PORT/nmtest2/gl" \
  --left-password-env RO --right "$R"
check "nmro on nmtest2: access denied" has "$T/e7" "Access denied"

# --- names that try SQL injection: refused, nothing dropped ---------------------------------
sql "CREATE TABLE x (a INT); INSERT INTO x VALUES (42)"
INJ='people`; DROP TABLE x; --'
ENC='people%60%3B%20DROP%20TABLE%20x%3B%20--'
BASE="mysql://nm@$NM_DB_HOST:$NM_DB_PORT/nmtest"
fails "injection in --left, percent-encoded" "$T/i1" -- --left "$BASE/$ENC" --right "$R"
check "injection percent-encoded: refused as a name" has "$T/i1" "only letters, digits, '_' and '\$' are allowed"
check "injection percent-encoded: the name is shown" has "$T/i1" "$INJ"
fails "injection in --left, raw" "$T/i2" -- --left "$BASE/$INJ" --right "$R"
check "injection raw: refused as a name" has "$T/i2" "only letters, digits, '_' and '\$' are allowed"
fails "injection in --right, raw" "$T/i3" -- --left "$L" --right "$BASE/$INJ"
check "injection in --right: refused as a name" has "$T/i3" "only letters, digits"
fails "injection in the database" "$T/i4" -- --left "mysql://nm@$NM_DB_HOST:$NM_DB_PORT/nmtest%60%3B%20DROP%20TABLE%20x%3B%20--/gl" --right "$R"
check "injection in the database: refused" has "$T/i4" "only letters, digits"
fails "injection in --db-key" "$T/i5" -- --left "$L" --right "$R" --db-key "$INJ"
check "injection in --db-key: refused" has "$T/i5" "only letters, digits"
fails "injection in --map" "$T/i6" -- --left "$L" --right "$R" --map "first_name=$INJ"
rm -f "$T/i7.csv"
refused "$T/i7" "$NM" run -q --left "$L" --right "$R" -a 1 --out "$BASE/$ENC" --out "$T/i7.csv"
check "injection in --out: refused as a name" has "$T/i7" "only letters, digits"
check "injection in --out: no CSV" test ! -e "$T/i7.csv"
refused "$T/i8" "$NM" seed --rows 10 --left-table "$INJ" "$BASE"
check "injection in seed --left-table: refused" has "$T/i8" "only letters, digits"
check "table x is still there, with its row" eq "$(sql 'SELECT a FROM x')" 42
check "no table with the injected name" eq "$(sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME LIKE 'people%'")" 0

# --- bad and closed ports ------------------------------------------------------------------
for p in 99999 0 abc 33x -1; do
  fails "bad port $p" "$T/p" -- --left "mysql://nm@$NM_DB_HOST:$p/nmtest/gl" --right "$R"
  check "bad port $p: said so" has "$T/p" "bad port '$p'"
done
fails "bad port in --out" "$T/p" -- --left "$L" --right "$R" --out "mysql://nm@$NM_DB_HOST:70000/nmtest/t"
check "bad port in --out: said so" has "$T/p" "bad port '70000'"
# a port nobody listens on (free a moment ago): connection refused, after the retries
CLOSED=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fails "closed port" "$T/p" -- --left "mysql://nm@127.0.0.1:$CLOSED/nmtest/gl" --right "$R" --db-retries 1
check "closed port: cannot connect, names host and port" has "$T/p" "127.0.0.1:$CLOSED"
check "closed port: says it cannot connect" grep -qi "can't connect" "$T/p"

finish db_errors
