#!/usr/bin/env bash
# Quality bar for the C core: the PyTorch examples/vae setting (784-400-20,
# ReLU, Bernoulli, Adam 1e-3, batch 128, 10 epochs) trained by our `vae train`
# and by PyTorch (Debian python3-torch, 1 thread) in the same run, on the
# original MNIST files. Prints both per-epoch curves side by side.
# Usage: tests/bench/mnist_quality.sh MNIST_DIR [EPOCHS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
mnist=${1:?usage: mnist_quality.sh MNIST_DIR [EPOCHS] [OUT_DIR]}
epochs=${2:-10}
out=${3:-build/quality}
mkdir -p "$out"
build-scripts/build.sh >/dev/null

echo "== vae train (ours, native, 1 thread)"
build/native/vae train --train-images "$mnist/train-images-idx3-ubyte.gz" \
  --test-images "$mnist/t10k-images-idx3-ubyte.gz" --hidden 400 --latent 20 --activation relu \
  --likelihood bernoulli --lr 1e-3 --batch 128 --epochs "$epochs" --seed 1 \
  --out "$out/mnist-examples-setting.safetensors" | tee "$out/ours.log"

echo "== PyTorch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') (1 thread)"
/usr/bin/python3 tests/bench/pytorch_mnist_vae.py "$mnist" "$epochs" 1 | tee "$out/pytorch.log"

echo
echo "== per epoch: test loss (nats per image) and seconds per epoch"
# ours: "  E/N  train  test  rec  KL  img/s  elapsed  ETA"; training seconds = images / (img/s)
awk '$1 ~ /^[0-9]+\/[0-9]+$/ { split($1, e, "/"); gsub(",", "", $6); print e[1], $3, 60000 / $6 }' "$out/ours.log" > "$out/ours.tsv"
awk '$1 == "epoch" { print $2, $6, $8 }' "$out/pytorch.log" > "$out/pytorch.tsv"
join "$out/ours.tsv" "$out/pytorch.tsv" | awk '
  BEGIN { printf "%5s  %12s %10s  %12s %10s  %8s\n", "epoch", "ours test", "ours s", "torch test", "torch s", "speed-up" }
  { printf "%5d  %12.2f %10.1f  %12.2f %10.1f  %7.1fx\n", $1, $2, $3, $4, $5, $5 / $3 }'
