#!/usr/bin/env bash
# Configures and builds one flavour: release (default) or asan.
# usage: scripts/build.sh [release|asan] [TARGET...]   -> build/<flavour>/name_matcher
set -euo pipefail
cd "$(dirname "$0")/.."
flavour=${1:-release}
shift || true
case "$flavour" in
  # NM_CUDA=AUTO|ON|OFF: the CUDA backend (AUTO: when nvcc is found).
  release) args=(-DCMAKE_BUILD_TYPE=Release "-DNAME_MATCHER_CUDA=${NM_CUDA:-AUTO}") ;;
  # nvcc takes no -fsanitize: the sanitizer build is CPU-only.
  asan) args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DNAME_MATCHER_SANITIZE=ON -DNAME_MATCHER_CUDA=OFF) ;;
  *) echo "usage: $0 [release|asan]" >&2; exit 1 ;;
esac
cmake -S . -B "build/$flavour" -G Ninja "${args[@]}" >/dev/null
targets=()
[ $# -eq 0 ] || targets=(--target "$@")
cmake --build "build/$flavour" -j "$(nproc)" "${targets[@]}"
