#!/usr/bin/env bash
# pretrained/mnist-m2-100.safetensors (M1+M2 from 100 labels; F32, which
# keeps the training metadata naming its M1), its log and card pictures, and
# the cards: seed 1 of tests/bench/m2_table.sh's M1+M2 (trained there unless
# BENCH_DIR holds it already: the same command gives the same file), with
# the table of every run in BENCH_DIR. Needs web/dist (build-wasm.sh).
# Usage: tools/m2_pretrained.sh MNIST_DIR [BENCH_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
mnist=${1:?usage: tools/m2_pretrained.sh MNIST_DIR [BENCH_DIR]}
bench=${2:-build/m2-table}
[[ -f $bench/m1m2-100-1.safetensors ]] || tests/bench/m2_table.sh "$mnist" 100 1 m1m2 "$bench" >/dev/null
vae=build/native/vae name=mnist-m2-100
test_set=(--m1 pretrained/mnist-vae.safetensors --images "$mnist/t10k-images-idx3-ubyte.gz"
  --labels "$mnist/t10k-labels-idx1-ubyte.gz")
cp "$bench/m1m2-100-1.safetensors" "pretrained/$name.safetensors"
{
  echo "\$ tests/bench/m2_table.sh DATA_DIR/mnist 100 1 m1m2 OUT"
  cat "$bench/m1m2-100-1.log"
  awk '$1 == "m1m2" && $2 == 100 && $3 == 1 { printf "training time: %d s\n", $5 }' "$bench/results.txt"
  echo "\$ vae classify --model $name.safetensors --m1 mnist-vae.safetensors --images t10k --labels t10k"
  $vae classify --model "pretrained/$name.safetensors" "${test_set[@]}" | tee "$bench/confusion.txt"
  tests/bench/m2_table.sh "$mnist" "" "" "" "$bench" | sed -n '/^test error/,$p'
  echo
  (cd pretrained && stat -c '%s %n' "$name.safetensors" && sha256sum "$name.safetensors")
} >"pretrained/logs/$name.txt"
build-scripts/build-demo.sh >/dev/null # the model into web/dist/models, where the pictures load it
NODE_PATH=tests/browser/node_modules node tools/m2_card.mjs "$bench/confusion.txt" pretrained
python3 tools/model_cards.py pretrained
