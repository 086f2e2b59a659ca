#!/usr/bin/env bash
# Tables read by several MPI ranks: each rank reads its own key range, so every row is read
# exactly once (per_rank[*].records_loaded sums to the table's rows, each rank > 0 for an
# integer key) and the output is byte-identical to the one-process run and to the CSV run;
# keys with gaps, negative values, the extremes of BIGINT and BIGINT UNSIGNED, --db-key, a
# string key (rank 0 reads all), tiny and empty tables; bad rows and --out tables under mpirun.
# usage: ranks_test.sh <name_matcher> <STATE_DIR> <shared dir>
set -uo pipefail
NM=$(realpath "${1:?usage: ranks_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
DB_STATE=$(realpath "${2:?usage: ranks_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
# shellcheck source=tests/db/db_lib.sh
source "$(dirname "$0")/db_lib.sh"
cd "$T" || exit 1
fresh_db
mrun() { local np=$1; shift; mpirun --oversubscribe -np "$np" "$NM" run -q "$@"; }
# loaded SUMMARY SIDE: the records each rank loaded from SIDE, space-separated
loaded() { json "$1" "' '.join(str(r['records_loaded']['$2']) for r in sorted(d['per_rank'], key=lambda r: r['rank']))"; }
sum() { local s=0 x; for x in $1; do s=$((s + x)); done; echo $s; }
all_positive() { local x; for x in $1; do [ "$x" -gt 0 ] || { echo "  a rank read nothing: [$1]" >&2; return 1; }; done; }

"$NM" generate --rows 3000 --seed 7 --out-dir "$T/gen" >/dev/null 2>&1
load_csv_into genl "$T/gen/left.csv"
load_csv_into genr "$T/gen/right.csv"
N=3000
"$NM" run -q --left "$T/gen/left.csv" --right "$T/gen/right.csv" -a 3 --threshold 0.85 --out "$T/ref3.csv"
check "CSV reference: a real result" test "$(wc -l <"$T/ref3.csv")" -gt 500
COLS="id VARCHAR(64), uuid VARCHAR(64), first_name VARCHAR(255), middle_name VARCHAR(255),
      last_name VARCHAR(255), birthdate DATE, hh_id VARCHAR(64)"
SEL="id, uuid, first_name, middle_name, last_name, birthdate, hh_id"
# keyed NAME TYPE EXPR: NAME (k TYPE PRIMARY KEY, the contract's columns) = genl in pk order, k = EXPR
# (an expression of the signed row number i, increasing with it).
keyed() {
  sql "CREATE TABLE $1 (k $2 NOT NULL PRIMARY KEY, $COLS) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
       INSERT INTO $1 SELECT $3, $SEL FROM (SELECT CAST(pk AS SIGNED) AS i, $SEL FROM genl) s ORDER BY i"
}
keyed k_gaps BIGINT "i * i * 3 - 4000000"                       # gaps growing, negative half the range
keyed k_int INT "i * 7 - 10500"                                  # negative and positive
keyed k_ext BIGINT "CASE i WHEN 1 THEN -9223372036854775808 WHEN $N THEN 9223372036854775807 ELSE (i - 1500) * 1000 END"
keyed k_uns "BIGINT UNSIGNED" "CASE i WHEN 1 THEN 0 WHEN $N THEN 18446744073709551615 ELSE CAST(i AS UNSIGNED) * 1000000 END"
keyed k_small SMALLINT "i - 1500"
keyed k_str "VARCHAR(20)" "CONCAT('k', LPAD(i, 6, '0'))"
sql "CREATE TABLE k_ord (u CHAR(36) NOT NULL PRIMARY KEY, ord BIGINT NOT NULL UNIQUE, $COLS) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
     INSERT INTO k_ord SELECT UUID(), CAST(pk AS SIGNED) * 13 - 20000, $SEL FROM genl;
     CREATE TABLE r_ord (u CHAR(36) NOT NULL PRIMARY KEY, ord BIGINT NOT NULL UNIQUE, $COLS) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
     INSERT INTO r_ord SELECT UUID(), CAST(pk AS SIGNED) - 7, $SEL FROM genr;"
check "extreme keys stored" eq "$(sql 'SELECT MIN(k), MAX(k) FROM k_ext')" "-9223372036854775808	9223372036854775807"
check "unsigned extremes stored" eq "$(sql 'SELECT MIN(k), MAX(k) FROM k_uns')" "0	18446744073709551615"

# ranks_case NAME LEFT_TABLE NP POSITIVE [OPTIONS...]: 1 process and NP ranks, same output as CSV,
# every row read once; POSITIVE=yes: every rank read some rows of each side.
ranks_case() {
  local name=$1 left=$2 np=$3 positive=$4 l r
  shift 4
  "$NM" run -q --left "$(url "$left")" --right "$(url genr)" -a 3 --threshold 0.85 "$@" --out "$T/$name.1.csv"
  check "$name: 1 process = CSV" same "$T/ref3.csv" "$T/$name.1.csv"
  mrun "$np" --left "$(url "$left")" --right "$(url genr)" -a 3 --threshold 0.85 "$@" --out "$T/$name.$np.csv"
  check "$name: $np ranks exit 0" test $? -eq 0
  check "$name: $np ranks = 1 process" same "$T/$name.1.csv" "$T/$name.$np.csv"
  l=$(loaded "$T/$name.$np.csv.summary.json" left)
  r=$(loaded "$T/$name.$np.csv.summary.json" right)
  check "$name: $np ranks in the summary" eq "$(wc -w <<<"$l")" "$np"
  check "$name: left rows read once [$l]" eq "$(sum "$l")" $N
  check "$name: right rows read once [$r]" eq "$(sum "$r")" $N
  if [ "$positive" = yes ]; then
    check "$name: every rank read left rows [$l]" all_positive "$l"
    check "$name: every rank read right rows [$r]" all_positive "$r"
  fi
}
ranks_case pk genl 2 yes
ranks_case pk3 genl 3 yes
ranks_case gaps k_gaps 2 yes
ranks_case int k_int 2 yes
ranks_case int4 k_int 4 yes
ranks_case ext k_ext 2 yes
ranks_case uns k_uns 2 yes
ranks_case small k_small 3 yes
ranks_case str k_str 2 no
check "string key: rank 0 read the table" eq "$(loaded "$T/str.2.csv.summary.json" left)" "$N 0"

# --db-key: both tables ordered and split by `ord`
"$NM" run -q --left "$(url k_ord)" --right "$(url r_ord)" --db-key ord -a 3 --threshold 0.85 --out "$T/ord.1.csv"
check "--db-key: 1 process = CSV" same "$T/ref3.csv" "$T/ord.1.csv"
mrun 2 --left "$(url k_ord)" --right "$(url r_ord)" --db-key ord -a 3 --threshold 0.85 --out "$T/ord.2.csv"
check "--db-key: 2 ranks = 1 process" same "$T/ord.1.csv" "$T/ord.2.csv"
l=$(loaded "$T/ord.2.csv.summary.json" left) r=$(loaded "$T/ord.2.csv.summary.json" right)
check "--db-key: left read once, by both ranks [$l]" eq "$(sum "$l")" $N
check "--db-key: right read once, by both ranks [$r]" eq "$(sum "$r")" $N
check "--db-key: every rank read rows [$l / $r]" all_positive "$l $r"

# a table with one row, an empty table: more ranks than rows
sql "CREATE TABLE one (k BIGINT PRIMARY KEY, $COLS); INSERT INTO one SELECT -5, $SEL FROM genr WHERE pk = 1;
     CREATE TABLE none (k BIGINT PRIMARY KEY, $COLS)"
"$NM" run -q --left "$(url one)" --right "$(url genr)" -a 1 --out "$T/one.1.csv"
mrun 3 --left "$(url one)" --right "$(url genr)" -a 1 --out "$T/one.3.csv"
check "one-row table on 3 ranks" same "$T/one.1.csv" "$T/one.3.csv"
check "one-row table: a match" eq "$(wc -l <"$T/one.3.csv")" 2
check "one-row table: read once" eq "$(sum "$(loaded "$T/one.3.csv.summary.json" left)")" 1
"$NM" run -q --left "$(url none)" --right "$(url genr)" -a 3 --out "$T/none.1.csv"
mrun 2 --left "$(url none)" --right "$(url genr)" -a 3 --out "$T/none.2.csv"
check "empty table on 2 ranks: exit 0 and header only" eq "$(wc -l <"$T/none.2.csv" 2>/dev/null)" 1
check "empty table on 2 ranks = 1 process" same "$T/none.1.csv" "$T/none.2.csv"

# --dedupe and households under ranks
"$NM" run -q --left "$(url k_gaps)" --dedupe -a 4 --threshold 0.8 --out "$T/dd.1.csv"
mrun 2 --left "$(url k_gaps)" --dedupe -a 4 --threshold 0.8 --out "$T/dd.2.csv"
check "--dedupe: 2 ranks = 1 process" same "$T/dd.1.csv" "$T/dd.2.csv"
"$NM" run -q --left "$T/gen/left.csv" --right "$T/gen/right.csv" -a 6 --household-threshold 0.8 --out "$T/hh.c.csv"
mrun 2 --left "$(url k_int)" --right "$(url genr)" -a 6 --household-threshold 0.8 --out "$T/hh.2.csv"
check "A6: 2 ranks = CSV" same "$T/hh.c.csv" "$T/hh.2.csv"
check "A6: a real result" test "$(wc -l <"$T/hh.c.csv")" -gt 50

# bad rows: the same first error, the same rejects file
sqlq nmtest "SET SESSION sql_mode = ''; CREATE TABLE bad (k BIGINT PRIMARY KEY, $COLS);
  INSERT INTO bad SELECT k, $SEL FROM k_int;
  UPDATE bad SET birthdate = '0000-00-00' WHERE k IN (7 * 2900 - 10500, 7 * 10 - 10500);
  UPDATE bad SET id = NULL WHERE k = 7 * 1700 - 10500;"
"$NM" run -q --left "$(url bad)" --right "$(url genr)" -a 3 --threshold 0.85 --out "$T/bad.1.csv" 2>"$T/bad.1.err"
check "bad rows, 1 process: exit 1" test $? -eq 1
mrun 2 --left "$(url bad)" --right "$(url genr)" -a 3 --threshold 0.85 --out "$T/bad.2.csv" 2>"$T/bad.2.err"
check "bad rows, 2 ranks: exit 1" test $? -ne 0
check "bad rows, 2 ranks: no output" test ! -e "$T/bad.2.csv"
check "bad rows, 2 ranks: the first bad row's message" has "$T/bad.2.err" "$(grep ': error: ' "$T/bad.1.err")"
sql "UPDATE bad SET birthdate = '1990-01-01' WHERE k = 7 * 10 - 10500"
"$NM" run -q --left "$(url bad)" --right "$(url genr)" -a 3 --threshold 0.85 --out "$T/bad.1.csv" 2>"$T/bad.1.err"
mrun 2 --left "$(url bad)" --right "$(url genr)" -a 3 --threshold 0.85 --out "$T/bad.2.csv" 2>"$T/bad.2.err"
check "bad rows only in rank 1's range: the same message" has "$T/bad.2.err" "$(grep ': error: ' "$T/bad.1.err")"
"$NM" run -q --left "$(url bad)" --right "$(url genr)" -a 3 --threshold 0.85 --skip-bad-rows --out "$T/skip.1.csv" 2>/dev/null
mrun 2 --left "$(url bad)" --right "$(url genr)" -a 3 --threshold 0.85 --skip-bad-rows --out "$T/skip.2.csv" 2>/dev/null
check "--skip-bad-rows, 2 ranks = 1 process" same "$T/skip.1.csv" "$T/skip.2.csv"
check "--skip-bad-rows, 2 ranks: same rejects" same "$T/skip.1.csv.rejects.csv" "$T/skip.2.csv.rejects.csv"
check "--skip-bad-rows: two rejects" eq "$(($(wc -l <"$T/skip.2.csv.rejects.csv") - 1))" 2
check "--skip-bad-rows, 2 ranks: count" eq "$(json "$T/skip.2.csv.summary.json" 'd["inputs"]["rejected"]')" 2
check "--skip-bad-rows, 2 ranks: good rows read once" \
  eq "$(sum "$(loaded "$T/skip.2.csv.summary.json" left)")" $((N - 2))

# the results into a table from 2 ranks: the same table as from 1 process
"$NM" run -q --left "$(url k_gaps)" --right "$(url genr)" -a 3 --threshold 0.85 --out "$(url out1)"
mrun 2 --left "$(url k_gaps)" --right "$(url genr)" -a 3 --threshold 0.85 --out "$(url out2)" --out "$T/out2.csv"
check "--out table from 2 ranks: CSV = reference" same "$T/ref3.csv" "$T/out2.csv"
check "--out table from 2 ranks: rows" eq "$(sql 'SELECT COUNT(*), MIN(row_no), MAX(row_no) FROM out2')" \
  "$(($(wc -l <"$T/ref3.csv") - 1))	1	$(($(wc -l <"$T/ref3.csv") - 1))"
check "--out table from 2 ranks = from 1 process" \
  eq "$(sql 'CHECKSUM TABLE out2 EXTENDED' | cut -f2)" "$(sql 'CHECKSUM TABLE out1 EXTENDED' | cut -f2)"
mrun 2 --left "$(url k_gaps)" --right "$(url genr)" -a 3 --threshold 0.85 --out "$(url out2)" 2>"$T/exists.err"
check "--out table from 2 ranks: existing table refused" test $? -ne 0
check "--out table from 2 ranks: existing table unchanged" \
  eq "$(sql 'CHECKSUM TABLE out2 EXTENDED' | cut -f2)" "$(sql 'CHECKSUM TABLE out1 EXTENDED' | cut -f2)"

finish db_ranks
