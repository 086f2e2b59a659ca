#!/usr/bin/env bash
# Reading person tables from MariaDB: the same results as from CSV for every algorithm and
# --dedupe, columns found by name (any case) and --map, rows ordered by the primary key or
# --db-key, NULL = empty, DATE / DATETIME / string birthdates with --date-format, utf8mb4 names,
# and bad rows (zero dates, impossible string dates, missing ids, invalid UTF-8 in a VARBINARY
# column): `URL:KEY: field: reason` and exit 1, or OUT.rejects.csv with --skip-bad-rows.
# usage: io_test.sh <name_matcher> <STATE_DIR> <shared dir>
set -uo pipefail
NM=$(realpath "${1:?usage: io_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
DB_STATE=$(realpath "${2:?usage: io_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
G=$(cd "$(dirname "$0")/../data/golden" && pwd)
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
# shellcheck source=tests/db/db_lib.sh
source "$(dirname "$0")/db_lib.sh"
cd "$T" || exit 1
fresh_db
run() { "$NM" run -q "$@"; }
lines() { local n; n=$(wc -l <"$1"); [ "$n" -ge "$2" ] || { echo "  $1: $n lines, want >= $2" >&2; return 1; }; }
# rejects_fields FILE: the file,line,field columns of a rejects file, one row per line.
rejects_fields() {
  /usr/bin/python3 -c 'import csv,sys
for r in list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8", errors="replace")))[1:]:
    print(",".join(r[:3]))' "$1"
}
COLS="id VARCHAR(64), uuid VARCHAR(64), first_name VARCHAR(255), middle_name VARCHAR(255),
      last_name VARCHAR(255), birthdate DATE, hh_id VARCHAR(64)"
CSV_HEADER=id,uuid,first_name,middle_name,last_name,birthdate,hh_id

# --- the golden data: every algorithm gives the golden output ------------------------------
load_csv_into gl "$G/left.csv"
load_csv_into gr "$G/right.csv"
declare -A extra=([1]="" [2]="" [3]="--threshold 0.6" [4]="--threshold 85"
                  [5]="--household-threshold 0.85" [6]="--household-threshold 0.5")
for a in 1 2 3 4 5 6; do
  # shellcheck disable=SC2086
  run --left "$(url gl)" --right "$(url gr)" -a "$a" ${extra[$a]} --out "$T/g$a.csv"
  check "golden A$a from the database" same "$G/a$a.csv" "$T/g$a.csv"
done
# one side a table, the other a CSV file
run --left "$(url gl)" --right "$G/right.csv" -a 3 --threshold 0.6 --out "$T/mix1.csv"
check "golden A3: table x CSV" same "$G/a3.csv" "$T/mix1.csv"
run --left "$G/left.csv" --right "$(url gr)" -a 3 --threshold 0.6 --out "$T/mix2.csv"
check "golden A3: CSV x table" same "$G/a3.csv" "$T/mix2.csv"
# the mariadb:// scheme reads the same table
run --left "mariadb://nm@$NM_DB_HOST:$NM_DB_PORT/nmtest/gl" --right "$(url gr)" -a 2 --out "$T/mdb.csv"
check "mariadb:// scheme" same "$G/a2.csv" "$T/mdb.csv"

# --- generated data: CSV and tables give identical outputs, A1-A6 and --dedupe -------------
"$NM" generate --rows 3000 --seed 7 --out-dir "$T/gen" >/dev/null 2>&1
load_csv_into genl "$T/gen/left.csv"
load_csv_into genr "$T/gen/right.csv"
check "generated rows loaded" eq "$(sql 'SELECT COUNT(*) FROM genl UNION ALL SELECT COUNT(*) FROM genr')" \
  $'3000\n3000'
declare -A gextra=([1]="" [2]="" [3]="--threshold 0.85" [4]="--threshold 0.85"
                   [5]="--household-threshold 0.8" [6]="--household-threshold 0.8")
declare -A gmin=([1]=100 [2]=100 [3]=500 [4]=500 [5]=50 [6]=50)
for a in 1 2 3 4 5 6; do
  # shellcheck disable=SC2086
  run --left "$T/gen/left.csv" --right "$T/gen/right.csv" -a "$a" ${gextra[$a]} --out "$T/c$a.csv"
  # shellcheck disable=SC2086
  run --left "$(url genl)" --right "$(url genr)" -a "$a" ${gextra[$a]} --out "$T/d$a.csv"
  check "generated A$a: a real result" lines "$T/c$a.csv" "${gmin[$a]}"
  check "generated A$a: tables = CSV" same "$T/c$a.csv" "$T/d$a.csv"
done
# --dedupe: both generated files as one table, so that it holds the same people twice
{ cat "$T/gen/left.csv"; tail -n +2 "$T/gen/right.csv"; } >"$T/gen/both.csv"
load_csv_into genb "$T/gen/both.csv"
for a in 1 2 3 4; do
  # shellcheck disable=SC2086
  run --left "$T/gen/both.csv" --dedupe -a "$a" ${gextra[$a]} --out "$T/cd$a.csv"
  # shellcheck disable=SC2086
  run --left "$(url genb)" --dedupe -a "$a" ${gextra[$a]} --out "$T/dd$a.csv"
  check "generated --dedupe A$a: a real result" lines "$T/cd$a.csv" "${gmin[$a]}"
  check "generated --dedupe A$a: table = CSV" same "$T/cd$a.csv" "$T/dd$a.csv"
done

# --- columns by name in any case and order, extra columns, --map ----------------------------
sql "CREATE TABLE cased (ROW_KEY INT PRIMARY KEY, Notes TEXT, LAST_NAME VARCHAR(255), Hh_Id VARCHAR(64),
       BirthDate DATE, First_Name VARCHAR(255), UUID VARCHAR(64), Middle_name VARCHAR(255), ID VARCHAR(64))
     CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
     INSERT INTO cased SELECT pk, 'x', last_name, hh_id, birthdate, first_name, uuid, middle_name, id FROM gr"
for a in 2 3 6; do
  # shellcheck disable=SC2086
  run --left "$(url gl)" --right "$(url cased)" -a "$a" ${extra[$a]} --out "$T/cased$a.csv"
  check "columns found in any case and order (A$a)" same "$G/a$a.csv" "$T/cased$a.csv"
done
mapped() {
  sql "CREATE TABLE $1 (k INT PRIMARY KEY, person VARCHAR(64), given VARCHAR(255), middle_name VARCHAR(255),
         surname VARCHAR(255), born DATE, uuid VARCHAR(64), household VARCHAR(64))
       CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
       INSERT INTO $1 SELECT pk, id, first_name, middle_name, last_name, birthdate, uuid, hh_id FROM $2"
}
mapped mapl gl
mapped mapr gr
MAPS=(--map id=person --map first_name=GIVEN --map last_name=Surname --map birthdate=born --map hh_id=household)
for a in 3 5; do
  # shellcheck disable=SC2086
  run --left "$(url mapl)" --right "$(url mapr)" "${MAPS[@]}" -a "$a" ${extra[$a]} --out "$T/map$a.csv"
  check "--map on tables (A$a)" same "$G/a$a.csv" "$T/map$a.csv"
done

# --- row order: the primary key, not the physical order; --db-key -------------------------
# MyISAM returns rows in insertion order: insert them by descending key so that only an
# ORDER BY the key gives the file's order.
sql "CREATE TABLE revl (pk BIGINT PRIMARY KEY, $COLS) ENGINE=MyISAM CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
     INSERT INTO revl SELECT pk, id, uuid, first_name, middle_name, last_name, birthdate, hh_id FROM genl ORDER BY pk DESC;
     CREATE TABLE revr (pk BIGINT PRIMARY KEY, $COLS) ENGINE=MyISAM CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
     INSERT INTO revr SELECT pk, id, uuid, first_name, middle_name, last_name, birthdate, hh_id FROM genr ORDER BY pk DESC;"
check "MyISAM table is stored in reverse" eq "$(sql 'SELECT pk, id FROM revl LIMIT 1')" "3000	L00003000"
run --left "$(url revl)" --right "$(url revr)" -a 3 --threshold 0.85 --out "$T/rev3.csv"
check "rows in primary key order, whatever the storage order" same "$T/c3.csv" "$T/rev3.csv"
# --db-key: a string primary key (random order) and an integer column `ord` giving the order;
# ord runs backwards, so the rows must come out in reverse file order.
for s in l r; do
  sql "CREATE TABLE key$s (u CHAR(36) PRIMARY KEY, ord INT NOT NULL UNIQUE, grp INT NOT NULL, $COLS) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
       INSERT INTO key$s SELECT UUID(), 100000 - 7 * CAST(pk AS SIGNED), pk DIV 10, id, uuid, first_name, middle_name,
         last_name, birthdate, hh_id FROM gen$s"
  { echo "$CSV_HEADER"; tail -n +2 "$T/gen/$( [ $s = l ] && echo left || echo right).csv" | tac; } >"$T/rev_$s.csv"
done
run --left "$T/rev_l.csv" --right "$T/rev_r.csv" -a 3 --threshold 0.85 --out "$T/revc3.csv"
check "reversed files give another order" not cmp -s "$T/c3.csv" "$T/revc3.csv"
run --left "$(url keyl)" --right "$(url keyr)" --db-key ord -a 3 --threshold 0.85 --out "$T/key3.csv"
check "--db-key orders the rows" same "$T/revc3.csv" "$T/key3.csv"
run --left "$(url keyl)" --right "$(url keyr)" --db-key ORD -a 1 --out "$T/key1.csv"
run --left "$T/rev_l.csv" --right "$T/rev_r.csv" -a 1 --out "$T/revc1.csv"
check "--db-key in another case (A1)" same "$T/revc1.csv" "$T/key1.csv"
refused "$T/nokey.err" run --left "$(url keyl)" --right "$(url keyr)" --db-key nosuch -a 1 --out "$T/nokey.csv"
check "--db-key: unknown column names it" has "$T/nokey.err" "nosuch"
check "--db-key: unknown column, no output" test ! -e "$T/nokey.csv"
# a column that does not fix the order (not unique) is refused
refused "$T/grpkey.err" run --left "$(url keyl)" --right "$(url keyr)" --db-key grp -a 1 --out "$T/grpkey.csv"
check "--db-key: a non-unique column is refused, named" has "$T/grpkey.err" "--db-key grp"
check "--db-key: a non-unique column, no output" test ! -e "$T/grpkey.csv"

# a NULL in a UNIQUE --db-key column is in no key range: an error
sql "CREATE TABLE nullkey (u CHAR(36) PRIMARY KEY, ord INT NULL UNIQUE, $COLS) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
     INSERT INTO nullkey SELECT u, ord, id, uuid, first_name, middle_name, last_name, birthdate, hh_id FROM keyl;
     UPDATE nullkey SET ord = NULL WHERE ord = (SELECT MAX(ord) FROM keyl)"
refused "$T/nullkey.err" run --left "$(url nullkey)" --right "$(url keyr)" --db-key ord -a 1 --out "$T/nullkey.csv"
check "NULL in the --db-key column: refused, named" has "$T/nullkey.err" "NULL"
check "NULL in the --db-key column: no output" test ! -e "$T/nullkey.csv"
# --- NULL = empty field; utf8mb4 names ------------------------------------------------------
cat >"$T/nl.csv" <<'EOF'
id,uuid,first_name,middle_name,last_name,birthdate,hh_id
1,u1,Nguyễn,Văn,Trần,1980-01-01,h1
2,,Łukasz,,Żółć,1981-02-02,
3,u3,王小明,,王,1982-03-03,h3
4,u4,,,Nobody,1983-04-04,h4
5,u5,Ann,Marie,,1984-05-05,h5
6,u6,José,,García,,h6
7,u7,Zoë,Ō,O'Brien,1986-06-06,h7
8,u8,"Dela Cruz, Jr.",,"Say ""Hi""",1987-07-07,h8
EOF
sed -e 's/Trần/Tran/' -e 's/^5,u5,Ann,Marie/5,u5,Anne,Marie/' "$T/nl.csv" >"$T/nr.csv"
# the tables: NULL where the CSV field is empty (except a few ''), the same text otherwise
for s in l r; do
  load_csv_into "n$s" "$T/n$s.csv"
  sql "UPDATE n$s SET uuid = NULL WHERE uuid = '';
       UPDATE n$s SET middle_name = NULL WHERE middle_name = '' AND id <> '3';
       UPDATE n$s SET first_name = NULL WHERE first_name = '';
       UPDATE n$s SET last_name = NULL WHERE last_name = '';
       UPDATE n$s SET hh_id = NULL WHERE hh_id = ''"
done
check "NULLs are in the table" eq "$(sql 'SELECT COUNT(*) FROM nl WHERE uuid IS NULL OR middle_name IS NULL OR first_name IS NULL OR last_name IS NULL OR birthdate IS NULL')" 5
check "utf8mb4 stored as characters" eq "$(sql "SELECT CHAR_LENGTH(first_name), HEX(first_name) FROM nl WHERE id = '3'")" \
  "3	E78E8BE5B08FE6988E"
for a in 1 2 3 4 5 6; do
  opts=(); [ "$a" -ge 3 ] && opts=(--threshold 0.5 --household-threshold 0.5)
  run --left "$T/nl.csv" --right "$T/nr.csv" -a "$a" "${opts[@]}" --out "$T/nc$a.csv"
  run --left "$(url nl)" --right "$(url nr)" -a "$a" "${opts[@]}" --out "$T/nd$a.csv"
  check "NULL and utf8mb4 names: A$a tables = CSV" same "$T/nc$a.csv" "$T/nd$a.csv"
done
for n in Nguyễn Łukasz 王小明 "\"Dela Cruz, Jr.\"" "\"Say \"\"Hi\"\"\"" Zoë; do
  check "name $n in the output, byte for byte" has "$T/nd2.csv" "$n"
done
check "NULL uuid and middle name read as empty" has "$T/nd2.csv" "2,,Łukasz,,Żółć,1981-02-02,2,,Łukasz,,Żółć,1981-02-02,true"

# whatever an option file says, the connection is utf8mb4
printf '[client]\ndefault-character-set=latin1\n[name_matcher]\ndefault-character-set=latin1\n' >"$T/latin1.cnf"
run --left "$(url nl)" --right "$(url nr)" -a 2 --db-option-file "$T/latin1.cnf" --out "$T/nlatin.csv"
check "latin1 in the option file: utf8mb4 names unchanged" same "$T/nc2.csv" "$T/nlatin.csv"
# --- birthdates: DATE, DATETIME, strings with --date-format --------------------------------
for s in l r; do
  sql "CREATE TABLE dt$s (pk INT PRIMARY KEY, id VARCHAR(64), uuid VARCHAR(64), first_name VARCHAR(255),
         middle_name VARCHAR(255), last_name VARCHAR(255), birthdate DATETIME, hh_id VARCHAR(64));
       INSERT INTO dt$s SELECT pk, id, uuid, first_name, middle_name, last_name,
         TIMESTAMP(birthdate, IF(pk % 2 = 0, '13:45:59', '00:00:00')), hh_id FROM g$s;
       CREATE TABLE ds$s (pk INT PRIMARY KEY, id VARCHAR(64), uuid VARCHAR(64), first_name VARCHAR(255),
         middle_name VARCHAR(255), last_name VARCHAR(255), birthdate VARCHAR(20), hh_id VARCHAR(64));
       INSERT INTO ds$s SELECT pk, id, uuid, first_name, middle_name, last_name,
         DATE_FORMAT(birthdate, '%d/%m/%Y'), hh_id FROM g$s;
       CREATE TABLE di$s (pk INT PRIMARY KEY, id VARCHAR(64), uuid VARCHAR(64), first_name VARCHAR(255),
         middle_name VARCHAR(255), last_name VARCHAR(255), birthdate CHAR(10), hh_id VARCHAR(64));
       INSERT INTO di$s SELECT pk, id, uuid, first_name, middle_name, last_name, birthdate, hh_id FROM g$s;"
done
check "DATETIME with a time of day stored" eq "$(sql 'SELECT birthdate FROM dtl WHERE pk = 2')" "1982-07-01 13:45:59"
run --left "$(url dtl)" --right "$(url dtr)" -a 2 --out "$T/dt2.csv"
check "DATETIME birthdates (time of day ignored)" same "$G/a2.csv" "$T/dt2.csv"
run --left "$(url dsl)" --right "$(url dsr)" -a 2 --date-format %d/%m/%Y --out "$T/ds2.csv"
check "string birthdates with --date-format %d/%m/%Y" same "$G/a2.csv" "$T/ds2.csv"
run --left "$(url dil)" --right "$(url dir)" -a 2 --out "$T/di2.csv"
check "string birthdates in the default format" same "$G/a2.csv" "$T/di2.csv"
refused "$T/dsfmt.err" run --left "$(url dsl)" --right "$(url dsr)" -a 2 --out "$T/dsfmt.csv"
check "string birthdates in another format: bad row" has "$T/dsfmt.err" "$(url dsl):1: birthdate: "
check "string birthdates in another format: no output" test ! -e "$T/dsfmt.csv"

# --- bad rows --------------------------------------------------------------------------------
# Keys are not row numbers (gaps, negative): the message and the rejects file give the key.
sqlq nmtest "SET SESSION sql_mode = '';
  CREATE TABLE badl (k INT PRIMARY KEY, $COLS) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
  INSERT INTO badl VALUES
    (-40, '1', 'u1', 'John', 'Michael', 'Smith', '1980-03-15', ''),
    (-7,  '2', 'u2', 'Jane', '', 'Smith', '0000-00-00', ''),
    (3,   '3', 'u3', 'Jimmy', '', 'Smith', '2010-01-01', ''),
    (10,  '4', 'u4', 'Maria', 'Clara', 'Santos', '2020-00-10', ''),
    (11,  NULL, 'u5', 'Catherine', '', 'Johnson', '1990-01-01', ''),
    (25,  '', 'u6', 'José', 'Luis', 'García', '1969-12-31', ''),
    (26,  '7', 'u7', 'Mohammed', '', 'Ali', '1969-12-31', ''),
    (300, '8', 'u8', 'Ann', 'B', 'Lee', '1955-05-05', '');"
check "zero dates stored" eq "$(sql 'SELECT GROUP_CONCAT(birthdate ORDER BY k) FROM badl WHERE k IN (-7, 10)')" \
  "0000-00-00,2020-00-10"
printf '%s\n' "$CSV_HEADER" 1,u1,John,Michael,Smith,1980-03-15, 3,u3,Jimmy,,Smith,2010-01-01, \
  7,u7,Mohammed,,Ali,1969-12-31, 8,u8,Ann,B,Lee,1955-05-05, >"$T/good.csv"
BADL=$(url badl)
refused "$T/bad.err" run --left "$BADL" --right "$(url gr)" -a 3 --threshold 0.6 --out "$T/bad.csv"
check "zero date stops the run: URL:KEY: birthdate:" has "$T/bad.err" "$BADL:-7: birthdate: "
check "zero date reason" has "$T/bad.err" "0000-00-00"
check "bad row: one message" eq "$(grep -c 'error' "$T/bad.err")" 1
check "bad row: no output" test ! -e "$T/bad.csv"
run --left "$BADL" --right "$(url gr)" -a 3 --threshold 0.6 --skip-bad-rows --out "$T/bad.csv" 2>"$T/bad.err"
check "--skip-bad-rows: exit 0" test $? -eq 0
run --left "$T/good.csv" --right "$(url gr)" -a 3 --threshold 0.6 --out "$T/good3.csv"
check "--skip-bad-rows: a real result" lines "$T/good3.csv" 4
check "--skip-bad-rows: the good rows' result" same "$T/good3.csv" "$T/bad.csv"
check "--skip-bad-rows: rejects file" test -s "$T/bad.csv.rejects.csv"
check "rejects header" eq "$(head -1 "$T/bad.csv.rejects.csv")" "file,line,field,reason,record"
check "rejects: URL, key, field of each bad row in key order" eq "$(rejects_fields "$T/bad.csv.rejects.csv")" \
  "$BADL,-7,birthdate
$BADL,10,birthdate
$BADL,11,id
$BADL,25,id"
check "rejects: missing id reason" has "$T/bad.csv.rejects.csv" "missing id"
check "rejects: 2020-00-10 reason" has "$T/bad.csv.rejects.csv" "2020-00-10"
check "rejected rows counted in the summary" eq "$(json "$T/bad.csv.summary.json" 'd["inputs"]["rejected"]')" 4
check "rejected rows counted on stderr" has "$T/bad.err" "4 bad rows"
check "good rows counted" eq "$(json "$T/bad.csv.summary.json" 'd["inputs"]["left"]["rows"]')" 4
# the first bad row is a missing id
sqlq nmtest "CREATE TABLE badid (k INT PRIMARY KEY, $COLS); INSERT INTO badid SELECT * FROM badl WHERE k NOT IN (-7, 10)"
refused "$T/badid.err" run --left "$(url badid)" --right "$(url gr)" -a 1 --out "$T/badid.csv"
check "NULL id: URL:KEY: id: missing id" has "$T/badid.err" "$(url badid):11: id: missing id"
sql "UPDATE badid SET id = '9' WHERE k = 11"
refused "$T/badid.err" run --left "$(url badid)" --right "$(url gr)" -a 1 --out "$T/badid.csv"
check "empty id: URL:KEY: id: missing id" has "$T/badid.err" "$(url badid):25: id: missing id"
# DATETIME zero dates and impossible string dates
sqlq nmtest "SET SESSION sql_mode = '';
  CREATE TABLE baddt (k BIGINT PRIMARY KEY, id VARCHAR(9), first_name VARCHAR(9), last_name VARCHAR(9), birthdate DATETIME);
  INSERT INTO baddt VALUES (1, '1', 'John', 'Smith', '1980-03-15 00:00:00'), (5, '2', 'Jane', 'Smith', '0000-00-00 00:00:00'),
    (9, '3', 'Ann', 'Lee', '1955-00-05 10:00:00');
  CREATE TABLE badstr (k BIGINT PRIMARY KEY, id VARCHAR(9), first_name VARCHAR(9), last_name VARCHAR(9), birthdate VARCHAR(12));
  INSERT INTO badstr VALUES (1, '1', 'John', 'Smith', '1980-03-15'), (2, '2', 'Jane', 'Smith', '1982-02-30'),
    (3, '3', 'Ann', 'Lee', '1955-13-05'), (4, '4', 'Bo', 'Ng', 'yesterday'), (5, '5', 'Cy', 'Oz', '');"
refused "$T/baddt.err" run --left "$(url baddt)" --right "$(url gr)" -a 1 --out "$T/baddt.csv"
check "DATETIME zero date: URL:KEY: birthdate:" has "$T/baddt.err" "$(url baddt):5: birthdate: "
run --left "$(url baddt)" --right "$(url gr)" -a 1 --skip-bad-rows --out "$T/baddt.csv" 2>/dev/null
check "DATETIME zero dates rejected" eq "$(rejects_fields "$T/baddt.csv.rejects.csv")" \
  "$(url baddt),5,birthdate
$(url baddt),9,birthdate"
check "DATETIME: the good row matched" has "$T/baddt.csv" "1,,John,Smith,1980-03-15,114,t14"
refused "$T/badstr.err" run --left "$(url badstr)" --right "$(url gr)" -a 1 --out "$T/badstr.csv"
check "impossible string date: URL:KEY: birthdate:" has "$T/badstr.err" "$(url badstr):2: birthdate: "
check "impossible string date: the value is named" has "$T/badstr.err" "1982-02-30"
run --left "$(url badstr)" --right "$(url gr)" -a 1 --skip-bad-rows --out "$T/badstr.csv" 2>/dev/null
check "string dates rejected (an empty one is no bad row)" eq "$(rejects_fields "$T/badstr.csv.rejects.csv")" \
  "$(url badstr),2,birthdate
$(url badstr),3,birthdate
$(url badstr),4,birthdate"
check "string dates: summary count" eq "$(json "$T/badstr.csv.summary.json" 'd["inputs"]["rejected"]')" 3
check "string dates: good rows" eq "$(json "$T/badstr.csv.summary.json" 'd["inputs"]["left"]["rows"]')" 2
# invalid UTF-8 can only come through a binary column
sql "CREATE TABLE badutf (k INT PRIMARY KEY, id VARCHAR(9), first_name VARBINARY(20), last_name VARBINARY(20), birthdate DATE);
     INSERT INTO badutf VALUES (1, '1', 'John', 'Smith', '1980-03-15'), (4, '2', 0x4A61FF6E65, 'Smith', '1982-07-01'),
       (6, '3', 'Jimmy', 0xC3, '2010-01-01'), (8, '4', 'Jos\xc3\xa9', 'Garc\xc3\xada', '1969-12-31')"
sql "UPDATE badutf SET first_name = 0x4A6F73C3A9, last_name = 0x47617263C3AD61 WHERE k = 8"
refused "$T/badutf.err" run --left "$(url badutf)" --right "$(url gr)" -a 1 --out "$T/badutf.csv"
check "invalid UTF-8: URL:KEY: first_name:" has "$T/badutf.err" "$(url badutf):4: first_name: "
check "invalid UTF-8: reason" has "$T/badutf.err" "UTF-8"
run --left "$(url badutf)" --right "$(url gr)" -a 1 --skip-bad-rows --out "$T/badutf.csv" 2>/dev/null
check "invalid UTF-8 rejected" eq "$(rejects_fields "$T/badutf.csv.rejects.csv")" \
  "$(url badutf),4,first_name
$(url badutf),6,last_name"
check "valid UTF-8 in a binary column is read" has "$T/badutf.csv" "4,,José,García,1969-12-31,105,t5,Jose,Garcia"

finish db_io
