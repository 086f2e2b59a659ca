#!/usr/bin/env bash
# Configures and builds one flavour: release (default) or asan.
# usage: scripts/build.sh [release|asan] [TARGET...]   -> build/<flavour>/name_matcher
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
case "$flavour" in
  release) args=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DNAME_MATCHER_SANITIZE=ON) ;;
  *) echo "usage: $0 [release|asan]" >&2; exit 1 ;;
esac
cmake -S . -B "build/$flavour" -G Ninja "${args[@]}" >/dev/null
targets=()
[ $# -eq 0 ] || targets=(--target "$@")
cmake --build "build/$flavour" -j "$(nproc)" "${targets[@]}"
