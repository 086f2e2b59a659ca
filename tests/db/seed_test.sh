#!/usr/bin/env bash
# `name_matcher seed`: the tables hold exactly the rows `generate` writes for the same options
# (left and right in file order with pk = row number, the truth pairs), table names, --overlap,
# --skew, --if-exists fail|replace, a second database, a read-only user, and matching the seeded
# tables gives what matching the generated files gives.
# usage: seed_test.sh <name_matcher> <STATE_DIR> <shared dir>
set -uo pipefail
NM=$(realpath "${1:?usage: seed_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
DB_STATE=$(realpath "${2:?usage: seed_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
# shellcheck source=tests/db/db_lib.sh
source "$(dirname "$0")/db_lib.sh"
cd "$T" || exit 1
fresh_db
DBURL="mysql://$NM_DB_USER@$NM_DB_HOST:$NM_DB_PORT/$NM_DB_NAME"

table_csv() { table_csv_in "$@"; }
# seeded_as DB LEFT RIGHT TRUTH DIR: the three tables hold DIR's left.csv, right.csv, truth.csv.
seeded_as() {
  local db=$1 l=$2 r=$3 t=$4 dir=$5 n
  table_csv "$db" "$l" pk pk >"$T/back_l.csv" && same "$dir/left.csv" "$T/back_l.csv" || return 1
  table_csv "$db" "$r" pk pk >"$T/back_r.csv" && same "$dir/right.csv" "$T/back_r.csv" || return 1
  table_csv "$db" "$t" "left_id, right_id" >"$T/back_t.csv" || return 1
  # the truth table has no order of its own: compared as sorted sets of pairs
  same <(head -1 "$dir/truth.csv"; tail -n +2 "$dir/truth.csv" | LC_ALL=C sort) \
    <(head -1 "$T/back_t.csv"; tail -n +2 "$T/back_t.csv" | LC_ALL=C sort) || return 1
  # pk is the row number in file order
  n=$(($(wc -l <"$dir/left.csv") - 1))
  eq "$(sqlq "$db" "SELECT COUNT(*), MIN(pk), MAX(pk), COUNT(DISTINCT pk) FROM \`$l\`")" "$n	1	$n	$n" || return 1
  n=$(($(wc -l <"$dir/right.csv") - 1))
  eq "$(sqlq "$db" "SELECT COUNT(*), MIN(pk), MAX(pk), COUNT(DISTINCT pk) FROM \`$r\`")" "$n	1	$n	$n"
}
columns() {
  sqlq "$1" "SELECT GROUP_CONCAT(CONCAT(COLUMN_NAME, ':', DATA_TYPE) ORDER BY ORDINAL_POSITION)
             FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '$1' AND TABLE_NAME = '$2'"
}
sums() { sqlq "${2:-nmtest}" "CHECKSUM TABLE $1 EXTENDED" | cut -f2 | paste -sd' '; }

# --- the default tables ------------------------------------------------------------------
"$NM" seed --rows 2000 --seed 9 "$DBURL" >"$T/seed.out" 2>&1
check "seed: exit 0" test $? -eq 0
"$NM" generate --rows 2000 --seed 9 --out-dir "$T/g9" >/dev/null 2>&1
check "generate wrote left.csv" test -s "$T/g9/left.csv"
check "seed = generate" seeded_as nmtest nm_left nm_right nm_truth "$T/g9"
check "nm_left columns" eq "$(columns nmtest nm_left)" \
  "pk:bigint,id:varchar,uuid:varchar,first_name:varchar,middle_name:varchar,last_name:varchar,birthdate:date,hh_id:varchar"
check "nm_right columns" eq "$(columns nmtest nm_right)" "$(columns nmtest nm_left)"
check "nm_truth columns" eq "$(columns nmtest nm_truth)" "left_id:varchar,right_id:varchar"
check "pk is the primary key" eq "$(sql "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE
  WHERE TABLE_SCHEMA = 'nmtest' AND TABLE_NAME = 'nm_left' AND CONSTRAINT_NAME = 'PRIMARY'")" pk
check "utf8mb4 names came through" test "$(sql "SELECT COUNT(*) FROM nm_left WHERE CHAR_LENGTH(last_name) < LENGTH(last_name)")" -gt 0
check "no staging table left" eq "$(sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME LIKE 'nm\\_partial\\_%'")" 0
# matching the seeded tables = matching the generated files
for a in 1 3 5; do
  "$NM" run -q --left "$T/g9/left.csv" --right "$T/g9/right.csv" -a "$a" --threshold 0.85 --household-threshold 0.8 --out "$T/c$a.csv"
  "$NM" run -q --left "$(url nm_left)" --right "$(url nm_right)" -a "$a" --threshold 0.85 --household-threshold 0.8 --out "$T/d$a.csv"
  check "A$a: a real result" test "$(wc -l <"$T/c$a.csv")" -gt 30
  check "A$a on seeded tables = on generated files" same "$T/c$a.csv" "$T/d$a.csv"
done

# --- --if-exists ---------------------------------------------------------------------------
before=$(sums "nm_left, nm_right, nm_truth")
refused "$T/exists.err" "$NM" seed --rows 300 --seed 4 "$DBURL"
check "existing tables: refused by default" has "$T/exists.err" "already exists"
check "existing tables: named" grep -qE "nm_left|nm_right|nm_truth" "$T/exists.err"
check "existing tables: unchanged" eq "$(sums "nm_left, nm_right, nm_truth")" "$before"
refused "$T/exists.err" "$NM" seed --rows 300 --seed 4 --if-exists fail "$DBURL"
check "--if-exists fail: unchanged" eq "$(sums "nm_left, nm_right, nm_truth")" "$before"
refused "$T/exists.err" "$NM" seed --rows 300 --seed 4 --if-exists append "$DBURL"
check "--if-exists append: refused for seed" has "$T/exists.err" "fail or replace"
check "--if-exists append: unchanged" eq "$(sums "nm_left, nm_right, nm_truth")" "$before"
# only one of the three exists: nothing is created either
sql "CREATE TABLE t_only (x INT); INSERT INTO t_only VALUES (7)"
refused "$T/exists.err" "$NM" seed --rows 300 --left-table s_l --right-table s_r --truth-table t_only "$DBURL"
check "one existing table: named" has "$T/exists.err" "t_only"
check "one existing table: it is unchanged" eq "$(sql 'SELECT x FROM t_only')" 7
check "one existing table: the others not created" eq "$(sql "SHOW TABLES LIKE 's\\_%'")" ""
# replace: other rows, exactly generate's for the new options
"$NM" seed --rows 700 --seed 4 --overlap 0.3 --skew 0.1 --if-exists replace -q "$DBURL"
check "--if-exists replace: exit 0" test $? -eq 0
"$NM" generate --rows 700 --seed 4 --overlap 0.3 --skew 0.1 --out-dir "$T/g4" >/dev/null 2>&1
check "--if-exists replace, --overlap, --skew: seed = generate" seeded_as nmtest nm_left nm_right nm_truth "$T/g4"
check "--skew: 1970-01-01 births" test "$(sql "SELECT COUNT(*) FROM nm_left WHERE birthdate = '1970-01-01'")" -gt 30

# --- other table names, another database, --threads ----------------------------------------
"$NM" seed --rows 500 --seed 12 --left-table reg_a --right-table reg_b --truth-table reg_pairs --threads 1 -q \
  "mysql://$NM_DB_USER@$NM_DB_HOST:$NM_DB_PORT/nmtest2"
check "custom names in nmtest2: exit 0" test $? -eq 0
"$NM" generate --rows 500 --seed 12 --out-dir "$T/g12" >/dev/null 2>&1
check "custom names in nmtest2: seed = generate" seeded_as nmtest2 reg_a reg_b reg_pairs "$T/g12"
check "custom names: the default names not used" eq "$(sqlq nmtest2 "SHOW TABLES LIKE 'nm\\_%'")" ""
"$NM" seed --rows 500 --seed 12 --left-table reg_a --right-table reg_b --truth-table reg_pairs --if-exists replace -q \
  "mariadb://$NM_DB_USER@$NM_DB_HOST:$NM_DB_PORT/nmtest2"
check "all threads, mariadb:// URL: the same tables" seeded_as nmtest2 reg_a reg_b reg_pairs "$T/g12"

# --- refusals --------------------------------------------------------------------------------
refused "$T/ro.err" env NAME_MATCHER_DB_PASSWORD=ro-pw "$NM" seed --rows 50 --left-table ro_l --right-table ro_r \
  --truth-table ro_t "mysql://nmro@$NM_DB_HOST:$NM_DB_PORT/nmtest"
check "read-only user: denied" grep -qi "denied" "$T/ro.err"
check "read-only user: nothing created" eq "$(sql "SHOW TABLES LIKE 'ro\\_%'")" ""
check "read-only user: no staging table left" eq "$(sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME LIKE 'nm\\_partial\\_%'")" 0
refused "$T/tab.err" "$NM" seed --rows 50 "$DBURL/sometable"
check "a table in the seed URL: refused" has "$T/tab.err" "a table is not expected"
refused "$T/pw.err" env NAME_MATCHER_DB_PASSWORD=wrong-pw "$NM" seed --rows 50 --left-table w_l --right-table w_r --truth-table w_t "$DBURL"
check "wrong password: access denied" has "$T/pw.err" "Access denied"
check "wrong password: nothing created" eq "$(sql "SHOW TABLES LIKE 'w\\_%'")" ""
refused "$T/same.err" "$NM" seed --rows 50 --left-table same_t --right-table same_t --truth-table other_t "$DBURL"
check "the same name twice: refused" eq "$(sql "SHOW TABLES LIKE '%\\_t'")" ""

finish db_seed
