#!/usr/bin/env bash
# What packing W^T into panels costs per call (issue 14; not a test): runs
# pack_cost.c under callgrind on the native build (the SIMD kernels through
# SIMDe, -O3 -mavx as run.sh builds bench_model) and prints, for encoding 64
# dense images and for decoding 64 latents, the instructions a call and the
# share of them in pack_wt. Usage: tests/bench/pack_cost.sh [MODEL]
set -euo pipefail
cd "$(dirname "$0")/../.."
model=${1:-pretrained/mnist-vae.safetensors}
out=build/bench/pack_cost
mkdir -p build/bench
gcc -O3 -ffp-contract=off -mavx -Isrc -I/usr/include src/{kernels,layers,models,formats,util}/*.c tests/bench/pack_cost.c -lm -o "$out"
for op in encode decode; do
  # counting inside the 10 calls only (not the load, nor the encode before the decodes)
  valgrind --tool=callgrind --toggle-collect="vae_model_$op" --callgrind-out-file="$out.$op.cg" "$out" "$model" $op 10 >/dev/null 2>&1
  callgrind_annotate --inclusive=yes "$out.$op.cg" | python3 -c '
import re, sys
text, op = sys.stdin.read(), sys.argv[1]
incl = lambda fn: int(re.search(r"^\s*([\d,]+) .*:" + fn + r" ", text, re.M).group(1).replace(",", ""))
call, pack = incl("vae_model_" + op), incl("pack_wt")
print(f"{op} of 64: {call / 10 / 1e6:.2f} M instructions a call, of which packing W^T {pack / call:.1%}")' $op
done
