#!/usr/bin/env bash
# Builds the npm package into pkg/: the release wasm through wasm-bindgen for `--target web`
# (pkg/web, the default export: call `init()`) and `--target bundler` (pkg/bundler, the
# `token-keeper/bundler` export), each through wasm-opt -Oz (binaryen from npm, tools/); then package.json and the README.
# With --pack, also `npm pack`s it into target/npm/token-keeper.tgz.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
for target in web bundler; do
  # A failed build must fail here, never leave the previous build in place to be measured.
  rm -rf "pkg/$target"
  wasm-pack --quiet --log-level error build --release --target "$target" --out-dir "pkg/$target" \
    --no-pack .
  test -f "pkg/$target/token_keeper_bg.wasm"
  rm -f "pkg/$target/.gitignore"
  tools/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-call-indirect-overlong --enable-multivalue --strip-debug --strip-producers \
    "pkg/$target/token_keeper_bg.wasm" -o "pkg/$target/token_keeper_bg.wasm"
done
# wasm-bindgen types its raw export table (InitOutput) with `any`; nothing calls those by hand,
# and the published types promise no `any`: `unknown` says the same without switching checks off.
sed -i '/^export interface InitOutput {/,/^}/ s/\bany\b/unknown/g' pkg/web/token_keeper.d.ts
cp npm/package.json README.md pkg/
if [ "${1:-}" = "--pack" ]; then
  mkdir -p target/npm
  rm -f target/npm/*.tgz
  (cd pkg && npm pack --silent --pack-destination ../target/npm >/dev/null)
  mv target/npm/token-keeper-*.tgz target/npm/token-keeper.tgz
  echo "packed target/npm/token-keeper.tgz"
fi
