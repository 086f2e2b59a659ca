#!/usr/bin/env bash
# Accuracy and speed of the probabilistic mode (`run --algorithm prob`) beside its peer, Splink
# (scripts/splink_peer.py in the venv of scripts/peers_venv.sh), on the same data:
#   febrl4-names, febrl4-all   FEBRL dataset4a x dataset4b (../shared/data/febrl), names+dob / all
#   febrl3-names, febrl3-all   FEBRL dataset3 deduplicated, names+dob / all fields
#   gen100k                    `name_matcher generate --rows 100000 --seed 5`, names + birthdate
#   gen1m (--with-1m only)     1,000,000 rows, Splink blocking on birthdate alone (minutes, ~20 GB)
# Each dataset gets WORK/DATASET/result.json ({"splink": figures, "ours": figures}); the whole run
# gets WORK/quality.md, a Markdown table (F1, precision, recall at Splink's best threshold and at our
# own output; wall seconds and peak RSS of the whole process). Our side failing (prob mode missing,
# a crash) prints "ours: failed" and the table shows it; the script goes on.
# Generated data and all outputs stay in WORK, outside the repo.
# usage: scripts/quality.sh [--work-dir DIR] [--datasets a,b,...] [--with-1m] [--no-splink]
#                           [--no-ours]
#   env: NM_BIN (default build/release/name_matcher), NM_FEBRL_DIR, NM_PEERS_VENV
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
NM=${NM_BIN:-$root/build/release/name_matcher}
FEBRL=${NM_FEBRL_DIR:-$root/../shared/data/febrl}
work=${TMPDIR:-/tmp}/name_matcher-quality
datasets="febrl4-names,febrl4-all,febrl3-names,febrl3-all,gen100k"
splink=1 ours=1
while [ $# -gt 0 ]; do
  case "$1" in
    --work-dir) work=$2; shift 2 ;;
    --datasets) datasets=$2; shift 2 ;;
    --with-1m) datasets="$datasets,gen1m"; shift ;;
    --no-splink) splink=0; shift ;;
    --no-ours) ours=0; shift ;;
    *) echo "usage: scripts/quality.sh [--work-dir DIR] [--datasets a,b] [--with-1m]" \
            "[--no-splink] [--no-ours]" >&2; exit 2 ;;
  esac
done
mkdir -p "$work"
work=$(cd "$work" && pwd)
export NM_FEBRL_DIR=$FEBRL

# Runs a command, and writes its wall seconds, peak RSS (the largest child's, in MB) and exit code
# as JSON to $1. The command's own output goes to $2.
measure() {
  local out=$1 log=$2; shift 2
  /usr/bin/python3 - "$out" "$log" "$@" <<'PY'
import json, resource, subprocess, sys, time
out, log, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t0 = time.perf_counter()
with open(log, "w") as f:
    rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT).returncode
secs = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
with open(out, "w") as f:
    json.dump({"seconds": round(secs, 3), "peak_rss_mb": round(rss, 1), "exit_code": rc}, f)
sys.exit(rc)
PY
}

# Generated data, once per size (the same options give byte-identical files).
gen_data() {
  local rows=$1
  local dir=$work/data/gen$rows
  if [ ! -s "$dir/truth.csv" ]; then
    "$NM" generate --rows "$rows" --seed 5 --out-dir "$dir" --quiet >&2 || return 1
  fi
  echo "$dir"
}

# Our side's command line for a dataset, into the array `cmd`: default settings (the names and
# the birthdate are always compared; "all fields" names the other columns with --compare).
ours_cmd() {
  local ds=$1 out=$2 data
  local febrl_map=(--map id=rec_id --map first_name=given_name --map last_name=surname
                   --map birthdate=date_of_birth --date-format %Y%m%d --trim-fields)
  local febrl_rest=(--compare soc_sec_id=numeric --compare street_number=numeric
                    --compare postcode=prefix --compare suburb=name --compare address_1=name
                    --compare state=exact)
  cmd=("$NM" run --algorithm prob --threads 2 --quiet)
  case "$ds" in
    febrl4-*) cmd+=(--left "$FEBRL/dataset4a.csv" --right "$FEBRL/dataset4b.csv") ;;
    febrl3-*) cmd+=(--left "$FEBRL/dataset3.csv" --dedupe) ;;
  esac
  case "$ds" in
    febrl*-names) cmd+=("${febrl_map[@]}") ;;
    febrl*-all) cmd+=("${febrl_map[@]}" "${febrl_rest[@]}") ;;
    gen*)
      data=$(gen_data "$([ "$ds" = gen1m ] && echo 1000000 || echo 100000)") || return 1
      cmd+=(--left "$data/left.csv" --right "$data/right.csv") ;;
  esac
  cmd+=(--out "$out")
}

# A dedupe match file with each pair in file-row order (the earlier record as Table1_ID), the
# orientation of the truth file, whatever order our output chose.
orient_dedupe() {
  /usr/bin/python3 - "$@" <<'PY'
import csv, sys
source, matches, out = sys.argv[1:4]
with open(source, newline="") as f:
    rows = csv.reader(f, skipinitialspace=True)
    header = [h.strip() for h in next(rows)]
    col = header.index("rec_id")
    row_of = {r[col].strip(): i for i, r in enumerate(rows) if r}
with open(matches, newline="") as f, open(out, "w", newline="") as g:
    rd = csv.DictReader(f)
    w = csv.writer(g)
    w.writerow(["Table1_ID", "Table2_ID"])
    for r in rd:
        a, b = r["Table1_ID"], r["Table2_ID"]
        w.writerow([a, b] if row_of.get(a, -1) <= row_of.get(b, -1) else [b, a])
PY
}

run_splink() {
  local ds=$1 dir=$2 py
  py=$(bash "$here/peers_venv.sh" | tail -1)/bin/python || return 1
  local args=(--dataset "$ds" --out-dir "$dir/splink")
  if [[ $ds == gen* ]]; then
    local data
    data=$(gen_data "$([ "$ds" = gen1m ] && echo 1000000 || echo 100000)") || return 1
    args+=(--left "$data/left.csv" --right "$data/right.csv" --truth "$data/truth.csv")
  fi
  measure "$dir/splink_process.json" "$dir/splink.log" "$py" "$here/splink_peer.py" "${args[@]}"
}

run_ours() {
  local ds=$1 dir=$2 matches=$2/ours.csv
  ours_cmd "$ds" "$matches" || return 1
  measure "$dir/ours_process.json" "$dir/ours.log" "${cmd[@]}" || return 1
  if [[ $ds == febrl3-* ]]; then
    orient_dedupe "$FEBRL/dataset3.csv" "$matches" "$dir/ours_oriented.csv" || return 1
    matches=$dir/ours_oriented.csv
  fi
  "$NM" evaluate --truth "$dir/splink/truth.csv" --matches "$matches" --json \
    > "$dir/ours_eval.json"
}

IFS=, read -r -a list <<< "$datasets"
for ds in "${list[@]}"; do
  dir=$work/$ds
  mkdir -p "$dir"
  rm -f "$dir/ours_eval.json" "$dir/ours_process.json"
  echo "== $ds"
  if [ $splink = 1 ]; then
    if run_splink "$ds" "$dir"; then tail -1 "$dir/splink.log" | sed 's/^/splink: /'
    else echo "splink: failed (see $dir/splink.log)"; fi
  fi
  # The truth file comes from the Splink side (it derives FEBRL's); without it, nothing to score.
  if [ $ours = 1 ] && [ -s "$dir/splink/truth.csv" ]; then
    if run_ours "$ds" "$dir"; then echo "ours: $(tr -d '\n ' < "$dir/ours_eval.json")"
    else echo "ours: failed (see $dir/ours.log)"; rm -f "$dir/ours_eval.json"; fi
  fi
done

# One JSON per dataset and the table.
/usr/bin/python3 - "$work" "${list[@]}" <<'PY'
import json, os, sys
work, names = sys.argv[1], sys.argv[2:]

def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def cell(x, fmt):
    return fmt % x if x is not None else "—"

lines = ["| dataset | Splink F1 | P | R | time s | RSS MB | ours F1 | P | R | time s | RSS MB |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
for ds in names:
    d = os.path.join(work, ds)
    sp, sp_proc = load(os.path.join(d, "splink", "figures.json")), load(os.path.join(d, "splink_process.json"))
    ev, our_proc = load(os.path.join(d, "ours_eval.json")), load(os.path.join(d, "ours_process.json"))
    result = {"dataset": ds,
              "splink": dict(sp, process=sp_proc) if sp else None,
              "ours": dict(ev, process=our_proc) if ev else None}
    with open(os.path.join(d, "result.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    best = (sp or {}).get("best", {})
    row = [ds, cell(best.get("f1"), "%.4f"), cell(best.get("precision"), "%.4f"),
           cell(best.get("recall"), "%.4f"), cell((sp_proc or {}).get("seconds") if sp else None, "%.1f"),
           cell((sp or {}).get("peak_rss_mb"), "%.0f")]
    if ev:
        row += [cell(ev["f1"], "%.4f"), cell(ev["precision"], "%.4f"), cell(ev["recall"], "%.4f"),
                cell(our_proc["seconds"], "%.1f"), cell(our_proc["peak_rss_mb"], "%.0f")]
    else:
        row += ["failed", "", "", "", ""]
    lines.append("| " + " | ".join(row) + " |")
if names:
    sp = load(os.path.join(work, names[0], "splink", "figures.json")) or {}
    lines.append("")
    lines.append("Splink %s, DuckDB %s; Splink at its best threshold (a sweep over its probabilities), "
                 "time = whole process (load, train, predict); ours = our output as written."
                 % (sp.get("splink_version", "?"), sp.get("duckdb_version", "?")))
with open(os.path.join(work, "quality.md"), "w") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
print("\nwritten: %s/quality.md and DATASET/result.json" % work)
PY
