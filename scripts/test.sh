#!/usr/bin/env bash
# Every check and test, failing on the first problem. `make test` runs scripts/setup.sh first.
# Ends with one line summing every test runner's results: "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. scripts/mock-server.sh
. scripts/next-app.sh

mkdir -p target
log="$PWD/target/test-output.log"
: >"$log"
began=$SECONDS
# Each step says when it starts (seconds into the run): where a cold run's minutes go.
step() { printf '\n== %s (at %d s)\n' "$*" $((SECONDS - began)); }
# Runs a test command, keeping its output for the summary.
# A failing runner's failures are printed again at the end, so the tail of a long log (all a CI
# page may show) names them.
run() {
  local from
  from=$(wc -l <"$log")
  if ! "$@" 2>&1 | tee -a "$log"; then
    printf '\n== failed: %s\n' "$*"
    tail -n +"$((from + 1))" "$log" | awk '/^(not ok|test .* FAILED|---- )/ { on = 1 } on && n < 200 { print; n++ } /^  \.\.\.$/ { on = 0 }'
    return 1
  fi
}

step "format"
cargo fmt --all -- --check

step "clippy, native"
# examples/leptos-app and examples/yew-app are browser apps: linted for wasm32 below.
cargo clippy --workspace --exclude leptos-app --exclude yew-app --all-targets -- -D warnings

step "clippy, wasm32"
# The Rust crate with every feature (`leptos` and `yew`, which the examples turn on) and
# examples/leptos-app and yew-app, in one run: the features add code, none removes any, so this lints all of
# it.
cargo clippy -p token-keeper -p leptos-app -p yew-app --all-targets --target wasm32-unknown-unknown \
  -- -D warnings
# The npm package's wasm, as it is built: no_std, its own allocator and panic handler.
cargo clippy -p token-keeper-wasm --target wasm32-unknown-unknown -- -D warnings

step "the docs: every JavaScript/TypeScript block type-checked, the Leptos block the example's, every link leads somewhere"
python3 scripts/check-docs.py

step "the workspace's docs without warnings: the crate for the browser (as docs.rs builds it, with the example) and every crate for the host"
RUSTDOCFLAGS="-D warnings" cargo doc -q -p token-keeper -p leptos-app -p yew-app --no-deps --target wasm32-unknown-unknown
RUSTDOCFLAGS="-D warnings" cargo doc -q --workspace --exclude leptos-app --exclude yew-app --no-deps

step "the core is no_std: it builds (and lints) for wasm32v1-none, a target without std"
cargo clippy -p token-keeper-core --target wasm32v1-none -- -D warnings

step "native tests"
run cargo test --workspace --exclude mock-server --exclude leptos-app --exclude yew-app
# The Leptos integration's host tests (cargo feature `leptos`, which the workspace run leaves off).
run cargo test -p token-keeper --features leptos --test leptos_host
# The mock server's tests with what they print: the two-instance Redis race's figures.
run cargo test -p mock-server -- --show-output

step "simulation: 5,000 seeds of tabs, server, clocks and faults, invariants after every step"
cargo build -q --profile sim -p simulation
run target/sim/simulate --seeds 5000 --min-steps 10000000

step "browser tests: wasm-pack test --headless --chrome, as documented, every suite, against the servers of make mock-server"
# The fixed addresses the tests fall back on when no URL is passed in (stopped by PID on exit),
# and no setting but the repo's own: the timeout comes from .cargo/config.toml, as it does for
# anyone who runs the command.
MOCK_PORT=18080 start_mock_server DEFAULT_1
MOCK_PORT=18081 start_mock_server DEFAULT_2
MOCK_PORT=18082 start_mock_server DEFAULT_3 www --bind-refresh-to-user --token-in-header
MOCK_PORT=18083 start_mock_server DEFAULT_4 www --dpop-nonce
export CHROMEDRIVER=/usr/bin/chromedriver
run env -u MOCK_SERVER_URL -u MOCK_SERVER_URL_2 -u MOCK_SERVER_URL_REISSUE -u MOCK_SERVER_URL_DPOP \
  -u WASM_BINDGEN_TEST_TIMEOUT -u CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER \
  wasm-pack test --headless --chrome

step "a fresh app depending on the crate resolves the newest wasm-bindgen and builds"
scripts/fresh-app.sh

step "npm package, and its size against the budget"
scripts/build-pkg.sh --pack
scripts/size.sh --check

step "a Vite app and a webpack 5 app install the tarball and build"
for app in vite-app webpack-app; do
  (
    cd "tests/$app"
    rm -rf node_modules/token-keeper dist
    npm install --no-audit --no-fund --no-package-lock --loglevel=error
    npm run --silent build
  )
done

step "an Angular app (ng build, the application builder) installs the tarball and builds"
scripts/angular-app.sh

step "a Next.js app (App Router, token-keeper/react) installs the tarball and builds, its rewrites pointing at a mock server started now"
start_mock_server NEXT_BACKEND_URL www
TOKEN_KEEPER_BACKEND=$NEXT_BACKEND_URL scripts/next-app.sh build

step "examples/leptos-app builds for wasm32 (served below, beside the plain module page as /js.html)"
scripts/build-example.sh
# examples/yew-app: the `yew` feature's hooks in an app, built as an app builds it.
cargo build -q -p yew-app --target wasm32-unknown-unknown
cp tests/e2e/page/index.html target/example-site/js.html

step "end to end: the package in a plain module page, the demo, the bundled apps, the Leptos example, the types (Playwright, Chromium)"
start_mock_server DEMO_URL www
start_mock_server PAGE_URL tests/e2e/page
start_mock_server FOREIGN_URL tests/e2e/page
start_mock_server REISSUE_URL tests/e2e/page --bind-refresh-to-user --token-in-header
start_mock_server VITE_URL tests/vite-app/dist
start_mock_server WEBPACK_URL tests/webpack-app/dist
start_mock_server ANGULAR_URL tests/angular-app/dist/angular-app/browser
start_mock_server EXAMPLE_URL target/example-site
start_mock_server DPOP_URL tests/e2e/page --dpop
start_mock_server DPOP_NONCE_URL tests/e2e/page --dpop-nonce
start_mock_server DPOP_PIN_URL tests/e2e/page --dpop-pin
start_mock_server DEMO_DPOP_URL www --dpop
start_mock_server SESSION_URL tests/e2e/page --session-tokens
start_mock_server SESSION_DPOP_URL tests/e2e/page --session-tokens --dpop
start_next_app NEXT_URL
(cd tests/e2e && run node --test --test-concurrency=1 --test-reporter=tap ./*.test.js)

awk '/^test result: / { passed += $4; failed += $6 }
     /^# pass / { passed += $3 }
     /^# fail / { failed += $3 }
     END { printf "\ntests: %d passed, %d failed\n", passed, failed }' "$log"
