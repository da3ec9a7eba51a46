#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, only those missing.
# Usage: build-scripts/deps.sh [group...]   groups: native (default), test, wasm, browser (with a CJK
#   font, fonts-wqy-microhei: the sketch views name Chinese characters in text),
#   bench-tables (tests/bench/tables.py's peers and data), words (wamerican: the word models' data)
set -euo pipefail

declare -A GROUP=(
  [native]="build-essential cmake pkg-config clang-format libsimde-dev libjsmn-dev zlib1g-dev libstb-dev"
  [test]="clang libclang-rt-14-dev python3-torch dataset-fashion-mnist"
  [wasm]="emscripten wabt terser"
  [browser]="chromium firefox-esr dataset-fashion-mnist python3-statsmodels fonts-wqy-microhei"
  [bench-tables]="python3-sklearn python3-statsmodels"
  [words]="wamerican"
)

want=()
for g in "${@:-native}"; do
  [[ -n "${GROUP[$g]:-}" ]] || { echo "deps.sh: unknown group '$g'" >&2; exit 2; }
  for p in ${GROUP[$g]}; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || want+=("$p")
  done
  # Node and npm: keep whatever node is there (e.g. NodeSource's, which ships
  # npm itself and conflicts with Debian's npm package); else Debian's.
  if [[ $g == wasm || $g == browser ]] && ! command -v npm >/dev/null; then
    want+=(nodejs npm)
  fi
done
((${#want[@]})) || exit 0

echo "deps.sh: installing ${want[*]}"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
