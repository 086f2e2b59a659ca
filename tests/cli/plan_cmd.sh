#!/usr/bin/env bash
# CLI test of `plan`: every figure is compared with an independent count of the
# CSV files in Python. usage: plan_cmd.sh <name_matcher binary> <shared dir>
set -uo pipefail

BIN=${1:?usage: plan_cmd.sh <name_matcher> <shared-dir>}
SHARED=${2:?usage: plan_cmd.sh <name_matcher> <shared-dir>}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")/.." && pwd)
G=$HERE/data/golden
# shellcheck source=tests/check_lib.sh
source "$HERE/check_lib.sh"

# check_json JSON LEFT RIGHT|- RANKS DATEFMT COLUMN: the plan's figures against a
# count of the files (RIGHT "-" = dedupe).
check_json() {
  "$PY" - "$@" <<'PY'
import csv, datetime, json, sys
path, left, right, ranks, fmt, column = sys.argv[1:7]
j = json.load(open(path))
def count(p):
    days, rows, dated, missing, invalid = {}, 0, 0, 0, 0
    with open(p, newline='', encoding='utf-8-sig') as f:
        for r in csv.DictReader(f):
            rows += 1
            d = (r[column] or '').strip()
            if not d:
                missing += 1
                continue
            try:
                day = datetime.datetime.strptime(d, fmt).date()
            except ValueError:
                invalid += 1
                continue
            dated += 1
            days[day] = days.get(day, 0) + 1
    return days, rows, dated, missing, invalid
def fail(msg):
    sys.exit(f"{path}: {msg}")
def expect(name, got, want):
    if got != want:
        fail(f"{name} is {got}, expected {want}")
L = count(left)
R = count(right) if right != '-' else L
dedupe = right == '-'
for side, c in (('left', L),) + ((('right', R),) if not dedupe else ()):
    s = j[side]
    expect(f'{side}.rows', s['rows'], c[1])
    expect(f'{side}.with_birthdate', s['with_birthdate'], c[2])
    expect(f'{side}.no_birthdate', s['no_birthdate'], c[3] + c[4])
    expect(f'{side}.invalid_birthdate', s['invalid_birthdate'], c[4])
if dedupe and 'right' in j:
    fail('dedupe output has a right side')
blocks = {}
for day in set(L[0]) | set(R[0]):
    l, r = L[0].get(day, 0), R[0].get(day, 0)
    cost = l * (l - 1) // 2 if dedupe else l * r
    if cost:
        blocks[day] = (l, r, cost)
total = sum(c for _, _, c in blocks.values())
expect('dedupe', j['dedupe'], dedupe)
expect('ranks', j['ranks'], int(ranks))
expect('blocks', j['blocks'], len(blocks))
expect('candidate_pairs', j['candidate_pairs'], total)
if blocks:
    day = min(blocks, key=lambda d: (-blocks[d][2], d))
    lb = j['largest_block']
    expect('largest_block.birthdate', lb['birthdate'], day.isoformat())
    expect('largest_block.pairs', lb['pairs'], blocks[day][2])
    expect('largest_block.left', lb['left'], blocks[day][0])
if j['largest_tile_pairs'] > max(j['tile_cap'], 0) or j['tiles'] < len(blocks):
    fail('a tile is over the cap, or there are fewer tiles than blocks')
mean = total / int(ranks)
if abs(j['rank_pairs']['mean'] - mean) > 1e-6 * max(mean, 1):
    fail(f"rank_pairs.mean {j['rank_pairs']['mean']} != {mean}")
want_imb = j['rank_pairs']['max'] / mean if total else 1.0
if abs(j['imbalance'] - want_imb) > 1e-9:
    fail(f"imbalance {j['imbalance']} != max/mean {want_imb}")
pr = j.get('per_rank')
if pr is not None:
    for k in ('pairs', 'left_records', 'right_records', 'memory_bytes'):
        expect(f'len(per_rank.{k})', len(pr[k]), int(ranks))
    expect('sum(per_rank.pairs)', sum(pr['pairs']), total)
    expect('max(per_rank.pairs)', max(pr['pairs']), j['rank_pairs']['max'])
    lbpr = j['left']['file_bytes'] / j['left']['rows']
    rbpr = 0 if dedupe else j['right']['file_bytes'] / j['right']['rows']
    for i in range(int(ranks)):
        rr = 0 if dedupe else pr['right_records'][i]
        mem = round((pr['left_records'][i] * lbpr + rr * rbpr) * 4) + 256 * 2**20
        if abs(pr['memory_bytes'][i] - mem) > 1:
            fail(f"rank {i} memory {pr['memory_bytes'][i]} != {mem}")
    if int(ranks) == 1:
        expect('1 rank: left records', pr['left_records'][0], sum(b[0] for b in blocks.values()))
        if not dedupe:
            expect('1 rank: right records', pr['right_records'][0], sum(b[1] for b in blocks.values()))
PY
}

# --- one rank: everything on it, imbalance exactly 1 -------------------------
check "plan --ranks 1 exits 0" \
  "$BIN" plan --left "$G/left.csv" --right "$G/right.csv" --ranks 1 --json --per-rank >"$T/one.json"
check "1-rank figures" check_json "$T/one.json" "$G/left.csv" "$G/right.csv" 1 %Y-%m-%d birthdate
check "1 rank gives imbalance 1 with every pair" \
  "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["imbalance"] == 1 and j["rank_pairs"]["max"] == j["candidate_pairs"] > 0 else 1)' \
  "$T/one.json"

# --- JSON without --per-rank has no per-rank arrays; text has the figures ----
"$BIN" plan --left "$G/left.csv" --right "$G/right.csv" --ranks 5 --json >"$T/five.json"
check "5-rank figures" check_json "$T/five.json" "$G/left.csv" "$G/right.csv" 5 %Y-%m-%d birthdate
check "no per_rank without --per-rank" \
  "$PY" -c 'import json,sys; sys.exit("per_rank" in json.load(open(sys.argv[1])))' "$T/five.json"
"$BIN" plan --left "$G/left.csv" --right "$G/right.csv" --ranks 5 >"$T/five.txt"
pairs=$("$PY" -c 'import json,sys; print("{:,}".format(json.load(open(sys.argv[1]))["candidate_pairs"]))' "$T/five.json")
check "text output has 'candidate pairs $pairs': $(cat "$T/five.txt")" \
  grep -Eq "^candidate pairs +$pairs$" "$T/five.txt"
check "text output has the imbalance" grep -Eq '^imbalance +[0-9]+\.[0-9]{4} \(max / mean\)$' "$T/five.txt"
check "--help documents the memory formula" grep -q '256 MiB (fixed buffers)' <("$BIN" plan --help)

# --- bad options: exit 1 with a message --------------------------------------
expect_error() {  # what message args...
  local what=$1 msg=$2 code=0
  shift 2
  "$BIN" plan "$@" >"$T/out" 2>"$T/err" || code=$?
  check "$what: exit code $code, expected 1" test "$code" -eq 1
  check "$what: message has '$msg': $(cat "$T/err")" grep -qF -- "$msg" "$T/err"
}
expect_error "--ranks 0" "--ranks must be a whole number from 1 to 100000, got '0'" \
  --left "$G/left.csv" --right "$G/right.csv" --ranks 0
expect_error "--ranks 100001" "got '100001'" --left "$G/left.csv" --right "$G/right.csv" --ranks 100001
expect_error "--ranks abc" "got 'abc'" --left "$G/left.csv" --right "$G/right.csv" --ranks abc
expect_error "--ranks missing" "--ranks is required" --left "$G/left.csv" --right "$G/right.csv"
expect_error "--tiles-per-rank 0" "--tiles-per-rank must be" --left "$G/left.csv" --right "$G/right.csv" \
  --ranks 2 --tiles-per-rank 0
expect_error "--right missing" "--right is required" --left "$G/left.csv" --ranks 2
expect_error "--dedupe with --right" "--right cannot be used with --dedupe" --left "$G/left.csv" \
  --right "$G/right.csv" --dedupe --ranks 2
expect_error "missing file" "$T/nope.csv" --left "$T/nope.csv" --right "$G/right.csv" --ranks 2
expect_error "missing birthdate column" "required column 'dob' (for birthdate) not found" \
  --left "$G/left.csv" --right "$G/right.csv" --ranks 2 --map birthdate=dob
expect_error "unknown --map field" "unknown field 'shoe_size'" --left "$G/left.csv" --right "$G/right.csv" \
  --ranks 2 --map shoe_size=x
expect_error "bad --date-format" "%Q" --left "$G/left.csv" --right "$G/right.csv" --ranks 2 --date-format %Q
check "--ranks 100000 is accepted" \
  "$BIN" plan --left "$G/left.csv" --right "$G/right.csv" --ranks 100000 --json >"$T/max.json"
check "100000-rank figures" check_json "$T/max.json" "$G/left.csv" "$G/right.csv" 100000 %Y-%m-%d birthdate

# --- other column name and date format; bad and missing dates are counted ----
"$PY" - "$G/left.csv" "$T/left_dmy.csv" <<'PY'
import csv, datetime, sys
rows = list(csv.reader(open(sys.argv[1], newline='', encoding='utf-8')))
bd = rows[0].index('birthdate')
rows[0][bd] = 'dob'
for r in rows[1:]:
    if r[bd]:
        r[bd] = datetime.date.fromisoformat(r[bd]).strftime('%d/%m/%Y')
extra = [list(rows[1]) for _ in range(3)]
extra[0][bd] = '31/02/1990'    # not a real date
extra[1][bd] = '  '             # missing
extra[2][bd] = '1990-01-01'    # wrong format
with open(sys.argv[2], 'w', newline='', encoding='utf-8') as f:
    csv.writer(f, lineterminator='\n').writerows(rows + extra)
PY
check "plan with --map birthdate=dob --date-format %d/%m/%Y exits 0" \
  "$BIN" plan --left "$T/left_dmy.csv" --right "$T/left_dmy.csv" --ranks 3 --map birthdate=dob \
  --map first_name=first_name --date-format %d/%m/%Y --json --per-rank >"$T/dmy.json"
check "mapped column figures" check_json "$T/dmy.json" "$T/left_dmy.csv" "$T/left_dmy.csv" 3 %d/%m/%Y dob
check "the two invalid dates are counted as invalid" \
  "$PY" -c 'import json,sys; l=json.load(open(sys.argv[1]))["left"]; sys.exit(0 if l["invalid_birthdate"] == 2 and l["malformed_rows"] == 0 else 1)' \
  "$T/dmy.json"

# --- dedupe --------------------------------------------------------------------
check "plan --dedupe exits 0" \
  "$BIN" plan --left "$T/left_dmy.csv" --dedupe --ranks 2 --map birthdate=dob --date-format %d/%m/%Y \
  --json --per-rank >"$T/dd.json"
check "dedupe figures: n(n-1)/2 pairs per block" check_json "$T/dd.json" "$T/left_dmy.csv" - 2 %d/%m/%Y dob

# --- a skewed registry: the 1970-01-01 block is cut and spread ----------------
"$BIN" generate --rows 40000 --seed 5 --skew 0.05 --out-dir "$T/skew" --quiet
check "plan of the skewed files exits 0" \
  "$BIN" plan --left "$T/skew/left.csv" --right "$T/skew/right.csv" --ranks 4 --json --per-rank \
  >"$T/skew.json"
check "skewed figures" check_json "$T/skew.json" "$T/skew/left.csv" "$T/skew/right.csv" 4 %Y-%m-%d birthdate
check "skewed 1970-01-01 block cut into tiles, imbalance <= 1.05" "$PY" - "$T/skew.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
b = j['largest_block']
ok = (b['birthdate'] == '1970-01-01' and b['left'] > 1800 and b['right'] > 1800
      and b['tiles'] >= b['pairs'] // j['tile_cap'] and b['tiles'] > 1
      and j['largest_tile_pairs'] <= j['tile_cap'] and j['imbalance'] <= 1.05)
print(f"skewed 40k x 40k on 4 ranks: 1970-01-01 {b['left']} x {b['right']} in {b['tiles']} tiles, "
      f"imbalance {j['imbalance']:.4f}")
sys.exit(0 if ok else 1)
PY

finish plan_cmd
