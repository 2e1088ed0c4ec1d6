//! DPoP (RFC 9449, option `dpop`): what each proof says, the servers' nonces, and the one extra
//! attempt a nonce challenge earns. The driver holds the tab's key (non-extractable, in memory),
//! adds `jti`, `iat` and — on a request carrying the token — `ath`, and signs; nothing here is
//! cryptography.
//!
//! A nonce is kept per origin (the auth server and each API may hand out their own): the newest
//! one heard from an origin goes in every later proof to it. A `use_dpop_nonce` challenge — a
//! 400 or 401 whose JSON `error` says so for an auth call, a 401 whose `WWW-Authenticate` says
//! so for an app request — is answered by sending the same call once more (the driver signs a
//! fresh proof, with the nonce it has just reported); a second challenge to the same call is its
//! answer. An app request's nonce retry and its 401 refresh-and-retry are counted apart: at most
//! one of each.

use alloc::string::String;

use super::{Answer, AuthId, AuthKind, Command, Keeper};
use crate::json::{self, Value};
use crate::origin::origin_of_absolute;

/// What a DPoP proof says besides `jti`, `iat` and `ath`, which the driver adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// `htu`: the request's URL without query and fragment.
    pub htu: String,
    /// `nonce`: the newest nonce the URL's origin gave, if it gave one.
    pub nonce: Option<String>,
}

/// Nonces of this many origins are kept; the oldest is forgotten first.
const MAX_NONCES: usize = 8;
/// Calls that had their nonce retry, remembered this far back.
const MAX_RETRIED: usize = 8;

impl Keeper {
    /// The proof for a request to `url` (absolute, as the browser resolved it), `None` unless
    /// the option `dpop` is on. Asked for every auth call, and for every app request sent with
    /// an `Authorization` — each send, the retries included, gets a proof of its own.
    pub fn dpop_proof(&self, url: &str) -> Option<Proof> {
        if !self.config.dpop {
            return None;
        }
        let cut = url.bytes().position(|b| b == b'?' || b == b'#');
        let htu = String::from(cut.map_or(url, |at| url.get(..at).unwrap_or(url)));
        let origin = origin_of_absolute(url)?;
        let nonce = self
            .nonces
            .iter()
            .find(|(o, _)| o == origin)
            .map(|(_, n)| n.clone());
        Some(Proof { htu, nonce })
    }

    /// An answer from `url` carried a `DPoP-Nonce` header: report it before the answer itself.
    /// A value that is not a visible ASCII string of at most 512 bytes is ignored.
    pub fn dpop_nonce(&mut self, url: &str, nonce: &str) {
        let usable =
            !nonce.is_empty() && nonce.len() <= 512 && nonce.bytes().all(|b| b.is_ascii_graphic());
        let Some(origin) = origin_of_absolute(url).filter(|_| self.config.dpop && usable) else {
            return;
        };
        self.nonces.retain(|(o, _)| o != origin);
        self.nonces
            .insert(0, (String::from(origin), String::from(nonce)));
        self.nonces.truncate(MAX_NONCES);
    }

    /// Auth call `id` was answered with a nonce challenge it has not had yet: send it again.
    pub(super) fn auth_nonce_retry(&mut self, id: AuthId, answer: &Answer) -> bool {
        let challenged = match answer {
            Answer::Response {
                status: 400 | 401,
                body,
                ..
            } => is_nonce_error(body),
            _ => false,
        };
        if !self.config.dpop || !challenged || self.nonce_retried.contains(&id) {
            return false;
        }
        let kind = if self.refresh_call_sent_at(id).is_some() {
            AuthKind::Refresh
        } else {
            match self.calls.iter().find(|c| c.id == id) {
                Some(c) if c.login => AuthKind::Login { call: c.user },
                Some(_) => AuthKind::Logout,
                None => return false,
            }
        };
        self.nonce_retried.insert(0, id);
        self.nonce_retried.truncate(MAX_RETRIED);
        self.push(Command::SendAuth { id, kind });
        true
    }
}

/// A JSON body whose `error` is `use_dpop_nonce` (RFC 9449 §8).
fn is_nonce_error(body: &str) -> bool {
    matches!(
        json::fields(body, &["error"]).ok().flatten().as_deref(),
        Some([Some(Value::Str(e))]) if e == "use_dpop_nonce"
    )
}

/// A `WWW-Authenticate` value with `error="use_dpop_nonce"` (RFC 9449 §9).
pub(super) fn is_nonce_challenge(www_authenticate: &str) -> bool {
    // Byte scan: a `str` pattern search would pull in kilobytes of searcher code.
    www_authenticate
        .as_bytes()
        .windows(14)
        .any(|w| w == b"use_dpop_nonce")
}
