# Shared by tests/db/*_test.sh, sourced after tests/check_lib.sh with DB_STATE set to the
# STATE_DIR that `tests/db/mariadb_server.sh start` filled (ctest passes it as $2):
#   sql "SQL"                    root on nmtest through the socket; batch output, no column names
#   sqlq DB "SQL"                the same on database DB
#   sql_as USER PASSWORD "SQL"   USER over TCP 127.0.0.1 on nmtest (what name_matcher sees)
#   url TABLE                    mysql://nm@127.0.0.1:PORT/nmtest/TABLE
#   load_csv_into TABLE CSV      (re)creates TABLE with the contract's columns and loads CSV
#   fresh_db                     drops every table of nmtest and nmtest2
#   table_csv_in DB TABLE ORDER [SKIP]   a table as contract CSV (for comparing with outputs)
#   xlsx_is CSV XLSX SHEET       the workbook's SHEET holds CSV's rows, and a Summary sheet exists
#   eq GOT WANT, has FILE TEXT, not CMD..., refused ERR CMD...   assertions for check
# It exports NAME_MATCHER_DB_PASSWORD so name_matcher can log in as nm.
# shellcheck shell=bash
: "${DB_STATE:?db_lib.sh: set DB_STATE=STATE_DIR (of mariadb_server.sh start) before sourcing}"
[ -r "$DB_STATE/env" ] ||
  { echo "db_lib.sh: no $DB_STATE/env: the server is not running (bash tests/db/mariadb_server.sh start $DB_STATE)" >&2; exit 1; }
# shellcheck source=/dev/null
. "$DB_STATE/env"
export NAME_MATCHER_DB_PASSWORD=$NM_DB_PASSWORD

# Runs SQL on database $1 as root. On an error the client has printed the server's message;
# the statement is added, since a test's line number alone rarely says which one failed.
sqlq() {
  mariadb --defaults-file="$DB_STATE/root.cnf" --batch --skip-column-names "$1" -e "$2" ||
    { echo "sql on $1 failed: $2" >&2; return 1; }
}
sql() { sqlq "$NM_DB_NAME" "$1"; }

# Runs SQL on nmtest as USER over TCP, as a client on another host would; errors go to stderr.
sql_as() {
  MYSQL_PWD=$2 mariadb --no-defaults --protocol=TCP --host="$NM_DB_HOST" --port="$NM_DB_PORT" \
    --user="$1" --default-character-set=utf8mb4 --batch --skip-column-names "$NM_DB_NAME" -e "$3"
}

url() { echo "mysql://$NM_DB_USER@$NM_DB_HOST:$NM_DB_PORT/$NM_DB_NAME/$1"; }

# Loads a contract CSV (columns in any order, matched by header name; unknown columns are
# skipped) into a fresh TABLE. pk numbers the rows in file order; an empty birthdate is NULL,
# other empty fields stay ''. Any warning (a bad date, a truncated value) is an error: LOCAL
# loads turn errors into warnings, and a silently altered row would make a test lie.
load_csv_into() {
  local table=$1 csv=$2 header hcols cols=() c eol='\n' out
  [ -r "$csv" ] || { echo "load_csv_into: cannot read $csv" >&2; return 1; }
  IFS= read -r header <"$csv"
  [[ $header == *$'\r' ]] && eol='\r\n'
  header=${header%$'\r'}
  IFS=, read -ra hcols <<<"$header"
  for c in "${hcols[@]}"; do
    case $c in
      id | uuid | first_name | middle_name | last_name | hh_id) cols+=("\`$c\`") ;;
      birthdate) cols+=("@bd") ;;
      *) cols+=("@skip") ;;
    esac
  done
  local IFS=,
  out=$(mariadb --defaults-file="$DB_STATE/root.cnf" --local-infile=1 --batch --skip-column-names "$NM_DB_NAME" -e "
    DROP TABLE IF EXISTS \`$table\`;
    CREATE TABLE \`$table\` (
      pk BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      id VARCHAR(64), uuid VARCHAR(64), first_name VARCHAR(255), middle_name VARCHAR(255),
      last_name VARCHAR(255), birthdate DATE, hh_id VARCHAR(64)
    ) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
    LOAD DATA LOCAL INFILE '${csv//\'/\'\'}' INTO TABLE \`$table\` CHARACTER SET utf8mb4
      FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY ''
      LINES TERMINATED BY '$eol' IGNORE 1 LINES
      (${cols[*]}) SET birthdate = NULLIF(@bd, '');
    SHOW WARNINGS;" 2>&1) || { echo "load_csv_into $table $csv failed: $out" >&2; return 1; }
  [ -z "$out" ] || { echo "load_csv_into $table $csv: warnings: $out" >&2; return 1; }
}

# Drops every table of the test databases: the db tests share one server.
fresh_db() {
  local db tabs
  for db in nmtest nmtest2; do
    tabs=$(sqlq "$db" "SELECT GROUP_CONCAT(CONCAT('\`', REPLACE(TABLE_NAME, '\`', '\`\`'), '\`'))
                       FROM information_schema.TABLES WHERE TABLE_SCHEMA = '$db'")
    [ "$tabs" = NULL ] || sqlq "$db" "DROP TABLE $tabs"
  done
}

# Assertions for check: eq GOT WANT, has FILE TEXT, not COMMAND..., refused ERRFILE COMMAND...
# (COMMAND exits 1, its stderr in ERRFILE)
refused() {
  local err=$1 rc; shift
  "$@" 2>"$err"; rc=$?
  [ "$rc" -eq 1 ] || { echo "  exit status $rc, want 1; stderr:" >&2; head -5 "$err" >&2; return 1; }
}
eq() { [ "$1" = "$2" ] || { echo "  got [$1], want [$2]" >&2; return 1; }; }
has() { grep -qF -- "$2" "$1" || { echo "  [$2] not in $1:" >&2; head -5 "$1" >&2; return 1; }; }
not() { ! "$@"; }

DB_LIB_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# table_csv_in DB TABLE ORDER_BY [SKIP_COLUMN]: the table as CSV (header = column names, NULL = empty
# field, text as stored, DATE as printed, quoted as the contract says), rows in ORDER_BY order.
table_csv_in() {
  /usr/bin/python3 - "$DB_STATE/root.cnf" "$@" <<'PY'
import subprocess, sys
cnf, db, table, order = sys.argv[1:5]
skip = sys.argv[5] if len(sys.argv) > 5 else None
def q(sql):
    out = subprocess.run(["mariadb", "--defaults-file=" + cnf, "--batch", "--skip-column-names", db,
                          "-e", sql], check=True, stdout=subprocess.PIPE).stdout
    return [l.split(b"\t") for l in out.split(b"\n")[:-1]]
cols = [(n.decode(), t.decode()) for n, t in q(
    "SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() "
    "AND TABLE_NAME = '%s' ORDER BY ORDINAL_POSITION" % table) if n.decode() != skip]
if not cols:
    sys.exit("table_csv: no table " + table)
texty = {"char", "varchar", "text", "tinytext", "mediumtext", "longtext", "binary", "varbinary", "blob"}
sel = ",".join(("COALESCE(HEX(`%s`), '-')" if t in texty else "COALESCE(HEX(CAST(`%s` AS CHAR)), '-')") % n
               for n, t in cols)
def field(b):
    return b'"' + b.replace(b'"', b'""') + b'"' if any(c in b for c in (b",", b'"', b"\r", b"\n")) else b
out = [b",".join(field(n.encode()) for n, _ in cols)]
for r in q("SELECT %s FROM `%s` ORDER BY %s" % (sel, table, order)):
    out.append(b",".join(b"" if h == b"-" else field(bytes.fromhex(h.decode())) for h in r))
sys.stdout.buffer.write(b"\n".join(out) + b"\n")
PY
}
# xlsx_is CSV XLSX SHEET: the workbook has sheets SHEET and Summary, and SHEET holds CSV's header and
# rows (numbers compared as 32-bit floats, empty cells as empty fields).
xlsx_is() {
  /usr/bin/python3 "$DB_LIB_TESTS/xlsx_dump.py" "$2" >"$T/xlsx.json" || return 1
  /usr/bin/python3 - "$1" "$T/xlsx.json" "$3" <<'PY'
import csv, json, struct, sys

def f32(x):
    # x rounded to the nearest 32-bit float, as the writer stores scores
    return struct.unpack("<f", struct.pack("<f", x))[0]

rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
book = json.load(open(sys.argv[2]))
names = [s["name"] for s in book["sheets"]]
if names != [sys.argv[3], "Summary"]:
    sys.exit("sheets %s, want [%s, Summary]" % (names, sys.argv[3]))
got = book["sheets"][0]["rows"]
if [c["v"] for c in got[0]] != rows[0]:
    sys.exit("header %s, want %s" % ([c["v"] for c in got[0]], rows[0]))
if len(got) != len(rows):
    sys.exit("%d rows in the sheet, %d in the CSV" % (len(got), len(rows)))
for i, (g, w) in enumerate(zip(got, rows)):
    g = g + [{"v": None, "t": "empty"}] * (len(w) - len(g))
    for c, want in zip(g, w):
        v = c["v"]
        ok = (v is None and want == "") or (isinstance(v, str) and v == want) or \
             (c["t"] == "number" and want != "" and f32(v) == f32(float(want)))
        if not ok:
            sys.exit("row %d: cell %r, CSV field %r" % (i + 1, v, want))
summary = [r[0]["v"] for r in book["sheets"][1]["rows"] if r]
if "Algorithm" not in summary:
    sys.exit("Summary sheet without Algorithm: %s" % summary)
PY
}
