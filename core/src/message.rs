//! What tabs of one origin tell each other over the `BroadcastChannel`: typed messages
//! ([`TabMessage`]) that travel as one versioned structure ([`Wire`]), which a JavaScript tab posts
//! as a structured clone (a plain object) and a Rust tab through `serde-wasm-bindgen`, so the two
//! understand each other without a JSON text between them:
//!
//! ```text
//! { v: 1, type: "token",    session, token, at, lifetime? }   at: when it was received
//! { v: 1, type: "signedIn", session, at, lifetime? }          (the isolated entry: no token)
//! { v: 1, type: "logout",   session, at }
//! { v: 1, type: "working",  session, for }
//! ```
//!
//! Every message names the session it belongs to (the keeper's [`crate::Keeper::session`], its
//! resolved `refreshUrl`): keepers of different backends may share one channel (an app that set
//! one `channelName` for both), and a message of another session is none of this keeper's
//! business. A message of another version (`v`) — a tab still running an older release, whose
//! messages were JSON text — is not heard either.
//!
//! Reading checks shapes only: a message that is not one of these, of another session or version,
//! or whose fields have impossible values, is `None` and ignored. Whether a well-formed token
//! message is worth adopting (it decodes, is not expired, is newer than the token held, was not
//! received in the future) is the keeper's decision, in `keeper::tabs`.

use alloc::string::String;

/// The version of [`Wire`] this build posts and hears.
pub const VERSION: f64 = 1.0;

/// What a [`Wire`] message says: its `type`, a string. Its number (`as u8`, the index in
/// [`Kind::ALL`]) is how the npm build's calling convention carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// `"token"`: [`TabMessage::Token`].
    Token = 0,
    /// `"signedIn"`: [`TabMessage::SignedIn`].
    SignedIn = 1,
    /// `"logout"`: [`TabMessage::Logout`].
    Logout = 2,
    /// `"working"`: [`TabMessage::Working`].
    Working = 3,
}

impl Kind {
    /// Every kind, each at the index of its number.
    pub const ALL: [Kind; 4] = [Kind::Token, Kind::SignedIn, Kind::Logout, Kind::Working];

    /// Its `type` string.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Kind::Token => "token",
            Kind::SignedIn => "signedIn",
            Kind::Logout => "logout",
            Kind::Working => "working",
        }
    }
}

// Only from a string: serde's derived enum would also take `{ "logout": null }`, which a
// JavaScript tab does not.
#[cfg(feature = "serde")]
impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Kind, D::Error> {
        let name = String::deserialize(deserializer)?;
        Kind::ALL
            .into_iter()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| serde::de::Error::custom("not a tab message type"))
    }
}

/// A tab message as it crosses the channel: what each driver converts to and from the platform's
/// value (see the module's doc). Fields are as the other tab sent them; the core judges them
/// ([`TabMessage::from_wire`]). Times are milliseconds on the local clock, which every tab shares.
#[derive(Clone, PartialEq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "camelCase")
)]
pub struct Wire {
    /// The structure's version: [`VERSION`].
    pub v: f64,
    /// What the message says.
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub kind: Kind,
    /// The sender's session: its resolved `refreshUrl`.
    pub session: String,
    /// `token`: the access token.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub token: Option<String>,
    /// `token`, `signedIn`: when the sender received the token; `logout`: when it signed out.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub at: Option<f64>,
    /// `token`, `signedIn`: the token's lifetime as the sender planned it; absent for a token that
    /// never expires.
    #[cfg_attr(
        feature = "serde",
        serde(default, skip_serializing_if = "Option::is_none")
    )]
    pub lifetime: Option<f64>,
    /// `working`: how long until the lock holder's next sign of life at the latest.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "for", default, skip_serializing_if = "Option::is_none")
    )]
    pub for_ms: Option<f64>,
}

impl Wire {
    /// A message of `kind` for `session` with no fields yet.
    #[must_use]
    pub fn new(kind: Kind, session: &str) -> Wire {
        Wire {
            v: VERSION,
            kind,
            session: String::from(session),
            token: None,
            at: None,
            lifetime: None,
            for_ms: None,
        }
    }
}

impl core::fmt::Debug for Wire {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the token itself.
        f.debug_struct("Wire")
            .field("v", &self.v)
            .field("kind", &self.kind)
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("at", &self.at)
            .field("lifetime", &self.lifetime)
            .field("for", &self.for_ms)
            .finish_non_exhaustive()
    }
}

/// A message between tabs.
#[derive(Clone, PartialEq)]
pub enum TabMessage {
    /// A tab received a new token from the server.
    Token {
        /// The access token.
        token: String,
        /// When the sending tab received it, ms on the local clock (shared by every tab).
        received_at_ms: f64,
        /// Its lifetime as the sending tab planned it; `None` for a token that never expires.
        lifetime_ms: Option<f64>,
    },
    /// A tab received a new token it does not share (the isolated entry, whose channel any page
    /// script could listen on): there is a session, and each tab refreshes for a token of its own.
    SignedIn {
        /// When the sending tab received it, ms on the local clock.
        received_at_ms: f64,
        /// Its lifetime as the sending tab planned it; `None` for a token that never expires.
        lifetime_ms: Option<f64>,
    },
    /// A tab signed out (or the server refused its refresh token): the session is over.
    Logout {
        /// When, ms on the local clock. Tokens received before this moment are never adopted.
        at_ms: f64,
    },
    /// The holder of the refresh lock is still working on it (sending, or waiting out a
    /// backoff): a tab waiting for the lock must not steal it for this long.
    Working {
        /// How long until the holder's next sign of life at the latest, ms.
        for_ms: f64,
    },
}

impl core::fmt::Debug for TabMessage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the token itself.
        f.write_str(match self {
            TabMessage::Token { .. } => "TabMessage::Token([redacted])",
            TabMessage::SignedIn { .. } => "TabMessage::SignedIn",
            TabMessage::Logout { .. } => "TabMessage::Logout",
            TabMessage::Working { .. } => "TabMessage::Working",
        })
    }
}

impl TabMessage {
    /// The message as it travels, for `session`. Times are whole milliseconds, as they were when
    /// messages were JSON text (so a tab hears the moment of a sign-out as every other tab does).
    #[must_use]
    pub fn wire(&self, session: &str) -> Wire {
        let (kind, token, [at, lifetime, for_ms]) = self.members();
        Wire {
            token: token.map(String::from),
            at,
            lifetime,
            for_ms,
            ..Wire::new(kind, session)
        }
    }

    /// What [`wire`](Self::wire) carries besides the version and the session, borrowed: the
    /// kind, the token, and `at`, `lifetime`, `for` in whole milliseconds. For a driver that
    /// writes the members out itself (the npm build's calling convention).
    #[must_use]
    pub fn members(&self) -> (Kind, Option<&str>, [Option<f64>; 3]) {
        let (kind, token, at, lifetime, for_ms) = match self {
            TabMessage::Token {
                token,
                received_at_ms,
                lifetime_ms,
            } => (
                Kind::Token,
                Some(token.as_str()),
                Some(*received_at_ms),
                *lifetime_ms,
                None,
            ),
            TabMessage::SignedIn {
                received_at_ms,
                lifetime_ms,
            } => (
                Kind::SignedIn,
                None,
                Some(*received_at_ms),
                *lifetime_ms,
                None,
            ),
            TabMessage::Logout { at_ms } => (Kind::Logout, None, Some(*at_ms), None, None),
            TabMessage::Working { for_ms } => (Kind::Working, None, None, None, Some(*for_ms)),
        };
        (kind, token, [at, lifetime, for_ms].map(|n| n.map(whole)))
    }

    /// The message `wire` carries, or `None` when it is not a well-formed message of this
    /// version and of `session`.
    #[must_use]
    pub fn from_wire(wire: &Wire, session: &str) -> Option<TabMessage> {
        if wire.v != VERSION || wire.session != session {
            return None;
        }
        // Every number present must be one, whether this kind reads it or not.
        let [at, lifetime_ms, for_ms] = [wire.at, wire.lifetime, wire.for_ms];
        if [at, lifetime_ms, for_ms]
            .into_iter()
            .any(|n| n.is_some() && ms(n).is_none())
        {
            return None;
        }
        Some(match wire.kind {
            Kind::Token => TabMessage::Token {
                token: wire.token.clone().filter(|t| !t.is_empty())?,
                received_at_ms: at?,
                lifetime_ms,
            },
            Kind::SignedIn => TabMessage::SignedIn {
                received_at_ms: at?,
                lifetime_ms,
            },
            Kind::Logout => TabMessage::Logout { at_ms: at? },
            Kind::Working => TabMessage::Working { for_ms: for_ms? },
        })
    }
}

/// A time or duration field: a finite number of milliseconds, not negative.
fn ms(value: Option<f64>) -> Option<f64> {
    value.filter(|n| n.is_finite() && *n >= 0.0)
}

/// `ms` rounded down to a whole number; negative and NaN become 0 (which reading accepts as a
/// time), as the JSON text's whole numbers did. (A saturating cast: `floor` is not in `core`.)
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn whole(ms: f64) -> f64 {
    ms as u64 as f64
}

#[cfg(test)]
#[path = "message_tests.rs"]
mod tests;
