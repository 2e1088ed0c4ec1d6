//! # token-keeper-wasm
//!
//! The wasm half of the npm package: the sans-IO core ([`token_keeper_core`]) behind raw
//! exports that take and return plain numbers, for the hand-written JavaScript driver
//! (`npm/js/token-keeper.js`), which performs the commands the core hands out.
//!
//! Built `no_std` for wasm32 with a small allocator and a panic handler that formats nothing, so
//! the package stays within its gzip budget (`scripts/budget`; docs/performance.md says what
//! each choice saves). [`abi`] is the one module with
//! `unsafe`; [`api`] is what each export does. Natively it builds with std, so its tests run on
//! the host.
// An internal crate (the npm package's wasm), documented for its maintainers: its docs may link
// to its private items.
#![allow(rustdoc::private_intra_doc_links)]
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;

pub mod abi;
pub mod api;
mod commands;
mod create;
mod fields;

#[cfg(test)]
mod tests;
