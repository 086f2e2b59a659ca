# Shared by the shell tests in tests/cli/: a temp dir $T removed at exit, and
# check/same helpers that count failures; `finish NAME` prints the tally and
# sets the exit status. Open MPI may run as root and oversubscribe in tests.
# shellcheck shell=bash
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
check() { local what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }
same() { cmp -s "$1" "$2" || { diff "$1" "$2" | head -5 >&2; return 1; }; }
# Prints one expression of a JSON file: json FILE 'd["key"]'
json() { /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }
# How the probabilistic mode's tests read FEBRL's files (../shared/data/febrl):
# their column names, compact dates and spaces after the commas.
# shellcheck disable=SC2034
FEBRL=(--map id=rec_id --map first_name=given_name --map last_name=surname
       --map birthdate=date_of_birth --date-format %Y%m%d --trim-fields)
# A summary JSON without what may differ between runs (time, memory,
# threads): same_counts A B compares two runs' summaries.
counts() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("generated_at", "seconds", "peak_rss_bytes", "threads"):
    d.pop(k, None)
print(json.dumps(d, sort_keys=True))
PY
}
same_counts() { same <(counts "$1") <(counts "$2"); }
# need_febrl SHARED NAME: sets F to SHARED/data/febrl, or, when FEBRL3/4
# are not there, fails test NAME and exits.
need_febrl() {
  F=$1/data/febrl
  if [ ! -f "$F/dataset4a.csv" ] || [ ! -f "$F/dataset3.csv" ]; then
    bad "FEBRL data missing at $F"
    finish "$2"
    exit
  fi
}
finish() {
  echo "$1: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
}
