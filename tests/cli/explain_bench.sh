#!/usr/bin/env bash
# CLI test of `explain` and `bench`: bash tests/cli/explain_bench.sh <name_matcher> <shared-dir>
set -euo pipefail

BIN=${1:?usage: explain_bench.sh <name_matcher> <shared-dir>}
SHARED=${2:?usage: explain_bench.sh <name_matcher> <shared-dir>}
PY=/usr/bin/python3
# The thresholds below are the defaults; do not let the caller's environment change them.
unset NAME_MATCHER_FUZZY_THRESHOLD NAME_MATCHER_HOUSEHOLD_THRESHOLD NAME_MATCHER_DIRECT_FUZZY_NORMALIZATION
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
fail() {
  echo "FAIL: $*" >&2
  echo "$passed passed, 1 failed" >&2
  exit 1
}
ok() {
  passed=$((passed + 1))
  echo "ok: $*"
}

# --- explain, text: the golden CASE 3 pair ----------------------------------
"$BIN" explain --algorithm 3 "John|Michael|Smith" "Jon|Michael|Smyth" >"$TMP/golden.txt" ||
  fail "explain of the golden pair exited non-zero"
grep -Eq '^label +CASE 3( |$)' "$TMP/golden.txt" || fail "explain text does not report CASE 3: $(cat "$TMP/golden.txt")"
grep -Eq '^confidence +0\.90896875( |$)' "$TMP/golden.txt" ||
  fail "explain text does not report confidence 0.90896875: $(cat "$TMP/golden.txt")"
grep -Eq 'first_name +"john" +"jon" +distance 1' "$TMP/golden.txt" || fail "explain text lacks the CASE 3 per-name distances"
ok "explain text: golden pair is CASE 3 with confidence 0.90896875"

# --- explain, JSON -----------------------------------------------------------
"$BIN" explain --algorithm 3 "John|Michael|Smith" "Jon|Michael|Smyth" --json >"$TMP/golden.json" ||
  fail "explain --json exited non-zero"
"$PY" - "$TMP/golden.json" <<'PYEOF' || fail "explain --json: wrong or unparsable JSON"
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
ok "explain --json: CASE 3, confidence 0.90896875"

# --- explain: NO MATCH, exit code 0 ------------------------------------------
"$BIN" explain --algorithm 3 "Robert||Brown" "Bob||Brown" >"$TMP/nomatch.txt" ||
  fail "explain of a non-matching pair must exit 0"
grep -Eq '^label +NO MATCH' "$TMP/nomatch.txt" || fail "Robert/Bob Brown is not NO MATCH: $(cat "$TMP/nomatch.txt")"
ok "explain: Robert||Brown vs Bob||Brown is NO MATCH"

# --- explain: threshold option and environment --------------------------------
"$BIN" explain -a 3 "John|Michael|Smith" "Jon|Michael|Smyth" --threshold 90 | grep -Eq '^written +yes' ||
  fail "--threshold 90 should let the golden pair through"
NAME_MATCHER_FUZZY_THRESHOLD=90 "$BIN" explain -a 3 "John|Michael|Smith" "Jon|Michael|Smyth" | grep -Eq '^threshold +0\.9 ' ||
  fail "NAME_MATCHER_FUZZY_THRESHOLD is not applied"
ok "explain: threshold from --threshold and from the environment"

# --- explain agrees with every row of the golden table -----------------------
"$PY" - "$BIN" "$SHARED/testdata/fuzzy_golden.tsv" <<'PYEOF' || fail "explain disagrees with fuzzy_golden.tsv"
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
ok "explain: all rows of fuzzy_golden.tsv"

# --- explain: bad arguments exit 1 --------------------------------------------
for bad in "only-one-name" "--algorithm 9 a b" "--no-such-option a b" "a|b|c|d e"; do
  set +e
  # shellcheck disable=SC2086  # word splitting wanted
  "$BIN" explain $bad >/dev/null 2>&1
  rc=$?
  set -e
  [ "$rc" -eq 1 ] || fail "explain $bad: exit code $rc, expected 1"
done
ok "explain: bad arguments exit 1"

# --- bench ---------------------------------------------------------------------
for k in 1 2; do
  "$BIN" bench --rows 2000 --micro-pairs 100000 --threads 2 --seed "$k" --output "$TMP/bench$k.json" >"$TMP/stdout$k.json" ||
    fail "bench run $k exited non-zero"
  cmp -s "$TMP/bench$k.json" "$TMP/stdout$k.json" || fail "bench --output differs from stdout"
  "$PY" - "$TMP/bench$k.json" <<'PYEOF' || fail "bench JSON of run $k is wrong: $(cat "$TMP/bench$k.json")"
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
ok "bench: JSON with pairs_scored > 0 and a positive micro pairs/s"

"$BIN" bench --compare "$TMP/bench1.json" "$TMP/bench2.json" >"$TMP/compare.txt" || fail "bench --compare exited non-zero"
grep -Eq '^pairs_scored +[0-9]+ +[0-9]+ +[0-9.]+$' "$TMP/compare.txt" || fail "bench --compare lacks pairs_scored: $(cat "$TMP/compare.txt")"
grep -Eq '^micro\.pairs +100000 +100000 +1\.000$' "$TMP/compare.txt" || fail "bench --compare lacks micro.pairs: $(cat "$TMP/compare.txt")"
ok "bench --compare"

echo "$passed passed, 0 failed"
