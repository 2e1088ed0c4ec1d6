# Sourced by the test scripts: starts the mock server on a free loopback port, exports
# MOCK_SERVER_URL, and stops it by PID when the sourcing script exits, whatever happens.
# Extra arguments are passed to the server.
start_mock_server() {
  cargo build -q -p mock-server
  local log="target/mock-server.$$.log"
  target/debug/mock-server --port 0 --www www --pkg pkg "$@" >"$log" 2>&1 &
  MOCK_SERVER_PID=$!
  trap 'kill "$MOCK_SERVER_PID" 2>/dev/null || true' EXIT
  local line=""
  for _ in $(seq 1 100); do
    line=$(head -n 1 "$log" 2>/dev/null || true)
    [ -n "$line" ] && break
    sleep 0.1
  done
  case "$line" in
    "listening on "*) MOCK_SERVER_URL="${line#listening on }" ;;
    *) echo "mock server did not start: $(cat "$log")" >&2; return 1 ;;
  esac
  export MOCK_SERVER_URL MOCK_SERVER_PID
  echo "mock server at $MOCK_SERVER_URL (pid $MOCK_SERVER_PID)"
}
