#!/usr/bin/env bash
# --device for the probabilistic mode (`run --algorithm prob`, `train`):
# emulate (the GPU kernel run on the CPU: training's pattern counts and the
# pairs' scores) writes the same bytes as cpu — pairs, clusters, the model —
# on FEBRL4 (train + link, `train` alone, --model reuse) and FEBRL3
# deduplicated; the summary says which device was asked for and used and
# what ran on it; auto without a GPU says once that it uses the CPU; gpu
# without one is a clear error that writes nothing.
# usage: prob_device.sh <name_matcher binary> <shared dir>
set -uo pipefail
NM=$1
SHARED=$2
# shellcheck source=tests/check_lib.sh
source "$(dirname "$0")/../check_lib.sh"

has() { grep -qF -- "$2" "$1" || { echo "'$2' not in $1: $(head -c 600 "$1")" >&2; return 1; }; }
no_file() { [ ! -e "$1" ]; }
lines() { wc -l <"$1"; }

F=$SHARED/data/febrl
if [ ! -f "$F/dataset4a.csv" ] || [ ! -f "$F/dataset3.csv" ]; then
  bad "FEBRL data missing at $F"
  finish prob_device
  exit 1
fi
L4=$F/dataset4a.csv R4=$F/dataset4b.csv

# The same run on cpu and emulate: every file it writes is the same, and the
# summaries agree on each rule's pairs.  usage: both NAME ARGS...
both() {
  local name=$1; shift
  for dev in cpu emulate; do
    "$NM" run --algorithm prob -q "$@" --device "$dev" --out "$T/$name.$dev.csv" \
      --clusters "$T/$name.$dev.clusters.csv" || bad "$name --device $dev exited non-zero"
  done
  check "$name: pairs emulate = cpu" same "$T/$name.cpu.csv" "$T/$name.emulate.csv"
  check "$name: clusters emulate = cpu" same "$T/$name.cpu.clusters.csv" "$T/$name.emulate.clusters.csv"
  check "$name: pairs were written" test "$(lines "$T/$name.cpu.csv")" -gt 100
  local c=$T/$name.cpu.csv.summary.json e=$T/$name.emulate.csv.summary.json
  for key in blocking candidate_pairs pairs_written clusters; do
    check "$name: summary $key emulate = cpu" test "$(json "$e" "d['$key']")" = "$(json "$c" "d['$key']")"
  done
  check "$name: summary device.requested" test "$(json "$e" 'd["device"]["requested"]')" = emulate
  check "$name: summary device.used" test "$(json "$e" 'd["device"]["used"]')" = emulate
  check "$name: summary cpu device.used" test "$(json "$c" 'd["device"]["used"]')" = cpu
  check "$name: every scored pair went through the kernel" \
    test "$(json "$e" 'd["device"]["linking"]["pairs"]')" = "$(json "$e" 'd["candidate_pairs"]')"
  check "$name: linking launched the kernel" test "$(json "$e" 'd["device"]["linking"]["launches"]')" -ge 1
}

# --- FEBRL4: train + link ----------------------------------------------------------
both f4 --left "$L4" --right "$R4" "${FEBRL[@]}"
check "f4: model emulate = cpu" same "$T/f4.cpu.csv.model.json" "$T/f4.emulate.csv.model.json"
E=$T/f4.emulate.csv.summary.json
check "f4: summary training emulate = cpu" \
  test "$(json "$E" 'd["training"]')" = "$(json "$T/f4.cpu.csv.summary.json" 'd["training"]')"
check "f4: every training pair went through the kernel" \
  test "$(json "$E" 'd["device"]["training"]["pairs"]')" = "$(json "$E" 'd["training_pairs"]')"
check "f4: training launched the kernel" test "$(json "$E" 'd["device"]["training"]["launches"]')" -ge 1

# --- FEBRL4: train alone, and a model reused -------------------------------------------
for dev in cpu emulate; do
  "$NM" train -q --left "$L4" --right "$R4" "${FEBRL[@]}" --device "$dev" \
    --model-out "$T/train.$dev.json" || bad "train --device $dev exited non-zero"
done
check "train: model emulate = cpu" same "$T/train.cpu.json" "$T/train.emulate.json"
check "train: the run's model" same "$T/f4.cpu.csv.model.json" "$T/train.cpu.json"
both reuse --left "$L4" --right "$R4" "${FEBRL[@]}" --model "$T/train.cpu.json" --one-to-one
check "reuse: no model written" no_file "$T/reuse.emulate.csv.model.json"

# --- FEBRL3 deduplicated: train + link, and the model reused --------------------------
both f3 --left "$F/dataset3.csv" --dedupe "${FEBRL[@]}"
check "f3: model emulate = cpu" same "$T/f3.cpu.csv.model.json" "$T/f3.emulate.csv.model.json"
both f3reuse --left "$F/dataset3.csv" --dedupe "${FEBRL[@]}" --model "$T/f3.cpu.csv.model.json"
check "f3reuse: the trained run's pairs" same "$T/f3.cpu.csv" "$T/f3reuse.emulate.csv"

# --- the device line: auto without a GPU says once that it uses the CPU; cpu says nothing ---
G=(--left "$L4" --right "$R4" "${FEBRL[@]}" --model "$T/train.cpu.json")
"$NM" run --algorithm prob "${G[@]}" --device cpu --out "$T/line_cpu.csv" 2>"$T/line_cpu.err" || bad "cpu run"
check "--device cpu prints no device line" test "$(grep -c 'device:' "$T/line_cpu.err")" -eq 0
"$NM" run --algorithm prob "${G[@]}" --device emulate --out "$T/line_emu.csv" 2>"$T/line_emu.err" || bad "emulate run"
check "--device emulate: one device line" test "$(grep -c 'device: emulate (--device emulate' "$T/line_emu.err")" -eq 1

# With an NVIDIA device node present the no-device expectations do not apply
# (decided from /dev, not from the program under test).
if compgen -G "/dev/nvidia[0-9]*" >/dev/null; then
  echo "note: an NVIDIA device is present, skipping the no-device checks"
else
  code=0
  "$NM" run --algorithm prob "${G[@]}" --device auto --out "$T/auto.csv" 2>"$T/auto.err" || code=$?
  check "--device auto exits 0" test "$code" -eq 0
  check "--device auto: one 'device: cpu (no CUDA device' line" \
    test "$(grep -c 'device: cpu (no CUDA device' "$T/auto.err")" -eq 1
  check "auto = cpu" same "$T/line_cpu.csv" "$T/auto.csv"
  check "auto summary: requested auto" test "$(json "$T/auto.csv.summary.json" 'd["device"]["requested"]')" = auto
  check "auto summary: used cpu" test "$(json "$T/auto.csv.summary.json" 'd["device"]["used"]')" = cpu
  for cmd in run train; do
    code=0
    if [ "$cmd" = run ]; then
      "$NM" run --algorithm prob "${G[@]}" --device gpu --out "$T/gpu.csv" >/dev/null 2>"$T/gpu.err" || code=$?
    else
      "$NM" train --left "$L4" --right "$R4" "${FEBRL[@]}" --device gpu --model-out "$T/gpu.json" \
        >/dev/null 2>"$T/gpu.err" || code=$?
    fi
    check "$cmd --device gpu exits 1" test "$code" -eq 1
    check "$cmd --device gpu names the reason" has "$T/gpu.err" "--device gpu: no CUDA device"
  done
  check "--device gpu writes no pairs" no_file "$T/gpu.csv"
  check "--device gpu writes no summary" no_file "$T/gpu.csv.summary.json"
  check "train --device gpu writes no model" no_file "$T/gpu.json"
fi

# --- a bad value ------------------------------------------------------------------------
code=0
"$NM" run --algorithm prob "${G[@]}" --device bogus --out "$T/bogus.csv" >/dev/null 2>"$T/bogus.err" || code=$?
check "--device bogus exits 1" test "$code" -eq 1
check "--device bogus message" has "$T/bogus.err" "--device: expected auto, cpu, gpu or emulate, got 'bogus'"
check "--device bogus writes no output" no_file "$T/bogus.csv"

finish prob_device
