#!/usr/bin/env bash
# `make mock-server`: the four mock servers the Rust browser tests look for when they are run
# without `make test` (`wasm-pack test --headless --chrome`), on the fixed addresses of
# tests/common/browser.rs. Runs until Ctrl-C; stops them by PID.
#   http://127.0.0.1:18080  the main one
#   http://127.0.0.1:18081  a second origin
#   http://127.0.0.1:18082  --bind-refresh-to-user --token-in-header (the reissue flow)
#   http://127.0.0.1:18083  --dpop-nonce (DPoP proofs and server nonces)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p target
. scripts/mock-server.sh
MOCK_PORT=18080 start_mock_server MOCK_SERVER_URL
MOCK_PORT=18081 start_mock_server MOCK_SERVER_URL_2
MOCK_PORT=18082 start_mock_server MOCK_SERVER_URL_REISSUE www --bind-refresh-to-user --token-in-header
MOCK_PORT=18083 start_mock_server MOCK_SERVER_URL_DPOP www --dpop-nonce
echo "mock servers up; now, in another terminal: wasm-pack test --headless --chrome (Ctrl-C stops them)"
trap 'exit 0' INT TERM
wait
