#!/usr/bin/env bash
# Do the tests catch real faults? Applies deliberate faults one at a time to
# a scratch copy of the tree (build/mutants/tree; this checkout is never
# touched), builds only what the guarding tests need, runs only those tests
# and prints "fault -> caught/MISSED (by which test)". Exits non-zero when a
# fault is missed, does not apply (its code moved: update the fault here) or
# a guarding test fails without any fault. Not part of CI: a check of the
# tests themselves. Build dirs under build/mutants are reused between runs.
# Usage: build-scripts/mutants.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export NODE_PATH=/usr/share/nodejs # Debian's emcc finds its node modules here
M=build/mutants T=build/mutants/tree
jobs=2

# The scratch tree: the working tree as it is now (uncommitted edits too).
mkdir -p "$T"
tar -c --exclude=./build --exclude=./web/dist --exclude=node_modules --exclude=./.git . | tar -x -C "$T"
mkdir -p "$M/wasm-include"
cp "$(dirname "$(find /usr/include -maxdepth 1 -name jsmn.h | head -n1)")/jsmn.h" "$M/wasm-include/"
cmake -S "$T" -B "$M/native" -DCMAKE_BUILD_TYPE=Release >/dev/null
emcmake cmake -S "$T" -B "$M/wasm" -DCMAKE_BUILD_TYPE=Release -DJSMN_INCLUDE="$PWD/$M/wasm-include" >/dev/null 2>&1
mkdir -p "$M/logs"

# A guarding test: "ctest:NAME" (a CTest test of the native build),
# "node:FILE" (a Node test of web/test against the SIMD wasm) or
# "browser:FILE" (a test of tests/browser in Chromium, on a copy of web/dist,
# which build-wasm.sh and build-demo.sh made, with the tree's web/ modules
# over it). build_for builds what it needs; run_test runs it; their output
# goes to $M/logs.
build_for() {
  case $1 in
    ctest:test_cli | ctest:test_*_cli) cmake --build "$M/native" -j$jobs --target vae_cli >>"$M/logs/build.log" 2>&1 ;;
    ctest:test_cli | ctest:test_m2_cli) cmake --build "$M/native" -j$jobs --target vae_cli >>"$M/logs/build.log" 2>&1 ;;
    ctest:*) cmake --build "$M/native" -j$jobs --target "${1#ctest:}" >>"$M/logs/build.log" 2>&1 ;;
    node:web/test/words-train.test.mjs) # word models: their modules, and the CLI the test compares with
      cmake --build "$M/native" -j$jobs --target vae_cli >>"$M/logs/build.log" 2>&1 &&
        cmake --build "$M/wasm" -j$jobs --target vae_wasm vae_wasm_seq vae_wasm_seq_train >>"$M/logs/build.log" 2>&1 &&
        mkdir -p "$T/web/dist" "$T/build/native" && cp "$M/native/vae" "$T/build/native/" &&
        cp "$M"/wasm/vae-{,seq-,seq-train-}simd.wasm "$T"/web/vae{,-train,-worker,-seq}.js "$T/web/dist/" ;;
    node:*)
      cmake --build "$M/wasm" -j$jobs --target vae_wasm vae_wasm_train >>"$M/logs/build.log" 2>&1
      mkdir -p "$T/web/dist"
      cp "$M"/wasm/vae-{,train-}simd.wasm "$T"/web/vae{,-train,-worker}.js "$T/web/dist/" ;;
    browser:*)
      [[ -f web/dist/index.html ]] || { echo "mutants.sh: browser tests need web/dist (build-wasm.sh, build-demo.sh)" >&2; return 1; }
      rm -rf "$M/dist" && cp -r web/dist "$M/dist" && cp -r "$T"/web/{vae.js,vae-train.js,vae-worker.js,vae-demo.js,demo} "$M/dist/" ;;
  esac
}
run_test() { # TEST LOGNAME
  local log=$M/logs/$2-$(basename "${1#*:}").log
  case $1 in
    ctest:*) ctest --test-dir "$M/native" -R "^${1#ctest:}\$" --output-on-failure >"$log" 2>&1 ;;
    node:*) node --test "$T/${1#node:}" >"$log" 2>&1 ;;
    browser:*) DEMO_DIST="$PWD/$M/dist" node --test "${1#browser:}" >"$log" 2>&1 ;;
  esac
}

# fault DESCRIPTION FILE OLD NEW TEST...: FILE (of the tree) with the text
# OLD, which must occur exactly once, replaced by NEW; caught when at least
# one TEST fails. The file is restored afterwards (and an interrupted run's
# leftovers are overwritten by the next run's copy).
rows=() missed=0
fault() {
  local desc=$1 rel=$2 file=$T/$2 old=$3 new=$4 by=() t
  shift 4
  cp -p "$file" "$M/original"
  if ! python3 - "$file" "$old" "$new" <<'EOF'; then
import sys
path, old, new = sys.argv[1:]
s = open(path).read()
if s.count(old) != 1: sys.exit(1)
open(path, 'w').write(s.replace(old, new))
EOF
    rows+=("$desc|DOES NOT APPLY|'$old' is not once in $rel")
    missed=1
    return
  fi
  for t in "$@"; do
    if ! build_for "$t"; then by+=("${t#*:} (does not build)"); continue; fi
    run_test "$t" "fault$((${#rows[@]} + 1))" || by+=("${t#*:}")
  done
  cp "$M/original" "$file"
  # Rebuild unfaulted, so the build dirs match the tree the next run copies.
  for t in "$@"; do build_for "$t" || true; done
  if ((${#by[@]})); then
    rows+=("$desc|caught|$(IFS=,; echo "${by[*]}" | sed 's/,/, /g')")
  else
    rows+=("$desc|MISSED|passed: $*")
    missed=1
  fi
}

# Every guarding test passes on the unchanged tree first.
for t in ctest:test_train ctest:test_golden ctest:test_gradcheck ctest:test_idx ctest:test_kernels ctest:test_cli ctest:test_golden_lstm \
  node:web/test/memory.test.mjs node:web/test/drawing.test.mjs browser:tests/browser/smoothness.test.mjs; do
  node:web/test/memory.test.mjs node:web/test/drawing.test.mjs node:web/test/words-train.test.mjs; do
  ctest:test_m2_cli node:web/test/memory.test.mjs node:web/test/drawing.test.mjs node:web/test/m2.test.mjs; do
for t in ctest:test_train ctest:test_golden ctest:test_gradcheck ctest:test_idx ctest:test_kernels ctest:test_cli ctest:test_golden_lstm ctest:test_mdn ctest:test_sketch \
  node:web/test/memory.test.mjs node:web/test/drawing.test.mjs; do
  build_for "$t"
  run_test "$t" unfaulted || { echo "mutants.sh: ${t#*:} fails without any fault (see $M/logs)" >&2; exit 1; }
done

fault "4 KB leak in every vae_model_decode (malloc, never freed)" src/models/model.c \
  'vae_status vae_model_decode(vae_model *m, const float *z, const int *labels, int n, float *out, vae_error *err) {' \
  'vae_status vae_model_decode(vae_model *m, const float *z, const int *labels, int n, float *out, vae_error *err) { static void *volatile leak; leak = malloc(4096);' \
  node:web/test/memory.test.mjs
fault "4 KB leak in every vae_trainer_step" src/models/train.c \
  '    vae_step_stats local;' '    vae_step_stats local; static void *volatile leak; leak = malloc(4096);' \
  node:web/test/memory.test.mjs
fault "gradient clipping off (the scale stays 1)" src/models/train.c \
  'if (t->c.clip_norm > 0.0f && st->grad_norm > t->c.clip_norm)' \
  'if (0 && t->c.clip_norm > 0.0f && st->grad_norm > t->c.clip_norm)' \
  ctest:test_train
fault "linear forward without its bias" src/layers/linear.c \
  'vae_matmul_xwt(out, inp, w, b, B, O, I);' 'vae_matmul_xwt(out, inp, w, NULL, B, O, I);' \
  ctest:test_golden ctest:test_gradcheck
fault "LSTM gates swapped (the input gate reads the forget gate's row)" src/layers/lstm.c \
  'v128_t i = vae_sigmoid_f32x4(ai), f = vae_sigmoid_f32x4(af)' 'v128_t i = vae_sigmoid_f32x4(af), f = vae_sigmoid_f32x4(ai)' \
  ctest:test_golden_lstm
fault "training takes non-finite steps (finiteness check skipped)" src/models/train.c \
  'if (!isfinite(rec) || !isfinite(kl) || !isfinite(pen) || !isfinite(m2t.loss) || !isfinite(g2))' \
  'if (0 && (!isfinite(rec) || !isfinite(kl) || !isfinite(pen) || !isfinite(m2t.loss) || !isfinite(g2)))' \
  ctest:test_train
fault "--m1-sample trains on M1's means (no draw)" src/cli/train.c \
  '    if (!c->sd) return;' '    if (1) return;' \
  ctest:test_m2_cli
fault "M2's default alpha ignores the cycled labelled batches (0.1 N / labelled)" src/cli/train.c \
  ': lbatch     ? 0.1f' ': 0          ? 0.1f' \
  ctest:test_m2_cli
fault "JS fit refuses M2's -1 (unlabelled) labels" web/vae.js \
  'const lo = this.info.classifier ? -1 : 0;' 'const lo = 0;' \
  node:web/test/m2.test.mjs
fault "mixture head: the log(1 - rho^2) term left out of d/drho" src/layers/mdn.c \
  'float d_rho = c.rho / q + zx * zy / q' 'float d_rho = zx * zy / q' \
  ctest:test_mdn
fault "SketchRNN: tanh's derivative dropped from the decoder's initial state" src/models/sketch.c \
  'dpre[i] *= 1.0f - m->init[i] * m->init[i];' 'dpre[i] *= 1.0f;' \
  ctest:test_sketch
fault "IDX reader off by one (the body starts a byte early)" src/formats/idx.c \
  '*body = buf + head;' '*body = buf + head - 1;' \
  ctest:test_idx
fault "xwt's 4-lane sum reassociated (within tolerance; only the bits change)" src/kernels/matmul_wasmsimd.c \
  'wasm_f32x4_add(wasm_f32x4_add(acc[0], acc[1]), wasm_f32x4_add(acc[2], acc[3]))' \
  'wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(acc[0], acc[1]), acc[2]), acc[3])' \
  ctest:test_kernels
fault "PNG bytes truncated instead of rounded" src/cli/png.c \
  'return (uint8_t)(255.0f * v + 0.5f);' 'return (uint8_t)(255.0f * v);' \
  ctest:test_cli
fault "model.manifold's rows not flipped (dims[1] runs down)" web/vae.js \
  'z[off + dy] = at(gridSize - 1 - i);' 'z[off + dy] = at(i);' \
  node:web/test/drawing.test.mjs

fault "shares summed into share 0 as they come, not in the fixed tree" src/models/train.c \
  'float *a = grads[i];' 'float *a = grads[0];' \
  ctest:test_train
fault "the norm of several shares' total squares a share, not the total" src/models/train.c \
  'q[j] += (double)a[k + j] * a[k + j];' 'q[j] += (double)b[k + j] * b[k + j];' \
  ctest:test_train
fault "fit with workers resolves before taking the replicas' weights" web/vae-train.js \
  '      await pool?.sync();
      return m.toSafetensors();' '      return m.toSafetensors();' \
  node:web/test/workers.test.mjs
fault "fit with workers leaves its workers running when it ends" web/vae-train.js \
  '      await pool?.close();' '      void pool;' \
  node:web/test/workers.test.mjs
fault "a table's default score left at -ELBO(mu), not IWAE" src/cli/score.c \
  '    if (csv && !cli_given(&cmd, "metric")) o.metric = METRIC_IWAE;' '' \
  ctest:test_csv_cli
fault "the interpolate view decodes its 61 frames on the page thread" web/demo/views/interpolate.js \
  "await this.remote('interpolate', a, b, FRAMES," "this.model.interpolate(a, b, FRAMES," \
  browser:tests/browser/smoothness.test.mjs
fault "the explorer's first picture waits for its dots (digits and encoder)" web/demo/views/explorer.js \
  'if (encoder) this.encodePoints(encoder)' 'if (encoder) await this.encodePoints(encoder)' \
  browser:tests/browser/smoothness.test.mjs
fault "a worker's training data copied through a JS array on the page thread" web/vae-train.js \
  'const images = own(dataset.images)' 'const images = own(new Float32Array(Array.from(dataset.images)))' \
  browser:tests/browser/smoothness.test.mjs
fault "a word trainer's dropout not passed to the run (the default 0.3 instead)" web/vae-seq.js \
  'clip: o.clip, dropout: o.dropout, warmupEpochs' 'clip: o.clip, dropout: 0.3, warmupEpochs' \
  node:web/test/words-train.test.mjs
printf '\n%-72s %-8s %s\n' fault result 'by (the failing tests)'
for r in "${rows[@]}"; do
  IFS='|' read -r desc result by <<<"$r"
  printf '%-72s %-8s %s\n' "$desc" "$result" "$by"
done
exit $missed
