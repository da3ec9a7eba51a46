#!/usr/bin/env bash
# Sets up and runs every test: native build + CTest, the scalar-only build,
# the WebAssembly module's Node tests and the C tests compiled to wasm, the
# demo in headless Chromium and Firefox ESR, the whole C suite again under ASan+UBSan
# (clang), and each fuzzer for FUZZ_SECONDS (default 60).
# Usage: build-scripts/test.sh [stage...]   stages: native (with the
# scalar-only build), wasm, browser (every tests/browser/*.test.mjs in
# Chromium, then in Firefox ESR), asan, fuzz; all by default (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
all=(native wasm browser asan fuzz)
stages=("${@:-${all[@]}}")
for s in "${stages[@]}"; do
  [[ " ${all[*]} " == *" $s "* ]] || { echo "test.sh: unknown stage '$s' (stages: ${all[*]})" >&2; exit 2; }
done
want() { [[ " ${stages[*]} " == *" $1 "* ]]; }
build-scripts/deps.sh native test wasm browser
export NODE_PATH=/usr/share/nodejs # Debian's emcc and terser find their node modules here
jobs=$(nproc)

step() { printf '\n== %s\n' "$*"; }

if want native; then
  step "C style (.clang-format)"
  git ls-files 'src/*.[ch]' 'tests/*.[ch]' 'tests/**/*.c' | xargs clang-format --dry-run --Werror
  step "native build and tests"
  build-scripts/build.sh
  ctest --test-dir build/native --output-on-failure -j"$jobs"

  step "scalar-only build (-DVAE_NO_SIMD=ON) and tests"
  cmake -S . -B build/nosimd -DCMAKE_BUILD_TYPE=Release -DVAE_NO_SIMD=ON >/dev/null
  cmake --build build/nosimd -j"$jobs" >/dev/null
  ctest --test-dir build/nosimd --output-on-failure -j"$jobs"
fi

if want wasm; then
  step "WebAssembly build and Node tests"
  build-scripts/build-wasm.sh
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
  (cd tools/hanzi && npm ci --no-audit --no-fund --loglevel=error) # hanzi.test.mjs: the demo's reading of its characters
  node --test web/test/

  step "C tests compiled to wasm, under Node (their pinned output hashes: wasm gives native's bits)"
  for variant in simd nosimd; do
    cmake --build "build/wasm-$variant" -j"$jobs" --target vae_c_tests >/dev/null
    ctest --test-dir "build/wasm-$variant" --output-on-failure -j"$jobs"
  done
fi

if want browser; then
  step "demo page in headless Chromium"
  build-scripts/build-demo.sh
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
  node --test --test-concurrency=1 tests/browser/ || { echo "test.sh: browser tests failed in chromium" >&2; exit 1; }
  step "the same browser tests in headless Firefox ESR (WebDriver BiDi, tests/browser/firefox.mjs)"
  VAE_BROWSER=firefox node --test --test-concurrency=1 tests/browser/ || { echo "test.sh: browser tests failed in firefox" >&2; exit 1; }
fi

if want asan; then
  step "ASan + UBSan build (clang) and tests"
  cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DVAE_SANITIZE=ON >/dev/null
  cmake --build build/asan -j"$jobs" >/dev/null
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j"$jobs"
fi

if want fuzz; then
  step "fuzzing (${FUZZ_SECONDS:-60} s per target)"
  build-scripts/fuzz.sh
fi
