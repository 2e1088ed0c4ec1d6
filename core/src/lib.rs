//! # token-keeper-core
//!
//! The sans-IO core of token-keeper: everything the keeper *decides*, as plain Rust that builds
//! `no_std` with `alloc`, with no wasm-bindgen, js-sys, web-sys or futures in it.
//!
//! - [`jwt::decode_unverified`]: a JWT's claims, decoded **without** verifying its signature,
//!   for scheduling and display only;
//! - [`schedule`]: when to refresh a token, as pure functions of the local clock;
//! - [`Keeper`]: the keeper as a state machine — fed inputs (user calls, auth answers, app
//!   responses, tab messages, locks, timers, wake-ups) with the local time, it returns
//!   [`Command`]s for a driver to perform;
//! - [`TabMessage`]: what tabs tell each other, and [`Wire`], the one structure it travels as;
//! - [`Error`]: the one error type, with stable codes shared with JavaScript;
//! - [`parsed`]: what the platform parsed — the core reads no JSON, base64 or UTF-8 itself: an
//!   auth answer's body comes in parsed, and each driver hands it the platform's JWT segment
//!   [`jwt::Decoder`].
//!
//! Drivers: the npm package's (JavaScript, over the raw exports of `npm/wasm`), the
//! `token-keeper` crate's (browser, over web-sys) and the simulation in `tests/simulation`, which
//! runs thousands of tabs, servers and faults through this very code.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

extern crate alloc;

pub mod challenge;
pub mod config;
mod config_json;
#[cfg(feature = "serde")]
mod config_serde;
pub mod error;
pub mod event;
pub mod jwt;
pub mod keeper;
pub mod message;
pub mod origin;
pub mod parsed;
mod rng;
pub mod schedule;

pub use config::{Config, Csrf, RefreshMethod, Retry};
pub use error::{Error, ErrorKind};
pub use event::{Event, LogoutReason, Trigger};
pub use jwt::{decode_unverified, Claims, JwtError};
pub use keeper::{
    AccessToken, Answer, AppAnswer, AuthId, AuthKind, AuthSend, Authorization, CallId, Command,
    Credentials, Environment, FetchId, Keeper, LockEvent, Proof, Settled,
};
pub use message::{TabMessage, Wire};
pub use origin::AllowList;
