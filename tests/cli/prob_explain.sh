#!/usr/bin/env bash
# CLI test of `explain --model` and `plan --algorithm prob` against a run on
# FEBRL: the weight explain prints for a pair is the MatchWeight the run wrote
# (and it says "written" exactly for the pairs the run wrote); plan's pairs
# per rule are those of the run's summary.
# usage: prob_explain.sh <name_matcher binary> <shared dir>
set -uo pipefail

BIN=${1:?usage: prob_explain.sh <name_matcher> <shared-dir>}
SHARED=${2:?usage: prob_explain.sh <name_matcher> <shared-dir>}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/check_lib.sh
source "$HERE/check_lib.sh"
F=$SHARED/data/febrl
MAP=(--map id=rec_id --map first_name=given_name --map last_name=surname
     --map birthdate=date_of_birth --date-format %Y%m%d --trim-fields)

# --- linking FEBRL4, with an extra compared column (term frequencies too) ----
"$BIN" run -q -a prob --left "$F/dataset4a.csv" --right "$F/dataset4b.csv" "${MAP[@]}" \
  --compare postcode=prefix --out "$T/f4.csv" || bad "run FEBRL4"
MODEL=$T/f4.csv.model.json

# pairs.txt: "LEFT RIGHT" ids: written pairs of every kind of level (swaps,
# missing values, whole names, low weights), then pairs in one birthdate block
# that were not written.
"$PY" - "$T/f4.csv" "$F/dataset4a.csv" "$F/dataset4b.csv" > "$T/pairs.txt" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
pick, seen = [], set()
for r in sorted(rows, key=lambda r: float(r["MatchWeight"])):
    key = tuple(r[k] for k in r if k.startswith("Level_"))
    if key not in seen:  # one pair per pattern of levels
        seen.add(key)
        pick.append((r["Table1_ID"], r["Table2_ID"]))
written = {(r["Table1_ID"], r["Table2_ID"]) for r in rows}
def table(p):
    return [{k.strip(): v.strip() for k, v in r.items()} for r in csv.DictReader(open(p))]
a, b = table(sys.argv[2]), table(sys.argv[3])
by_date = {}
for r in b:
    by_date.setdefault(r["date_of_birth"], []).append(r["rec_id"])
extra = 0
for r in a:
    for other in by_date.get(r["date_of_birth"], []):
        if (r["rec_id"], other) not in written and extra < 6:
            pick.append((r["rec_id"], other))
            extra += 1
for l, r in pick:
    print(l, r)
PY
n=$(wc -l < "$T/pairs.txt")
check "at least 20 pairs to explain (got $n)" test "$n" -ge 20

# Every pair: explain's weight, probability, levels and "written" against the CSV.
while read -r l r; do
  "$BIN" explain --model "$MODEL" --left "$F/dataset4a.csv" --right "$F/dataset4b.csv" \
    "${MAP[@]}" --left-row "$l" --right-row "$r" --json > "$T/e.json" || { bad "explain $l $r"; continue; }
  check "explain $l $r agrees with the run" "$PY" - "$T/e.json" "$T/f4.csv" "$l" "$r" <<'PY'
import csv, json, sys
e = json.load(open(sys.argv[1]))
l, r = sys.argv[3], sys.argv[4]
row = next((x for x in csv.DictReader(open(sys.argv[2]))
            if x["Table1_ID"] == l and x["Table2_ID"] == r), None)
def fail(msg):
    sys.exit(f"{l} {r}: {msg}")
if e["written"] != (row is not None):
    fail(f"written {e['written']}, in the run's CSV: {row is not None}")
if not e["term_frequency"]["applied"]:
    fail("term frequencies not applied with tables")
total = e["steps"][0]["weight"]
for s in e["steps"][1:]:
    total += s["weight"]
    if abs(total - s["total"]) > 1e-9:
        fail(f"running total {s['total']} != {total}")
if abs(total - e["match_weight"]) > 1e-9:
    fail("the steps do not add up to the match weight")
if row is None:
    sys.exit(0)
if e["match_weight_csv"] != row["MatchWeight"]:
    fail(f"weight {e['match_weight_csv']} != MatchWeight {row['MatchWeight']}")
if e["match_probability_csv"] != row["MatchProbability"]:
    fail(f"probability {e['match_probability_csv']} != {row['MatchProbability']}")
for s in e["steps"][1:]:
    want = row["Level_" + s["column"]]
    got = "missing" if s["kind"] == "missing" else s["level"]
    if got != want:
        fail(f"{s['column']}: level {got} != {want}")
PY
done < "$T/pairs.txt"

# The same pair by --left-id/--right-id and as text: the same weight.
read -r l r < "$T/pairs.txt"
"$BIN" explain --model "$MODEL" --left "$F/dataset4a.csv" --right "$F/dataset4b.csv" "${MAP[@]}" \
  --left-id "$l" --right-id "$r" > "$T/e.txt" || bad "explain as text"
w=$(awk -F, -v l="$l" -v r="$r" '$1 == l && $6 == r { print $11 }' "$T/f4.csv")
check "text names the MatchWeight $w" grep -q "^match weight  *$w " "$T/e.txt"

# From the command line: no term frequencies (said so), and the weight is the
# model's table added up (log2 m/u of each level, the prior's log2 odds).
"$BIN" explain --model "$MODEL" "courtney|painter" "courtney|paynter" --birthdate 19161214 \
  --birthdate2 19161214 --field postcode=4560 --field2 postcode=4561 --date-format %Y%m%d \
  --json > "$T/n.json" || bad "explain from the command line"
check "command-line pair: the model's weights" "$PY" - "$T/n.json" "$MODEL" <<'PY'
import json, math, sys
e, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert not e["term_frequency"]["applied"], e["term_frequency"]
assert "no tables" in e["term_frequency"]["note"]
p = m["prior"]
want = math.log2(p / (1 - p))
got = {s["column"]: s["level"] for s in e["steps"][1:]}
assert got == {"first_name": "equal", "middle_name": "missing", "last_name": "jw>=0.92",
               "birthdate": "equal", "postcode": "one edit"}, got
for s in e["steps"][1:]:
    if s["kind"] == "level":
        want += math.log2(s["m"] / s["u"])
assert abs(e["match_weight"] - want) < 1e-3, (e["match_weight"], want)
assert e["found_by_rule"] == 1, e["found_by_rule"]
PY
"$BIN" explain --model "$MODEL" "courtney painter" "x y" --field shoe=4 > /dev/null 2> "$T/err"
check "an unknown --field column is refused" grep -q "the model reads no column 'shoe'" "$T/err"

# --- plan -a prob: the run's blocking figures --------------------------------
"$BIN" plan -a prob --left "$F/dataset4a.csv" --right "$F/dataset4b.csv" "${MAP[@]}" \
  --compare postcode=prefix --json > "$T/plan.json" || bad "plan -a prob"
check_plan() {  # PLAN.json SUMMARY.json
  "$PY" - "$1" "$2" <<'PY'
import json, sys
p, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
kept = [r for r in p["blocking"] if r["kept"]]
assert [r["rule"] for r in kept] == [r["rule"] for r in s["blocking"]], "rules differ"
# The first rule has no earlier rule: its predicted pairs are all scored.
assert kept[0]["predicted_pairs"] == s["blocking"][0]["pairs"], (kept[0], s["blocking"][0])
for a, b in zip(kept, s["blocking"]):
    assert a["pairs"] == b["pairs"], (a, b)
    assert a["pairs"] <= a["predicted_pairs"], a
assert p["candidate_pairs"] == s["candidate_pairs"], (p["candidate_pairs"], s["candidate_pairs"])
assert p["predicted_pairs"] >= s["candidate_pairs"]
assert p["predicted_pairs"] == sum(r["predicted_pairs"] for r in kept)
PY
}
check "plan: the run's pairs per rule (linking)" check_plan "$T/plan.json" "$T/f4.csv.summary.json"
"$BIN" plan -a prob --left "$F/dataset4a.csv" --right "$F/dataset4b.csv" "${MAP[@]}" \
  --model "$MODEL" --count-limit 0 --json > "$T/plan0.json" || bad "plan --model"
check "plan --count-limit 0: predicted only" "$PY" -c "
import json, sys; p = json.load(open('$T/plan0.json'))
assert p['rules_from'] == 'the model' and p['candidate_pairs'] is None
assert all(r['pairs'] is None for r in p['blocking'])"

# --- dedupe FEBRL3: plan and explain on one table ---------------------------
"$BIN" run -q -a prob --dedupe --left "$F/dataset3.csv" "${MAP[@]}" --out "$T/d3.csv" ||
  bad "run --dedupe"
"$BIN" plan -a prob --dedupe --left "$F/dataset3.csv" "${MAP[@]}" --json > "$T/plan3.json" ||
  bad "plan --dedupe"
check "plan: the run's pairs per rule (dedupe)" check_plan "$T/plan3.json" "$T/d3.csv.summary.json"
# A written pair, named in either order: the run's weight.
IFS=, read -r l _ _ _ _ r _ _ _ _ w _ < <(sed -n 2p "$T/d3.csv")
for ids in "$l $r" "$r $l"; do
  set -- $ids
  "$BIN" explain --model "$T/d3.csv.model.json" --left "$F/dataset3.csv" "${MAP[@]}" \
    --left-row "$1" --right-row "$2" --json > "$T/e3.json" || bad "explain dedupe $ids"
  check "dedupe explain $ids: MatchWeight $w" "$PY" -c "
import json; e = json.load(open('$T/e3.json')); assert e['match_weight_csv'] == '$w', e['match_weight_csv']"
done

finish prob_explain
