#!/usr/bin/env python3
"""rapidfuzz's process.cdist on the full names of two generated tables (the first N rows of each),
Levenshtein then JaroWinkler, one worker, best of R runs: pairs per second, as JSON on stdout.
Run by scripts/bench_prob_vs_rapidfuzz.sh beside `name_matcher bench`'s micro_prob_compare figure.
usage: python bench_prob_vs_rapidfuzz.py LEFT.csv RIGHT.csv [N] [RUNS]
"""
# check_test_deps: peers-venv
import csv
import json
import sys
import time

import rapidfuzz
from rapidfuzz import distance, process


def full_names(path, n):
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.DictReader(f)
        out = []
        for row in rows:
            parts = (row.get(k, "") for k in ("first_name", "middle_name", "last_name"))
            out.append(" ".join(p for p in parts if p))
            if len(out) == n:
                break
    return out


def timed(scorer, left, right, runs):
    best = None
    for _ in range(runs):
        t0 = time.perf_counter()
        process.cdist(left, right, scorer=scorer, workers=1)
        s = time.perf_counter() - t0
        best = s if best is None else min(best, s)
    pairs = len(left) * len(right)
    return {"pairs": pairs, "seconds": best, "pairs_per_s": pairs / best}


def main():
    left_path, right_path = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    left, right = full_names(left_path, n), full_names(right_path, n)
    report = {
        "rapidfuzz": rapidfuzz.__version__,
        "names": [len(left), len(right)],
        "mean_name_chars": sum(map(len, left + right)) / max(1, len(left) + len(right)),
        "workers": 1,
        "runs": runs,
        "levenshtein": timed(distance.Levenshtein.distance, left, right, runs),
        "jaro_winkler": timed(distance.JaroWinkler.similarity, left, right, runs),
    }
    json.dump(report, sys.stdout)
    print()


if __name__ == "__main__":
    main()
