#!/usr/bin/env bash
# The probabilistic mode's inputs and outputs besides CSV files (docs/PROBABILISTIC.md):
# mysql:// tables as --left/--right (seeded generated tables, FEBRL4 with extra compared
# columns and text dates, --dedupe, one side a table and one a file) give the pairs, model and
# training the CSV files give; --out FILE.xlsx holds the CSV's rows (read back with openpyxl)
# and --out mysql://... the CSV's rows as written (row_no first); --out - beside them; and the
# output rules: --if-exists fail|replace|append, the output table never an input table, no
# staging file left behind.
# usage: prob_io_test.sh <name_matcher> <STATE_DIR> <shared dir>
set -uo pipefail
NM=$(realpath "${1:?usage: prob_io_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
DB_STATE=$(realpath "${2:?usage: prob_io_test.sh <name_matcher> <STATE_DIR> <shared dir>}")
SHARED=${3:?usage: prob_io_test.sh <name_matcher> <STATE_DIR> <shared dir>}
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
# shellcheck source=tests/db/db_lib.sh
source "$(dirname "$0")/db_lib.sh"
cd "$T" || exit 1
fresh_db
DBURL="mysql://$NM_DB_USER@$NM_DB_HOST:$NM_DB_PORT/$NM_DB_NAME"
prob() { "$NM" run --algorithm prob -q "$@"; }
lines() { local n; n=$(wc -l <"$1"); [ "$n" -ge "$2" ] || { echo "  $1: $n lines, want >= $2" >&2; return 1; }; }
sums() { sql "CHECKSUM TABLE $1 EXTENDED" | cut -f2; }
# back TABLE: the output table as CSV without its row_no column, in row_no order.
back() { table_csv_in nmtest "$1" row_no row_no; }

# xlsx_rows CSV XLSX: the workbook's sheets are Pairs and Summary (Algorithm: prob); Pairs holds
# the CSV's header and rows in order: MatchWeight and MatchProbability as numbers equal to the
# CSV's, every other field the CSV's text (an empty field an empty cell).
xlsx_rows() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import csv, sys
import openpyxl
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
book = openpyxl.load_workbook(sys.argv[2], read_only=True)
if book.sheetnames != ["Pairs", "Summary"]:
    sys.exit("sheets %s, want [Pairs, Summary]" % book.sheetnames)
got = [list(r) for r in book["Pairs"].iter_rows(values_only=True)]
if len(got) != len(rows):
    sys.exit("%d rows in the sheet, %d in the CSV" % (len(got), len(rows)))
numbers = {rows[0].index("MatchWeight"), rows[0].index("MatchProbability")}
for i, (g, w) in enumerate(zip(got, rows)):
    g = g + [None] * (len(w) - len(g))
    if len(g) != len(w):
        sys.exit("row %d: %d cells, %d fields" % (i + 1, len(g), len(w)))
    for c, (v, want) in enumerate(zip(g, w)):
        if i > 0 and c in numbers:
            ok = isinstance(v, (int, float)) and v == float(want)
        else:
            ok = (v is None and want == "") or v == want
        if not ok:
            sys.exit("row %d column %s: cell %r, CSV field %r" % (i + 1, rows[0][c], v, want))
summary = {r[0]: r[1] for r in book["Summary"].iter_rows(values_only=True) if r and r[0]}
if summary.get("Algorithm") != "prob" or summary.get("Result rows") != len(rows) - 1:
    sys.exit("Summary sheet: Algorithm %r, Result rows %r" % (summary.get("Algorithm"),
                                                            summary.get("Result rows")))
PY
}

# --- generated tables (seed) and the same rows as files ---------------------------------------
"$NM" seed -q --rows 3000 --seed 7 "$DBURL"
check "seed: exit 0" test $? -eq 0
"$NM" generate -q --rows 3000 --seed 7 --out-dir "$T/g"
prob --left "$T/g/left.csv" --right "$T/g/right.csv" --out "$T/c.csv"
check "from files: a real result" lines "$T/c.csv" 500
prob --left "$(url nm_left)" --right "$(url nm_right)" --out "$T/d.csv" --out "$T/d.xlsx" --out "$(url pairs)"
check "from tables: exit 0" test $? -eq 0
check "from tables: the pairs CSV = from files" same "$T/c.csv" "$T/d.csv"
check "from tables: the model = from files" same "$T/c.csv.model.json" "$T/d.csv.model.json"
check "xlsx: the CSV's rows" xlsx_rows "$T/d.csv" "$T/d.xlsx"
back pairs >"$T/back.csv"
check "table: the CSV's rows as written" same "$T/d.csv" "$T/back.csv"
check "table: row_no first, numbers as DECIMAL, an empty birthdate NULL" eq \
  "$(sql "SELECT GROUP_CONCAT(CONCAT(COLUMN_NAME, ':', DATA_TYPE) ORDER BY ORDINAL_POSITION)
          FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'nmtest' AND TABLE_NAME = 'pairs'" |
     tr ',' '\n' | grep -E '^(row_no|Table1_Birthdate|MatchWeight|MatchProbability|Level_first_name):' | paste -sd,)" \
  "row_no:bigint,Table1_Birthdate:date,MatchWeight:decimal,MatchProbability:decimal,Level_first_name:varchar"
check "summary: the table and the workbook" eq \
  "$(json "$T/d.csv.summary.json" '(d["outputs"]["table"]["rows"], d["outputs"]["xlsx"]["rows"], d["inputs"]["left"])')" \
  "($(($(wc -l <"$T/c.csv") - 1)), $(($(wc -l <"$T/c.csv") - 1)), '$(url nm_left)')"
check "no staging table left" eq "$(sql "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME LIKE 'nm\\_partial\\_%'")" 0

# one side a table, the other a file
prob --left "$(url nm_left)" --right "$T/g/right.csv" --out "$T/mix.csv"
check "table x file = files" same "$T/c.csv" "$T/mix.csv"
# train from tables = train from files
"$NM" train -q --left "$(url nm_left)" --right "$(url nm_right)" --model-out "$T/m_db.json"
check "train from tables = the files' model" same "$T/c.csv.model.json" "$T/m_db.json"
# plan and explain read tables too, with the password from --password-file (the variable unset)
printf '%s\n' "$NAME_MATCHER_DB_PASSWORD" >"$T/pw"
nopw() { env -u NAME_MATCHER_DB_PASSWORD -u DB_PASSWORD "$NM" "$@"; }
"$NM" plan -a prob --left "$T/g/left.csv" --right "$T/g/right.csv" --json >"$T/plan_f.json"
nopw plan -a prob --left "$(url nm_left)" --right "$(url nm_right)" --password-file "$T/pw" --json >"$T/plan_d.json"
check "plan from tables (--password-file): exit 0" test $? -eq 0
check "plan from tables = from files (rules and pairs)" eq \
  "$(json "$T/plan_d.json" '[d[k] for k in sorted(d) if k not in ("left", "right", "seconds")]')" \
  "$(json "$T/plan_f.json" '[d[k] for k in sorted(d) if k not in ("left", "right", "seconds")]')"
lid=$(sed -n 2p "$T/c.csv" | cut -d, -f1) rid=$(sed -n 2p "$T/c.csv" | cut -d, -f6)
"$NM" explain --model "$T/m_db.json" --left "$T/g/left.csv" --right "$T/g/right.csv" \
  --left-row "$lid" --right-row "$rid" --json >"$T/ex_f.json"
nopw explain --model "$T/m_db.json" --left "$(url nm_left)" --right "$(url nm_right)" \
  --left-row "$lid" --right-row "$rid" --password-file "$T/pw" --json >"$T/ex_d.json"
check "explain from tables (--password-file): exit 0" test $? -eq 0
# (the records' source and line differ: a table has no header line)
check "explain from tables = from files" eq \
  "$(json "$T/ex_d.json" '[d[k] for k in sorted(d) if k not in ("left", "right")] + [d["left"]["id"], d["right"]["id"]]')" \
  "$(json "$T/ex_f.json" '[d[k] for k in sorted(d) if k not in ("left", "right")] + [d["left"]["id"], d["right"]["id"]]')"
# --dedupe on a table holding both files' rows
{ cat "$T/g/left.csv"; tail -n +2 "$T/g/right.csv"; } >"$T/both.csv"
load_csv_into both "$T/both.csv"
prob --left "$T/both.csv" --dedupe --out "$T/cd.csv"
prob --left "$(url both)" --dedupe --out "$T/dd.csv" --out "$(url dpairs)"
check "--dedupe: a real result" lines "$T/cd.csv" 500
check "--dedupe: table = file" same "$T/cd.csv" "$T/dd.csv"
back dpairs >"$T/dback.csv"
check "--dedupe: the output table" same "$T/cd.csv" "$T/dback.csv"

# --- --out - beside a workbook; a workbook or a table alone -----------------------------------
mkdir -p "$T/o" && cd "$T/o" || exit 1
prob --left "$(url nm_left)" --right "$(url nm_right)" --out - --out s.xlsx >s.out
check "--out - and a workbook: standard output = the CSV" same "$T/c.csv" s.out
check "--out - and a workbook: the workbook" xlsx_rows "$T/c.csv" s.xlsx
check "--out - and a workbook: side files named after it" test -s s.summary.json -a -s s.model.json
prob --left "$(url nm_left)" --right "$(url nm_right)" --out only.xlsx
check "a workbook alone" xlsx_rows "$T/c.csv" only.xlsx
check "a workbook alone: its side files" test -s only.summary.json -a -s only.model.json
check "no CSV made or left behind" eq "$(find . -name '*.csv' -o -name '*.tmp*' | sort | paste -sd' ')" ""
cd "$T" || exit 1

# --- --if-exists, an input table as output ------------------------------------------------------
before=$(sums pairs)
refused "$T/exists.err" "$NM" run -a prob -q --left "$(url nm_left)" --right "$(url nm_right)" --out "$(url pairs)"
check "existing table: refused" has "$T/exists.err" "already exists"
check "existing table: unchanged" eq "$(sums pairs)" "$before"
check "existing table: refused before any work (no model written)" test ! -e "$T/pairs.model.json"
prob --left "$(url nm_left)" --right "$(url nm_right)" --model "$T/m_db.json" --out "$(url pairs)" --if-exists append
n=$(($(wc -l <"$T/c.csv") - 1))
check "--if-exists append: twice the rows, numbered on" eq "$(sql 'SELECT COUNT(*), MAX(row_no), COUNT(DISTINCT row_no) FROM pairs')" "$((2 * n))	$((2 * n))	$((2 * n))"
check "--if-exists append: the new rows are the CSV's" same <(table_csv_in nmtest pairs row_no row_no | tail -n +$((n + 2))) <(tail -n +2 "$T/c.csv")
prob --left "$(url nm_left)" --right "$(url nm_right)" --model "$T/m_db.json" --out "$(url pairs)" --if-exists replace
back pairs >"$T/back2.csv"
check "--if-exists replace: the CSV's rows only" same "$T/c.csv" "$T/back2.csv"
"$NM" run -q -a 1 --left "$T/g/left.csv" --right "$T/g/right.csv" --out "$(url a1)"
before=$(sums a1)
refused "$T/append.err" "$NM" run -a prob -q --left "$(url nm_left)" --right "$(url nm_right)" --out "$(url a1)" --if-exists append
check "append to another result's table: refused" has "$T/append.err" "not those of the probabilistic pairs"
check "append to another result's table: unchanged" eq "$(sums a1)" "$before"
before=$(sums nm_right)
refused "$T/input.err" "$NM" run -a prob -q --left "$(url nm_left)" --right "$(url nm_right)" --out "$(url nm_right)" --if-exists replace
check "an input table as output: refused" has "$T/input.err" "never replaces an input"
check "an input table as output: unchanged" eq "$(sums nm_right)" "$before"
refused "$T/bad.err" "$NM" run -a prob -q --left "$(url nm_left)" --right "$(url nm_right)" --out "$T/x.csv" --if-exists sometimes
check "a bad --if-exists: named" has "$T/bad.err" "--if-exists"
refused "$T/missing.err" "$NM" run -a prob -q --left "$(url no_such)" --right "$(url nm_right)" --out "$T/x.csv"
check "a missing input table: named" has "$T/missing.err" "no_such"

# --- FEBRL4: extra compared columns and text dates from tables --------------------------------
F=$SHARED/data/febrl
FEBRL=(--map id=rec_id --map first_name=given_name --map last_name=surname
       --map birthdate=date_of_birth --date-format %Y%m%d --trim-fields
       --compare postcode=prefix --compare soc_sec_id=numeric --compare suburb=name)
# load_febrl TABLE FILE: every column as text (spaces around fields trimmed), pk in file order.
load_febrl() {
  local header cols=() c defs=() sets=() eol='\n'
  IFS= read -r header <"$2"
  [[ $header == *$'\r' ]] && eol='\r\n'
  header=${header%$'\r'}
  IFS=, read -ra cols <<<"${header// /}"
  for c in "${cols[@]}"; do
    defs+=("\`$c\` VARCHAR(255)")
    sets+=("\`$c\` = TRIM(@$c)")
  done
  local IFS=,
  mariadb --defaults-file="$DB_STATE/root.cnf" --local-infile=1 "$NM_DB_NAME" -e "
    CREATE TABLE \`$1\` (pk BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, ${defs[*]})
      CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
    LOAD DATA LOCAL INFILE '$2' INTO TABLE \`$1\` CHARACTER SET utf8mb4 FIELDS TERMINATED BY ','
      LINES TERMINATED BY '$eol' IGNORE 1 LINES ($(printf '@%s,' "${cols[@]}" | sed 's/,$//'))
      SET ${sets[*]};"
}
if [ -f "$F/dataset4a.csv" ]; then
  load_febrl f4a "$F/dataset4a.csv" && load_febrl f4b "$F/dataset4b.csv"
  check "FEBRL4 loaded" eq "$(sql 'SELECT (SELECT COUNT(*) FROM f4a), (SELECT COUNT(*) FROM f4b)')" \
    "$(tail -n +2 "$F/dataset4a.csv" | grep -c '')	$(tail -n +2 "$F/dataset4b.csv" | grep -c '')"
  prob --left "$F/dataset4a.csv" --right "$F/dataset4b.csv" "${FEBRL[@]}" --out "$T/f4c.csv"
  check "FEBRL4 from files: a real result" lines "$T/f4c.csv" 4000
  prob --left "$(url f4a)" --right "$(url f4b)" "${FEBRL[@]}" --out "$T/f4d.csv" --out "$T/f4d.xlsx"
  check "FEBRL4 from tables = from files (extra columns, text dates)" same "$T/f4c.csv" "$T/f4d.csv"
  check "FEBRL4: Level_postcode is a column" has "$T/f4d.csv" "Level_postcode"
  check "FEBRL4: the workbook" xlsx_rows "$T/f4d.csv" "$T/f4d.xlsx"
else
  bad "FEBRL data missing at $F"
fi
finish prob_io
