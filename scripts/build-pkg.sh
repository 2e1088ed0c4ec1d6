#!/usr/bin/env bash
# Builds the npm package into pkg/: release wasm, wasm-bindgen glue for --target web, wasm-opt -Oz.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
wasm-pack --quiet build --release --target web --out-dir pkg --no-pack . 2>&1 \
  | grep -v '^\[INFO\]' || true
test -f pkg/token_keeper_bg.wasm
