#!/usr/bin/env bash
# Prints the npm wasm's largest functions by code bytes, after the release build and the same
# wasm-opt passes as the package's (scripts/wasm-opt.sh), with their names kept (-g): where its size is. Run after
# scripts/build-pkg.sh (make functions does both). Then the code by part, and by what it does
# for a user (each part's share of the gzip).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. scripts/wasm-opt.sh
optimize target/wasm32-unknown-unknown/release/token_keeper_wasm.wasm target/token-keeper-named.wasm -g
node scripts/wasm-functions.mjs target/token-keeper-named.wasm "${1:-40}"
echo
node scripts/wasm-functions.mjs target/token-keeper-named.wasm 0 --parts
echo
# The same code built to inline nothing (rustc and wasm-opt), so each function counts where it
# was written: the wasm by what it does for a user (scripts/wasm-functions.mjs --features).
RUSTFLAGS="-C llvm-args=-inline-threshold=0" cargo build -q --release \
  --target wasm32-unknown-unknown -p token-keeper-wasm --target-dir target/no-inline
optimize target/no-inline/wasm32-unknown-unknown/release/token_keeper_wasm.wasm \
  target/token-keeper-no-inline.wasm -g --no-inline='*'
node scripts/wasm-functions.mjs target/token-keeper-no-inline.wasm 0 --features pkg/token-keeper.wasm
echo
# The driver by module: esbuild's bytes of each in the minified bundle, and its share of the gzip.
tools/node_modules/.bin/esbuild npm/js/token-keeper.js --log-level=warning --bundle --minify \
  --format=esm --target=es2022 --metafile=target/driver-meta.json --outfile=target/driver-min.js
node -e '
const { readFileSync } = require("node:fs");
const { gzipSync } = require("node:zlib");
const gz = gzipSync(readFileSync("pkg/token-keeper.js"), { level: 9 }).length;
const out = Object.values(JSON.parse(readFileSync("target/driver-meta.json", "utf8")).outputs)[0];
const rows = Object.entries(out.inputs).sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput);
const total = rows.reduce((sum, [, m]) => sum + m.bytesInOutput, 0);
console.log(`the JavaScript driver by module, minified (pkg/token-keeper.js: ${gz} B gzip, shared out):`);
for (const [file, m] of rows) console.log(`${String(m.bytesInOutput).padStart(7)}  ~${String(Math.round(m.bytesInOutput / total * gz)).padStart(5)} B gzip  ${file}`);
'
