#!/usr/bin/env bash
# Every check and test, failing on the first problem. `make test` runs scripts/setup.sh first.
# Ends with one line summing every test runner's results: "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. scripts/mock-server.sh

mkdir -p target
log=target/test-output.log
: >"$log"
step() { printf '\n== %s\n' "$*"; }
# Runs a test command, keeping its output for the summary.
run() { "$@" 2>&1 | tee -a "$log"; }

step "format"
cargo fmt --all -- --check

step "clippy, native"
cargo clippy --workspace --all-targets -- -D warnings

step "clippy, wasm32"
cargo clippy -p token-keeper --all-targets --target wasm32-unknown-unknown -- -D warnings

step "native tests"
run cargo test --workspace

step "browser tests (headless Chromium, against the mock server)"
start_mock_server MOCK_SERVER_URL
start_mock_server MOCK_SERVER_URL_2
export CHROMEDRIVER=/usr/bin/chromedriver
export WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/webdriver.json"
export WASM_BINDGEN_TEST_TIMEOUT=180
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
run cargo test -p token-keeper --target wasm32-unknown-unknown --tests

awk '/^test result: / { passed += $4; failed += $6 }
     END { printf "\ntests: %d passed, %d failed\n", passed, failed }' "$log"
