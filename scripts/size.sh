#!/usr/bin/env bash
# Prints the size of the built package (pkg/): wasm, JS glue and both, raw and gzip -9, in bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm=pkg/web/token_keeper_bg.wasm
glue=pkg/web/token_keeper.js
gz() { gzip -9 -c "$@" | wc -c; }
raw() { cat "$@" | wc -c; }
printf '%-8s %10s %10s\n' part raw gzip-9
printf '%-8s %10d %10d\n' wasm "$(raw $wasm)" "$(gz $wasm)"
printf '%-8s %10d %10d\n' js "$(raw $glue)" "$(gz $glue)"
# Each file is compressed on its own, as a server sends them.
printf '%-8s %10d %10d\n' total "$(( $(raw $wasm) + $(raw $glue) ))" "$(( $(gz $wasm) + $(gz $glue) ))"
