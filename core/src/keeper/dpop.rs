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
use alloc::vec::Vec;

use super::{Answer, AuthId, Keeper};
use crate::origin::origin_of_absolute;

/// DPoP's state: nonces, the calls sent again for a challenge, the refreshes for other tabs'
/// sessions. The keeper holds one with the option `dpop` and none without: whether DPoP is on
/// is whether there is one.
#[derive(Debug)]
pub(super) struct DpopState {
    /// The newest nonce of each origin that gave one (origin, nonce), oldest first.
    pub(super) nonces: Vec<(String, String)>,
    /// The last auth calls sent again for a nonce challenge.
    pub(super) retried: [AuthId; 4],
    /// The flight in the air was started for a session another tab has.
    pub(super) for_tab: bool,
    /// When such a refresh was last refused, or, signed in, last started (local ms).
    pub(super) tab_refused_at_ms: f64,
}

impl Default for DpopState {
    fn default() -> Self {
        DpopState {
            nonces: Vec::new(),
            retried: [AuthId(0); 4],
            for_tab: false,
            tab_refused_at_ms: f64::NEG_INFINITY,
        }
    }
}

/// What a DPoP proof says besides `jti`, `iat` and `ath`, which the driver adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// `htu`: the request's URL without query and fragment.
    pub htu: String,
    /// `nonce`: the newest nonce the URL's origin gave, if it gave one.
    pub nonce: Option<String>,
}

/// Nonces of this many origins are kept. Auth calls: the last four
/// sent again for a challenge are remembered (only a refresh and a logout can overlap).
const MAX_NONCES: usize = 8;

impl Keeper {
    /// The proof for a request to `url` (absolute, as the browser resolved it), `None` unless
    /// the option `dpop` is on. Every auth call ([`AuthSend`](super::AuthSend)) and every app
    /// request sent with an `Authorization` ([`Command::SendApp`](super::Command::SendApp)) carries
    /// one — each send, the retries included, gets a proof of its own.
    pub(super) fn dpop_proof(&self, url: &str) -> Option<Proof> {
        self.dpop.as_ref()?.proof(url)
    }

    /// An answer from `url` carried a `DPoP-Nonce` header (it comes with the answer:
    /// [`AppAnswer::Response`](super::AppAnswer::Response), [`Answer::Response`]). A value that is not a visible ASCII
    /// string of at most 512 bytes is ignored.
    pub(super) fn dpop_nonce(&mut self, url: &str, nonce: &str) {
        if let Some(dpop) = &mut self.dpop {
            dpop.keep_nonce(url, nonce);
        }
    }
}

impl DpopState {
    /// The proof for a request to `url` (see [`Keeper::dpop_proof`]): `None` when `url` has no
    /// origin.
    pub(super) fn proof(&self, url: &str) -> Option<Proof> {
        let cut = url.bytes().position(|b| b == b'?' || b == b'#');
        let htu = String::from(cut.map_or(url, |at| url.get(..at).unwrap_or(url)));
        let origin = origin_of_absolute(url)?;
        let nonce = self.nonces.iter().find(|(o, _)| o == origin);
        Some(Proof {
            htu,
            nonce: nonce.map(|(_, n)| n.clone()),
        })
    }

    /// Keeps `nonce` as `url`'s origin's newest (see [`Keeper::dpop_nonce`]).
    pub(super) fn keep_nonce(&mut self, url: &str, nonce: &str) {
        let usable =
            !nonce.is_empty() && nonce.len() <= 512 && nonce.bytes().all(|b| b.is_ascii_graphic());
        let (Some(origin), true) = (origin_of_absolute(url), usable) else {
            return;
        };
        let value = String::from(nonce);
        if let Some(slot) = self.nonces.iter_mut().find(|(o, _)| o == origin) {
            slot.1 = value;
            return;
        }
        if self.nonces.len() == MAX_NONCES {
            // A ninth origin: the list starts over (each origin forgotten costs at most one
            // more challenge; a rotation would cost the wasm most of a kilobyte).
            self.nonces.clear();
        }
        self.nonces.push((String::from(origin), value));
    }
}

impl Keeper {
    /// Auth call `id` was answered with a nonce challenge it has not had yet: send it again.
    pub(super) fn auth_nonce_retry(&mut self, id: AuthId, answer: &Answer) -> bool {
        let challenged = match answer {
            Answer::Response {
                status: 400 | 401,
                body,
                ..
            } => names_nonce_error(body),
            Answer::Response { .. } | Answer::Failed => false,
        };
        let fresh = self.dpop.as_ref().is_some_and(|d| !d.retried.contains(&id));
        if !challenged || !fresh {
            return false;
        }
        // Only a call of the current session: a login that a logout has since replaced must
        // not go out after it (its cookie would sign the user back in), nor a logout after a
        // new login (it would end that session).
        let Some(kind) = self.auth_kind(id, true) else {
            return false;
        };
        // Auth ids grow from 1: the oldest entry is the smallest.
        if let Some(slot) = self.dpop.as_mut().and_then(|d| d.retried.iter_mut().min()) {
            *slot = id;
        }
        self.push_auth(id, kind);
        true
    }
}

/// An answer that names the error `use_dpop_nonce` (RFC 9449 §8–9): a JSON body's `error` from
/// an auth server, a `WWW-Authenticate` value from an API. A byte scan, not a JSON or header
/// parse: the name is specific enough, and a scan costs the wasm nothing it does not have.
pub(super) fn names_nonce_error(text: &str) -> bool {
    text.as_bytes().windows(14).any(|w| w == b"use_dpop_nonce")
}
