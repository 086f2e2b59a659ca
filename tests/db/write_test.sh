#!/usr/bin/env bash
# Results into a MariaDB table (--out mysql://...): row_no then the contract's CSV columns, read
# back in row_no order equal to the CSV written in the same run (every algorithm, both write
# methods, awkward characters), the .xlsx written alongside, --if-exists fail|replace|append,
# a failure just before the commit (NAME_MATCHER_FAULT_DB_WRITE=1) that leaves the table as it
# was and no staging table, and a table-only run that leaves no CSV behind.
# usage: write_test.sh <name_matcher> <STATE_DIR> <shared dir>
set -uo pipefail
NM=$(realpath "${1:?usage: write_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
DB_STATE=$(realpath "${2:?usage: write_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
HERE=$(cd "$(dirname "$0")/.." && pwd)
G=$HERE/data/golden
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
# shellcheck source=tests/db/db_lib.sh
source "$(dirname "$0")/db_lib.sh"
cd "$T" || exit 1
fresh_db
run() { "$NM" run -q "$@"; }
# csv_rows CSV: records after the header (quoted line breaks counted right)
csv_rows() { /usr/bin/python3 -c 'import csv,sys; print(len(list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))) - 1)' "$1"; }
lines() { local n; n=$(wc -l <"$1"); [ "$n" -ge "$2" ] || { echo "  $1: $n lines, want >= $2" >&2; return 1; }; }

# table_csv TABLE ORDER_BY [SKIP_COLUMN]: table_csv_in on nmtest.
table_csv() { table_csv_in "$NM_DB_NAME" "$@"; }
# table_is CSV TABLE: TABLE (row_no first, then the CSV's columns) read back in row_no order is CSV,
# and row_no runs 1..N.
table_is() {
  local csv=$1 table=$2 n
  table_csv "$table" row_no row_no >"$T/back_$table.csv" || return 1
  same "$csv" "$T/back_$table.csv" || return 1
  n=$(csv_rows "$csv")
  eq "$(sql "SELECT COUNT(*), COALESCE(MIN(row_no), 1), COALESCE(MAX(row_no), 0) FROM \`$table\`")" "$n	1	$n" || return 1
  eq "$(sql "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'nmtest'
             AND TABLE_NAME = '$table' AND ORDINAL_POSITION = 1")" row_no
}

load_csv_into gl "$G/left.csv"
load_csv_into gr "$G/right.csv"
L=$(url gl) R=$(url gr)

# --- every algorithm: table = CSV = xlsx, from one run ---------------------------------------
declare -A extra=([1]="" [2]="" [3]="--threshold 0.6" [4]="--threshold 85"
                  [5]="--household-threshold 0.85" [6]="--household-threshold 0.5")
for a in 1 2 3 4 5 6; do
  # shellcheck disable=SC2086
  run --left "$L" --right "$R" -a "$a" ${extra[$a]} --out "$(url "res$a")" --out "$T/res$a.csv" --out "$T/res$a.xlsx"
  check "A$a: exit 0" test $? -eq 0
  check "A$a: the CSV is the golden output" same "$G/a$a.csv" "$T/res$a.csv"
  check "A$a: the table is the CSV" table_is "$T/res$a.csv" "res$a"
  sheet=Matches; [ "$a" -ge 5 ] && sheet=Households
  check "A$a: the workbook is the CSV" xlsx_is "$T/res$a.csv" "$T/res$a.xlsx" "$sheet"
done
check "Confidence values other than 1 in the table" \
  eq "$(sql "SELECT COUNT(*) FROM res3 WHERE Confidence < 1")" "$(grep -c ',0\.[0-9]*,"fuzzy' "$T/res3.csv")"
check "birthdate is a DATE column" eq "$(sql "SELECT DATA_TYPE FROM information_schema.COLUMNS
  WHERE TABLE_SCHEMA = 'nmtest' AND TABLE_NAME = 'res1' AND COLUMN_NAME = 'Table1_Birthdate'")" date
check "summary names the table" eq "$(json "$T/res3.csv.summary.json" 'd["outputs"]["table"]["url"]')" "$(url res3)"
check "summary counts the table's rows" eq "$(json "$T/res3.csv.summary.json" 'd["outputs"]["table"]["rows"]')" \
  "$(($(wc -l <"$T/res3.csv") - 1))"
# generated data, many rows, both write methods
"$NM" generate --rows 3000 --seed 11 --out-dir "$T/gen" >/dev/null 2>&1
load_csv_into genl "$T/gen/left.csv"
load_csv_into genr "$T/gen/right.csv"
for a in 3 6; do
  run --left "$(url genl)" --right "$(url genr)" -a "$a" --threshold 0.85 --household-threshold 0.8 \
    --out "$(url "genld$a")" --out "$T/gen$a.csv"
  check "generated A$a: a real result" lines "$T/gen$a.csv" 50
  check "generated A$a, load-data: table = CSV" table_is "$T/gen$a.csv" "genld$a"
  run --left "$(url genl)" --right "$(url genr)" -a "$a" --threshold 0.85 --household-threshold 0.8 \
    --out "$(url "genin$a")" --db-write-method insert --db-batch-rows 7
  check "generated A$a, insert (7-row batches): table = CSV" table_is "$T/gen$a.csv" "genin$a"
  check "generated A$a: both methods give the same table" \
    same "$T/back_genld$a.csv" "$T/back_genin$a.csv"
done
# no result: an empty table with the columns
run --left "$L" --right "$(url genr)" -a 1 --out "$(url empty1)" --out "$T/empty1.csv"
check "no matches: header-only CSV" eq "$(wc -l <"$T/empty1.csv")" 1
check "no matches: an empty table" table_is "$T/empty1.csv" empty1

# --- awkward characters through both write methods ---------------------------------------
# backslash, tab, LF, CRLF, quote, comma, apostrophe, \N, the word NULL in lower case, utf8mb4
sql "CREATE TABLE odd (pk INT PRIMARY KEY, id VARCHAR(20), uuid VARCHAR(20), first_name VARCHAR(50),
       middle_name VARCHAR(50), last_name VARCHAR(50), birthdate DATE) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
     INSERT INTO odd VALUES (1, '1', 'u\\\\1', 'back\\\\slash', 'm', 'Smith', '1980-01-01'),
       (2, '2', '\\\\N', 'tab\\there', '', 'Lee', '1980-01-02'),
       (3, '3', 'null', 'new\\nline', 'x\\r\\ny', 'O''Brien', '1980-01-03'),
       (4, '4', NULL, 'quo\"te,comma', NULL, 'Ng', '1980-01-04'),
       (5, '\\\\N', '', 'Nguyễn', 'Łukasz', '王小明', '1980-01-05'),
       (6, '6', ' lead', 'trail ', '\\\\', '\\\\t', '1980-01-06')"
check "odd values stored" eq "$(sql "SELECT HEX(first_name) FROM odd WHERE pk = 2")" 7461620968657265
for m in load-data insert; do
  t=odd_${m/-/_}
  run --left "$(url odd)" --right "$(url odd)" -a 2 --out "$(url "$t")" --out "$T/$t.csv" --db-write-method "$m"
  check "awkward characters ($m): exit 0" test $? -eq 0
  check "awkward characters ($m): all rows matched" eq "$(csv_rows "$T/$t.csv")" 6
  check "awkward characters ($m): table = CSV" table_is "$T/$t.csv" "$t"
done
# The upper-case word NULL is a real name (registries in capitals) and must stay a string.
sql "CREATE TABLE nul (pk INT PRIMARY KEY, id VARCHAR(20), uuid VARCHAR(20), first_name VARCHAR(50),
       last_name VARCHAR(50), birthdate DATE);
     INSERT INTO nul VALUES (1, '1', 'NULL', 'ANN', 'NULL', '1980-01-01'), (2, 'NULL', 'u2', 'NULL', 'LEE', '1980-01-02')"
for m in load-data insert; do
  t=nul_${m/-/_}
  run --left "$(url nul)" --right "$(url nul)" -a 1 --out "$(url "$t")" --out "$T/$t.csv" --db-write-method "$m" 2>"$T/$t.err"
  check "the name NULL ($m): exit 0" test $? -eq 0
  check "the name NULL ($m): table = CSV" table_is "$T/$t.csv" "$t"
  check "the name NULL ($m): no SQL NULL" eq "$(sql "SELECT COUNT(*) FROM $t WHERE Table1_UUID IS NULL OR Table1_LastName IS NULL")" 0
done

# --- server settings: NO_BACKSLASH_ESCAPES, auto_increment_increment, local_infile off ---------
# Global settings are put back at exit whatever happens (the server is shared with later tests).
GLOBALS=$(sql "SELECT CONCAT('SET GLOBAL sql_mode = ''', @@GLOBAL.sql_mode, ''', GLOBAL auto_increment_increment = ',
  @@GLOBAL.auto_increment_increment, ', GLOBAL auto_increment_offset = ', @@GLOBAL.auto_increment_offset,
  ', GLOBAL local_infile = ', @@GLOBAL.local_infile)")
trap 'sql "$GLOBALS" >/dev/null 2>&1; rm -rf "$T"' EXIT
sql "SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')"
for m in load-data insert; do
  t=nbe_${m/-/_}
  run --left "$(url odd)" --right "$(url odd)" -a 2 --out "$(url "$t")" --out "$T/$t.csv" --db-write-method "$m"
  check "NO_BACKSLASH_ESCAPES server ($m): exit 0" test $? -eq 0
  check "NO_BACKSLASH_ESCAPES server ($m): the same CSV" same "$T/odd_load_data.csv" "$T/$t.csv"
  check "NO_BACKSLASH_ESCAPES server ($m): table = CSV" table_is "$T/$t.csv" "$t"
done
sql "$GLOBALS"
sql "SET GLOBAL auto_increment_increment = 3, GLOBAL auto_increment_offset = 2"
for m in load-data insert; do
  t=aii_${m/-/_}
  run --left "$L" --right "$R" -a 3 --threshold 0.6 --out "$(url "$t")" --db-write-method "$m"
  check "auto_increment_increment = 3 ($m): row_no 1, 2, 3..." table_is "$G/a3.csv" "$t"
done
sql "$GLOBALS"
sql "SET GLOBAL local_infile = 0"
refused "$T/li.err" run --left "$L" --right "$R" -a 3 --out "$(url li)" --out "$T/li.csv"
check "local_infile off: load-data refused, pointing to insert" has "$T/li.err" "--db-write-method insert"
check "local_infile off: before the work (no CSV, no table)" \
  eq "$(test -e "$T/li.csv" && echo csv)$(sql "SHOW TABLES LIKE 'li'")" ""
run --left "$L" --right "$R" -a 3 --threshold 0.6 --out "$(url li)" --db-write-method insert
check "local_infile off: insert works" table_is "$G/a3.csv" li
sql "$GLOBALS"

# --- --if-exists ----------------------------------------------------------------------------
run --left "$L" --right "$R" -a 3 --threshold 0.6 --out "$(url ie)" --out "$T/ie3.csv"
before=$(sql 'CHECKSUM TABLE ie EXTENDED')
# fail (the default): before any work, even before reading a bad input row
sqlq nmtest "SET SESSION sql_mode = ''; CREATE TABLE badin LIKE gl; INSERT INTO badin SELECT * FROM gl;
             UPDATE badin SET birthdate = '0000-00-00' WHERE pk = 1"
for opt in "" "--if-exists fail"; do
  rm -f "$T/ie_fail.csv"
  # shellcheck disable=SC2086
  refused "$T/ie.err" run --left "$(url badin)" --right "$R" -a 1 $opt --out "$T/ie_fail.csv" --out "$(url ie)"
  check "--if-exists ${opt:-default}: exit 1" test $? -eq 0
  check "--if-exists ${opt:-default}: says the table exists" has "$T/ie.err" "$(url ie): the output table already exists"
  check "--if-exists ${opt:-default}: before reading the inputs" not grep -q "0000-00-00" "$T/ie.err"
  check "--if-exists ${opt:-default}: no CSV written" test ! -e "$T/ie_fail.csv"
  check "--if-exists ${opt:-default}: table unchanged" eq "$(sql 'CHECKSUM TABLE ie EXTENDED')" "$before"
done
refused "$T/ie.err" run --left "$L" --right "$R" -a 3 --if-exists sometimes --out "$(url ie)"
check "--if-exists sometimes: refused" has "$T/ie.err" "sometimes"
check "--if-exists sometimes: table unchanged" eq "$(sql 'CHECKSUM TABLE ie EXTENDED')" "$before"
# append: the new rows after the old ones, the old ones untouched
run --left "$L" --right "$R" -a 3 --threshold 0.95 --out "$(url ie)" --out "$T/ie95.csv" --if-exists append
check "append: exit 0" test $? -eq 0
n3=$(($(wc -l <"$T/ie3.csv") - 1)) n95=$(($(wc -l <"$T/ie95.csv") - 1))
check "append: rows added" eq "$(sql 'SELECT COUNT(*) FROM ie')" $((n3 + n95))
check "append: the old rows first, unchanged" eq \
  "$(table_csv ie row_no row_no | head -n $((n3 + 1)))" "$(cat "$T/ie3.csv")"
check "append: then the new rows in output order" eq \
  "$(table_csv ie row_no row_no | sed -n "1p;$((n3 + 2)),\$p")" "$(cat "$T/ie95.csv")"
check "append: the old rows keep row_no 1..$n3" eq \
  "$(sql "SELECT COUNT(*), MIN(row_no), MAX(row_no) FROM ie WHERE row_no <= $n3")" "$n3	1	$n3"
check "append: the new rows numbered on, $((n3 + 1))..$((n3 + n95))" eq \
  "$(sql "SELECT COUNT(*), MIN(row_no), MAX(row_no) FROM ie WHERE row_no > $n3")" "$n95	$((n3 + 1))	$((n3 + n95))"
run --left "$L" --right "$R" -a 3 --threshold 0.6 --out "$(url ie)" --if-exists append --db-write-method insert
check "append with insert: rows added again" eq "$(sql 'SELECT COUNT(*) FROM ie')" $((2 * n3 + n95))
check "append with insert: row_no 1..N without gaps" eq "$(sql 'SELECT MIN(row_no), MAX(row_no) FROM ie')" \
  "1	$((2 * n3 + n95))"
check "append with insert: the last rows in output order" eq \
  "$(table_csv ie row_no row_no | sed -n "1p;$((n3 + n95 + 2)),\$p")" "$(cat "$T/ie3.csv")"
before=$(sql 'CHECKSUM TABLE ie EXTENDED')
refused "$T/ie.err" run --left "$L" --right "$R" -a 5 --out "$(url ie)" --if-exists append
check "append other columns: refused" has "$T/ie.err" "$(url ie)"
check "append other columns: table unchanged" eq "$(sql 'CHECKSUM TABLE ie EXTENDED')" "$before"
# append to a table that cannot roll back (MyISAM): refused before the work
sql "CREATE TABLE ie_myisam LIKE ie; INSERT INTO ie_myisam SELECT * FROM ie; ALTER TABLE ie_myisam ENGINE = MyISAM"
before_m=$(sql 'CHECKSUM TABLE ie_myisam EXTENDED')
refused "$T/myisam.err" run --left "$L" --right "$R" -a 3 --threshold 0.6 --out "$(url ie_myisam)" --if-exists append
check "append to MyISAM: refused" has "$T/myisam.err" "$(url ie_myisam)"
check "append to MyISAM: unchanged" eq "$(sql 'CHECKSUM TABLE ie_myisam EXTENDED')" "$before_m"
# replace: the new result only, even with other columns
run --left "$L" --right "$R" -a 5 --household-threshold 0.85 --out "$(url ie)" --if-exists replace
check "replace: exit 0" test $? -eq 0
check "replace: the new result only (other columns)" table_is "$G/a5.csv" ie
run --left "$L" --right "$R" -a 2 --out "$(url ie)" --if-exists replace --db-write-method insert
check "replace with insert" table_is "$G/a2.csv" ie

# --- a failure before the commit changes nothing --------------------------------------------
no_partial() { eq "$(sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME LIKE 'nm\\_partial\\_%'")" 0; }
mkdir -p "$T/fault"
run --left "$L" --right "$R" -a 3 --threshold 0.6 --out "$(url ft)"
before=$(sql 'CHECKSUM TABLE ft EXTENDED')
for m in load-data insert; do
  for ie in absent replace append; do
    tab=ft opt=(--if-exists "$ie")
    [ "$ie" = absent ] && tab=ft_new opt=()
    rm -rf "$T/fault" && mkdir -p "$T/fault"
    (cd "$T/fault" && NAME_MATCHER_FAULT_DB_WRITE=1 "$NM" run -q --left "$L" --right "$R" -a 3 --threshold 0.6 \
      --db-write-method "$m" "${opt[@]}" --out "$(url $tab)") 2>"$T/fault.err"
    check "fault ($m, $ie): exit 1" test $? -eq 1
    check "fault ($m, $ie): says why" has "$T/fault.err" "$(url $tab)"
    if [ "$ie" = absent ]; then
      check "fault ($m, new table): no table" eq "$(sql "SHOW TABLES LIKE 'ft\\_new'")" ""
    else
      check "fault ($m, $ie): table unchanged" eq "$(sql 'CHECKSUM TABLE ft EXTENDED')" "$before"
    fi
    check "fault ($m, $ie): no nm_partial_* table" no_partial
    check "fault ($m, $ie): no CSV left in the working directory" \
      eq "$(cd "$T/fault" && find . -name '*.csv*' | sort | tr '\n' ' ')" ""
  done
done
check "after the faults: the table still reads back" table_is "$G/a3.csv" ft

# --- only a table: no CSV left behind, TABLE.summary.json written ---------------------------
mkdir -p "$T/only"
(cd "$T/only" && "$NM" run -q --left "$L" --right "$R" -a 4 --threshold 85 --out "$(url only4)")
check "table only: exit 0" test $? -eq 0
check "table only: the table" table_is "$G/a4.csv" only4
check "table only: just TABLE.summary.json in the working directory" eq "$(ls -A "$T/only")" only4.summary.json
check "table only: the summary names the table" eq "$(json "$T/only/only4.summary.json" 'd["outputs"]["table"]["url"]')" \
  "$(url only4)"
check "table only: the summary counts its rows" eq "$(json "$T/only/only4.summary.json" 'd["outputs"]["table"]["rows"]')" \
  "$(($(wc -l <"$G/a4.csv") - 1))"
mkdir -p "$T/only2"
(cd "$T/only2" && "$NM" run -q --left "$L" --right "$R" -a 5 --household-threshold 0.85 \
  --out "$(url only5)" --out "$T/only5.xlsx")
check "table and xlsx: the table" table_is "$G/a5.csv" only5
check "table and xlsx: the workbook" xlsx_is "$G/a5.csv" "$T/only5.xlsx" Households
check "table and xlsx: BASE.summary.json beside the workbook" test -s "$T/only5.summary.json"
check "table and xlsx: no CSV in the working directory" eq "$(cd "$T/only2" && find . -name '*.csv' | wc -l)" 0
# table only with bad rows: TABLE.rejects.csv in the working directory
sqlq nmtest "SET SESSION sql_mode = ''; CREATE TABLE onlybad LIKE gl; INSERT INTO onlybad SELECT * FROM gl;
             UPDATE onlybad SET birthdate = '2020-00-10' WHERE pk = 3"
mkdir -p "$T/only3"
(cd "$T/only3" && "$NM" run -q --left "$(url onlybad)" --right "$R" -a 1 --skip-bad-rows --out "$(url onlyrej)" 2>/dev/null)
check "table only, bad rows: TABLE.rejects.csv and TABLE.summary.json" \
  eq "$(find "$T/only3" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" "onlyrej.rejects.csv onlyrej.summary.json "
check "table only, bad rows: the rejected key" has "$T/only3/onlyrej.rejects.csv" "$(url onlybad),3,birthdate,"
# two CSV outputs or two tables are refused
refused "$T/two.err" run --left "$L" --right "$R" -a 1 --out "$(url two1)" --out "$(url two2)"
check "two tables refused" eq "$(sql "SHOW TABLES LIKE 'two%'")" ""

finish db_write
