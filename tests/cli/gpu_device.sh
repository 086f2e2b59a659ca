#!/usr/bin/env bash
# --device auto|cpu|gpu|emulate and gpu-selftest on a machine without a CUDA
# device: auto falls back to the CPU and says so once, gpu is a usage error,
# emulate (the GPU backend with its kernel run on the CPU) writes the same
# bytes as the CPU for A3-A6, dedupe and 2 MPI ranks; the summary reports the
# device, the rollback switches and the score histogram.
# usage: gpu_device.sh <name_matcher binary> <shared dir>
set -uo pipefail
B=${1:?usage: gpu_device.sh <name_matcher> <shared-dir>}
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"

"$B" generate --rows 3000 --seed 5 --out-dir "$T/d" -q >/dev/null || bad "generate"
L=$T/d/left.csv
R=$T/d/right.csv
lines() { wc -l <"$1"; }
has() { grep -qF -- "$2" "$1" || { echo "'$2' not in $1: $(head -c 600 "$1")" >&2; return 1; }; }
no_file() { [ ! -e "$1" ]; }

# With an NVIDIA device node present the no-device expectations do not apply
# (decided from /dev, not from the program under test, so a crash of
# gpu-selftest cannot turn these checks off).
code=0
"$B" gpu-selftest >"$T/st.out" 2>"$T/st.err" || code=$?
no_gpu=1
if compgen -G "/dev/nvidia[0-9]*" >/dev/null; then
  no_gpu=0
  echo "note: an NVIDIA device is present (gpu-selftest exit $code), skipping the no-device checks"
fi

if [ "$no_gpu" = 1 ]; then
  check "gpu-selftest without a device exits 2" test "$code" -eq 2
  check "gpu-selftest without a device says so" has "$T/st.err" "no CUDA device"

  # --- auto: the CPU, one line saying why, same output as --device cpu ------
  code=0
  "$B" run --left "$L" --right "$R" -a 3 --device auto --out "$T/auto.csv" >"$T/auto.out" 2>"$T/auto.err" || code=$?
  check "--device auto exits 0" test "$code" -eq 0
  check "--device auto: one 'device: cpu (no CUDA device' line" \
    test "$(grep -c 'device: cpu (no CUDA device' "$T/auto.err")" -eq 1
  "$B" run -q --left "$L" --right "$R" -a 3 --device cpu --out "$T/cpu.csv" 2>"$T/cpu.err"
  check "--device cpu prints no device line" test "$(grep -c 'device:' "$T/cpu.err")" -eq 0
  check "auto = cpu" same "$T/cpu.csv" "$T/auto.csv"
  check "A3 found matches" test "$(lines "$T/cpu.csv")" -gt 100
  check "auto summary: used cpu" test "$(json "$T/auto.csv.summary.json" 'd["device"]["used"]')" = cpu
  check "auto summary: requested auto" \
    test "$(json "$T/auto.csv.summary.json" 'd["device"]["requested"]')" = auto
  "$B" run --quiet --left "$L" --right "$R" -a 3 --device auto --out "$T/autoq.csv" >"$T/q.out" 2>"$T/q.err"
  # (LeakSanitizer's list of suppressions, in sanitizer builds, is not the program's)
  sed -i '/^-\{20,\}$/,/^-\{20,\}$/d; /^$/d' "$T/q.err"
  check "--quiet --device auto prints nothing" test ! -s "$T/q.out" -a ! -s "$T/q.err"
  check "--quiet auto = cpu" same "$T/cpu.csv" "$T/autoq.csv"

  # --- gpu: a usage error, nothing written -----------------------------------
  code=0
  "$B" run --left "$L" --right "$R" -a 3 --device gpu --out "$T/gpu.csv" >/dev/null 2>"$T/gpu.err" || code=$?
  check "--device gpu exits 1" test "$code" -eq 1
  check "--device gpu names the reason" has "$T/gpu.err" "--device gpu: no CUDA device"
  check "--device gpu writes no output" no_file "$T/gpu.csv"
  check "--device gpu writes no summary" no_file "$T/gpu.csv.summary.json"

  # --- under mpirun the device line is printed once -------------------------
  mpirun --oversubscribe -np 2 "$B" run --left "$L" --right "$R" -a 3 --device auto \
    --out "$T/mauto.csv" >"$T/mauto.out" 2>"$T/mauto.err" || bad "mpirun --device auto"
  check "2 ranks: one device line" test "$(grep -c 'device: cpu (no CUDA device' "$T/mauto.err")" -eq 1
  check "2 ranks auto = cpu" same "$T/cpu.csv" "$T/mauto.csv"
fi

# --- bad values ---------------------------------------------------------------
code=0
"$B" run --left "$L" --right "$R" -a 3 --device bogus --out "$T/bogus.csv" >/dev/null 2>"$T/bogus.err" || code=$?
check "--device bogus exits 1" test "$code" -eq 1
check "--device bogus message" has "$T/bogus.err" "--device: expected auto, cpu, gpu or emulate, got 'bogus'"
check "--device bogus writes no output" no_file "$T/bogus.csv"

# --- gpu-selftest on the emulation ---------------------------------------------
code=0
"$B" gpu-selftest --emulate --rows 2000 >"$T/ste.out" 2>&1 || code=$?
check "gpu-selftest --emulate exits 0" test "$code" -eq 0
check "gpu-selftest --emulate passes" has "$T/ste.out" "PASS"
check "gpu-selftest --emulate: every round same as CPU" \
  test "$(grep -c 'same as CPU' "$T/ste.out")" -eq 5

# --- emulate = cpu, byte for byte ----------------------------------------------
opts="--threshold 0.8 --household-threshold 0.7"
hist() { json "$1" 'd["score_histogram"]["counts"]'; }
for a in 3 4 5 6; do
  # shellcheck disable=SC2086
  "$B" run -q --left "$L" --right "$R" -a "$a" $opts --device cpu --out "$T/c$a.csv"
  # shellcheck disable=SC2086
  "$B" run -q --left "$L" --right "$R" -a "$a" $opts --device emulate --out "$T/e$a.csv" ||
    bad "A$a --device emulate exited non-zero"
  check "A$a emulate = cpu" same "$T/c$a.csv" "$T/e$a.csv"
  check "A$a has output rows" test "$(lines "$T/c$a.csv")" -gt 50
  S=$T/e$a.csv.summary.json
  check "A$a summary: device.used emulate" test "$(json "$S" 'd["device"]["used"]')" = emulate
  check "A$a summary: no rollback switch set" \
    test "$(json "$S" 'sorted(d["device"]["rollback_switches"].values())')" = "[False, False, False]"
  check "A$a summary: collectives named" test -n "$(json "$S" 'd["collectives"]')"
  check "A$a summary: batches ran" test "$(json "$S" 'd["device"]["gpu"]["batches"]')" -ge 1
  check "A$a histogram emulate = cpu" test "$(hist "$S")" = "$(hist "$T/c$a.csv.summary.json")"
  check "A$a histogram has 101 bins" test "$(json "$S" 'len(d["score_histogram"]["counts"])')" -eq 101
done
# many small batches (both stream slots reused)
"$B" run -q --left "$L" --right "$R" -a 3 $opts --device emulate --gpu-batch-pairs 40 --out "$T/eb.csv"
check "A3 emulate, 40-pair batches = cpu" same "$T/c3.csv" "$T/eb.csv"
check "40-pair batches: many batches" test "$(json "$T/eb.csv.summary.json" 'd["device"]["gpu"]["batches"]')" -gt 10
# dedupe
"$B" run -q --left "$L" --dedupe -a 3 --threshold 0.7 --device cpu --out "$T/dc.csv"
"$B" run -q --left "$L" --dedupe -a 3 --threshold 0.7 --device emulate --gpu-batch-pairs 50 --out "$T/de.csv"
check "dedupe A3 emulate = cpu" same "$T/dc.csv" "$T/de.csv"
check "dedupe histogram emulate = cpu" test "$(hist "$T/de.csv.summary.json")" = "$(hist "$T/dc.csv.summary.json")"
# 2 ranks
mpirun --oversubscribe -np 2 "$B" run -q --left "$L" --right "$R" -a 4 $opts --device emulate \
  --out "$T/m4.csv" || bad "mpirun --device emulate"
check "A4 emulate on 2 ranks = cpu" same "$T/c4.csv" "$T/m4.csv"
check "2 ranks: used emulate" test "$(json "$T/m4.csv.summary.json" 'd["device"]["used"]')" = emulate
check "2 ranks: histogram = cpu" test "$(hist "$T/m4.csv.summary.json")" = "$(hist "$T/c4.csv.summary.json")"

# --- the histogram counts every matching pair: at threshold 0.6 (the lowest)
# the pairs with floor(score) >= 60 are the output rows ------------------------
for d in cpu emulate; do
  "$B" run -q --left "$L" --right "$R" -a 3 --threshold 0.6 --device "$d" --out "$T/t6$d.csv"
done
check "threshold 0.6: emulate = cpu" same "$T/t6cpu.csv" "$T/t6emulate.csv"
rows=$(($(lines "$T/t6emulate.csv") - 1))
S=$T/t6emulate.csv.summary.json
check "histogram bins 60..100 = matches at 0.6" test "$(json "$S" 'sum(d["score_histogram"]["counts"][60:])')" -eq "$rows"
check "histogram total >= matches at 0.6" test "$(json "$S" 'sum(d["score_histogram"]["counts"])')" -ge "$rows"
check "histogram at 0.6 emulate = cpu" test "$(hist "$S")" = "$(hist "$T/t6cpu.csv.summary.json")"

# --- rollback switches -----------------------------------------------------------
NAME_MATCHER_DISABLE_FUSED_KERNEL=1 "$B" run -q --left "$L" --right "$R" -a 3 $opts --device emulate \
  --out "$T/fk.csv" || bad "DISABLE_FUSED_KERNEL run"
check "DISABLE_FUSED_KERNEL: used cpu" test "$(json "$T/fk.csv.summary.json" 'd["device"]["used"]')" = cpu
check "DISABLE_FUSED_KERNEL: switch shown" \
  test "$(json "$T/fk.csv.summary.json" 'd["device"]["rollback_switches"]["NAME_MATCHER_DISABLE_FUSED_KERNEL"]')" = True
check "DISABLE_FUSED_KERNEL: same output" same "$T/c3.csv" "$T/fk.csv"
NAME_MATCHER_DISABLE_SIMD=1 "$B" run -q --left "$L" --right "$R" -a 3 $opts --device emulate \
  --out "$T/simd.csv" || bad "DISABLE_SIMD run"
check "DISABLE_SIMD: same output" same "$T/c3.csv" "$T/simd.csv"
check "DISABLE_SIMD: switch shown" \
  test "$(json "$T/simd.csv.summary.json" 'd["device"]["rollback_switches"]["NAME_MATCHER_DISABLE_SIMD"]')" = True
NAME_MATCHER_DISABLE_SIMD=1 "$B" run -q --left "$L" --right "$R" -a 3 $opts --device cpu --out "$T/simdc.csv"
check "DISABLE_SIMD on the CPU: same output" same "$T/c3.csv" "$T/simdc.csv"
NAME_MATCHER_DISABLE_PINNED_MEMORY=1 "$B" run -q --left "$L" --right "$R" -a 3 $opts --device emulate \
  --out "$T/pin.csv" || bad "DISABLE_PINNED_MEMORY run"
check "DISABLE_PINNED_MEMORY: same output" same "$T/c3.csv" "$T/pin.csv"
check "DISABLE_PINNED_MEMORY: no pinned allocation" has <(json "$T/pin.csv.summary.json" 'd["device"]["host_buffers"]') \
  "pinned 0.0 MiB (0 allocs"
check "DISABLE_PINNED_MEMORY: switch shown" \
  test "$(json "$T/pin.csv.summary.json" 'd["device"]["rollback_switches"]["NAME_MATCHER_DISABLE_PINNED_MEMORY"]')" = True
check "pinned by default" has <(json "$T/e3.csv.summary.json" 'd["device"]["host_buffers"]') "pageable 0.0 MiB (0 allocs"

finish gpu_device
