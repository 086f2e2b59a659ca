#!/usr/bin/env bash
# Creates (or reuses) the Python virtual environment the peer measurements run in
# (scripts/splink_peer.py: Splink on DuckDB), with the versions pinned in
# scripts/peers_requirements.txt, and prints its path. The venv lives outside the repo, in
# ${NM_PEERS_VENV:-$HOME/.cache/name_matcher/peers-venv}; Debian's python3 with python3-venv
# (scripts/deps.sh) is all it assumes, the rest comes from PyPI.
# A second call installs nothing when the venv already holds exactly the pinned set (a stamp file
# keeps a copy of the requirements it was built from); a changed pin rebuilds it from scratch so
# no stale package is left behind.
# usage: scripts/peers_venv.sh        (prints the venv path on its last line)
# check_test_deps: peers-venv (its python imports are the venv's, from peers_requirements.txt)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
req="$here/peers_requirements.txt"
venv="${NM_PEERS_VENV:-$HOME/.cache/name_matcher/peers-venv}"
stamp="$venv/.nm_requirements"

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && cmp -s "$req" "$stamp" &&
   "$venv/bin/python" -c 'import splink, duckdb, pandas, rapidfuzz' 2>/dev/null; then
  echo "$venv"
  exit 0
fi

if ! /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null; then
  echo "peers_venv: /usr/bin/python3 has no venv/ensurepip module: run scripts/deps.sh" \
       "(it installs python3-venv)" >&2
  exit 1
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
echo "peers_venv: creating $venv" >&2
/usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$req" >&2
cp "$req" "$stamp"
"$venv/bin/python" -c 'import splink, duckdb; print("peers_venv: splink", splink.__version__,
"duckdb", duckdb.__version__)' >&2
echo "$venv"
