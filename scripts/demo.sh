#!/usr/bin/env bash
# Serves the demo (www/) and the package (pkg/) with the mock server on 127.0.0.1.
# `make demo` builds the package first. DEMO_PORT picks another port than 8080.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
port="${DEMO_PORT:-8080}"
cargo build -q -p mock-server
echo "demo: open http://127.0.0.1:$port/ and sign in as alice / wonderland (Ctrl-C stops)"
exec target/debug/mock-server --port "$port" --www www --pkg pkg
