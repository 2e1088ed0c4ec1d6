# Sourced by build-pkg.sh and functions.sh: `optimize IN OUT [FLAGS…]` runs npm's binaryen over
# the npm wasm with the package's passes: -Oz, then twice more after flattening the control flow
# and rebuilding it (--flatten --rereloop), the whole list run again while the binary still
# shrinks (--converge, a global flag): −230 B gzip on 2026-12-06 against -Oz alone (-Oz
# --converge alone: −55 B). Functions that differ only in constants merged into one taking
# them as parameters (--merge-similar-functions) before the first -Oz and before the last:
# −172 B gzip on 2026-12-07 (anywhere else in the list, or more often: less). About 6 s.
# (--low-memory-unused would save another ~100 B, but assumes no address below 1 KiB is ever
# used; the Rust stack sits there, below 1 MiB, so it is left out.)
optimize() {
  local in=$1 out=$2
  shift 2
  tools/node_modules/.bin/wasm-opt "$@" \
    --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int \
    --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
    --merge-similar-functions -Oz --flatten --rereloop -Oz --flatten --rereloop -Oz \
    --merge-similar-functions -Oz --converge \
    "$in" -o "$out"
}
