#!/usr/bin/env bash
# The test MariaDB server itself, before any name_matcher test relies on it: up, utf8mb4 end to
# end, the nm / nmro accounts, and load_csv_into on the golden inputs.
# usage: server_smoke_test.sh <name_matcher> <STATE_DIR> <shared dir>   (the binary is unused here)
set -euo pipefail
DB_STATE=${2:?usage: server_smoke_test.sh <name_matcher> <STATE_DIR> <shared dir>}
GOLDEN=$(cd "$(dirname "$0")/../data/golden" && pwd)
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
# shellcheck source=tests/db/db_lib.sh
source "$(dirname "$0")/db_lib.sh"
# refused ERRFILE CMD...: CMD fails; its stderr goes to ERRFILE.
refused() { local err=$1; shift; if "$@" 2>"$err"; then return 1; fi; }

# --- the server --------------------------------------------------------------
check "server answers ping" mariadb-admin --defaults-file="$DB_STATE/root.cnf" ping
check "server is 10.11" eq "$(sql 'SELECT LEFT(VERSION(), 5)')" 10.11
check "server charset/collation" eq "$(sql 'SELECT @@character_set_server, @@collation_server')" \
  "utf8mb4	utf8mb4_bin"
check "pid in env is the server" eq "$(cat "$DB_STATE/mariadbd.pid")" "$NM_DB_PID"
check "url" eq "$(url people)" "mysql://nm@127.0.0.1:$NM_DB_PORT/nmtest/people"

# --- utf8mb4 round trip, written over the socket and read back over TCP -------
names=$'Nguyễn\nŁukasz\n王小明'
sql "CREATE TABLE names (pk INT PRIMARY KEY, n VARCHAR(50));
     INSERT INTO names VALUES (1, 'Nguyễn'), (2, 'Łukasz'), (3, '王小明');"
check "utf8mb4 round trip (root, socket)" eq "$(sql 'SELECT n FROM names ORDER BY pk')" "$names"
check "utf8mb4 round trip (nm, TCP)" eq "$(sql_as nm nm-test-pw 'SELECT n FROM names ORDER BY pk')" "$names"
# Stored as characters, not as mojibake: Nguyễn is 6 code points, and ễ is U+1EC5 (E1 BB 85 in UTF-8).
check "code points stored" eq "$(sql 'SELECT CHAR_LENGTH(n), HEX(n) FROM names WHERE pk = 1')" \
  "6	4E677579E1BB856E"
check "CJK length" eq "$(sql 'SELECT CHAR_LENGTH(n) FROM names WHERE pk = 3')" 3

# --- accounts ----------------------------------------------------------------
check "nm logs in over TCP" eq "$(sql_as nm nm-test-pw 'SELECT CURRENT_USER()')" nm@127.0.0.1
check "nm can create tables in nmtest2" \
  sql_as nm nm-test-pw 'CREATE TABLE nmtest2.t (x INT); INSERT INTO nmtest2.t VALUES (1); DROP TABLE nmtest2.t'
check "wrong password refused" refused "$T/denied" sql_as nm wrong-pw 'SELECT 1'
check "refusal says access denied" grep -q "Access denied for user 'nm'" "$T/denied"
check "nmro can read" eq "$(sql_as nmro ro-pw 'SELECT COUNT(*) FROM names')" 3
check "nmro cannot insert" refused "$T/ro" sql_as nmro ro-pw "INSERT INTO names VALUES (4, 'x')"
check "nmro refusal names INSERT" grep -q "INSERT command denied" "$T/ro"
check "nmro has no nmtest2" refused /dev/null sql_as nmro ro-pw 'SELECT * FROM nmtest2.x'

# --- load_csv_into -----------------------------------------------------------
# left.csv: 14 rows, an extra `notes` column, a quoted comma, no birthdate on id 13.
load_csv_into lefttab "$GOLDEN/left.csv"
check "left row count" eq "$(sql 'SELECT COUNT(*) FROM lefttab')" 14
check "left ids in file order" eq "$(sql 'SELECT GROUP_CONCAT(id ORDER BY pk) FROM lefttab')" \
  "$(tail -n +2 "$GOLDEN/left.csv" | cut -d, -f1 | paste -sd,)"
check "empty birthdate is NULL" eq "$(sql 'SELECT id, first_name FROM lefttab WHERE birthdate IS NULL')" \
  "13	Łukasz"
check "quoted comma kept" eq "$(sql "SELECT first_name FROM lefttab WHERE id = '10'")" "Dela Cruz, Jr."
check "empty middle name is ''" eq "$(sql "SELECT COUNT(*) FROM lefttab WHERE middle_name = ''")" 10
check "accented name" eq "$(sql "SELECT first_name, last_name FROM lefttab WHERE id = '6'")" "José	García"
# right.csv: the columns in another order, hh_id first.
load_csv_into righttab "$GOLDEN/right.csv"
check "right row count" eq "$(sql 'SELECT COUNT(*) FROM righttab')" 14
check "right columns by header" eq "$(sql "SELECT hh_id, uuid, birthdate FROM righttab WHERE id = '101'")" \
  "210	t1	1980-03-15"
check "right empty hh_id" eq "$(sql "SELECT hh_id FROM righttab WHERE id = '105'")" ""
# CRLF line ends load the same rows (no CR left in the last column); a reload replaces the table.
sed 's/$/\r/' "$GOLDEN/right.csv" >"$T/right_crlf.csv"
load_csv_into righttab "$T/right_crlf.csv"
check "CRLF row count" eq "$(sql 'SELECT COUNT(*) FROM righttab')" 14
check "CRLF no stray CR" eq "$(sql "SELECT GROUP_CONCAT(uuid ORDER BY pk) FROM righttab")" \
  "$(tail -n +2 "$GOLDEN/right.csv" | awk -F, '{print $NF}' | paste -sd,)"
# An impossible date must not load silently as 0000-00-00.
printf 'id,uuid,first_name,middle_name,last_name,birthdate,hh_id\n1,u,A,,B,2023-02-30,h\n' >"$T/bad.csv"
check "bad date refused" refused "$T/bad.err" load_csv_into badtab "$T/bad.csv"
check "bad date reported" grep -q "warnings:.*birthdate" "$T/bad.err"

sql 'DROP TABLE names, lefttab, righttab, badtab'
finish db_server_smoke
