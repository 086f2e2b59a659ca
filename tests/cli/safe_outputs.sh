#!/usr/bin/env bash
# No output ever destroys an input, a device or a file the run did not create
# (docs/RELIABILITY.md, "Outputs"): clashes by identity, devices and FIFOs,
# links at temporary and side-file names, two runs with one --out, stale side
# files, folders, standard output, outputs committed last.
# usage: safe_outputs.sh NAME_MATCHER SHARED_DIR
set -uo pipefail
NM=$(realpath "$1")
. "$(dirname "$0")/../check_lib.sh"
cd "$T" || exit 1
trap 'umount "$T/small" 2>/dev/null; rm -rf "$T"' EXIT

"$NM" generate --rows 300 --seed 2 --out-dir gen >/dev/null 2>&1 || { echo "generate failed"; exit 1; }
cp gen/left.csv L.csv
cp gen/right.csv R.csv
cp L.csv L.orig
cp R.csv R.orig
"$NM" run --left L.csv --right R.csv -a 3 --out expected.csv -q || { echo "baseline run failed"; exit 1; }

# refused RC MESSAGE -- ARGS: exit code 1, the message on stderr, inputs unchanged.
refused() {
  local what=$1 msg=$2
  shift 2
  local err rc
  err=$("$NM" "$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" -ne 1 ]; then bad "$what: exit $rc, expected 1 ($err)"; return; fi
  case "$err" in *"$msg"*) ok ;; *) bad "$what: message '$err' lacks '$msg'" ;; esac
  check "$what: L.csv unchanged" cmp -s L.csv L.orig
  check "$what: R.csv unchanged" cmp -s R.csv R.orig
  cp L.orig L.csv && cp R.orig R.csv  # so one failure does not spoil the next checks
}

# ---- an output that is an input, by any name ----
refused "--out = --left" "same file as --left" run --left L.csv --right R.csv -a 3 --out L.csv
refused "--out ./L.csv" "same file as --left" run --left L.csv --right R.csv -a 3 --out ./L.csv
refused "--out absolute" "same file as --left" run --left L.csv --right R.csv -a 3 --out "$T/L.csv"
refused "--out = --right" "same file as --right" run --left L.csv --right R.csv -a 3 --out R.csv
refused "--dedupe --out = --left" "same file as --left" run --left L.csv --dedupe -a 1 --out L.csv
refused "--out xlsx + csv = input" "same file as --left" run --left L.csv --right R.csv -a 3 --out L.xlsx --out L.csv
ln L.csv hardlink.csv
refused "--out a hard link of the input" "same file as --left" run --left L.csv --right R.csv -a 3 --out hardlink.csv
ln -s L.csv symlink.csv
refused "--out a symbolic link to the input" "same file as --left" run --left L.csv --right R.csv -a 3 --out symlink.csv
mkdir -p sub && ln -s "$T" sub/up
refused "--out through a linked folder" "same file as --left" run --left L.csv --right R.csv -a 3 --out sub/up/L.csv
refused "--pairs = --left" "same file as --left" run --left L.csv --right R.csv -a 3 --out o.csv --pairs L.csv
refused "--pairs = --out" "two outputs cannot share one file" run --left L.csv --right R.csv -a 3 --out o.csv --pairs o.csv
refused "--pairs = --out (other spelling)" "two outputs cannot share one file" run --left L.csv --right R.csv -a 3 --out o.csv --pairs ./o.csv
# side files: an input named like OUT.summary.json or OUT.rejects.csv
cp L.csv o.csv.summary.json && cp L.csv side.orig
refused "summary file = --left" "same file as --left" run --left o.csv.summary.json --right R.csv -a 3 --out o.csv
check "summary-named input unchanged" cmp -s o.csv.summary.json side.orig
cp L.csv o.csv.rejects.csv
refused "rejects file = --left" "same file as --left" run --left o.csv.rejects.csv --right R.csv -a 3 --out o.csv
check "rejects-named input unchanged" cmp -s o.csv.rejects.csv side.orig
rm -f o.csv.summary.json o.csv.rejects.csv
# the password file is an input too
printf 'pw\n' > pw.txt
refused "--out = --password-file" "same file as --password-file" run --left L.csv --right R.csv -a 3 --out pw.txt --password-file pw.txt
check "password file unchanged" grep -qx pw pw.txt
# reduce: the pair file is its input
"$NM" run --left L.csv --right R.csv -a 3 --out p.csv --pairs p.h5 -q || bad "run --pairs"
cp p.h5 p.h5.orig
refused "reduce --out = --pairs" "same file as --pairs" reduce --pairs p.h5 --out p.h5
check "reduce: pair file unchanged" cmp -s p.h5 p.h5.orig
# bench --output
refused "bench --output = --left" "same file as --left" bench --left L.csv --right R.csv --output L.csv

# ---- devices, FIFOs, folders: refused, never replaced ----
mknod nulldev c 1 3
mkfifo fifo
refused "--out a character device" "is a character device" run --left L.csv --right R.csv -a 3 --out nulldev
check "the device node is still a device" test -c nulldev
check "no side file beside the device" test ! -e nulldev.summary.json
refused "--out a FIFO" "is a FIFO" run --left L.csv --right R.csv -a 3 --out fifo
check "the FIFO is still a FIFO" test -p fifo
refused "--pairs a device" "is a character device" run --left L.csv --right R.csv -a 3 --out o.csv --pairs nulldev
refused "reduce --out a device" "is a character device" reduce --pairs p.h5 --out nulldev
# /dev/stdout is a link to /proc/self/fd/1: here a pipe, so refused, never replaced.
ln -s /proc/self/fd/1 stdout_link
err=$("$NM" run --left L.csv --right R.csv -a 3 --out stdout_link -q 2>&1 | cat)
case "$err" in *"is a FIFO"*) ok ;; *) bad "--out link to a pipe: '$err'" ;; esac
check "the stdout link is still a link" test -L stdout_link
mkdir folder
refused "--out an existing folder" "is a folder" run --left L.csv --right R.csv -a 3 --out folder
refused "--out name/" "names a folder" run --left L.csv --right R.csv -a 3 --out newdir/
refused "--out in a missing folder" "no/such/dir" run --left L.csv --right R.csv -a 3 --out no/such/dir/o.csv
mkdir gen_fifo && mkfifo gen_fifo/left.csv
refused "generate over a FIFO" "is a FIFO" generate --rows 10 --out-dir gen_fifo
check "no temporary file left by refused runs" test -z "$(find . -name '*.partial*')"

# ---- standard output ----
"$NM" run --left L.csv --right R.csv -a 3 --out - -q > stdout.csv
check "--out - exit 0" test $? -eq 0
check "--out - writes the CSV to standard output" same stdout.csv expected.csv
check "--out - alone writes no side file" test ! -e ./-.summary.json
refused "--out - with --skip-bad-rows alone" "--skip-bad-rows" run --left L.csv --right R.csv -a 3 --out - --skip-bad-rows
# Beside a workbook the CSV still goes to standard output (the workbook is made
# from a staging file, removed after); the side files are named after the workbook.
for a in 1 3; do
  "$NM" run --left L.csv --right R.csv -a $a --out - --out sw$a.xlsx -q > sw$a.csv
  check "A$a --out - --out x.xlsx exit 0" test $? -eq 0
  "$NM" run --left L.csv --right R.csv -a $a --out f$a.csv -q
  check "A$a --out - beside a workbook: the CSV on standard output" same sw$a.csv f$a.csv
  check "A$a --out - beside a workbook: the workbook" test -s sw$a.xlsx
  check "A$a --out - beside a workbook: summary path -" \
    test "$(json sw$a.summary.json 'd["output"]["path"]')" = "-"
  check "A$a --out - beside a workbook: no staging file left" test ! -e sw$a.results.tmp.csv
done

# ---- links at temporary and side-file names are never followed ----
printf 'precious\n' > precious.txt
ln -s precious.txt o.csv.partial
ln -s precious.txt o.xlsx.partial
ln -s precious.txt o.csv.rejects.csv
ln -s precious.txt o.csv.summary.json
{ cat L.csv; printf 'bad1,u,Ann,,Lee,1990-13-45,h\n'; } > Lbad.csv
"$NM" run --left Lbad.csv --right R.csv -a 3 --out o.csv --out o.xlsx --skip-bad-rows -q 2>/dev/null
check "run with links at side names: exit 0" test $? -eq 0
check "link targets untouched" grep -qx precious precious.txt
check "rejects file is a new regular file" test -f o.csv.rejects.csv -a ! -L o.csv.rejects.csv
check "summary is a new regular file" test -f o.csv.summary.json -a ! -L o.csv.summary.json
check "rejects file holds the bad row" grep -q '^Lbad.csv,302,birthdate' o.csv.rejects.csv
check "output as expected" same o.csv expected.csv

# ---- a file another run is writing is never touched ----
printf 'another run is writing this\n' > o2.csv.partial
"$NM" run --left L.csv --right R.csv -a 3 --out o2.csv -q
check "a foreign o2.csv.partial is left as it was" grep -qx 'another run is writing this' o2.csv.partial
check "o2.csv complete" same o2.csv expected.csv
# Two runs at once with one --out: each output is whole, never a mix.
"$NM" run --left R.csv --right L.csv -a 3 --out expected_rl.csv -q
mixed=0
for i in 1 2 3 4 5 6; do
  "$NM" run --left L.csv --right R.csv -a 3 --out both.csv -q --threads 1 &
  p1=$!
  "$NM" run --left R.csv --right L.csv -a 3 --out both.csv -q --threads 1 &
  p2=$!
  wait $p1 || mixed=$((mixed + 1))
  wait $p2 || mixed=$((mixed + 1))
  cmp -s both.csv expected.csv || cmp -s both.csv expected_rl.csv || mixed=$((mixed + 1))
done
check "two runs with one --out: both succeed, the output is one run's whole result" test "$mixed" -eq 0

# ---- side files of an earlier run ----
"$NM" run --left Lbad.csv --right R.csv -a 3 --out s.csv --skip-bad-rows -q 2>/dev/null
check "rejects written" test -f s.csv.rejects.csv
"$NM" run --left L.csv --right R.csv -a 3 --out s.csv --skip-bad-rows -q
check "a stale rejects file is removed by a clean run" test ! -e s.csv.rejects.csv
check "its summary says 0 rejected" test "$(json s.csv.summary.json 'd["inputs"]["rejected"]')" = 0
# under mpirun: the ranks' rejected rows in one file, no part left
mpirun --oversubscribe -np 3 "$NM" run --left Lbad.csv --right R.csv -a 3 --out m.csv --skip-bad-rows -q 2>/dev/null
check "mpirun -np 3 --skip-bad-rows: exit 0" test $? -eq 0
check "mpirun: same rejects as one process" same m.csv.rejects.csv o.csv.rejects.csv
check "mpirun: same output" same m.csv expected.csv
refused "mpirun: --out = --left" "same file as --left" run --left L.csv --right R.csv -a 3 --out L.csv
mpirun --oversubscribe -np 2 "$NM" run --left L.csv --right R.csv -a 3 --out L.csv -q 2>/dev/null
check "mpirun -np 2 --out = --left: exit 1" test $? -eq 1
check "mpirun: input unchanged" cmp -s L.csv L.orig

# ---- outputs are committed last: a failure after the CSV leaves no CSV ----
mkdir small
if mount -t tmpfs -o size=48k tmpfs small 2>/dev/null; then
  "$NM" run --left L.csv --right R.csv -a 3 --out small/o.csv --out small/o.xlsx -q 2>/dev/null
  rc=$?
  check "workbook on a full disk: exit 1 (got $rc)" test "$rc" -eq 1
  check "no CSV committed when the workbook failed" test ! -e small/o.csv
  check "nothing left on the full disk" test -z "$(ls -A small)"
  umount small
  mount -t tmpfs -o size=8k tmpfs small
  err=$("$NM" run --left L.csv --right R.csv -a 3 --out small/o.xlsx -q 2>&1)
  check "workbook only, disk full: exit 1" test $? -eq 1
  case "$err" in
    *"staging file for small/o.xlsx: No space left on device"*) ok ;;
    *) bad "disk full message names the workbook, not an internal file: '$err'" ;;
  esac
  check "nothing left on the full disk (workbook only)" test -z "$(ls -A small)"
  umount small
else
  bad "cannot mount a tmpfs (this test needs root)"
fi

# ---- a file name that is not UTF-8 ----
name=$(printf 'r\xffs.csv')
"$NM" run --left L.csv --right R.csv -a 3 --out "$name" -q
check "non-UTF-8 output name: exit 0" test $? -eq 0
check "non-UTF-8 output name: output and summary" test -f "$name" -a -f "$name.summary.json"
check "non-UTF-8 output name: summary is JSON" test "$(json "$name.summary.json" 'd["algorithm"]')" = 3

check "no temporary file left at the end" test -z "$(find . -name '*.partial-*')"
finish safe_outputs
