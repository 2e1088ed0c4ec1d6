#!/usr/bin/env bash
# Builds examples/leptos-app into target/example-site/ (its index.html and, in app/, the wasm and
# the JavaScript glue of wasm-bindgen), ready to be served with the mock server as --www.
#   scripts/build-example.sh            a debug build (what make test serves: it shares the
#                                       test builds' compiled dependencies)
#   scripts/build-example.sh --release  optimized, as an app would ship
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
profile=debug
args=()
if [ "${1:-}" = --release ]; then
  profile=release
  args=(--release)
fi
cargo build -q -p leptos-app --target wasm32-unknown-unknown "${args[@]}"
site=target/example-site
rm -rf "$site"
mkdir -p "$site"
cp examples/leptos-app/index.html "$site/"
wasm-bindgen --target web --no-typescript --out-dir "$site/app" \
  "target/wasm32-unknown-unknown/$profile/leptos-app.wasm"
echo "example: built into $site ($profile)"
