#!/usr/bin/env bash
# Prints the npm wasm's largest functions by code bytes, after the release build and the same
# wasm-opt passes as the package's (scripts/wasm-opt.sh), with their names kept (-g): where its size is. Run after
# scripts/build-pkg.sh (make functions does both).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/wasm-opt.sh
optimize target/wasm32-unknown-unknown/release/token_keeper_wasm.wasm target/token-keeper-named.wasm -g
node scripts/wasm-functions.mjs target/token-keeper-named.wasm "${1:-40}"
echo
node scripts/wasm-functions.mjs target/token-keeper-named.wasm 0 --parts
