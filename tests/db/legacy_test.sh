#!/usr/bin/env bash
# The original tool's command line, name_matcher HOST PORT USER PASSWORD DATABASE TABLE1 TABLE2
# ALGO OUT_PATH [csv|xlsx|both], against the server: the same output as the `run` equivalent,
# PASSWORD '-' from NAME_MATCHER_DB_PASSWORD / DB_PASSWORD, a literal password that works but is
# warned about and is not left in /proc/PID/cmdline while the run goes on, DB2_* for TABLE2
# (another database, another user), csv / xlsx / both outputs.
# usage: legacy_test.sh <name_matcher> <STATE_DIR> <shared dir>
set -uo pipefail
NM=$(realpath "${1:?usage: legacy_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
DB_STATE=$(realpath "${2:?usage: legacy_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
G=$HERE/data/golden
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
# shellcheck source=tests/db/db_lib.sh
source "$(dirname "$0")/db_lib.sh"
cd "$T" || exit 1
fresh_db
# files_are DIR NAMES...: DIR holds exactly these files
files_are() { local d=$1; shift; eq "$(find "$d" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')" "$(printf '%s\n' "$@" | sort | tr '\n' ' ')"; }

load_csv_into gl "$G/left.csv"
load_csv_into gr "$G/right.csv"
H=$NM_DB_HOST P=$NM_DB_PORT PW=$NM_DB_PASSWORD
# the `run` equivalents
for a in 1 3 5; do
  "$NM" run -q --left "$(url gl)" --right "$(url gr)" -a "$a" --out "$T/run$a.csv"
done
check "run A3 output is the default-threshold golden subset" test -s "$T/run3.csv"

# --- PASSWORD '-' ----------------------------------------------------------------------------
for a in 1 3 5; do
  mkdir -p "$T/d$a"
  env -u DB_PASSWORD "$NM" "$H" "$P" nm - nmtest gl gr "$a" "$T/d$a/out" 2>"$T/d$a.err"
  check "'-' with NAME_MATCHER_DB_PASSWORD, A$a: exit 0" test $? -eq 0
  check "A$a: the same output as run" same "$T/run$a.csv" "$T/d$a/out.csv"
  check "A$a: no format given: OUT.csv (and its summary) only" files_are "$T/d$a" out.csv out.csv.summary.json
  check "'-': no warning about the password" not grep -qi "command line, where" "$T/d$a.err"
done
mkdir -p "$T/dbpw"
env -u NAME_MATCHER_DB_PASSWORD DB_PASSWORD="$PW" "$NM" "$H" "$P" nm - nmtest gl gr 1 "$T/dbpw/out" csv 2>/dev/null
check "'-' with DB_PASSWORD" same "$T/run1.csv" "$T/dbpw/out.csv"
refused "$T/nopw.err" env -u NAME_MATCHER_DB_PASSWORD -u DB_PASSWORD HOME="$T" "$NM" "$H" "$P" nm - nmtest gl gr 1 "$T/nopw"
check "'-' without a password: access denied" has "$T/nopw.err" "Access denied"
check "'-' without a password: no output" test ! -e "$T/nopw.csv"

# --- a literal password: works, warned about -------------------------------------------------
mkdir -p "$T/lit"
env -u NAME_MATCHER_DB_PASSWORD -u DB_PASSWORD "$NM" "$H" "$P" nm "$PW" nmtest gl gr 3 "$T/lit/out" csv 2>"$T/lit.err"
check "literal password: exit 0" test $? -eq 0
check "literal password: the same output" same "$T/run3.csv" "$T/lit/out.csv"
check "literal password: warned on stderr" grep -qi "password was given on the command line" "$T/lit.err"
check "literal password: the warning does not repeat it" not grep -qF -- "$PW" "$T/lit.err"
check "literal password: not in the summary" not grep -qF -- "$PW" "$T/lit/out.csv.summary.json"
refused "$T/litbad.err" "$NM" "$H" "$P" nm wrong-literal-pw nmtest gl gr 3 "$T/litbad"
check "wrong literal password: access denied" has "$T/litbad.err" "Access denied"
check "wrong literal password: not echoed" not grep -qF wrong-literal-pw "$T/litbad.err"

# --- csv, xlsx, both -----------------------------------------------------------------------
for f in csv xlsx both; do
  mkdir -p "$T/f_$f"
  "$NM" "$H" "$P" nm - nmtest gl gr 3 "$T/f_$f/res" "$f" 2>/dev/null
  check "format $f: exit 0" test $? -eq 0
done
check "csv: OUT.csv" files_are "$T/f_csv" res.csv res.csv.summary.json
check "csv: the run output" same "$T/run3.csv" "$T/f_csv/res.csv"
check "xlsx: OUT.xlsx and no CSV" eq "$(find "$T/f_xlsx" -name '*.csv' -o -name '*.xlsx' | sed 's|.*/||' | sort | tr '\n' ' ')" "res.xlsx "
check "xlsx: the run output, sheets Matches and Summary" xlsx_is "$T/run3.csv" "$T/f_xlsx/res.xlsx" Matches
check "both: OUT.csv and OUT.xlsx" eq "$(find "$T/f_both" -name '*.csv' -o -name '*.xlsx' | sed 's|.*/||' | sort | tr '\n' ' ')" "res.csv res.xlsx "
check "both: the CSV" same "$T/run3.csv" "$T/f_both/res.csv"
check "both: the workbook" xlsx_is "$T/run3.csv" "$T/f_both/res.xlsx" Matches
mkdir -p "$T/f_hh"
"$NM" "$H" "$P" nm - nmtest gl gr 5 "$T/f_hh/hh" both 2>/dev/null
check "A5 both: the CSV" same "$T/run5.csv" "$T/f_hh/hh.csv"
check "A5 both: the workbook (Households)" xlsx_is "$T/run5.csv" "$T/f_hh/hh.xlsx" Households
refused "$T/fmt.err" "$NM" "$H" "$P" nm - nmtest gl gr 3 "$T/fmt" pdf
check "an unknown format is refused" test ! -e "$T/fmt.csv"

# OUT_PATH that already ends in .csv / .xlsx: that ending is the format's, not doubled
mkdir -p "$T/ext"
"$NM" "$H" "$P" nm - nmtest gl gr 3 "$T/ext/a.csv" csv 2>/dev/null
"$NM" "$H" "$P" nm - nmtest gl gr 3 "$T/ext/b.xlsx" both 2>/dev/null
check "OUT_PATH.csv: no .csv.csv" eq "$(find "$T/ext" -name '*.csv' -o -name '*.xlsx' | sed 's|.*/||' | sort | tr '\n' ' ')" \
  "a.csv b.csv b.xlsx "
check "OUT_PATH.csv: the run output" same "$T/run3.csv" "$T/ext/a.csv"
# --- DB2_*: TABLE2 elsewhere ----------------------------------------------------------------
sqlq nmtest2 "CREATE TABLE gr2 LIKE nmtest.gr; INSERT INTO gr2 SELECT * FROM nmtest.gr"
check "gr2 only in nmtest2" eq "$(sql "SHOW TABLES LIKE 'gr2'")" ""
mkdir -p "$T/db2"
DB2_HOST=$H DB2_PORT=$P DB2_DATABASE=nmtest2 "$NM" "$H" "$P" nm - nmtest gl gr2 3 "$T/db2/out" csv 2>"$T/db2.err"
check "DB2_DATABASE: exit 0" test $? -eq 0
check "DB2_DATABASE: TABLE2 from nmtest2, the same output" same "$T/run3.csv" "$T/db2/out.csv"
refused "$T/db2no.err" "$NM" "$H" "$P" nm - nmtest gl gr2 3 "$T/db2no" csv
check "without DB2_*: TABLE2 is looked up in DATABASE" has "$T/db2no.err" "gr2"
mkdir -p "$T/db2u"
DB2_HOST=$H DB2_PORT=$P DB2_USER=nmro DB2_PASS=ro-pw "$NM" "$H" "$P" nm - nmtest gl gr 3 "$T/db2u/out" csv 2>"$T/db2u.err"
check "DB2_USER/DB2_PASS: exit 0" test $? -eq 0
check "DB2_USER/DB2_PASS: the same output" same "$T/run3.csv" "$T/db2u/out.csv"
check "DB2_PASS not printed" not grep -qF ro-pw "$T/db2u.err" "$T/db2u/out.csv.summary.json"
refused "$T/db2bad.err" env DB2_HOST="$H" DB2_PORT="$P" DB2_USER=nmro DB2_PASS=not-ro-pw \
  "$NM" "$H" "$P" nm - nmtest gl gr 3 "$T/db2bad" csv
check "DB2_USER is the user for TABLE2 (a wrong DB2_PASS: denied for nmro)" has "$T/db2bad.err" "Access denied for user 'nmro'"
refused "$T/db2ro.err" env DB2_HOST="$H" DB2_PORT="$P" DB2_USER=nmro DB2_PASS=ro-pw DB2_DATABASE=nmtest2 \
  "$NM" "$H" "$P" nm - nmtest gl gr2 3 "$T/db2ro" csv
check "DB2_USER without rights on DB2_DATABASE: refused" grep -q "nmro" "$T/db2ro.err"
check "DB2_USER without rights on DB2_DATABASE: no output" test ! -e "$T/db2ro.csv"
# a second "server" on the same port through another host name for it
mkdir -p "$T/db2h"
DB2_HOST=localhost DB2_PORT=$P "$NM" "$H" "$P" nm - nmtest gl gr 1 "$T/db2h/out" csv 2>"$T/db2h.err"
check "DB2_HOST=localhost (TCP to the same server): the same output" same "$T/run1.csv" "$T/db2h/out.csv"

# --- the literal password is not in /proc/PID/cmdline while the run goes on -------------------
# A user of its own with a password found nowhere else. The run is held on a table lock so it
# is certainly running (connected, arguments parsed) while its command line is read.
SECRET="Leg-$RANDOM$RANDOM-pw"
sql "DROP USER IF EXISTS 'nmleg'@'127.0.0.1'; CREATE USER 'nmleg'@'127.0.0.1' IDENTIFIED BY '$SECRET'; GRANT SELECT ON nmtest.* TO 'nmleg'@'127.0.0.1'"
mariadb --defaults-file="$DB_STATE/root.cnf" nmtest -e "LOCK TABLES gr WRITE; SELECT SLEEP(600) AS held_by_db_legacy_test" \
  >/dev/null 2>&1 &
locker=$!
held=""
# never leave the lock (and its 600 s sleep) behind for the tests after this one
trap '[ -n "$held" ] && sql "KILL $held" 2>/dev/null; kill "$locker" 2>/dev/null; rm -rf "$T"' EXIT
for ((i = 0; i < 600; i++)); do
  held=$(sql "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(600) AS held_by_db_legacy_test'")
  [ -n "$held" ] && break
  sleep 0.05
done
check "the lock is held" test -n "$held"
mkdir -p "$T/ps"
"$NM" "$H" "$P" nmleg "$SECRET" nmtest gl gr 3 "$T/ps/out" csv 2>"$T/ps.err" &
pid=$!
waiting=""
for ((i = 0; i < 1200; i++)); do
  waiting=$(sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'nmleg' AND STATE LIKE '%lock%'")
  [ "$waiting" -gt 0 ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
check "the legacy run is connected and waiting on the lock" test "${waiting:-0}" -gt 0
check "the legacy run is alive" kill -0 "$pid"
tr '\0' ' ' <"/proc/$pid/cmdline" >"$T/cmdline" 2>/dev/null
check "its command line was read" grep -q "nmleg" "$T/cmdline"
check "the password is not in /proc/PID/cmdline" not grep -qF -- "$SECRET" "$T/cmdline"
# (the secret goes to the scanner through its environment: an argument would be in its own cmdline)
check "the password is in no process's command line" env NM_SCAN_SECRET="$SECRET" /usr/bin/python3 -c '
import glob, os, sys
secret = os.environ["NM_SCAN_SECRET"].encode()
found = []
for p in glob.glob("/proc/[0-9]*/cmdline"):
    try:
        if secret in open(p, "rb").read():
            found.append(p)
    except OSError:
        pass
for p in found:
    print("  in", p, file=sys.stderr)
sys.exit(1 if found else 0)'
[ -n "$held" ] && sql "KILL $held"
held=""
wait "$locker" 2>/dev/null
wait "$pid"
check "the held run then finishes: exit 0" test $? -eq 0
check "the held run: the same output" same "$T/run3.csv" "$T/ps/out.csv"
check "the held run: warned" grep -qi "password was given on the command line" "$T/ps.err"
check "the held run: the password in no output" not grep -rqF -- "$SECRET" "$T/ps" "$T/ps.err"
sql "DROP USER 'nmleg'@'127.0.0.1'"

finish db_legacy
