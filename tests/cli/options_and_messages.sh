#!/usr/bin/env bash
# Option values and messages: every numeric option of every command is range-checked (exit 1, a
# message naming the option and its range, never an internal error or a wrapped value);
# thresholds that are not numbers are warned about and recorded; smaller wrong results and
# misleading messages of issue 11 item 5.
# usage: options_and_messages.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
HERE=$(cd "$(dirname "$0")/.." && pwd)
G=$HERE/data/golden
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"

# refused WANT_EXIT TEXT COMMAND...: COMMAND exits WANT_EXIT and its stderr has TEXT.
refused() {
  local want=$1 text=$2 rc; shift 2
  timeout 20 "$@" >"$T/out" 2>"$T/err"; rc=$?  # a wrapped huge value must not hang the test
  [ "$rc" -eq "$want" ] || { echo "  exit $rc, want $want: $*" >&2; head -3 "$T/err" >&2; return 1; }
  grep -qF -- "$text" "$T/err" || { echo "  [$text] not in stderr of $*:" >&2; head -3 "$T/err" >&2; return 1; }
}
has() { grep -qF -- "$2" "$1" || { echo "  [$2] not in $1:" >&2; head -5 "$1" >&2; return 1; }; }
eq() { [ "$1" = "$2" ] || { echo "  got [$1], want [$2]" >&2; return 1; }; }
not() { ! "$@"; }
lines() { [ "$(grep -cF -- "$2" "$1")" -eq "$3" ] || { echo "  [$2] not $3 times in $1" >&2; return 1; }; }

L=(--left "$G/left.csv" --right "$G/right.csv")

# --- item 2: numeric options --------------------------------------------------------------------
for bad in -1 -2147483648 1000000000 x 1.5 ""; do
  check "run --threads '$bad'" refused 1 "run: --threads must be a whole number from 0 to 1024, got '$bad'" \
    "$NM" run "${L[@]}" -q --out "$T/o.csv" --threads "$bad"
done
for opt in tiles-per-rank tile-pairs piece-pairs gpu-batch-pairs db-batch-rows; do
  for bad in 0 -1; do
    check "run --$opt $bad" refused 1 "run: --$opt must be a whole number from 1 to" \
      "$NM" run "${L[@]}" -q --out "$T/o.csv" "--$opt" "$bad"
  done
done
check "run --db-retries -1" refused 1 "run: --db-retries must be a whole number from 0 to 100" \
  "$NM" run "${L[@]}" -q --out "$T/o.csv" --db-retries -1
check "run --dedupe --right" refused 1 "--dedupe matches --left against itself: give no --right" \
  "$NM" run "${L[@]}" --dedupe -q --out "$T/o.csv"
check "bench --rows -5" refused 1 "bench: --rows must be a whole number from 0 to 4294967295, got '-5'" \
  "$NM" bench --rows -5
for opt in threads repeat micro-pairs gpu-batch-pairs seed; do
  check "bench --$opt -1" refused 1 "bench: --$opt must be a whole number from" "$NM" bench "--$opt" -1
done
for opt in rows seed threads; do
  check "generate --$opt -1" refused 1 "generate: --$opt must be a whole number from" \
    "$NM" generate --out-dir "$T/g" "--$opt" -1
done
for opt in overlap skew; do
  for bad in nan 2 -0.5; do
    check "generate --$opt $bad" refused 1 "generate: --$opt must be a number from 0 to 1, got '$bad'" \
      "$NM" generate --out-dir "$T/g" "--$opt" "$bad"
    check "seed --$opt $bad" refused 1 "seed: --$opt must be a number from 0 to 1, got '$bad'" \
      "$NM" seed "--$opt" "$bad" mysql://nobody@127.0.0.1:1/nodb
  done
done
for opt in rows seed threads; do
  check "seed --$opt -1" refused 1 "seed: --$opt must be a whole number from" \
    "$NM" seed "--$opt" -1 mysql://nobody@127.0.0.1:1/nodb
done
for opt in rows threads; do
  check "gpu-selftest --$opt 0" refused 1 "gpu-selftest: --$opt must be a whole number from 1 to" \
    "$NM" gpu-selftest --emulate "--$opt" 0
done
check "gpu-selftest --seed -1" refused 1 "gpu-selftest: --seed must be a whole number" \
  "$NM" gpu-selftest --emulate --seed -1
check "plan --ranks -1" refused 1 "plan: --ranks must be a whole number from 1 to 100000, got '-1'" \
  "$NM" plan "${L[@]}" --ranks -1
check "plan --tiles-per-rank 0" refused 1 "plan: --tiles-per-rank must be a whole number from 1 to 1000000" \
  "$NM" plan "${L[@]}" --ranks 2 --tiles-per-rank 0
# the limits themselves are accepted
"$NM" run "${L[@]}" -a 4 --threshold 85 -q --threads 1024 --tiles-per-rank 1 --tile-pairs 1 \
  --piece-pairs 1 --out "$T/limits.csv" 2>"$T/err"
check "run at the options' limits" same "$G/a4.csv" "$T/limits.csv"
"$NM" run "${L[@]}" -a 4 --threshold 85 -q --threads 0 --out "$T/t0.csv"
check "run --threads 0 (all cores)" same "$G/a4.csv" "$T/t0.csv"

# --- item 5: thresholds that are not numbers -----------------------------------------------------
"$NM" run "${L[@]}" -a 4 --threshold abc --household-threshold 0.5 -q --out "$T/th.csv" 2>"$T/th.err"
check "--threshold abc: one warning" lines "$T/th.err" "run: --threshold 'abc' is not a threshold" 1
check "--threshold abc: the warning names 0.95" has "$T/th.err" "using 0.95"
check "summary: fuzzy threshold used" eq "$(json "$T/th.csv.summary.json" 'd["thresholds"]["fuzzy"]')" 0.95
check "summary: household threshold used" eq "$(json "$T/th.csv.summary.json" 'd["thresholds"]["household"]')" 0.5
NAME_MATCHER_HOUSEHOLD_THRESHOLD=zz "$NM" run "${L[@]}" -a 4 --threshold 85 -q --out "$T/the.csv" 2>"$T/the.err"
check "unparsable env threshold: warned" lines "$T/the.err" "NAME_MATCHER_HOUSEHOLD_THRESHOLD 'zz' is not a threshold" 1
check "summary: 85 read as 0.85" eq "$(json "$T/the.csv.summary.json" 'd["thresholds"]["fuzzy"]')" 0.85
mpirun --oversubscribe -np 2 "$NM" run "${L[@]}" -a 4 --threshold abc -q --out "$T/thm.csv" 2>"$T/thm.err"
check "under mpirun -np 2: warned once, not per rank" lines "$T/thm.err" "is not a threshold" 1
check "mpirun: same output as one process" same "$T/th.csv" "$T/thm.csv"

# reduce: an unparsable threshold is the run's own (the default of reduce), not 0.95
"$NM" run "${L[@]}" -a 4 --threshold 85 -q --out "$T/r.csv" --pairs "$T/r.h5"
"$NM" reduce --pairs "$T/r.h5" --out "$T/r_own.csv" 2>/dev/null
"$NM" reduce --pairs "$T/r.h5" --out "$T/r_nan.csv" --threshold nan 2>"$T/rn.err"
check "reduce --threshold nan = the run's threshold" same "$T/r_own.csv" "$T/r_nan.csv"
check "reduce --threshold nan: golden" same "$G/a4.csv" "$T/r_nan.csv"
check "reduce --threshold nan: warned" has "$T/rn.err" "reduce: --threshold 'nan' is not a threshold (such as 95, 0.95 or 95%); using the run's own threshold"
check "reduce -a 7: exit 2 as run" refused 2 "algorithm 7 is deprecated" \
  "$NM" reduce --pairs "$T/r.h5" --out "$T/r7.csv" -a 7
check "run -a 7: exit 2" refused 2 "algorithm 7 is deprecated" "$NM" run "${L[@]}" -a 7 --out "$T/r7.csv"
check "reduce an A4 file as A3" refused 1 "holds algorithm 4 pairs; it can be reduced as algorithm 4, 5 or 6" \
  "$NM" reduce --pairs "$T/r.h5" --out "$T/r3.csv" -a 3

# --- item 5: xlsx cells hold what Excel can open ------------------------------------------------
# ids with a NUL, U+FFFE, U+FFFF, a control character and a literal _xHHHH_ (Excel's escape)
/usr/bin/python3 - "$G/left.csv" "$T/odd.csv" <<'PY'
import sys
rows = open(sys.argv[1], "rb").read().split(b"\n")
ids = [b"a\x00b", "c\ufffed".encode(), "e\uffffg".encode(), b"h\x01i", b"_x0041_"]
out = [rows[0]] + [b",".join([i] + rows[1].split(b",")[1:]) for i in ids]
open(sys.argv[2], "wb").write(b"\n".join(out) + b"\n")
PY
"$NM" run --left "$T/odd.csv" --dedupe -a 1 -q --out "$T/odd_m.csv" --out "$T/odd_m.xlsx"
xlsx_cells_ok() {
  /usr/bin/python3 - "$1" "$HERE/xlsx_dump.py" <<'PY'
import json, re, subprocess, sys, zipfile
import xml.dom.minidom
book = zipfile.ZipFile(sys.argv[1])
for name in book.namelist():  # every part must be well-formed XML 1.0, or Excel refuses the file
    if name.endswith(".xml") or name.endswith(".rels"):
        try:
            xml.dom.minidom.parseString(book.read(name))
        except Exception as e:
            sys.exit("%s: %s" % (name, e))
dump = json.loads(subprocess.run([sys.executable, sys.argv[2], sys.argv[1]], check=True,
                                 stdout=subprocess.PIPE).stdout)
# Excel reads _xHHHH_ in a cell's text as the character U+HHHH (openpyxl leaves it)
excel = lambda t: re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), t)
got = sorted({excel(r[0]["v"]) for r in dump["sheets"][0]["rows"][1:]} |
             {excel(r[5]["v"]) for r in dump["sheets"][0]["rows"][1:]})
want = sorted(["a\ufffdb", "c\ufffdd", "e\ufffdg", "h\x01i", "_x0041_"])
if got != want:
    sys.exit("ids in the sheet %r, want %r" % (got, want))
PY
}
check "xlsx: NUL, U+FFFE/FFFF as U+FFFD, _xHHHH_ kept, valid XML" xlsx_cells_ok "$T/odd_m.xlsx"

# --- item 5: duplicate columns, UTF-16, rejects, legacy port, explain, evaluate ------------------
sed '1s/^id,uuid,first_name/id,uuid,first_name,first_name/; 2,$s/^\([^,]*\),\([^,]*\),\([^,]*\)/\1,\2,\3,\3/' \
  "$G/left.csv" >"$T/dup.csv"
check "a header naming first_name twice" refused 1 "dup.csv: header: columns 3 and 4 are both called 'first_name'" \
  "$NM" run --left "$T/dup.csv" --dedupe -a 1 -q --out "$T/o.csv"
sed '1s/^id,/id,id,/; 2,$s/^\([^,]*\),/\1,x\1,/' "$G/left.csv" >"$T/dupid.csv"
check "a header naming id twice" refused 1 "columns 1 and 2 are both called 'id'" \
  "$NM" run --left "$T/dupid.csv" --dedupe -a 1 -q --out "$T/o.csv"
printf 'rid,id,first_name,middle_name,last_name,birthdate,id\n1,u1,John,,Smith,1980-01-01,z\n' >"$T/dupmap.csv"
check "the same, through --map" refused 1 "columns 2 and 7 are both called 'id' (--map uuid=id)" \
  "$NM" run --left "$T/dupmap.csv" --dedupe -a 1 -q --out "$T/o.csv" --map uuid=id --map id=rid
# UTF-16 with its byte order mark, as Windows writes it (iconv's utf-16 adds one, LE here)
{ printf '\377\376'; iconv -f utf-8 -t utf-16le "$G/left.csv"; } >"$T/utf-16le.csv"
{ printf '\376\377'; iconv -f utf-8 -t utf-16be "$G/left.csv"; } >"$T/utf-16be.csv"
iconv -f utf-8 -t utf-16 "$G/left.csv" >"$T/utf-16.csv"
for enc in utf-16 utf-16le utf-16be; do
  check "a $enc file is said to be UTF-16" refused 1 "$enc.csv:1: header: the file looks like UTF-16" \
    "$NM" run --left "$T/$enc.csv" --dedupe -a 1 -q --out "$T/o.csv"
done
printf 'id,uuid,first_name,middle_name,last_name,birthdate\n1,A,Jo\377hn,,Sm\\ith,1980-01-01\n' >"$T/bad.csv"
"$NM" run --left "$T/bad.csv" --dedupe -a 1 -q --skip-bad-rows --out "$T/bad_m.csv" 2>/dev/null
check "rejects file is valid UTF-8" iconv -f utf-8 -t utf-8 -o /dev/null "$T/bad_m.csv.rejects.csv"
check "rejects: invalid byte as \\xFF, backslash doubled" has "$T/bad_m.csv.rejects.csv" '"1,A,Jo\xFFhn,,Sm\\ith,1980-01-01"'
check "legacy line with port 99999: a bad PORT, not an unknown command" \
  refused 1 "PORT '99999' is not a port number (1..65535)" "$NM" 127.0.0.1 99999 me - db t1 t2 3 "$T/m.csv"
printf 'id,uuid,first_name,middle_name,last_name,birthdate\n"a\nb",A,John,,Smith,1980-01-01\n' >"$T/nl.csv"
"$NM" explain -a 3 --left "$T/nl.csv" --right "$T/nl.csv" --left-row $'a\nb' --right-row $'a\nb' >"$T/explain.txt"
check "explain: a newline in an id is shown as \\n" grep -qE '^ +id +a\\nb +a\\nb$' "$T/explain.txt"
check "explain: no line starts with the id's second half" not grep -qE '^b +a' "$T/explain.txt"
check "evaluate: errors have the name_matcher: error: prefix" \
  refused 1 "name_matcher: error: cannot open $T/none.csv" "$NM" evaluate --truth "$T/none.csv" --matches "$T/none.csv"
printf 'L1,R1\nL2,R2\n' >"$T/truth_nohdr.csv"
printf 'Table1_ID,Table2_ID\nL1,R1\n' >"$T/m_one.csv"
check "evaluate: a truth file without its header" refused 1 "the first row must be the header left_id,right_id" \
  "$NM" evaluate --truth "$T/truth_nohdr.csv" --matches "$T/m_one.csv"
check "generate: errors have the prefix too" refused 1 "name_matcher: error: generate: --rows" \
  "$NM" generate --out-dir "$T/g" --rows x

finish options_and_messages
