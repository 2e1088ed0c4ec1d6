//! # token-keeper
//!
//! Keeps a single-page app's API access token in memory, refreshes it before it expires, and
//! wraps `fetch` to attach it — compiled to WebAssembly for the browser, usable from JavaScript
//! (the npm package) and from Rust SPAs.
//!
//! One core, two drivers: every decision (when to refresh, what a request carries, what to make
//! of another tab's message) is made by the sans-IO core, [`token_keeper_core`], re-exported
//! here; this crate drives it in the browser.
//!
//! - [`jwt::decode_unverified`]: the claims of a JWT, decoded **without** verifying its signature
//!   (a browser cannot hold the server's key), for scheduling and display only;
//! - [`schedule`]: when to refresh a token, as pure functions of the local clock;
//! - [`TokenKeeper`]: the keeper for Rust apps (it runs in the browser; on other targets the API
//!   builds and `TokenKeeper::new` says it cannot start there);
//! - [`claims::claims_as`]: the app's own claims type, filled with serde;
//! - [`Error`]: the one error type, with stable codes shared with JavaScript.
#![deny(missing_docs)]
// Off the browser the whole API builds (server builds of SSR apps, host tests, rust-analyzer,
// docs.rs) but `TokenKeeper::new` refuses to start: the driver is type-checked there, never run,
// so its unused parts are expected. On wasm32 every lint applies.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]

pub mod claims;
pub mod clock;
pub mod config;
mod driver;
pub mod error;
mod http;
pub mod keeper;
mod tabs;

/// The JavaScript facade (cargo feature `js`); public only so the browser tests can reach it.
#[cfg(all(target_arch = "wasm32", feature = "js"))]
#[doc(hidden)]
pub mod js;

pub use config::{Config, Csrf, Retry};
pub use error::{Error, ErrorKind};
pub use keeper::{
    AccessToken, Event, LogoutReason, SendRequest, Subscription, TokenKeeper, Trigger,
};
pub use token_keeper_core::{decode_unverified, Claims, JwtError};

/// The README's Rust blocks, compiled as doc-tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
pub use token_keeper_core::{jwt, schedule};
