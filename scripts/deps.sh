#!/usr/bin/env bash
# Installs the Debian packages name_matcher builds and tests with (Debian 12).
# usage: scripts/deps.sh [--list]   (--list: print the packages, one a line, and install nothing;
# scripts/check_test_deps.sh reads them)
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config python3 python3-venv
      libicu-dev libboost-program-options-dev libfmt-dev nlohmann-json3-dev libabsl-dev doctest-dev
      clang libclang-rt-14-dev clang-tidy git
      openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools
      slurmctld slurmd slurm-client munge libpmix-dev
      mariadb-server mariadb-client libmariadb-dev libxlsxwriter-dev python3-openpyxl)
if [ "${1:-}" = --list ]; then
  printf '%s\n' "${PKGS[@]}"
  exit 0
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PKGS[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
