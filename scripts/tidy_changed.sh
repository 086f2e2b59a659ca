#!/usr/bin/env bash
# Runs clang-tidy (the checks of .clang-tidy at the top) on the C++ files that
# differ from a base: committed, staged, unstaged and new untracked files
# alike. Uses the release build's compile commands (scripts/build.sh release
# first). A file the build does not compile (fuzz/, the CUDA-only sources of a
# build without CUDA) is named and skipped; a changed header is checked with
# the source of the same name beside it. Fails on any warning.
# usage: scripts/tidy_changed.sh [--all] [BASE]
#   BASE: a git ref; default the merge-base of HEAD with origin/main, else with
#         main; when that is HEAD itself (a clean clone of main, as in CI), the
#         last commit's first parent, so CI checks what the last landing changed.
#   --all: every C++ file the build compiles, whatever changed.
set -euo pipefail
cd "$(dirname "$0")/.."
db=build/release/compile_commands.json
all=0
base=""
for arg in "$@"; do
  case "$arg" in
    --all) all=1 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) base=$arg ;;
  esac
done
[ -f "$db" ] || { echo "tidy: $db missing: run scripts/build.sh release first" >&2; exit 2; }

# The sources the build compiles (layer probes and other generated files left out).
compiled=$(/usr/bin/python3 - "$db" "$PWD" <<'PY'
import json, os, sys
root = sys.argv[2] + os.sep
for e in json.load(open(sys.argv[1])):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if f.startswith(root) and not f.startswith(root + "build" + os.sep) and f.endswith(".cpp"):
        print(f[len(root):])
PY
)
compiled=$(sort -u <<<"$compiled")

if [ "$all" -eq 1 ]; then
  files=$compiled
else
  if [ -z "$base" ]; then
    for ref in origin/main main; do
      if git rev-parse -q --verify "$ref^{commit}" >/dev/null; then
        base=$(git merge-base HEAD "$ref")
        break
      fi
    done
  fi
  [ -n "$base" ] || { echo "tidy: no base (neither origin/main nor main): pass one" >&2; exit 2; }
  if [ "$base" = "$(git rev-parse HEAD)" ] && git diff --quiet HEAD -- &&
     git rev-parse -q --verify 'HEAD^1' >/dev/null; then
    base=$(git rev-parse 'HEAD^1')
    echo "tidy: HEAD is the base; checking the last commit's changes (against ${base:0:10})"
  fi
  changed=$({ git diff --name-only --diff-filter=d "$base" --; git ls-files --others --exclude-standard; } |
    grep -E '\.(cpp|hpp)$' | sort -u || true)
  files=""
  for f in $changed; do
    [ -f "$f" ] || continue
    case "$f" in *.hpp) src=${f%.hpp}.cpp ;; *) src=$f ;; esac
    if grep -qxF "$src" <<<"$compiled"; then
      files+="$src"$'\n'
    else
      echo "tidy: skipped $f (not compiled by this build)"
    fi
  done
  files=$(sort -u <<<"$files" | sed '/^$/d')
fi

n=$(sed '/^$/d' <<<"$files" | wc -l)
if [ "$n" -eq 0 ]; then
  echo "tidy: no changed C++ file to check"
  exit 0
fi
echo "tidy: checking $n file(s)"
# --quiet: only the findings; .clang-tidy makes every finding an error.
if sed '/^$/d' <<<"$files" | xargs -P "$(nproc)" -n 4 clang-tidy -p build/release --quiet 2>/dev/null; then
  echo "tidy: $n file(s) clean"
else
  echo "tidy: findings above (checks: .clang-tidy)" >&2
  exit 1
fi
