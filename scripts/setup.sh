#!/usr/bin/env bash
# Installs everything `make test` and `make demo` need, skipping what is already there.
# Idempotent: safe to run on every invocation. See ../shared/TOOLCHAIN.md for the traps.
set -euo pipefail
cd "$(dirname "$0")/.."

# The CLI must be the version of the wasm-bindgen crate the repo's Cargo.lock holds (the crate
# asks for a caret range; its users may resolve newer ones).
WASM_BINDGEN_VERSION=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if [ -z "$WASM_BINDGEN_VERSION" ]; then
  echo "setup: could not read wasm-bindgen's version from Cargo.lock" >&2
  exit 1
fi
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf 'setup: %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi
# A target with no std at all: the core builds for it, which proves it is no_std.
if ! rustup target list --installed | grep -qx wasm32v1-none; then
  say "adding the wasm32v1-none target"
  rustup target add wasm32v1-none
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^$component"; then
    rustup component add "$component"
  fi
done

# Next.js 16 (tests/next-app, built by scripts/next-app.sh in make test) needs Node 20.9 or newer.
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a == 20 && b >= 9) ? 0 : 1)' ||
  { echo "setup: Next.js 16 needs Node 20.9 or newer; this is $(node --version)" >&2; exit 1; }

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
# The Redis-backed mock server (tests/mock-server/tests/redis.rs, `make demo REDIS=1`).
[ -x /usr/bin/redis-server ] || need_apt+=(redis-server)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing ${need_apt[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes)"
  # No --locked: the registry here lacks one version its lock file pins.
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# `wasm-pack test --headless --chrome`, as docs/development.md documents it, runs in `make test` too.
if ! command -v wasm-pack >/dev/null 2>&1; then
  say "installing wasm-pack (about 3 minutes)"
  # No --locked, as above.
  cargo install -q wasm-pack
fi

if [ ! -x tools/node_modules/.bin/wasm-opt ] || [ ! -x tools/node_modules/.bin/esbuild ]; then
  say "installing binaryen (wasm-opt) and esbuild from npm"
  (cd tools && npm install --no-audit --no-fund --loglevel=error)
fi

if [ -f tests/e2e/package.json ] && { [ ! -d tests/e2e/node_modules/playwright-core ] ||
  [ ! -d tests/e2e/node_modules/ofetch ] || [ ! -d tests/e2e/node_modules/@types/react ]; }; then
  say "installing the end-to-end test packages"
  (cd tests/e2e && npm install --no-audit --no-fund --loglevel=error)
fi
say "ready"
