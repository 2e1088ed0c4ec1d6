#!/usr/bin/env bash
# Serves the demo (www/) and the package (pkg/) with the mock server on 127.0.0.1.
# `make demo` builds the package first. DEMO_PORT picks another port than 8080.
# `make demo REDIS=1` keeps the refresh families in a Redis of its own (a redis-server on a free
# loopback port, stopped by PID on exit); REDIS_URL=redis://… uses a Redis already running.
# `make demo DPOP=1` serves it with DPoP (the server with --dpop, the page as /?dpop).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
port="${DEMO_PORT:-8080}"
cargo build -q -p mock-server
redis_args=()
if [ -n "${REDIS_URL:-}" ]; then
  redis_args=(--redis "$REDIS_URL")
elif [ "${REDIS:-}" = 1 ]; then
  redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --loglevel warning &
  pids="$!"
  trap 'kill $pids 2>/dev/null || true' EXIT
  trap 'exit 130' INT TERM
  for _ in $(seq 1 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  redis_args=(--redis "redis://127.0.0.1:$redis_port")
  echo "demo: refresh families in the Redis at 127.0.0.1:$redis_port (pid $pids)"
fi
# `make demo DPOP=1`: the server verifies DPoP proofs and the page opened as /?dpop makes them.
page="http://127.0.0.1:$port/"
if [ "${DPOP:-}" = 1 ]; then
  redis_args+=(--dpop)
  page="$page?dpop"
fi
echo "demo: open $page and sign in as alice / wonderland (Ctrl-C stops)"
if [ -z "${pids:-}" ]; then
  exec target/debug/mock-server --port "$port" --www www --pkg pkg "${redis_args[@]}"
fi
# Not exec: the script stays to stop the server and Redis, by PID, however it ends.
target/debug/mock-server --port "$port" --www www --pkg pkg "${redis_args[@]}" &
pids="${pids:-} $!"
wait
