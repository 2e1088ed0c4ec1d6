#!/usr/bin/env bash
# Prints the npm wasm's largest functions by code bytes, after the release build and the same
# wasm-opt -Oz as the package's, with their names kept (-g): where its size is. Run after
# scripts/build-pkg.sh (make functions does both).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/node_modules/.bin/wasm-opt -Oz -g --enable-bulk-memory --enable-bulk-memory-opt \
  --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  --enable-reference-types --enable-multivalue \
  target/wasm32-unknown-unknown/release/token_keeper_wasm.wasm -o target/token-keeper-named.wasm
node scripts/wasm-functions.mjs target/token-keeper-named.wasm "${1:-40}"
