#!/usr/bin/env bash
# Every check and test, failing on the first problem. `make test` runs scripts/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "clippy, native"
cargo clippy --workspace --all-targets -- -D warnings

step "clippy, wasm32"
cargo clippy -p token-keeper --all-targets --target wasm32-unknown-unknown -- -D warnings

step "native tests"
cargo test --workspace

step "browser tests (headless Chromium)"
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/webdriver.json"
export WASM_BINDGEN_TEST_TIMEOUT=120
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
cargo test -p token-keeper --target wasm32-unknown-unknown
