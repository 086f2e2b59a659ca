#!/usr/bin/env bash
# Corrupt pair files: copies of a real pair file (a finished one, and one whose
# run was killed) with 1-20 random bytes overwritten at random offsets
# (deterministic seed) go through `reduce` and `run --resume`. Every outcome
# must be exit 0 with output byte-identical to the undamaged file's (the bytes
# hit unused space) or exit 1 with a message naming the file: never exit 3,
# never a signal or a hang, never different rows with exit 0.
# usage: pair_file_integrity.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"

"$NM" generate --rows 2000 --seed 3 --out-dir "$T/gen" -q >/dev/null || bad generate
common=(--left "$T/gen/left.csv" --right "$T/gen/right.csv" -a 3 --threshold 0.8 -q)
"$NM" run "${common[@]}" --pairs "$T/p.h5" --out "$T/run.csv" || bad "run --pairs"
"$NM" reduce --pairs "$T/p.h5" --out "$T/ref.csv" || bad "reduce of the undamaged file"
check "reduce = run" same "$T/run.csv" "$T/ref.csv"
# A run killed after its 3rd append: --resume finishes it.
(NAME_MATCHER_FAULT_KILL=0:3 "$NM" run "${common[@]}" --piece-pairs 100 --pairs "$T/k.h5" \
  --out "$T/k.csv"; exit $?) >/dev/null 2>&1
check "the killed run failed" test $? -ne 0
cp "$T/k.h5" "$T/k_ok.h5"
"$NM" run "${common[@]}" --piece-pairs 100 --pairs "$T/k_ok.h5" --out "$T/k_ok.csv" --resume
check "--resume of the undamaged killed file = run" same "$T/ref.csv" "$T/k_ok.csv"

# corrupt SRC PREFIX N SEED0: copies PREFIX1.h5 .. PREFIXN.h5 of SRC, copy i with
# 1-20 bytes changed (seed SEED0+i), half of them anywhere in the file, half
# on bytes that are not 0 (the used parts: most of a small pair file is chunk
# space that was never written).
corrupt() {
  python3 - "$@" <<'EOF'
import random, sys
src, prefix, n, seed0 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
orig = open(src, "rb").read()
used = [i for i, b in enumerate(orig) if b]
for i in range(1, n + 1):
    data = bytearray(orig)
    rng = random.Random(seed0 + i)
    for _ in range(rng.randint(1, 20)):
        at = rng.randrange(len(data)) if rng.random() < 0.5 else rng.choice(used)
        data[at] = (data[at] + rng.randint(1, 255)) % 256  # always a different byte
    open(f"{prefix}{i}.h5", "wb").write(data)
EOF
}

# judge WHAT RC ERRFILE OUT: exit 0 with the reference output, or exit 1 naming the file.
identical=0
refused=0
judge() {
  local what=$1 rc=$2 err=$3 out=$4 file=$5
  if [ "$rc" -eq 0 ]; then
    if same "$T/ref.csv" "$out"; then identical=$((identical + 1)); ok; else bad "$what: exit 0 with different rows"; fi
  elif [ "$rc" -eq 1 ]; then
    if grep -qF "$file" "$err"; then refused=$((refused + 1)); ok; else bad "$what: exit 1 without naming $file: $(head -c 300 "$err")"; fi
  else
    bad "$what: exit $rc (3 = internal error, >128 = signal, 124 = hang): $(head -c 300 "$err")"
  fi
}

# Fewer copies under AddressSanitizer (6 times slower), which CI runs too.
copies=30
killed_copies=12
if ldd "$NM" 2>/dev/null | grep -q libasan; then
  copies=12
  killed_copies=6
fi
corrupt "$T/p.h5" "$T/c" "$copies" 0
for i in $(seq 1 "$copies"); do
  C=$T/c$i.h5
  rm -f "$T/out.csv"
  timeout 30 "$NM" reduce --pairs "$C" --out "$T/out.csv" 2>"$T/err"
  judge "copy $i, reduce" $? "$T/err" "$T/out.csv" "$C"
  rm -f "$T/out.csv"
  timeout 30 "$NM" run "${common[@]}" --pairs "$C" --out "$T/out.csv" --resume 2>"$T/err"
  judge "copy $i, --resume (finished file)" $? "$T/err" "$T/out.csv" "$C"
done
corrupt "$T/k.h5" "$T/k" "$killed_copies" 1000
for i in $(seq 1 "$killed_copies"); do
  C=$T/k$i.h5
  rm -f "$T/out.csv"
  timeout 30 "$NM" run "${common[@]}" --piece-pairs 100 --pairs "$C" --out "$T/out.csv" --resume \
    2>"$T/err"
  judge "killed copy $i, --resume" $? "$T/err" "$T/out.csv" "$C"
done
echo "pair_file_integrity: $identical outcomes identical to the undamaged file, $refused refused"
# The test means something only if both outcomes happen.
check "some damaged copies were refused" test "$refused" -gt 5
finish pair_file_integrity
