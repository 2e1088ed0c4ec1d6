#!/usr/bin/env bash
# Builds the npm package into pkg/:
#   token-keeper.wasm      the core behind raw exports (npm/wasm), no_std, through wasm-opt (wasm-opt.sh)
#                          (binaryen from npm, tools/: Debian's 108 writes wasm Chromium refuses)
#   token-keeper.js        the JavaScript driver (npm/js/, entry token-keeper.js), bundled into
#                          one file and minified by esbuild,
#   token-keeper.js.map    with its source map (the readable source inside)
#   token-keeper.d.ts      the hand-written types
#   react.js (+ .js.map)   the React bindings, `token-keeper/react` (npm/js/react.js): minified by
#                          esbuild with react and the main entry left as imports, so the main
#                          entry's bytes are the same with or without it
#   react.d.ts             their types
#   isolated.js (+ .map)   the isolated entry, `token-keeper/isolated` (npm/js/isolated.js): the
#                          page's side, which forwards to
#   token-keeper-worker.js (+ .map)  the worker that runs the keeper (npm/js/worker.js, the whole
#                          driver bundled in; it loads token-keeper.wasm next to itself)
#   isolated.d.ts          their types
#   token-keeper.angular.js  the main entry as the Angular CLI resolves it (export condition
#                          "es2020"), as written: ships the wasm through the builder's `loader`
#                          import attribute (see the file)
# then package.json and npm/README.md. With --pack, also `npm pack`s it into
# target/npm/token-keeper.tgz.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# A failed build must fail here, never leave the previous build in place to be measured.
rm -rf pkg
mkdir -p pkg
cargo build -q --release --target wasm32-unknown-unknown -p token-keeper-wasm
. scripts/wasm-opt.sh
optimize target/wasm32-unknown-unknown/release/token_keeper_wasm.wasm pkg/token-keeper.wasm \
  --strip-debug --strip-producers --strip-target-features
tools/node_modules/.bin/esbuild npm/js/token-keeper.js --log-level=warning --bundle --minify \
  --format=esm --target=es2022 --sourcemap --outfile=pkg/token-keeper.js
tools/node_modules/.bin/esbuild npm/js/react.js --log-level=warning --bundle --minify \
  --format=esm --target=es2022 --sourcemap --external:react --external:./token-keeper.js \
  --outfile=pkg/react.js
tools/node_modules/.bin/esbuild npm/js/isolated.js --log-level=warning --bundle --minify \
  --format=esm --target=es2022 --sourcemap --outfile=pkg/isolated.js
tools/node_modules/.bin/esbuild npm/js/worker.js --log-level=warning --bundle --minify \
  --format=esm --target=es2022 --sourcemap --outfile=pkg/token-keeper-worker.js
cp npm/js/token-keeper.d.ts npm/js/react.d.ts npm/js/isolated.d.ts npm/js/token-keeper.angular.js npm/package.json npm/README.md pkg/
if [ "${1:-}" = "--pack" ]; then
  mkdir -p target/npm
  rm -f target/npm/*.tgz
  (cd pkg && npm pack --silent --pack-destination ../target/npm >/dev/null)
  mv target/npm/token-keeper-*.tgz target/npm/token-keeper.tgz
  echo "packed target/npm/token-keeper.tgz"
fi
