#!/usr/bin/env bash
# A pair file on a full disk: `run --pairs` with the pair file on a tiny tmpfs
# (the inputs and the CSV output on the big disk), in one process and under
# mpirun -np 2, with the disk full at create and at an append. The run must
# exit 1 naming the pair file and the reason, with no "internal error", no
# crash at exit and no hang; `reduce` and `--resume` must then refuse what was
# left with a clear message (exit 1), also once there is space again.
# Needs root for mount (CI runs as root).
# usage: pair_file_disk_full.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"
D=$T/tiny
mkdir -p "$D"
trap 'umount "$D" 2>/dev/null; rm -rf "$T"' EXIT

"$NM" generate --rows 2000 --seed 3 --out-dir "$T/gen" -q >/dev/null || bad generate
common=(--left "$T/gen/left.csv" --right "$T/gen/right.csv" -a 3 --threshold 0.8 -q
  --piece-pairs 100)

# 64k: too small for the file's first flush (create); 128k: full at an append.
for size in 64k 128k; do
  for np in 1 2; do
    what="tmpfs of $size, $np rank(s)"
    umount "$D" 2>/dev/null
    if ! mount -t tmpfs -o "size=$size" tmpfs "$D"; then
      bad "mount -t tmpfs (needs root)"
      continue
    fi
    P=$D/p.h5
    if [ "$np" -eq 1 ]; then
      timeout 60 "$NM" run "${common[@]}" --pairs "$P" --out "$T/out.csv" 2>"$T/err"
    else
      timeout 60 mpirun --oversubscribe -np 2 "$NM" run "${common[@]}" --pairs "$P" \
        --out "$T/out.csv" 2>"$T/err"
    fi
    rc=$?
    check "$what: run exits 1 (not 3, not a signal, not a hang: got $rc)" test "$rc" -eq 1
    check "$what: the message names the pair file" grep -q "cannot write pair file '$P'" "$T/err"
    check "$what: ... and the reason" grep -q "No space left on device" "$T/err"
    said="cannot write pair file"
    check "$what: reported once" test "$(grep -c "$said" "$T/err")" -eq 1
    check "$what: no internal error" bash -c "! grep -q 'internal error' '$T/err'"
    check "$what: no crash" bash -c "! grep -qi 'segmentation\|signal' '$T/err'"
    grep -q "cannot write pair file" "$T/err" || head -c 600 "$T/err" >&2

    # What was left is refused by reduce and --resume, on the full disk and
    # once there is room again.
    for room in full roomy; do
      [ "$room" = roomy ] && mount -o remount,size=16m "$D"
      timeout 30 "$NM" reduce --pairs "$P" --out "$T/red.csv" 2>"$T/err"
      rc=$?
      check "$what, disk $room: reduce exits 1 (got $rc)" test "$rc" -eq 1
      check "$what, disk $room: reduce says the file is unusable" \
        grep -q "pair file '$P' is unusable: a write to it failed" "$T/err"
      timeout 60 "$NM" run "${common[@]}" --pairs "$P" --out "$T/out.csv" --resume 2>"$T/err"
      rc=$?
      check "$what, disk $room: --resume exits 1 (got $rc)" test "$rc" -eq 1
      check "$what, disk $room: --resume says the file is unusable" \
        grep -q "pair file '$P' is unusable: a write to it failed" "$T/err"
    done
  done
done
# With room, the same run works: the failures above were the disk's.
timeout 60 "$NM" run "${common[@]}" --pairs "$D/p.h5" --out "$T/out.csv"
check "with room, run --pairs succeeds" test $? -eq 0
finish pair_file_disk_full
