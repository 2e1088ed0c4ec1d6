//! The keeper's vocabulary with its drivers: what it is told ([`Answer`]) and what it asks for
//! ([`Command`]), the ids that tie the two together, and the token types whose `Debug` is
//! redacted.

use alloc::rc::Rc;
use alloc::string::String;
use core::fmt;

#[cfg(doc)]
use super::Keeper;
use crate::event::Event;
use crate::jwt::Claims;
use crate::message::TabMessage;
use crate::origin::AllowList;
use crate::parsed::Parsed;
use crate::Error;

/// An id of the seam: a number, but one kind of thing only — a call id cannot be passed where a
/// request id is wanted.
macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
        pub struct $name(pub u64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

id!(
    /// A user call waiting for its answer (`restore`, `login`, `refresh`, `logout`), numbered
    /// by the driver.
    CallId
);
id!(
    /// An app request (`fetch`), numbered by the driver.
    FetchId
);
id!(
    /// An auth call (login, refresh, logout), numbered by the keeper.
    AuthId
);

/// The access token. Its `Debug` is redacted and it has no `Display`: reading it takes
/// [`AccessToken::expose`], a name that shows up in review.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(pub(super) String);

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
pub struct Authorization(pub(super) String, pub(super) usize);

impl Authorization {
    /// The header value, to set on the request and drop.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The token in it, after the scheme (`Bearer `, `DPoP `): a DPoP proof's `ath` hashes it.
    /// The drivers take it from here rather than cutting the scheme off themselves.
    pub fn token(&self) -> &str {
        self.0.get(self.1..).unwrap_or_default()
    }

    /// Where the token starts (after the scheme and its space), in bytes.
    pub fn token_at(&self) -> usize {
        self.1
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
        /// The `login` call it is for.
        call: CallId,
    },
    /// POST to `refreshUrl` with the cookies and the CSRF header.
    Refresh,
    /// POST to `logoutUrl` with the cookies and the CSRF header.
    Logout,
}

/// An app request's outcome, as the driver saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AppAnswer<'a> {
    /// An answer: its status, the URL it finally came from (after redirects), a 401's
    /// `WWW-Authenticate` value (`None` when it had none, or the browser hides it: cross-origin,
    /// unless the API exposes it) and, with `dpop`, its `DPoP-Nonce` (that URL's origin's nonce
    /// for later proofs).
    Response {
        /// The HTTP status.
        status: u16,
        /// The URL it came from.
        url: &'a str,
        /// A 401's `WWW-Authenticate`.
        www_authenticate: Option<&'a str>,
        /// Its `DPoP-Nonce`.
        dpop_nonce: Option<&'a str>,
    },
    /// No answer: the network failed, the browser refused the request, or the caller aborted it.
    Failed,
}

/// What happened to the Web Lock the keeper asked for ([`Command::RequestLock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockEvent {
    /// It was granted (after the driver let queued tab messages land).
    Granted,
    /// The browser refused the request: from now on this tab refreshes on its own.
    Refused,
    /// Another tab stole it from this one (it must have looked frozen), or took it before this
    /// tab heard it was granted.
    Lost,
}

/// An auth call's outcome, as the driver saw it.
#[derive(Clone, PartialEq)]
pub enum Answer {
    /// An answer with its whole body, as text and as the platform's JSON parser read it.
    Response {
        /// The HTTP status.
        status: u16,
        /// The body (the keeper scans it for a refusal's words, `csrf` or `use_dpop_nonce`).
        body: String,
        /// The body parsed (`JSON.parse`, `serde_json`): where the keeper reads the token, its
        /// `expires_in`, the CSRF value and `token_type` from.
        parsed: Parsed,
        /// `Retry-After` read as seconds (`Number()` of it; NaN when it is a date or garbage),
        /// when the answer had one: the core takes it only when finite and not negative.
        retry_after_s: Option<f64>,
        /// The value of the `tokenHeader` response header, when that option is set and the
        /// answer had it ([`AuthSend::token_header`](super::AuthSend::token_header) names it).
        token_header: Option<String>,
        /// With `dpop`, its `DPoP-Nonce` header, when it had one: the nonce the auth endpoint's
        /// origin asks later proofs to carry.
        dpop_nonce: Option<String>,
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
    Claims(Rc<Claims>),
}

/// What the driver must do. Exhaustive: a command a driver does not perform is a compile error
/// there, not a silent no-op.
#[derive(Debug, Clone)]
pub enum Command {
    /// Send this auth call, as it is: it carries everything the driver needs.
    SendAuth(super::AuthSend),
    /// Stop an auth call (it timed out, or its session ended): abort it, drop its answer.
    AbortAuth {
        /// Which.
        id: AuthId,
    },
    /// Send app request `id` as the caller built it: its answer or failure goes straight to the
    /// caller, and the keeper forgets it.
    PassApp {
        /// Which request.
        id: FetchId,
    },
    /// Send app request `id` (again, for a retry: from the copy kept before the first send) with
    /// this `Authorization` value and, with `dpop`, a `DPoP` proof of what `proof` says (its `htm`
    /// the request's method, its `ath` the token in the `Authorization`); report its answer with
    /// [`Keeper::handle_app_answer`] and keep a copy for a retry.
    SendApp {
        /// Which request.
        id: FetchId,
        /// The header to set.
        authorization: Authorization,
        /// With `dpop`: the proof to sign and set.
        proof: Option<super::Proof>,
    },
    /// App request `id` is finished: give the caller the answer it last got.
    FinishApp {
        /// Which request.
        id: FetchId,
    },
    /// Ask for the refresh lock (`navigator.locks`); report what happened with
    /// [`Keeper::handle_lock`]. With `steal`, take it from its holder (abandoning any request
    /// still queued).
    RequestLock {
        /// Take it from a holder that is gone or frozen.
        steal: bool,
    },
    /// Release the refresh lock (or stop waiting for it).
    ReleaseLock,
    /// Post this message to the other tabs (as [`TabMessage::wire`] makes it, for
    /// [`Keeper::session`]).
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
    /// `loginUrl` resolved against the page, when set.
    pub login_url: Option<String>,
    /// `logoutUrl` resolved against the page, when set.
    pub logout_url: Option<String>,
    /// Tab messages may carry the token. `false` in the isolated entry (`token-keeper/isolated`),
    /// where any page script could listen on the channel: a new token is announced as
    /// [`TabMessage::SignedIn`](crate::message::TabMessage::SignedIn) (there is a session, not
    /// what it is), and a keeper that hears one refreshes for itself under the lock, as tabs do
    /// under `dpop`.
    pub tab_tokens: bool,
    /// Seed of the jitter and backoff randomness.
    pub seed: u64,
    /// What identifies the session the keeper keeps: `refreshUrl` resolved against the page
    /// (`https://app.example/auth/refresh`). Every tab message carries it, and a message of
    /// another session is ignored; the default lock and channel name is derived from it, so
    /// keepers of different backends on one origin (micro-frontends, two apps under two paths)
    /// never adopt, or end, each other's sessions.
    pub session: String,
    /// The platform's JWT segment decoder, which reads a token for the core when it takes one:
    /// `atob`, `TextDecoder` and `JSON.parse` in the npm package, `parsed::serde_segment` in the
    /// Rust crate and the simulation.
    pub decoder: crate::jwt::Decoder,
}
