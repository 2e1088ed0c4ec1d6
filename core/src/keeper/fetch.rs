//! What an app request carries, and what happens when it answers 401: the one place that
//! decides, for every driver.
//!
//! 1. A request to an origin that is not allowed, or carrying the caller's own `Authorization`,
//!    goes out untouched and its answer straight back.
//! 2. With a token held: a token within its lead is refreshed first (so steady state sees no
//!    401) — unless the server asked the keeper to wait (`Retry-After`, or a backoff running):
//!    until then a valid token is sent as it is; then the request carries the bearer.
//! 3. A 401 to a request that carried our token, answered from an allowed origin (a redirect may
//!    have led elsewhere), in the same session, whose `WWW-Authenticate` does not say the token
//!    is fine ([`crate::challenge::blames_token`]: no `insufficient_scope`, no other scheme):
//!    retried once — at once when the token changed meanwhile, else after joining (or starting)
//!    the one refresh. Any other answer, a refused refresh, or a session that ended meanwhile
//!    gives the caller the answer it got.

use super::flight::Waiter;
use alloc::string::String;

use super::{AppAnswer, Command, FetchId, Keeper};
use crate::event::Trigger;

/// An app request whose answer the keeper watches.
#[derive(Debug)]
pub(super) struct Watched {
    pub(super) id: FetchId,
    /// The session it was sent in.
    epoch: u64,
    /// The token generation it carried; `None` before it is sent.
    generation: Option<u64>,
    /// It was retried already: its next answer is final.
    retried: bool,
    /// `dpop`: it was sent again for a nonce challenge already.
    nonce_retried: bool,
    /// `dpop`: its URL, which each send's proof names (`htu`, and its origin's nonce).
    url: Option<String>,
}

impl Keeper {
    /// The app sends request `id` to `url` (absolute, as `Request.url` has it);
    /// `has_authorization` when the caller set that header. Answers with [`Command::PassApp`] or
    /// [`Command::SendApp`], at once or after a refresh.
    pub fn fetch(&mut self, id: FetchId, url: &str, has_authorization: bool, now_ms: f64) {
        let ours = !self.disposed && !has_authorization && self.env.allowed.allows(url);
        if !ours || self.session.held.is_none() {
            return self.push(Command::PassApp { id });
        }
        self.fetches.push(Watched {
            id,
            epoch: self.session.epoch,
            generation: None,
            retried: false,
            nonce_retried: false,
            url: self.dpop.as_ref().map(|_| String::from(url)),
        });
        if self.is_due(now_ms) && !self.refresh_waits(now_ms) && self.unavailable().is_none() {
            self.join_flight(Trigger::Schedule, Waiter::Send(id), now_ms);
        } else {
            self.send_app(id);
        }
    }

    /// Request `id`'s outcome ([`AppAnswer`]). An answer decides whether a 401 is worth a
    /// refresh (with `dpop` it may be a nonce challenge); a failure forgets the request.
    pub fn handle_app_answer(&mut self, id: FetchId, answer: AppAnswer<'_>, now_ms: f64) {
        let AppAnswer::Response {
            status,
            url,
            www_authenticate,
            dpop_nonce,
        } = answer
        else {
            return self.fetches.retain(|w| w.id != id);
        };
        if let Some(nonce) = dpop_nonce {
            self.dpop_nonce(url, nonce);
        }
        let Some(watched) = self.fetches.iter_mut().find(|w| w.id == id) else {
            return self.push(Command::FinishApp { id });
        };
        // As for the 401 retry: only a request of this session, with a token still held, whose
        // answer came from an allowed origin; anything else gets the answer it had, below.
        let nonce_retry = status == 401
            && self.dpop.is_some()
            && !watched.nonce_retried
            && watched.generation.is_some()
            && watched.epoch == self.session.epoch
            && self.session.held.is_some()
            && self.env.allowed.allows(url)
            && www_authenticate.is_some_and(super::dpop::names_nonce_error);
        if nonce_retry {
            // Not the 401 retry: the same token again, with a proof carrying the new nonce.
            watched.nonce_retried = true;
            return self.send_app(id);
        }
        let retry = status == 401
            && crate::challenge::blames_token(www_authenticate)
            && !watched.retried
            && watched.generation.is_some()
            && watched.epoch == self.session.epoch
            && self.session.held.is_some()
            && self.env.allowed.allows(url);
        let token_changed = watched.generation != Some(self.session.generation);
        if !retry {
            return self.finish_app(id);
        }
        if token_changed {
            // The token changed since this request left: retry with the new one.
            return self.retry_app(id);
        }
        if self.unavailable().is_some() {
            return self.finish_app(id);
        }
        self.join_flight(Trigger::Unauthorized, Waiter::Retry(id), now_ms);
    }

    /// Sends watched request `id` with the bearer held now (or untouched, when none is).
    pub(super) fn send_app(&mut self, id: FetchId) {
        self.send_watched(id, false);
    }

    /// Retries watched request `id` once with the token held now, if the session is the same.
    pub(super) fn retry_app(&mut self, id: FetchId) {
        self.send_watched(id, true);
    }

    fn send_watched(&mut self, id: FetchId, retry: bool) {
        let bearer = self.bearer();
        let (generation, epoch) = (self.session.generation, self.session.epoch);
        let Some(watched) = self.fetches.iter_mut().find(|w| w.id == id) else {
            return;
        };
        // With `dpop`, each send's proof: the nonce is its origin's newest now.
        let proof = (self.dpop.as_ref())
            .zip(watched.url.as_deref())
            .and_then(|(dpop, url)| dpop.proof(url));
        let (Some(bearer), true) = (bearer, watched.epoch == epoch) else {
            // Signed out (or a new session) meanwhile: nothing to attach, nothing to retry. A
            // retry gives the caller the answer it had; a first send goes out untouched.
            if retry {
                return self.finish_app(id);
            }
            self.fetches.retain(|w| w.id != id);
            return self.push(Command::PassApp { id });
        };
        watched.generation = Some(generation);
        watched.retried |= retry;
        self.push(Command::SendApp {
            id,
            authorization: bearer,
            proof,
        });
    }

    pub(super) fn finish_app(&mut self, id: FetchId) {
        self.fetches.retain(|w| w.id != id);
        self.push(Command::FinishApp { id });
    }
}
