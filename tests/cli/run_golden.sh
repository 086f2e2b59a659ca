#!/usr/bin/env bash
# End-to-end tests of `name_matcher run`: golden outputs for every algorithm,
# determinism across threads / --exhaustive, options, bad input.
# usage: run_golden.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
SHARED=$2
HERE=$(cd "$(dirname "$0")/.." && pwd)
G=$HERE/data/golden
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"

run() { "$NM" run -q "$@"; }

# --- golden outputs, 1 and 2 threads, with and without --exhaustive --------
declare -A extra=([1]="" [1_fuzzynorm]="--fuzzy-normalization" [2]="" [3]="--threshold 0.6"
                  [4]="--threshold 85" [5]="--household-threshold 0.85" [6]="--household-threshold 0.5")
for name in 1 1_fuzzynorm 2 3 4 5 6; do
  a=${name%%_*}
  for th in 1 2; do
    for ex in "" --exhaustive; do
      # shellcheck disable=SC2086
      run --left "$G/left.csv" --right "$G/right.csv" -a "$a" ${extra[$name]} --threads $th $ex \
        --out "$T/a$name.csv"
      check "A$name threads=$th $ex golden" same "$G/a$name.csv" "$T/a$name.csv"
    done
  done
done

# environment variables give the same as the options
NAME_MATCHER_FUZZY_THRESHOLD=0.85 run --left "$G/left.csv" --right "$G/right.csv" -a 4 --out "$T/env4.csv"
check "NAME_MATCHER_FUZZY_THRESHOLD" same "$G/a4.csv" "$T/env4.csv"
NAME_MATCHER_HOUSEHOLD_THRESHOLD=50% run --left "$G/left.csv" --right "$G/right.csv" -a 6 --out "$T/env6.csv"
check "NAME_MATCHER_HOUSEHOLD_THRESHOLD" same "$G/a6.csv" "$T/env6.csv"
NAME_MATCHER_DIRECT_FUZZY_NORMALIZATION=1 run --left "$G/left.csv" --right "$G/right.csv" -a 1 --out "$T/envf.csv"
check "NAME_MATCHER_DIRECT_FUZZY_NORMALIZATION" same "$G/a1_fuzzynorm.csv" "$T/envf.csv"
# the option wins over the environment
NAME_MATCHER_FUZZY_THRESHOLD=0.99 run --left "$G/left.csv" --right "$G/right.csv" -a 4 --threshold 0.85 --out "$T/envo.csv"
check "--threshold overrides env" same "$G/a4.csv" "$T/envo.csv"

# --- column mapping and date formats ------------------------------------------
/usr/bin/python3 - "$G/left.csv" "$T/left_mapped.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
rows[0] = ['given' if h == 'first_name' else 'dob' if h == 'birthdate' else h for h in rows[0]]
bd = rows[0].index('dob')
for r in rows[1:]:
    if r[bd]:
        y, m, d = r[bd].split('-'); r[bd] = f'{d}/{m}/{y}'
with open(sys.argv[2], 'w', newline='', encoding='utf-8') as f:
    csv.writer(f, lineterminator='\n').writerows(rows)
PY
run --left "$T/left_mapped.csv" --right "$G/right.csv" -a 3 --threshold 0.6 --out "$T/mapped3.csv" \
  --map first_name=given --map birthdate=dob --date-format %d/%m/%Y 2>"$T/err"
# the right file has no 'given'/'dob' columns: a clear error naming the column
check "--map applies to both files: missing column named" grep -q "required column 'given'" "$T/err"

# both files renamed and re-dated: the same matches for every date format
convert() {  # in out strftime-like format
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import csv, sys, datetime
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
rows[0] = ['given' if h == 'first_name' else 'dob' if h == 'birthdate' else h for h in rows[0]]
bd = rows[0].index('dob')
for r in rows[1:]:
    if r[bd]:
        r[bd] = datetime.date.fromisoformat(r[bd]).strftime(sys.argv[3])
with open(sys.argv[2], 'w', newline='', encoding='utf-8') as f:
    csv.writer(f, lineterminator='\n').writerows(rows)
PY
}
for fmt in %Y-%m-%d %Y%m%d %m/%d/%Y %d/%m/%Y %Y/%m/%d; do
  convert "$G/left.csv" "$T/l_fmt.csv" "$fmt"
  convert "$G/right.csv" "$T/r_fmt.csv" "$fmt"
  run --left "$T/l_fmt.csv" --right "$T/r_fmt.csv" -a 3 --threshold 0.6 --out "$T/fmt3.csv" \
    --map first_name=given --map birthdate=dob --date-format "$fmt"
  check "--map + --date-format $fmt gives the golden A3" same "$G/a3.csv" "$T/fmt3.csv"
done
convert "$G/left.csv" "$T/l_fmt.csv" %d/%m/%Y
expect_error_early() { "$NM" run -q "$@" 2>"$T/err" >/dev/null; test $? -eq 1; }
check "a date in the wrong format is a bad row" expect_error_early --left "$T/l_fmt.csv" --right "$G/right.csv" \
  --map first_name=given --map birthdate=dob --date-format %Y-%m-%d --out "$T/o.csv"
check "... named with line and field" grep -q "l_fmt.csv:2: dob: '15/03/1980' does not match date format %Y-%m-%d" "$T/err"

# a UTF-8 BOM (and the golden left file's CRLF line ends) change nothing
{ printf '\xef\xbb\xbf'; cat "$G/left.csv"; } > "$T/left_bom.csv"
run --left "$T/left_bom.csv" --right "$G/right.csv" -a 3 --threshold 0.6 --out "$T/bom3.csv"
check "UTF-8 BOM + CRLF input gives the golden A3" same "$G/a3.csv" "$T/bom3.csv"
check "golden left file really has CRLF line ends" grep -q $'\r$' "$G/left.csv"

# --- dedupe ---------------------------------------------------------------------
tail -n +2 "$G/right.csv" | sed 's/^[0-9]*,1\([0-9][0-9]\),/,9\1,/' > "$T/copy.csv"
{ cat "$G/right.csv"; cat "$T/copy.csv"; } > "$T/dd.csv"
run --left "$T/dd.csv" --dedupe -a 4 --threshold 0.85 --out "$T/dd4.csv"
pairs() { /usr/bin/python3 -c 'import csv,sys; r=list(csv.reader(open(sys.argv[1])))[1:]; print(sum(1 for x in r if eval(sys.argv[2])))' "$@"; }
check "dedupe finds each copy once" test "$(pairs "$T/dd4.csv" 'int(x[6]) == int(x[0]) + 800')" -eq 14
check "dedupe never pairs a row with itself" test "$(pairs "$T/dd4.csv" 'x[0] == x[6]')" -eq 0
# ids grow with the row number in dd.csv, so Table1_ID < Table2_ID on every row
check "dedupe writes the lower row as Table1" test "$(pairs "$T/dd4.csv" 'int(x[0]) >= int(x[6])')" -eq 0
run --left "$T/dd.csv" --dedupe -a 4 --threshold 0.85 --threads 1 --exhaustive --out "$T/dd4e.csv"
check "dedupe exhaustive/threads identical" same "$T/dd4.csv" "$T/dd4e.csv"
"$NM" run -q --left "$T/dd.csv" --dedupe -a 5 --out "$T/x.csv" 2>"$T/err"
check "dedupe with A5 is an error (exit 1)" test $? -eq 1

# --- algorithm 7 ------------------------------------------------------------------
"$NM" run --left "$G/left.csv" --right "$G/right.csv" -a 7 --out "$T/a7.csv" 2>"$T/err"
check "A7 exits 2" test $? -eq 2
check "A7 says deprecated" grep -q "deprecated" "$T/err"

# --- bad input ------------------------------------------------------------------
expect_error() {  # name, expected message fragment, args...
  local name=$1 msg=$2; shift 2
  "$NM" run -q "$@" 2>"$T/err" >/dev/null
  local rc=$?
  check "$name: exit 1" test $rc -eq 1
  check "$name: message '$msg'" grep -qF -- "$msg" "$T/err"
}
expect_error "missing file" "cannot open $T/nope.csv" --left "$T/nope.csv" --right "$G/right.csv" --out "$T/o.csv"
printf 'id,first_name,birthdate\n1,a,2000-01-01\n' > "$T/nolast.csv"
expect_error "missing column" "required column 'last_name'" --left "$T/nolast.csv" --right "$G/right.csv" --out "$T/o.csv"

mk_bad() {  # file with one bad row at line 3
  printf 'id,first_name,last_name,birthdate\n1,Ann,Lee,2000-01-01\n%b\n4,Bob,Ray,2001-01-01\n' "$1" > "$2"
}
mk_bad '2,Ann,Lee' "$T/bad_count.csv"
mk_bad '2,Ann,Lee,2023-02-30' "$T/bad_date.csv"
mk_bad '2,An\xc3\x28n,Lee,2000-01-01' "$T/bad_utf8.csv"
mk_bad ',Ann,Lee,2000-01-01' "$T/bad_id.csv"
printf 'id,first_name,last_name,birthdate\n1,Ann,Lee,2000-01-01\n2,"Ann,Lee,2000-01-01\n' > "$T/bad_quote.csv"
expect_error "wrong field count" "bad_count.csv:3: record: expected 4 fields, found 3" --left "$T/bad_count.csv" --right "$G/right.csv" --out "$T/o.csv"
expect_error "impossible date" "bad_date.csv:3: birthdate: '2023-02-30' is not a real date" --left "$T/bad_date.csv" --right "$G/right.csv" --out "$T/o.csv"
expect_error "invalid UTF-8" "bad_utf8.csv:3: first_name:" --left "$T/bad_utf8.csv" --right "$G/right.csv" --out "$T/o.csv"
expect_error "missing id" "bad_id.csv:3: id: missing id" --left "$T/bad_id.csv" --right "$G/right.csv" --out "$T/o.csv"
expect_error "unterminated quote" "bad_quote.csv:3:" --left "$T/bad_quote.csv" --right "$G/right.csv" --out "$T/o.csv"
check "no output written after a bad row" test ! -e "$T/o.csv"
expect_error "unwritable output" "$T/no/such/dir/o.csv" --left "$G/left.csv" --right "$G/right.csv" --out "$T/no/such/dir/o.csv"
check "no .partial file left after a finished run" test -z "$(find "$T" -name '*.partial*')"

# --skip-bad-rows: every bad row rejected with its reason, good rows unaffected
{ cat "$G/right.csv"; printf '217,201,Ann,,Lee\n,202,Bad,,Date,1999-13-01,t\n'; printf '218,203,Bad\xff,,Utf,1999-01-01,t\n'; } > "$T/right_bad.csv"
"$NM" run -q --left "$G/left.csv" --right "$T/right_bad.csv" -a 4 --threshold 85 --skip-bad-rows --out "$T/skip4.csv" 2>"$T/err"
check "--skip-bad-rows exit 0" test $? -eq 0
check "--skip-bad-rows good rows unaffected" same "$G/a4.csv" "$T/skip4.csv"
check "rejects file has 3 rows" test "$(tail -n +2 "$T/skip4.csv.rejects.csv" | wc -l)" -eq 3
check "rejects file names line and field" grep -q "right_bad.csv,17,birthdate," "$T/skip4.csv.rejects.csv"
check "rejected count reported" grep -q "3 bad rows skipped" "$T/err"

# --- FEBRL 4a x 4b end to end ------------------------------------------------------
F=$SHARED/data/febrl
if [ -f "$F/dataset4a.csv" ]; then
  FEBRL=(--map id=rec_id --map first_name=given_name --map last_name=surname --map birthdate=date_of_birth
         --date-format %Y%m%d --trim-fields --skip-bad-rows)
  run --left "$F/dataset4a.csv" --right "$F/dataset4b.csv" -a 4 --threshold 0.85 "${FEBRL[@]}" --out "$T/febrl4.csv"
  check "FEBRL A4 runs" test $? -eq 0
  check "FEBRL bad dates rejected with line and reason" grep -q "dataset4b.csv,24,date_of_birth,'19450493' is not a real date" "$T/febrl4.csv.rejects.csv"
  { echo left_id,right_id
    tail -n +2 "$F/dataset4a.csv" | cut -d, -f1 | sed 's/-org$//' | sort -u | while read -r r; do echo "$r-org,$r-dup-0"; done
  } > "$T/febrl_truth.csv"
  "$NM" evaluate --truth "$T/febrl_truth.csv" --matches "$T/febrl4.csv" --json > "$T/febrl_eval.json"
  check "FEBRL evaluate runs" test $? -eq 0
  /usr/bin/python3 - "$T/febrl_eval.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
print(f"FEBRL 4a x 4b, A4 at 0.85: precision {e['precision']:.4f} recall {e['recall']:.4f} f1 {e['f1']:.4f}", file=sys.stderr)
sys.exit(0 if e['precision'] >= 0.99 and e['recall'] >= 0.5 else 1)
PY
  check "FEBRL precision >= 0.99 and recall >= 0.5" test $? -eq 0
  run --left "$F/dataset4a.csv" --right "$F/dataset4b.csv" -a 4 --threshold 0.85 "${FEBRL[@]}" --threads 1 --exhaustive --out "$T/febrl4e.csv"
  check "FEBRL exhaustive + 1 thread identical" same "$T/febrl4.csv" "$T/febrl4e.csv"
else
  bad "FEBRL data missing at $F"
fi

finish run_golden
