//! The keeper as a state machine: inputs in, commands out, no I/O.
//!
//! A driver (the JavaScript one in the npm package, the Rust one for Rust apps, the simulation in
//! `tests/simulation`) calls an entry point with the input and the local time, then drains
//! [`Keeper::poll`] and performs each [`Command`]: send an auth call, send an app request with the
//! `Authorization` value it is handed, post a tab message, ask for the lock, emit an event, settle
//! a waiting call. It arms one timer for [`Keeper::poll_timeout`] and calls
//! [`Keeper::handle_timeout`] when it fires. Nothing here blocks, sleeps or reads a clock.
//!
//! Logging in, logging out, being signed out and disposing each start a new **session epoch**
//! and end the refresh in flight (no new one starts while a login or logout is under way). A
//! login's or logout's answer from an older epoch, and the answer of an ended refresh, are
//! dropped; an app request remembers its epoch: a refresh that was in flight when `logout()` was
//! called can never sign the user back in, and a 401 retry never re-sends an old session's
//! request with the next session's token.
//!
//! # The vocabulary
//!
//! Everything that crosses between the core and a driver, and where it lives:
//!
//! | | what | where |
//! |---|---|---|
//! | getters | [`poll`](Keeper::poll) (the next command; an auth call is completed as it is taken, the page's cookies read for its CSRF header), [`is_authenticated`](Keeper::is_authenticated), [`access_token`](Keeper::access_token), [`claims`](Keeper::claims), [`expires_at_ms`](Keeper::expires_at_ms), [`epoch`](Keeper::epoch), [`is_refreshing`](Keeper::is_refreshing), [`is_due`](Keeper::is_due), [`config`](Keeper::config), [`allowed`](Keeper::allowed), [`session`](Keeper::session), [`channel_name`](Keeper::channel_name) | this file |
//! | | [`poll_timeout`](Keeper::poll_timeout) (the earliest of the deadline table) | `deadlines.rs` |
//! | application calls | [`restore`](Keeper::restore), [`refresh`](Keeper::refresh), [`set_token`](Keeper::set_token), [`dispose`](Keeper::dispose) | `calls.rs` |
//! | | [`login`](Keeper::login) (with its [`Credentials`], which the core keeps as long as a resend may need them), [`logout`](Keeper::logout) | `auth.rs` |
//! | | [`fetch`](Keeper::fetch) (an app request) | `fetch.rs` |
//! | inputs, one per thing that happens | [`handle_auth_answer`](Keeper::handle_auth_answer) (an [`Answer`]: status, body as text and parsed, `Retry-After`, the token header, the `DPoP-Nonce`; or failed) | `auth.rs` |
//! | | [`handle_app_answer`](Keeper::handle_app_answer) (an [`AppAnswer`]: status, URL, `WWW-Authenticate`, `DPoP-Nonce`; or failed) | `fetch.rs` |
//! | | [`handle_tab_message`](Keeper::handle_tab_message) (as its [`Wire`](crate::message::Wire) structure) | `tabs.rs` |
//! | | [`handle_lock`](Keeper::handle_lock) (a [`LockEvent`]: granted, refused, lost) | `lock.rs` |
//! | | [`handle_wake`](Keeper::handle_wake) (the page shown, focused or online again) | `calls.rs` |
//! | | [`handle_timeout`](Keeper::handle_timeout) (the one timer: each deadline of the table that is due) | `deadlines.rs` |
//! | outputs | [`Command`]: `SendAuth` (an [`AuthSend`], complete: URL, method, CSRF header, bearer, credentials, proof, token header), `AbortAuth`, `PassApp`, `SendApp` (with its `Authorization` and, with `dpop`, its proof's [`Proof`]), `FinishApp`, `RequestLock`, `ReleaseLock`, `Post`, `Emit`, `Settle` | `types.rs`, `send.rs` |
//! | the platform | [`Environment`]: the allow-list, locks, channel, seed, session, the resolved login and logout URLs, and the JWT segment [`Decoder`](crate::jwt::Decoder) | `types.rs` |
//!
//! The state, by what decides it: the session and its token (`token.rs`), the refresh in
//! flight (`flight.rs`), the lock (`lock.rs`), the auth calls in flight and draining (`auth.rs`,
//! `drain.rs`, `login.rs`), the app requests (`fetch.rs`), DPoP (`dpop.rs`), the tabs
//! (`tabs.rs`).

mod answers;
mod auth;
mod calls;
mod csrf;
mod deadlines;
mod dpop;
mod drain;
mod fetch;
mod flight;
mod flight_end;
mod grant;
mod lock;
mod login;
mod send;
mod tabs;
mod token;
mod types;

pub use dpop::Proof;
pub use send::{AuthSend, Credentials};
pub use types::{
    AccessToken, Answer, AppAnswer, AuthId, AuthKind, Authorization, CallId, Command, Environment,
    FetchId, LockEvent, Settled,
};

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::config::Config;
use crate::event::Event;
use crate::jwt::Claims;
use crate::origin::AllowList;
use crate::rng::Rng;
use crate::schedule::Plan;
use crate::Error;

use token::Source;

/// The scheduler never refreshes sooner than this after installing a token, so a server that
/// hands out already-expired tokens cannot make the keeper spin.
pub const MIN_SCHEDULE_MS: f64 = 500.0;
/// After a scheduled refresh failed for good while the token is still valid, the next try comes
/// after half the time it has left, but at most this long.
pub const RETRY_SCHEDULE_MS: f64 = 10_000.0;
/// `dpop`: after a refresh for another tab's session was refused, heard tokens start no other
/// for this long (a server that pins a family to its first key would refuse each).
pub const TAB_REFRESH_BACKOFF_MS: f64 = 60_000.0;
/// A `Retry-After` longer than this is not waited out: the refresh fails at once instead.
pub const MAX_RETRY_AFTER_MS: f64 = 60_000.0;
/// The longest text from outside the page the keeper reads: an auth answer's body (a longer one
/// is read as empty: not JSON) and a tab message (a longer one is dropped). Far more than any
/// token needs; drivers may bound it before handing it over (the npm driver does, in UTF-16
/// units, so the wasm's memory never has to hold it).
pub const MAX_INPUT_BYTES: usize = 65_536;
/// The longest wait a server's `Retry-After` imposes on later refreshes: a proxy that says a day
/// must not leave a tab unable to refresh until it is reloaded.
pub const MAX_NOT_BEFORE_MS: f64 = 600_000.0;

/// The keeper's whole state, each part in the file of what decides it. See the module
/// documentation.
pub struct Keeper {
    config: Config,
    env: Environment,
    rng: Rng,
    /// The session and its token (`token.rs`).
    session: token::Session,
    /// The refresh in flight, the next one scheduled, the server's wait (`flight.rs`).
    refresh: flight::Refresh,
    /// The refresh lock and what other tabs said of theirs (`lock.rs`).
    lock: lock::LockState,
    /// Login and logout calls: in flight, held back, draining (`auth.rs`, `drain.rs`).
    auth: auth::Calls,
    /// App requests whose answers the keeper watches (`fetch.rs`).
    fetches: Vec<fetch::Watched>,
    /// With `dpop`: nonces, resends, refreshes for other tabs' sessions (`dpop.rs`).
    dpop: Option<dpop::DpopState>,
    disposed: bool,
    out: VecDeque<Command>,
}

impl fmt::Debug for Keeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keeper")
            .field("authenticated", &self.session.held.is_some())
            .field("epoch", &self.session.epoch)
            .field("refreshing", &self.refresh.flight.is_some())
            .finish_non_exhaustive()
    }
}

impl Keeper {
    /// A keeper with validated options, signed out.
    pub fn new(config: Config, env: Environment) -> Keeper {
        let dpop = config.dpop.then(dpop::DpopState::default);
        Keeper {
            rng: Rng::new(env.seed),
            config,
            env,
            session: token::Session::default(),
            refresh: flight::Refresh::default(),
            lock: lock::LockState::default(),
            auth: auth::Calls::default(),
            fetches: Vec::new(),
            dpop,
            disposed: false,
            out: VecDeque::new(),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Reading

    /// The next command to perform, in order.
    ///
    /// `cookies` reads the page's readable cookies (`document.cookie`): it is called only for an
    /// auth call, when CSRF is on, so the driver reads them only when they are needed.
    pub fn poll(&mut self, cookies: impl FnOnce() -> String) -> Option<Command> {
        let mut command = self.out.pop_front()?;
        if let Command::SendAuth(send) = &mut command {
            self.complete(send, cookies);
        }
        Some(command)
    }

    /// The options.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The origins that receive the bearer.
    pub fn allowed(&self) -> &AllowList {
        &self.env.allowed
    }

    /// What identifies the session: `refreshUrl` resolved against the page. Tab messages name it
    /// ([`TabMessage::wire`](crate::message::TabMessage::wire)).
    pub fn session(&self) -> &str {
        &self.env.session
    }

    /// The name of the tabs' refresh lock and channel ([`Config::channel_name_for`]).
    pub fn channel_name(&self) -> String {
        self.config.channel_name_for(&self.env.session)
    }

    /// Whether a token is held.
    pub fn is_authenticated(&self) -> bool {
        self.session.held.is_some()
    }

    /// The access token, when one is held.
    pub fn access_token(&self) -> Option<&AccessToken> {
        self.session.held.as_ref().map(|h| &h.token)
    }

    /// The held token's claims.
    pub fn claims(&self) -> Option<&Claims> {
        self.session.held.as_ref().map(|h| &*h.claims)
    }

    /// The held token's local expiry, ms since the epoch.
    pub fn expires_at_ms(&self) -> Option<f64> {
        self.plan().map(|p| p.expires_at_ms)
    }

    /// The session epoch: it changes on login, logout, sign-out and dispose.
    pub fn epoch(&self) -> u64 {
        self.session.epoch
    }

    /// Whether a refresh is in flight (waiting for the lock, sent, or backing off).
    pub fn is_refreshing(&self) -> bool {
        self.refresh.flight.is_some()
    }

    /// The `Authorization` for a refresh call: the token held, expired or not, when
    /// `sendAccessTokenOnRefresh` is on (the reissue flow); `None` otherwise.
    pub(super) fn refresh_authorization(&self) -> Option<Authorization> {
        if !self.config.send_access_token_on_refresh {
            return None;
        }
        let held = self
            .session
            .held
            .as_ref()
            .map(|h| (&h.token, h.received_at_ms));
        let heard = self.session.heard_expired.as_ref().map(|(t, at)| (t, *at));
        let (token, _) = match (held, heard) {
            (Some(h), Some(e)) if e.1 > h.1 => e,
            (Some(h), _) => h,
            (None, e) => e?,
        };
        Some(bearer_of("Bearer ", token))
    }

    fn plan(&self) -> Option<Plan> {
        self.session.held.as_ref().and_then(|h| h.plan)
    }

    /// Whether the token held is due for a refresh at `now_ms` (within its lead, or past its
    /// expiry); `false` when none is held or it never expires.
    pub fn is_due(&self, now_ms: f64) -> bool {
        self.plan().is_some_and(|p| p.is_due(now_ms))
    }

    /// Whether a refresh must wait at `now_ms` (a `Retry-After`, or a backoff, still running),
    /// while the token held is still valid: until then it is used as it is.
    fn refresh_waits(&self, now_ms: f64) -> bool {
        now_ms < self.refresh.not_before_ms && self.plan().is_some_and(|p| !p.is_expired(now_ms))
    }

    /// The `Authorization` value of the token held: `Bearer …`, or `DPoP …` with `dpop`.
    fn bearer(&self) -> Option<Authorization> {
        let scheme = if self.dpop.is_some() {
            "DPoP "
        } else {
            "Bearer "
        };
        self.session
            .held
            .as_ref()
            .map(|h| bearer_of(scheme, &h.token))
    }

    fn push(&mut self, command: Command) {
        self.out.push_back(command);
    }

    fn emit(&mut self, event: Event) {
        self.push(Command::Emit(event));
    }

    fn settle(&mut self, call: CallId, result: Result<Settled, Error>) {
        self.push(Command::Settle { call, result });
    }

    fn next_auth_id(&mut self) -> AuthId {
        self.auth.next.0 += 1;
        self.auth.next
    }

    fn timeout_ms(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let ms = self.config.timeout.as_millis() as f64;
        ms
    }
}

/// `<scheme><token>`: `Bearer …`, or `DPoP …` (the scheme with its space).
fn bearer_of(scheme: &str, token: &AccessToken) -> Authorization {
    let mut value = String::with_capacity(scheme.len() + token.0.len());
    value.push_str(scheme);
    value.push_str(&token.0);
    Authorization(value, scheme.len())
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

#[cfg(test)]
#[path = "tabs_tests.rs"]
mod tabs_tests;

#[cfg(test)]
#[path = "tabs_login_tests.rs"]
mod tabs_login_tests;

#[cfg(test)]
#[path = "reissue_tests.rs"]
mod reissue_tests;

#[cfg(test)]
#[path = "dpop_tests.rs"]
mod dpop_tests;

#[cfg(test)]
#[path = "dpop_tabs_tests.rs"]
mod dpop_tabs_tests;

#[cfg(test)]
#[path = "dpop_nonce_tests.rs"]
mod dpop_nonce_tests;

#[cfg(test)]
#[path = "review_tests.rs"]
mod review_tests;

#[cfg(test)]
#[path = "backends_tests.rs"]
mod backends_tests;

#[cfg(test)]
#[path = "isolated_tests.rs"]
mod isolated_tests;

#[cfg(test)]
#[path = "send_tests.rs"]
mod send_tests;
