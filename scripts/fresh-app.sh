#!/usr/bin/env bash
# A new app that depends on the crate resolves the newest wasm-bindgen crates.io has, and builds
# for the browser: the crate's requirements are caret ranges, so it never pins its users (an app
# with a newer web-sys elsewhere would otherwise fail to resolve).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# No exact requirement on a dependency an app shares: today's newest may be what the lock holds,
# and the resolution below would not see an exact pin until a newer version came out.
if grep -nE '^[a-z0-9_-]+ = (\{ *version = )?"=' Cargo.toml core/Cargo.toml; then
  echo "fresh-app: an exact version requirement pins the crate's users" >&2
  exit 1
fi
app=target/fresh-app
rm -rf "$app"
mkdir -p "$app/src"
# The newest version in the index (asked outside any workspace, so no lock file answers).
newest=$(cd "$app" && cargo info -q wasm-bindgen 2>/dev/null | sed -n 's/^version: \([0-9][0-9.]*\).*/\1/p' | head -n 1)
if [ -z "$newest" ]; then
  echo "fresh-app: could not ask crates.io for wasm-bindgen's newest version" >&2
  exit 1
fi
cat >"$app/Cargo.toml" <<TOML
[package]
name = "fresh-app"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
token-keeper = { path = "../.." }
# An app that wants the newest wasm-bindgen, as an app with a newer web-sys elsewhere does.
wasm-bindgen = "=$newest"

[workspace]
TOML
cat >"$app/src/lib.rs" <<'RUST'
//! Builds a keeper, as an app would.
pub fn keeper() -> Result<token_keeper::TokenKeeper, token_keeper::Error> {
    token_keeper::TokenKeeper::builder("/auth/refresh").build()
}
RUST
cargo generate-lockfile -q --manifest-path "$app/Cargo.toml"
resolved=$(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' "$app/Cargo.lock")
echo "fresh-app: wasm-bindgen $resolved resolved (the newest on crates.io: $newest; the repo's lock: $(awk '$0 == "name = \"wasm-bindgen\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock))"
[ "$resolved" = "$newest" ]
# The same target directory: what the repo's build already compiled is reused.
CARGO_TARGET_DIR="$PWD/target" cargo check -q --manifest-path "$app/Cargo.toml" --target wasm32-unknown-unknown
echo "fresh-app: builds for wasm32-unknown-unknown"
