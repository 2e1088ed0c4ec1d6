#!/usr/bin/env bash
# The long runs `make test` is too short for: the simulation over 50,000 seeds it never tries
# (200,000,000+ steps, about 4 minutes), and the decoders fuzzed with 1,000,000 cases per property. Prints the
# figures; fails on the first invariant violation or panic (with the seed that replays it).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

echo "== simulation: 50,000 seeds from 1,000,000"
cargo build -q --profile sim -p simulation
target/sim/simulate --start 1000000 --seeds 50000 --min-steps 200000000

echo
echo "== decoders: JWTs and tab messages, 1,000,000 cases per property"
if ! out=$(PROPTEST_CASES=1000000 cargo test --profile sim -p token-keeper-core -- never_panic fuzz_ 2>&1); then
  echo "$out"
  exit 1
fi
echo "$out" | grep -E "^test .* ok$"
echo "decoders: every property above held for 1,000,000 cases"

echo
echo "== the npm wasm's exports: 1,000,000 cases of arbitrary input to every export"
if ! out=$(PROPTEST_CASES=1000000 cargo test --profile sim -p token-keeper-wasm -- no_input 2>&1); then
  echo "$out"
  exit 1
fi
echo "$out" | grep -E "^test .* ok$"
