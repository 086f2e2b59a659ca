#!/usr/bin/env bash
# The build enforces the layers (docs/ARCHITECTURE.md): for every pair of
# layers CMake made a probe target compiled exactly as the lower layer is,
# whose one line includes a header of the other. A probe of a layer that may
# see the other (itself or below) must compile; every other must fail, and
# fail because the header is not found (not for some unrelated error).
# usage: check_layers.sh <cmake> <build dir> "<probe>:ok|<probe>:fails:<header> ..."
set -u
CMAKE=${1:?usage: check_layers.sh <cmake> <build dir> <probes>}
BUILD=${2:?}
PROBES=${3:?}
fail=0 n_ok=0 n_fail=0
ok_targets=()
for p in $PROBES; do
  IFS=: read -r target want header <<<"$p"
  if [ "$want" = ok ]; then ok_targets+=("$target"); continue; fi
  out=$("$CMAKE" --build "$BUILD" --target "$target" 2>&1)
  rc=$?
  if [ $rc -eq 0 ]; then
    echo "FAIL: $target compiled: $header is visible to a layer below it"; fail=1
  elif ! grep -q "${header}: No such file or directory" <<<"$out"; then
    echo "FAIL: $target failed, but not because $header was not found:"; echo "$out" | tail -5; fail=1
  else
    n_fail=$((n_fail + 1))
  fi
done
# The upward probes above must not fail for a reason the allowed ones share.
out=$("$CMAKE" --build "$BUILD" --target "${ok_targets[@]}" 2>&1)
if [ $? -ne 0 ]; then
  echo "FAIL: a probe of an allowed include did not compile:"; echo "$out" | tail -20; fail=1
else
  n_ok=${#ok_targets[@]}
fi
echo "layers: $n_fail upward includes refused, $n_ok allowed includes compiled"
[ $n_fail -gt 0 ] && [ $n_ok -gt 0 ] || fail=1
exit $fail
