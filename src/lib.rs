//! # token-keeper
//!
//! Keeps a Rust single-page app's API access token in memory, refreshes it before it expires,
//! and attaches it to the app's requests: `send(gloo_net::http::Request::get("/api/me"))`, one
//! refresh for any number of concurrent 401s, one retry with the body replayed, tabs that take
//! turns rotating the refresh cookie. (JavaScript apps use the npm package, `token-keeper`, the
//! same core under a JavaScript driver.)
//!
//! One core, two drivers: every decision (when to refresh, what a request carries, what to make
//! of another tab's message) is made by the sans-IO core, the `token-keeper-core` crate; this
//! crate drives it in the browser with gloo-net, gloo-timers and web-sys.
//!
//! - [`TokenKeeper`]: the keeper — `builder(refresh_url)…build()`, `restore`, `login` (or `login_json`),
//!   `refresh`, `logout`, `dispose`, `subscribe`, `send`/`fetch`, `claims_as`, `fresh_token`.
//!   It runs in the browser; on other targets the API builds (SSR server builds, host tests,
//!   docs) and `TokenKeeper::new` says it cannot start there;
//! - [`Config`]: the options, also `serde::Deserialize` with the JavaScript names;
//! - [`claims`]: the app's own claims type, filled with serde; [`decode_unverified`]: a JWT's
//!   claims, decoded **without** verifying its signature (a browser cannot hold the server's
//!   key), for scheduling and display only;
//! - [`AuthState`] and [`TokenKeeper::watch_auth`]: what a UI shows (initializing, signed in,
//!   signed out, failed); `leptos` (cargo feature `leptos`): that as a Leptos signal;
//! - [`Error`]: the one error type, with the stable codes of the JavaScript API
//!   ([`Error::code`]).
#![deny(missing_docs)]
// Off the browser the whole API builds (server builds of SSR apps, host tests, rust-analyzer,
// docs.rs) but `TokenKeeper::new` refuses to start: the driver is type-checked there, never run,
// so its unused parts are expected. On wasm32 every lint applies.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]

mod auth_state;
pub mod claims;
#[doc(hidden)] // public for the browser tests only
pub mod clock;
pub mod config;
mod dpop;
mod driver;
pub mod error;
mod http;
pub mod jwt;
pub mod keeper;
#[cfg(feature = "leptos")]
pub mod leptos;
mod requests;
mod tabs;
#[cfg(feature = "yew")]
pub mod yew;

pub use auth_state::{AuthPhase, AuthState};
pub use config::{Config, Csrf, RefreshMethod, Retry};
pub use error::{Error, ErrorKind};
pub use jwt::{decode_unverified, Claims, JwtError};
pub use keeper::{AccessToken, Event, LogoutReason, Subscription, TokenKeeper, Trigger};
pub use requests::SendRequest;

/// The README's Rust blocks, compiled as doc-tests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
/// The Rust guide's blocks (docs/rust.md, the crate's README on crates.io), compiled as
/// doc-tests; its Leptos block is `examples/leptos-app/src/readme.rs`, compiled with the example,
/// and `scripts/check-docs.py` holds the guide to it.
#[cfg(doctest)]
#[doc = include_str!("../docs/rust.md")]
pub struct RustGuideDoctests;
#[doc(hidden)] // the options' scheduling policy, set through the builder
pub use token_keeper_core::schedule;
