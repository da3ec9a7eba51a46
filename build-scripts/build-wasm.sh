#!/usr/bin/env bash
# WebAssembly builds (SIMD and scalar) into build/wasm-simd and
# build/wasm-nosimd, then the package files into web/dist/: the two .wasm
# modules, vae.js, vae-worker.js and vae.single.js (both modules inlined as
# base64, for copy-paste embedding), the JS minified from web/ (the readable
# source). Prints the sizes and fails when what a page that shows models
# loads (vae.js and vae-simd.wasm; the worker script comes with the trainer,
# on the first fit) exceeds the gzipped budget: SIZE_BUDGET_KB, default 40.
# vae-table.js (VAE.parseCSV, table models) runs in the training module.
# A word models' module (vae-seq-*.wasm, which vae-seq.js fetches on the
# first word model) must stay within SEQ_BUDGET_KB, default 25; their
# training (vae-seq-train-*.wasm) comes on the first fit or create.
set -euo pipefail
cd "$(dirname "$0")/.."
# NodeSource's nodejs ships npm itself and conflicts with Debian's npm
# package, so deps.sh may fail where every tool is in fact present.
build-scripts/deps.sh wasm || {
  for tool in emcc node npm wasm-objdump terser; do
    command -v "$tool" >/dev/null || { echo "build-wasm.sh: $tool is missing" >&2; exit 1; }
  done
  echo "build-wasm.sh: deps.sh failed, but emcc, node, npm, wabt and terser are installed: going on" >&2
}
# Debian's emcc and terser find their node modules here (not on NodeSource's node's path).
export NODE_PATH=/usr/share/nodejs
BUDGET=$((${SIZE_BUDGET_KB:-40} * 1024))
SEQ_BUDGET=$((${SEQ_BUDGET_KB:-25} * 1024))

# The Emscripten toolchain searches only its own sysroot, and putting
# /usr/include on the include path would shadow its libc: give CMake a
# directory with just jsmn.h.
mkdir -p build/wasm-include
cp "$(dirname "$(find /usr/include -maxdepth 1 -name jsmn.h | head -n1)")/jsmn.h" build/wasm-include/

for variant in simd nosimd; do
  flag=OFF
  [[ $variant == nosimd ]] && flag=ON
  emcmake cmake -S . -B "build/wasm-$variant" -DCMAKE_BUILD_TYPE=Release -DVAE_NO_SIMD=$flag \
    -DJSMN_INCLUDE="$PWD/build/wasm-include" -DCMAKE_CROSSCOMPILING_EMULATOR="node;--no-experimental-fetch" >/dev/null
  cmake --build "build/wasm-$variant" -j"$(nproc)" --target vae_wasm vae_wasm_train vae_wasm_seq vae_wasm_seq_train >/dev/null
done

dist=web/dist
# Overwrite only our files: build-demo.sh keeps the demo site in the same folder.
mkdir -p "$dist"
cp build/wasm-simd/vae-{,train-,seq-,seq-train-}simd.wasm build/wasm-nosimd/vae-{,train-,seq-,seq-train-}nosimd.wasm "$dist/"

# Minified: names are mangled, but class names (VAEError) and every message stay.
minify() { terser "$1" --module --compress --mangle --keep-classnames --output "$2"; }
minify web/vae.js "$dist/vae.js"
minify web/vae-worker.js "$dist/vae-worker.js"
minify web/vae-train.js "$dist/vae-train.js"
minify web/vae-seq.js "$dist/vae-seq.js"
minify web/vae-table.js "$dist/vae-table.js"
# The <vae-demo> element ships in the package as written (native ES modules).
cp web/vae-demo.js "$dist/"
rm -rf "$dist/demo"
cp -r web/demo "$dist/demo"

# vae.single.js: vae.js with the EMBEDDED line replaced by the base64 modules,
# the TRAINING line by the training loops of vae-train.js and the tables line
# by vae-table.js in a function scope (VAE.parseCSV, table models; no fetches).
node - "$dist" web/vae.js web/vae-train.js web/vae-table.js build/vae.single.js <<'JS'
const fs = require('fs'), path = require('path');
const [dist, source, training, table, out] = process.argv.slice(2);
const b64 = (f) => fs.readFileSync(path.join(dist, f)).toString('base64');
const replace = (src, line, text) => {
  if (!line.test(src)) throw new Error(`vae.js has no line ${line} to replace`);
  return src.replace(line, () => text);
};
const names = ['simd', 'nosimd', 'train-simd', 'train-nosimd'];
const embedded = `const EMBEDDED = { ${names.map((n) => `'${n}': '${b64(`vae-${n}.wasm`)}'`).join(', ')} };`;
const loops = fs.readFileSync(training, 'utf8').replace(/^export default function /m, 'function ');
let src = replace(fs.readFileSync(source, 'utf8'), /^const EMBEDDED = null;.*$/m, embedded);
src = replace(src, /^const TRAINING = null;.*$/m, `const TRAINING = { default: (${loops.trim()}) };`);
const exported = [];
const tableSrc = fs.readFileSync(table, 'utf8').replace(/^export ((?:async )?(?:function|class) (\w+))/gm, (_, decl, name) => {
  exported.push(name);
  return decl;
});
if (/^\s*(export|import)\b/m.test(tableSrc)) throw new Error('vae-table.js: an import or export the single file cannot inline');
src = replace(src, /^const tables = \(\) => import\('\.\/vae-table\.js'\);.*$/m,
  `const tables = ((m) => () => Promise.resolve(m))((() => {\n${tableSrc}\nreturn { ${exported.join(', ')} };\n})());`);
fs.writeFileSync(out, src);
JS
minify build/vae.single.js "$dist/vae.single.js"

gz() { gzip -9c "$1" | wc -c; }
printf '%-22s %9s %9s\n' file bytes gzipped
for f in vae-simd.wasm vae-nosimd.wasm vae-train-simd.wasm vae-train-nosimd.wasm vae-seq-simd.wasm vae-seq-nosimd.wasm \
  vae-seq-train-simd.wasm vae-seq-train-nosimd.wasm \
  vae.js vae-train.js vae-worker.js vae-seq.js vae-table.js vae.single.js; do
  printf '%-22s %9d %9d\n' "$f" "$(wc -c <"$dist/$f")" "$(gz "$dist/$f")"
done
total=$(($(gz "$dist/vae-simd.wasm") + $(gz "$dist/vae.js")))
printf 'page (vae.js + vae-simd.wasm): %d bytes gzipped (budget %d); fit() adds vae-train.js, vae-train-simd.wasm (and vae-worker.js)\n' "$total" "$BUDGET"
seq_fail=0
for f in vae-seq-simd.wasm vae-seq-nosimd.wasm; do
  size=$(gz "$dist/$f")
  printf '%s: %d bytes gzipped (budget %d), fetched with vae-seq.js on the first word model\n' "$f" "$size" "$SEQ_BUDGET"
  if ((size > SEQ_BUDGET)); then echo "build-wasm.sh: $f is over its budget by $((size - SEQ_BUDGET)) bytes" >&2; seq_fail=1; fi
done
if ((total > BUDGET)); then
  echo "build-wasm.sh: over the size budget by $((total - BUDGET)) bytes" >&2
  exit 1
fi
((seq_fail == 0)) || exit 1
