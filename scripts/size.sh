#!/usr/bin/env bash
# Prints what a browser downloads to import the package and construct a keeper: every file it
# fetches (the minified driver and the wasm), raw and gzip -9, each compressed on its own as a
# server sends them. With --check, fails when the total gzip passes the budget in scripts/budget.
# The React entry (token-keeper/react, pkg/react.js) is printed on a line of its own after the
# total: only apps that use React fetch it, and the budget is the main entry's. So is the isolated
# entry (token-keeper/isolated): its page file, and its worker (which bundles the driver) with the
# same wasm, the total a page of it downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
files=(pkg/token-keeper.js pkg/token-keeper.wasm)
gz() { gzip -9 -c "$1" | wc -c; }
raw() { wc -c <"$1"; }
total_raw=0
total_gz=0
printf '%-24s %8s %8s\n' file raw gzip-9
for f in "${files[@]}"; do
  printf '%-24s %8d %8d\n' "${f#pkg/}" "$(raw "$f")" "$(gz "$f")"
  total_raw=$((total_raw + $(raw "$f")))
  total_gz=$((total_gz + $(gz "$f")))
done
printf '%-24s %8d %8d\n' total "$total_raw" "$total_gz"
printf '%-24s %8d %8d  (token-keeper/react, beside the total: not in it)\n' react.js \
  "$(raw pkg/react.js)" "$(gz pkg/react.js)"
iso_raw=0
iso_gz=0
for f in pkg/isolated.js pkg/token-keeper-worker.js pkg/token-keeper.wasm; do
  if [ "$f" != pkg/token-keeper.wasm ]; then
    printf '%-24s %8d %8d  (token-keeper/isolated)\n' "${f#pkg/}" "$(raw "$f")" "$(gz "$f")"
  fi
  iso_raw=$((iso_raw + $(raw "$f")))
  iso_gz=$((iso_gz + $(gz "$f")))
done
printf '%-24s %8d %8d  (token-keeper/isolated: page, worker and wasm)\n' "isolated total" "$iso_raw" "$iso_gz"
budget=$(cat scripts/budget)
printf 'budget %d B gzip (DESIGN.md target 12288)\n' "$budget"
if [ "${1:-}" = "--check" ] && [ "$total_gz" -gt "$budget" ]; then
  echo "size: $total_gz B gzip is over the budget of $budget B" >&2
  exit 1
fi
