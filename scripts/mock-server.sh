# Sourced by the test scripts: starts mock servers on free loopback ports and stops them all by
# PID when the sourcing script exits, whatever happens.
MOCK_SERVER_PIDS=""
trap 'for p in $MOCK_SERVER_PIDS; do kill "$p" 2>/dev/null || true; done' EXIT

# Each run's logs in a directory of its own (the sourcing shell's PID): two runs in one checkout
# (make test beside a single suite) would otherwise truncate each other's logs, and read each
# other's "listening on" line. Directories older than two hours (no run lasts that long) go;
# the others stay, for a look after a failure.
MOCK_SERVER_LOGS="target/mock-server-logs/$$"
find target/mock-server-logs -mindepth 1 -maxdepth 1 -type d -mmin +120 -exec rm -rf {} + \
  2>/dev/null || true

# start_mock_server VAR [WWW_DIR [server args...]]: starts one serving WWW_DIR (default www/)
# and pkg/, letting any loopback origin call it (--cors-loopback: the test pages are on random
# ports), and exports its base URL as VAR. On a free port, or on MOCK_PORT when set.
start_mock_server() {
  local var="$1" www="${2:-www}"
  shift; [ $# -gt 0 ] && shift
  cargo build -q -p mock-server
  mkdir -p "$MOCK_SERVER_LOGS"
  local log="$MOCK_SERVER_LOGS/$var.log"
  target/debug/mock-server --port "${MOCK_PORT:-0}" --www "$www" --pkg pkg --cors-loopback "$@" >"$log" 2>&1 &
  local pid=$!
  MOCK_SERVER_PIDS="$MOCK_SERVER_PIDS $pid"
  local line=""
  for _ in $(seq 1 100); do
    line=$(head -n 1 "$log" 2>/dev/null || true)
    [ -n "$line" ] && break
    sleep 0.1
  done
  case "$line" in
    "listening on "*) export "$var=${line#listening on }" ;;
    *) echo "mock server did not start: $(cat "$log")" >&2; return 1 ;;
  esac
  echo "mock server $var at ${line#listening on } (pid $pid)"
}
