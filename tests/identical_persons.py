#!/usr/bin/python3
"""Writes N identical persons (John Michael Smith, 1980-03-15): every pair of
them matches, so a dedupe run gives N(N-1)/2 pairs. Used by the memory and
disk-full tests and scripts/bench_memory.sh.

usage: identical_persons.py OUT N [mod K | div K]
  uuid of row i: U(i mod K) (default mod 97), or U(i div K) (households of K)
"""
import sys

out, n = sys.argv[1], int(sys.argv[2])
how, k = (sys.argv[3], int(sys.argv[4])) if len(sys.argv) > 4 else ("mod", 97)
with open(out, "w") as f:
    f.write("id,uuid,first_name,middle_name,last_name,birthdate\n")
    for i in range(n):
        uuid = i % k if how == "mod" else i // k
        f.write(f"{i + 1},U{uuid},John,Michael,Smith,1980-03-15\n")
