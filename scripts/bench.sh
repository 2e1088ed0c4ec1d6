#!/usr/bin/env bash
# Prints the speed figures (keeper.fetch / window.fetch, single flight, steady-state 401s),
# measured in headless Chromium against the mock server. `make bench` builds the package first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. scripts/mock-server.sh
start_mock_server BENCH_URL www >/dev/null
start_mock_server FOREIGN_URL www >/dev/null
start_mock_server DRIVER_URL npm/js >/dev/null
cd tests/e2e && BENCH_URL="$BENCH_URL" FOREIGN_URL="$FOREIGN_URL" DRIVER_URL="$DRIVER_URL" node bench.mjs
