//! # token-keeper
//!
//! Keeps a single-page app's API access token in memory, refreshes it before it expires, and
//! wraps `fetch` to attach it — compiled to WebAssembly for the browser, usable from JavaScript
//! (the npm package) and from Rust SPAs.
//!
//! This crate is being built up issue by issue; today it offers:
//!
//! - [`jwt::decode_unverified`]: the claims of a JWT, decoded **without** verifying its signature
//!   (a browser cannot hold the server's key), for scheduling and display only;
//! - [`schedule`]: when to refresh a token, as pure functions of the local clock;
//! - [`Error`]: the one error type, with stable codes shared with JavaScript.
#![deny(missing_docs)]

#[cfg(target_arch = "wasm32")]
pub mod clock;
pub mod config;
pub mod error;
#[cfg(target_arch = "wasm32")]
mod http;
pub mod jwt;
#[cfg(target_arch = "wasm32")]
pub mod keeper;
pub mod schedule;
#[cfg(target_arch = "wasm32")]
mod tabs;

/// The JavaScript facade; public only so the browser tests can reach it.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod js;

pub use config::{Config, Csrf, Retry};
pub use error::{Error, ErrorKind};
pub use jwt::{decode_unverified, Claims, JwtError};
#[cfg(target_arch = "wasm32")]
pub use keeper::{AccessToken, Event, LogoutReason, Subscription, TokenKeeper, Trigger};
