#!/usr/bin/env bash
# Memory with very many matching pairs: N identical rows (default 10,000)
# deduplicated with A1 give N(N-1)/2 pairs (50 M); the run must finish under
# `ulimit -v` (default 2 GiB) with the right row count. Prints one JSON line:
# {rows, pairs, seconds, peak_rss_bytes, output_bytes, spill_buffer}.
# Needs about 11 GB of free disk for N = 10,000 (the CSV, and as much again
# for the spill runs in NAME_MATCHER_SPILL_DIR / TMPDIR while it merges).
# usage: scripts/bench_memory.sh [name_matcher binary] [rows] [limit KiB]
#   WORK=DIR  where the input and output go (default: a new folder in /tmp)
set -euo pipefail
NM=${1:-build/release/name_matcher}
N=${2:-10000}
LIMIT=${3:-2097152}
W=${WORK:-$(mktemp -d)}
mkdir -p "$W"
cleanup() { rm -f "$W/same.csv" "$W/out.csv" "$W/out.csv.summary.json"; [ -n "${WORK:-}" ] || rmdir "$W"; }
trap cleanup EXIT
/usr/bin/python3 "$(dirname "$0")/../tests/identical_persons.py" "$W/same.csv" "$N"
start=$(date +%s.%N)
(ulimit -v "$LIMIT" && exec "$NM" run -q --left "$W/same.csv" --dedupe -a 1 --out "$W/out.csv")
end=$(date +%s.%N)
rows=$(($(wc -l <"$W/out.csv") - 1))
want=$((N * (N - 1) / 2))
if [ "$rows" -ne "$want" ]; then
  echo "bench_memory: $rows rows, expected $want" >&2
  exit 1
fi
/usr/bin/python3 - "$W/out.csv.summary.json" "$N" "$rows" "$start" "$end" <<'EOF'
import json, os, sys
s = json.load(open(sys.argv[1]))
print(json.dumps({
    "rows": int(sys.argv[2]),
    "pairs": int(sys.argv[3]),
    "seconds": round(float(sys.argv[5]) - float(sys.argv[4]), 2),
    "peak_rss_bytes": max(r["peak_rss_bytes"] for r in s["per_rank"]),
    "output_bytes": s["output"]["bytes"],
    "spill_buffer": os.environ.get("NAME_MATCHER_SPILL_BUFFER", "128M"),
}))
EOF
