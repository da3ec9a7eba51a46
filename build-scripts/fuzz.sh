#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang, ASan and UBSan
# into build/fuzz, then runs each for $FUZZ_SECONDS (default 60) on a scratch
# copy of its seed corpus tests/fuzz/corpus/<target>. Any crash, leak, sanitizer
# report or timeout fails the script; the reproducer is left in build/fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
BUILD=build/fuzz

# fuzzer-no-link instruments the library too, so libFuzzer sees its coverage.
cmake -S . -B "$BUILD" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DVAE_FUZZ=ON -DVAE_SANITIZE=ON -DVAE_BUILD_CLI=OFF \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target fuzz_safetensors fuzz_idx fuzz_words fuzz_csv fuzz_sketch

mkdir -p "$BUILD/artifacts"
for target in safetensors idx words csv sketch; do
    corpus="$BUILD/corpus/$target"
    rm -rf "$corpus" && mkdir -p "$corpus"
    cp tests/fuzz/corpus/"$target"/* "$corpus"/
    echo "== fuzz_$target for ${FUZZ_SECONDS}s"
    "$BUILD/fuzz_$target" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$BUILD/artifacts/${target}-" "$corpus" 2>"$BUILD/fuzz_$target.log" ||
        { tail -n 60 "$BUILD/fuzz_$target.log"; echo "fuzz_$target FAILED" >&2; exit 1; }
    grep -E "^(Done|stat::number_of_executed_units|stat::new_units_added)" "$BUILD/fuzz_$target.log"
done
echo "fuzzing passed"
