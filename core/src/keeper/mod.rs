//! The keeper as a state machine: inputs in, commands out, no I/O.
//!
//! A driver (the JavaScript one in the npm package, the Rust one for Rust apps, the simulation in
//! `tests/simulation`) calls an entry point with the input and the local time, then drains
//! [`Keeper::poll`] and performs each [`Command`]: send an auth call, send an app request with the
//! `Authorization` value it is handed, post a tab message, ask for the lock, emit an event, settle
//! a waiting call. It arms one timer for [`Keeper::poll_timeout`] and calls
//! [`Keeper::handle_timeout`] when it fires. Nothing here blocks, sleeps or reads a clock.
//!
//! Every auth call carries the **session epoch** current when it was sent. Logging in, logging
//! out, being signed out and disposing each start a new epoch, and an answer from an older one is
//! dropped: a refresh that was in flight when `logout()` was called can never sign the user back
//! in, and a 401 retry never re-sends an old session's request with the next session's token.

mod auth;
mod drain;
mod fetch;
mod flight;
mod tabs;

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::config::Config;
use crate::event::{Event, LogoutReason, Trigger};
use crate::jwt::{decode_unverified, Claims};
use crate::message::TabMessage;
use crate::origin::AllowList;
use crate::rng::Rng;
use crate::schedule::{lifetime_ms, Plan};
use crate::{Error, ErrorKind};

use flight::Flight;

/// The scheduler never refreshes sooner than this after installing a token, so a server that
/// hands out already-expired tokens cannot make the keeper spin.
pub const MIN_SCHEDULE_MS: f64 = 500.0;
/// After a scheduled refresh failed for good while the token is still valid, the next try comes
/// after half the time it has left, but at most this long.
pub const RETRY_SCHEDULE_MS: f64 = 10_000.0;
/// A `Retry-After` longer than this is not waited out: the refresh fails at once instead.
pub const MAX_RETRY_AFTER_MS: f64 = 60_000.0;

/// A user call waiting for its answer (`restore`, `login`, `refresh`, `logout`), numbered by the
/// driver.
pub type CallId = u64;
/// An app request (`fetch`), numbered by the driver.
pub type FetchId = u64;
/// An auth call (login, refresh, logout), numbered by the keeper.
pub type AuthId = u64;

/// The access token. Its `Debug` is redacted and it has no `Display`: reading it takes
/// [`AccessToken::expose`], a name that shows up in review.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// The token itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

/// An `Authorization` header value (`Bearer …`), handed to the driver for one request.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization(String);

impl Authorization {
    /// The header value, to set on the request and drop.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authorization([redacted])")
    }
}

/// Which endpoint an auth call goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// POST the credentials of user call `call` as JSON to `loginUrl`.
    Login {
        /// The `login` call whose credentials (and extra headers) to send.
        call: CallId,
    },
    /// POST to `refreshUrl` with the cookies and the CSRF header.
    Refresh,
    /// POST to `logoutUrl` with the cookies and the CSRF header.
    Logout,
}

/// An auth call's outcome, as the driver saw it.
#[derive(Clone, PartialEq)]
pub enum Answer {
    /// An answer with its whole body (read as text; the keeper parses it).
    Response {
        /// The HTTP status.
        status: u16,
        /// The body.
        body: String,
        /// `Retry-After` in seconds, when the answer had one in that form.
        retry_after_s: Option<f64>,
    },
    /// No answer: the network failed (or the browser refused the request).
    Failed,
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The body may hold a token: never printed.
        match self {
            Answer::Response { status, .. } => write!(f, "Answer::Response({status})"),
            Answer::Failed => f.write_str("Answer::Failed"),
        }
    }
}

/// What a settled user call resolves to.
#[derive(Debug, Clone)]
pub enum Settled {
    /// `refresh()` and `logout()`: done.
    Done,
    /// `restore()`: whether a session is held.
    Restored(bool),
    /// `login()`: the new token's claims.
    Claims(Claims),
}

/// What the driver must do.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Command {
    /// Send an auth call: POST, `credentials: "include"`, the CSRF header from
    /// [`Keeper::csrf_header`] for refresh and logout, and report the answer (status and whole
    /// body) with [`Keeper::auth_answer`]. The keeper itself times it out.
    SendAuth {
        /// Its number, for the answer.
        id: AuthId,
        /// Where to.
        kind: AuthKind,
    },
    /// Stop an auth call (it timed out, or its session ended): abort it, drop its answer.
    AbortAuth {
        /// Which.
        id: AuthId,
    },
    /// Send app request `id` (again, for a retry: from the copy kept before the first send) with
    /// this `Authorization` value, or untouched when `None`. When `watch`, report its answer with
    /// [`Keeper::fetch_answer`] (or its failure with [`Keeper::fetch_failed`]) and keep a copy
    /// for a retry; otherwise its answer or failure goes straight to the caller.
    SendApp {
        /// Which request.
        id: FetchId,
        /// The header to set, if any.
        authorization: Option<Authorization>,
        /// Whether the keeper wants to see the answer.
        watch: bool,
    },
    /// App request `id` is finished: give the caller the answer it last got.
    FinishApp {
        /// Which request.
        id: FetchId,
    },
    /// Ask for the refresh lock (`navigator.locks`); report [`Keeper::lock_granted`] or
    /// [`Keeper::lock_refused`]. With `steal`, take it from its holder (abandoning any request
    /// still queued).
    RequestLock {
        /// Take it from a holder that is gone or frozen.
        steal: bool,
    },
    /// Release the refresh lock (or stop waiting for it).
    ReleaseLock,
    /// Post this message to the other tabs (encoded with [`TabMessage::encode`]).
    Post(TabMessage),
    /// Call the app's listeners.
    Emit(Event),
    /// Answer user call `call`.
    Settle {
        /// Which call.
        call: CallId,
        /// Its result.
        result: Result<Settled, Error>,
    },
}

/// What the driver can do, learned when it starts.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The origins that receive the bearer, normalized.
    pub allowed: AllowList,
    /// Web Locks are there (and `crossTab` is on).
    pub locks: bool,
    /// A `BroadcastChannel` is open (and `crossTab` is on).
    pub channel: bool,
    /// Seed of the jitter and backoff randomness.
    pub seed: u64,
}

/// Where a token came from, which decides its timetable and whether the other tabs hear of it.
enum Source {
    /// A login or refresh answer (with its `expires_in`) to a request sent at `sent_at_ms`:
    /// broadcast to the other tabs.
    Server {
        expires_in_s: Option<f64>,
        sent_at_ms: f64,
    },
    /// `setToken`: kept to this tab.
    App,
    /// Another tab's broadcast, with that tab's receipt time and the lifetime it planned.
    Tab {
        received_at_ms: f64,
        lifetime_ms: Option<f64>,
    },
}

struct Held {
    token: AccessToken,
    claims: Claims,
    plan: Option<Plan>,
    received_at_ms: f64,
}

/// The keeper's whole state. See the module documentation.
pub struct Keeper {
    config: Config,
    env: Environment,
    rng: Rng,
    held: Option<Held>,
    /// Bumped whenever the held token changes (new token, or cleared).
    generation: u64,
    /// The session epoch (module documentation).
    epoch: u64,
    /// The CSRF value from the last login or refresh answer.
    csrf: Option<String>,
    /// The one refresh in flight.
    flight: Option<Flight>,
    /// When to start a scheduled refresh.
    scheduled_at_ms: Option<f64>,
    /// Login and logout calls in flight.
    calls: Vec<auth::Pending>,
    /// App requests whose answers the keeper watches.
    fetches: Vec<fetch::Watched>,
    /// Whether the refresh lock is held.
    lock_held: bool,
    /// A cancelled flight's refresh call still out, and when to stop waiting for it.
    draining: Option<(AuthId, f64)>,
    /// Logins waiting for the draining call to land.
    deferred_logins: Vec<(AuthId, CallId)>,
    /// Locks were refused once: this tab refreshes on its own from then on.
    locks_broken: bool,
    /// Tokens received before this moment are never adopted from another tab.
    signed_out_at_ms: f64,
    /// A `logout()` is under way.
    logging_out: bool,
    /// Until when another tab said it is working on a refresh (local ms).
    other_working_until_ms: f64,
    disposed: bool,
    next_auth: AuthId,
    out: VecDeque<Command>,
}

impl fmt::Debug for Keeper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keeper")
            .field("authenticated", &self.held.is_some())
            .field("epoch", &self.epoch)
            .field("refreshing", &self.flight.is_some())
            .finish_non_exhaustive()
    }
}

impl Keeper {
    /// A keeper with validated options, signed out.
    pub fn new(config: Config, env: Environment) -> Keeper {
        Keeper {
            rng: Rng::new(env.seed),
            config,
            env,
            held: None,
            generation: 0,
            epoch: 0,
            csrf: None,
            flight: None,
            scheduled_at_ms: None,
            calls: Vec::new(),
            fetches: Vec::new(),
            lock_held: false,
            draining: None,
            deferred_logins: Vec::new(),
            locks_broken: false,
            signed_out_at_ms: f64::NEG_INFINITY,
            logging_out: false,
            other_working_until_ms: f64::NEG_INFINITY,
            disposed: false,
            next_auth: 0,
            out: VecDeque::new(),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Reading

    /// The next command to perform, in order.
    pub fn poll(&mut self) -> Option<Command> {
        self.out.pop_front()
    }

    /// The options.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The origins that receive the bearer.
    pub fn allowed(&self) -> &AllowList {
        &self.env.allowed
    }

    /// Whether a token is held.
    pub fn is_authenticated(&self) -> bool {
        self.held.is_some()
    }

    /// The access token, when one is held.
    pub fn access_token(&self) -> Option<&AccessToken> {
        self.held.as_ref().map(|h| &h.token)
    }

    /// The held token's claims.
    pub fn claims(&self) -> Option<&Claims> {
        self.held.as_ref().map(|h| &h.claims)
    }

    /// The held token's local expiry, ms since the epoch.
    pub fn expires_at_ms(&self) -> Option<f64> {
        self.plan().map(|p| p.expires_at_ms)
    }

    /// The session epoch: it changes on login, logout, sign-out and dispose.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Whether a refresh is in flight (waiting for the lock, sent, or backing off).
    pub fn is_refreshing(&self) -> bool {
        self.flight.is_some()
    }

    /// The CSRF header for a refresh or logout call: the readable cookie's value (the driver reads
    /// the cookie [`Keeper::csrf_cookie_name`] names), else the last answer's field; `None` when
    /// CSRF is off or no value is known.
    pub fn csrf_header(&self, cookie_value: Option<&str>) -> Option<(&str, String)> {
        let csrf = self.config.csrf.as_ref()?;
        let value = cookie_value
            .filter(|v| !v.is_empty())
            .map(String::from)
            .or_else(|| self.csrf.clone())?;
        Some((csrf.header_name.as_str(), value))
    }

    /// The readable cookie holding the CSRF value, when CSRF is on.
    pub fn csrf_cookie_name(&self) -> Option<&str> {
        self.config.csrf.as_ref().map(|c| c.cookie_name.as_str())
    }

    /// When the driver's one timer must fire (ms on the local clock), if at all.
    pub fn poll_timeout(&self) -> Option<f64> {
        let flight = self.flight.as_ref().and_then(Flight::deadline_ms);
        let calls = self.calls.iter().map(|c| c.deadline_ms);
        let draining = self.draining.map(|(_, at)| at);
        [self.scheduled_at_ms, flight, draining]
            .into_iter()
            .flatten()
            .chain(calls)
            .reduce(f64::min)
    }

    fn plan(&self) -> Option<Plan> {
        self.held.as_ref().and_then(|h| h.plan)
    }

    fn is_due(&self, now_ms: f64) -> bool {
        self.plan().is_some_and(|p| p.is_due(now_ms))
    }

    fn bearer(&self) -> Option<Authorization> {
        self.held.as_ref().map(|h| {
            let mut value = String::with_capacity(7 + h.token.0.len());
            value.push_str("Bearer ");
            value.push_str(&h.token.0);
            Authorization(value)
        })
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
        self.next_auth += 1;
        self.next_auth
    }

    fn timeout_ms(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let ms = self.config.timeout.as_millis() as f64;
        ms
    }

    // -----------------------------------------------------------------------------------------
    // User calls

    /// Page load: a silent refresh with the cookie; settles `Restored(true)` when signed in,
    /// `Restored(false)` when the server has no session. A keeper already holding a token that is
    /// not due (heard from another tab) answers at once.
    pub fn restore(&mut self, call: CallId, now_ms: f64) {
        if let Some(e) = self.unavailable() {
            return self.settle(call, Err(e));
        }
        if self.held.is_some() && !self.is_due(now_ms) {
            return self.settle(call, Ok(Settled::Restored(true)));
        }
        self.join_flight(Trigger::Restore, flight::Waiter::Restore(call), now_ms);
    }

    /// Forces a refresh, joining the one in flight.
    pub fn refresh(&mut self, call: CallId, now_ms: f64) {
        if let Some(e) = self.unavailable() {
            return self.settle(call, Err(e));
        }
        self.join_flight(Trigger::Manual, flight::Waiter::Refresh(call), now_ms);
    }

    /// Holds `token` as if an auth answer had brought it, kept to this tab.
    ///
    /// # Errors
    ///
    /// `invalid_token` when it does not decode (the keeper keeps what it held); `aborted` after
    /// `dispose`.
    pub fn set_token(&mut self, token: &str, now_ms: f64) -> Result<Claims, Error> {
        if self.disposed {
            return Err(disposed());
        }
        let claims = decode_unverified(token)?;
        self.install(String::from(token), claims.clone(), Source::App, now_ms);
        Ok(claims)
    }

    /// The page became visible, was shown again, got focus or came online: timers may have
    /// slept, so compare the deadline with the clock. Hidden pages do nothing.
    pub fn wake(&mut self, visible: bool, now_ms: f64) {
        if visible && self.held.is_some() && self.is_due(now_ms) && self.unavailable().is_none() {
            self.start_flight(Trigger::Wake, now_ms);
        }
    }

    /// Stops everything and forgets the token: every waiting call settles `aborted`, the lock is
    /// released, later calls are answered as signed out and `fetch` passes requests through.
    pub fn dispose(&mut self) {
        if self.disposed {
            return;
        }
        self.disposed = true;
        self.epoch += 1;
        self.cancel_flight(&disposed());
        if let Some((id, _)) = self.draining.take() {
            self.push(Command::AbortAuth { id });
        }
        self.deferred_logins.clear();
        self.release_lock();
        for call in core::mem::take(&mut self.calls) {
            self.push(Command::AbortAuth { id: call.id });
            if let Some(user) = call.user {
                self.settle(user, Err(disposed()));
            }
        }
        for watched in core::mem::take(&mut self.fetches) {
            self.push(Command::FinishApp { id: watched.id });
        }
        self.held = None;
        self.generation += 1;
        self.scheduled_at_ms = None;
        self.csrf = None;
    }

    /// Why a refresh cannot start now, if it cannot.
    fn unavailable(&self) -> Option<Error> {
        if self.disposed {
            Some(disposed())
        } else if self.logging_out {
            Some(Error::new(ErrorKind::Aborted, "the keeper is signing out"))
        } else {
            None
        }
    }

    // -----------------------------------------------------------------------------------------
    // Tokens

    fn install(&mut self, token: String, claims: Claims, source: Source, now_ms: f64) {
        let (received_at_ms, lifetime) = match source {
            // The token was issued after its request left: counting from then is never late,
            // even for an answer a frozen tab reads minutes after it came.
            Source::Server {
                expires_in_s,
                sent_at_ms,
            } => (
                sent_at_ms.min(now_ms),
                lifetime_ms(expires_in_s, claims.iat, claims.exp, now_ms),
            ),
            Source::App => (now_ms, lifetime_ms(None, claims.iat, claims.exp, now_ms)),
            Source::Tab {
                received_at_ms,
                lifetime_ms,
            } => (received_at_ms, lifetime_ms),
        };
        let jitter = self.rng.unit();
        let plan = lifetime
            .map(|lifetime| Plan::new(received_at_ms, lifetime, self.config.policy, jitter));
        if matches!(source, Source::Server { .. }) && self.env.channel {
            self.push(Command::Post(TabMessage::Token {
                token: token.clone(),
                received_at_ms,
                lifetime_ms: lifetime,
            }));
        }
        self.held = Some(Held {
            token: AccessToken(token),
            claims: claims.clone(),
            plan,
            received_at_ms,
        });
        self.generation += 1;
        self.scheduled_at_ms = plan.map(|p| p.refresh_at_ms.max(now_ms + MIN_SCHEDULE_MS));
        self.emit(Event::Token {
            claims,
            expires_at_ms: plan.map(|p| p.expires_at_ms),
        });
    }

    /// Forgets the token and starts a new epoch; emits `logout` when one was held (always for
    /// `User`). A logout by the user, or a refusal of a tab that held a token, ends the session
    /// for every tab: they hear of it.
    fn clear(&mut self, reason: LogoutReason, now_ms: f64) {
        self.cancel_flight(&Error::new(ErrorKind::Rejected, "the session is over"));
        let had = self.held.take().is_some();
        self.generation += 1;
        self.epoch += 1;
        self.scheduled_at_ms = None;
        self.signed_out_at_ms = self.signed_out_at_ms.max(now_ms);
        let tell = match reason {
            LogoutReason::User => true,
            LogoutReason::Rejected => had,
            LogoutReason::Expired | LogoutReason::Tab => false,
        };
        if tell && self.env.channel {
            self.push(Command::Post(TabMessage::Logout { at_ms: now_ms }));
        }
        if had || reason == LogoutReason::User {
            self.emit(Event::Logout { reason });
        }
    }

    /// The one timer fired (or the driver checks early): start what is due.
    pub fn handle_timeout(&mut self, now_ms: f64) {
        if self.disposed {
            return;
        }
        self.auth_timeouts(now_ms);
        self.drain_timeout(now_ms);
        self.flight_timeout(now_ms);
        if self.scheduled_at_ms.is_some_and(|at| now_ms >= at) {
            self.scheduled_at_ms = None;
            if self.held.is_some() && self.unavailable().is_none() {
                self.start_flight(Trigger::Schedule, now_ms);
            }
        }
    }
}

fn disposed() -> Error {
    Error::new(ErrorKind::Aborted, "the keeper was disposed")
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
