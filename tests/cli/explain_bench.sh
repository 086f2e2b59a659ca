#!/usr/bin/env bash
# CLI test of `explain` and `bench`: bash tests/cli/explain_bench.sh <name_matcher> <shared-dir>
set -uo pipefail

BIN=${1:?usage: explain_bench.sh <name_matcher> <shared-dir>}
SHARED=${2:?usage: explain_bench.sh <name_matcher> <shared-dir>}
PY=/usr/bin/python3
# The thresholds below are the defaults; do not let the caller's environment change them.
unset NAME_MATCHER_FUZZY_THRESHOLD NAME_MATCHER_HOUSEHOLD_THRESHOLD NAME_MATCHER_DIRECT_FUZZY_NORMALIZATION
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"

# --- explain, text: the golden CASE 3 pair ----------------------------------
check "explain of the golden pair exits 0" \
  "$BIN" explain --algorithm 3 "John|Michael|Smith" "Jon|Michael|Smyth" >"$T/golden.txt"
check "explain text reports CASE 3: $(cat "$T/golden.txt")" grep -Eq '^label +CASE 3( |$)' "$T/golden.txt"
check "explain text reports confidence 0.90896875: $(cat "$T/golden.txt")" \
  grep -Eq '^confidence +0\.90896875( |$)' "$T/golden.txt"
check "explain text has the CASE 3 per-name distances" \
  grep -Eq 'first_name +"john" +"jon" +distance 1' "$T/golden.txt"

# --- explain, JSON -----------------------------------------------------------
check "explain --json exits 0" \
  "$BIN" explain --algorithm 3 "John|Michael|Smith" "Jon|Michael|Smyth" --json >"$T/golden.json"
check "explain --json: CASE 3, confidence 0.90896875" "$PY" - "$T/golden.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["label"] == "CASE 3", d["label"]
assert d["confidence_csv"] == "0.90896875", d["confidence_csv"]
assert abs(d["confidence"] - 0.90896875) < 1e-12, d["confidence"]
assert d["left"]["full"] == "john michael smith" and d["right"]["full"] == "jon michael smyth"
assert d["left"]["metaphone"] == d["right"]["metaphone"] != ""
assert d["levenshtein_distance"] == 2 and d["votes"]["count"] == 2
assert [v["distance"] for v in d["case3_check"].values()] == [1, 0, 1]
assert d["passes_threshold"] is False  # 0.90896875 < default 0.95
PYEOF

# --- explain: NO MATCH, exit code 0 ------------------------------------------
check "explain of a non-matching pair exits 0" \
  "$BIN" explain --algorithm 3 "Robert||Brown" "Bob||Brown" >"$T/nomatch.txt"
check "explain: Robert||Brown vs Bob||Brown is NO MATCH: $(cat "$T/nomatch.txt")" \
  grep -Eq '^label +NO MATCH' "$T/nomatch.txt"

# --- explain: threshold option and environment --------------------------------
check "--threshold 90 lets the golden pair through" grep -Eq '^written +yes' \
  <("$BIN" explain -a 3 "John|Michael|Smith" "Jon|Michael|Smyth" --threshold 90)
check "NAME_MATCHER_FUZZY_THRESHOLD is applied" grep -Eq '^threshold +0\.9 ' \
  <(NAME_MATCHER_FUZZY_THRESHOLD=90 "$BIN" explain -a 3 "John|Michael|Smith" "Jon|Michael|Smyth")

# --- explain agrees with every row of the golden table -----------------------
check "explain agrees with every row of fuzzy_golden.tsv" \
  "$PY" - "$BIN" "$SHARED/testdata/fuzzy_golden.tsv" <<'PYEOF'
import json, subprocess, sys
binary, path = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(path, encoding="utf-8") if not l.startswith("#")]
head, bad = rows[0], 0
for r in rows[1:]:
    d = dict(zip(head, r))
    f = lambda k: "" if d[k] == "\\N" else d[k]
    a = "|".join([f("t1_first"), f("t1_middle"), f("t1_last")])
    b = "|".join([f("t2_first"), f("t2_middle"), f("t2_last")])
    out = json.loads(subprocess.run([binary, "explain", "-a", d["algorithm"], "--json", "--", a, b],
                                    capture_output=True, text=True, check=True).stdout)
    got = (out["label"], out["left"]["full"], out["right"]["full"], f"{out['levenshtein_pct']:.6f}",
           f"{out['jaro_winkler']:.6f}", str(int(out["mp"])), out["confidence_csv"] or "",
           "" if out["score"] is None else f"{out['score']:.6f}")
    want = (d["label"], d["full1"], d["full2"], d["lev"], d["jw"], d["mp"], d["confidence"], d["score"])
    if got != want:
        bad += 1
        print("mismatch:", a, b, "A" + d["algorithm"], got, want, file=sys.stderr)
assert len(rows) > 10 and bad == 0
PYEOF

# --- explain: bad arguments exit 1 --------------------------------------------
for args in "only-one-name" "--algorithm 9 a b" "--no-such-option a b" "a|b|c|d e"; do
  # shellcheck disable=SC2086  # word splitting wanted
  "$BIN" explain $args >/dev/null 2>&1
  rc=$?
  check "explain $args: exit code $rc, expected 1" test "$rc" -eq 1
done

# --- bench ---------------------------------------------------------------------
for k in 1 2; do
  check "bench run $k exits 0" "$BIN" bench --rows 2000 --micro-pairs 100000 --threads 2 \
    --seed "$k" --output "$T/bench$k.json" >"$T/stdout$k.json"
  check "bench --output equals stdout" cmp -s "$T/bench$k.json" "$T/stdout$k.json"
  check "bench JSON of run $k has pairs_scored > 0 and a positive micro pairs/s: $(cat "$T/bench$k.json")" \
    "$PY" - "$T/bench$k.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["pairs_scored"] > 0, d["pairs_scored"]
assert d["left_rows"] == 2000 and d["right_rows"] == 2000
assert d["micro"]["pairs"] == 100000 and d["micro"]["pairs_per_s"] > 0
assert d["stage_s"]["total"] > 0 and d["pairs_per_s"] > 0 and d["records_per_s"] > 0
assert d["peak_rss_bytes"] > 0 and d["algorithm"] == 3 and d["threads"] == 2
assert len(d["runs"]) == 1 and d["quality"]["recall"] > 0
PYEOF
done

check "bench --compare exits 0" "$BIN" bench --compare "$T/bench1.json" "$T/bench2.json" >"$T/compare.txt"
check "bench --compare has pairs_scored: $(cat "$T/compare.txt")" \
  grep -Eq '^pairs_scored +[0-9]+ +[0-9]+ +[0-9.]+$' "$T/compare.txt"
check "bench --compare has micro.pairs: $(cat "$T/compare.txt")" \
  grep -Eq '^micro\.pairs +100000 +100000 +1\.000$' "$T/compare.txt"

finish explain_bench
