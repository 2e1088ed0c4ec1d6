#!/usr/bin/env bash
# `make example`: builds examples/leptos-app, optimized, and serves it with the mock server on
# 127.0.0.1 (EXAMPLE_PORT, default 8081): the app and the API on one origin, as the cookies want.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
port="${EXAMPLE_PORT:-8081}"
scripts/build-example.sh --release
cargo build -q -p mock-server
echo "example: open http://127.0.0.1:$port/ and sign in as alice / wonderland (Ctrl-C stops)"
exec target/debug/mock-server --port "$port" --www target/example-site --pkg pkg
