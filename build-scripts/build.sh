#!/usr/bin/env bash
# Native build into build/native (CLI at build/native/vae).
# Usage: build-scripts/build.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."
build-scripts/deps.sh native
cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build/native -j"$(nproc)"
echo "built build/native/vae"
