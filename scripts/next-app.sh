#!/usr/bin/env bash
# tests/next-app: a Next.js App Router app that installs the packed tarball
# (target/npm/token-keeper.tgz, from scripts/build-pkg.sh --pack) and uses token-keeper/react.
#
#   TOKEN_KEEPER_BACKEND=URL scripts/next-app.sh build
#       installs the app's packages (all of them when node_modules is missing, else token-keeper
#       alone, afresh from the tarball), then `next build`s it with rewrites of /auth/*, /api/*
#       and /__mock/* to URL (a mock server's): Next fixes rewrites at build time.
#   . scripts/next-app.sh; start_next_app VAR
#       (sourced) `next start`s that build on 127.0.0.1 on a free port, exports its URL as VAR,
#       and stops it by PID when the sourcing script exits (after the EXIT trap it had before,
#       such as scripts/mock-server.sh's).
#
# The packages come from the committed package-lock.json, which holds no integrity for the
# tarball (it changes with every build of the package): `--no-save` leaves the lock as it is. To
# change a version, edit package.json, run `npm install` in tests/next-app and delete the
# "integrity" line of node_modules/token-keeper from the lock.

NEXT_APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/next-app"
NEXT_APP_PIDS=""

next_app_build() {
  if [ -z "${TOKEN_KEEPER_BACKEND:-}" ]; then
    echo "next-app: set TOKEN_KEEPER_BACKEND to the backend's URL (a mock server's)" >&2
    return 1
  fi
  (
    cd "$NEXT_APP_DIR"
    export NEXT_TELEMETRY_DISABLED=1
    rm -rf node_modules/token-keeper .next
    npm install --no-save --no-audit --no-fund --loglevel=error
    node_modules/.bin/next build
  )
}

# start_next_app VAR: serves the build; exports VAR=http://127.0.0.1:PORT once it answers.
start_next_app() {
  local var="$1" log
  log="$(dirname "$(dirname "$NEXT_APP_DIR")")/target/next-app.$var.log"
  (cd "$NEXT_APP_DIR" && NEXT_TELEMETRY_DISABLED=1 exec node_modules/.bin/next start -H 127.0.0.1 -p 0) \
    >"$log" 2>&1 &
  local pid=$!
  if [ -z "$NEXT_APP_PIDS" ]; then
    # Ours first, then the trap the sourcing script had (`trap -p` quotes it for `eval`).
    local before
    before=$(trap -p EXIT)
    eval "set -- $before"
    trap "next_app_stop; ${3:-}" EXIT
  fi
  NEXT_APP_PIDS="$NEXT_APP_PIDS $pid"
  local url=""
  for _ in $(seq 1 300); do
    # Next prints "- Local: http://127.0.0.1:PORT" once it listens (-p 0: the port it got).
    url=$(sed -n 's|^.*Local: *\(http://[0-9.:]*\).*$|\1|p' "$log" | head -n 1)
    [ -n "$url" ] && curl -sf -o /dev/null "$url/" && break
    if ! kill -0 "$pid" 2>/dev/null; then url=""; break; fi
    url=""
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "next app did not start: $(cat "$log")" >&2
    return 1
  fi
  export "$var=$url"
  echo "next app $var at $url (pid $pid)"
}

next_app_stop() {
  for p in $NEXT_APP_PIDS; do kill "$p" 2>/dev/null || true; done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  case "${1:-}" in
    build) next_app_build ;;
    *)
      echo "usage: TOKEN_KEEPER_BACKEND=URL $0 build (or source it, then start_next_app VAR)" >&2
      exit 2
      ;;
  esac
fi
