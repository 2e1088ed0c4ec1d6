//! Auth calls: login, logout, and the judging of every auth answer (refresh's included).
//!
//! An answer is read as text and parsed here, so a body that is not JSON, or a token that does not
//! decode, is a clear `invalid_token` error and changes nothing. Each call is bounded by
//! `timeoutMs`, headers and body together: the keeper times it out itself, whatever the driver's
//! fetch does.

use alloc::rc::Rc;
use alloc::vec::Vec;

use super::{Answer, AuthId, AuthKind, CallId, Command, Keeper, Settled};
use crate::event::LogoutReason;
use crate::{Error, ErrorKind};

/// A login or logout call in flight.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) id: AuthId,
    /// The user call to settle (a login's, or a logout's).
    pub(super) user: CallId,
    pub(super) login: bool,
    pub(super) epoch: u64,
    pub(super) sent_at_ms: f64,
    pub(super) deadline_ms: f64,
    /// A login's credentials, until sent (with `dpop`, until answered).
    pub(super) credentials: Option<Rc<super::Credentials>>,
}

/// The login and logout calls.
#[derive(Debug, Default)]
pub(super) struct Calls {
    /// In flight.
    pub(super) pending: Vec<Pending>,
    /// A cancelled flight's refresh call still out, and when to stop waiting for it.
    pub(super) draining: Option<(AuthId, f64)>,
    /// Logins and logouts waiting for the draining call to land.
    pub(super) deferred: Vec<(AuthId, AuthKind)>,
    /// A login waiting for the refresh lock (another tab's refresh may be on the wire), and
    /// until when it waits before going without it.
    pub(super) login_waiting: Option<(AuthId, f64)>,
    /// The last auth call's number.
    pub(super) next: AuthId,
}

impl Keeper {
    /// Whether a `login()` is under way.
    pub(super) fn logging_in(&self) -> bool {
        self.auth.pending.iter().any(|c| c.login)
    }

    /// Whether a `logout()` is under way.
    pub(super) fn logging_out(&self) -> bool {
        self.auth.pending.iter().any(|c| !c.login)
    }
}

impl Keeper {
    /// Signs in: POSTs `credentials` to `loginUrl`. Starts a new session epoch at once, so a
    /// refresh still in flight can no longer land.
    pub fn login(&mut self, call: CallId, credentials: super::Credentials, now_ms: f64) {
        if let Some(e) = self.unavailable() {
            return self.settle(call, Err(e));
        }
        if self.config.login_url.is_none() {
            return self.settle(
                call,
                Err(crate::config::config_error(
                    "loginUrl",
                    "is needed to log in",
                )),
            );
        }
        self.session.epoch += 1;
        self.cancel_flight(&Error::new(
            ErrorKind::Aborted,
            "a login replaced this refresh",
        ));
        // No refresh until the login settles (`unavailable`): nothing scheduled meanwhile.
        self.refresh.scheduled_at_ms = None;
        self.begin(call, Some(Rc::new(credentials)), now_ms);
    }

    /// Signs out: POSTs to `logoutUrl` (when set), then forgets the token whatever the answer.
    /// From this call on no refresh starts, and none still in flight can land.
    pub fn logout(&mut self, call: CallId, now_ms: f64) {
        if self.disposed {
            return self.settle(call, Ok(Settled::Done));
        }
        self.abandon_waiting_login();
        self.session.epoch += 1;
        self.cancel_flight(&Error::new(ErrorKind::Aborted, "the keeper signed out"));
        self.refresh.scheduled_at_ms = None;
        self.replace_login();
        if self.config.logout_url.is_none() {
            self.clear(LogoutReason::User, now_ms);
            return self.settle(call, Ok(Settled::Done));
        }
        self.begin(call, None, now_ms);
    }

    /// A logout replaces the login under way. One still held back is never sent. One on the wire
    /// would land after the logout and set a new session's cookie — the user signed out, and the
    /// next page load signs them back in — so it drains: the logout goes once its answer has
    /// landed, and presents its cookie. The login's caller learns at once that it was replaced.
    fn replace_login(&mut self) {
        let Some(index) = self.auth.pending.iter().rposition(|c| c.login) else {
            return;
        };
        let (id, deadline_ms) = self.settle_replaced(index);
        match self.auth.deferred.iter().position(|(d, _)| *d == id) {
            Some(held) => drop(self.auth.deferred.remove(held)),
            None if self.auth.draining.is_none() => self.drain(id, deadline_ms),
            None => {}
        }
    }

    /// Records user call `call`'s login (or logout) call, timed from now, and sends it. A login
    /// first takes the refresh lock when tabs take turns: a refresh another tab has on the wire
    /// presents the old cookie, and landing after the login it would leave the jar with the old
    /// session's cookie (the server rotated it) and the tabs with its token (dated later) — the
    /// new session lost (the test
    /// `a_login_waits_for_the_lock_and_gives_it_back_when_answered`, in `tabs_login_tests.rs`).
    fn begin(&mut self, call: CallId, credentials: Option<Rc<super::Credentials>>, now_ms: f64) {
        let login = credentials.is_some();
        self.abandon_waiting_login();
        let id = self.next_auth_id();
        self.auth.pending.push(Pending {
            id,
            user: call,
            login,
            epoch: self.session.epoch,
            sent_at_ms: now_ms,
            deadline_ms: now_ms + self.timeout_ms(),
            credentials,
        });
        let kind = if login {
            AuthKind::Login { call }
        } else {
            AuthKind::Logout
        };
        if login && self.uses_lock() && !self.lock.held {
            let until = now_ms + self.patience_ms().min(self.timeout_ms() / 2.0);
            self.auth.login_waiting = Some((id, until));
            return self.push(Command::RequestLock { steal: false });
        }
        self.send_auth(id, kind);
    }

    /// What auth call `id` is while the keeper waits for its answer: the refresh in flight, or a
    /// login or logout under way (with `this_session`, only one of the current session).
    pub(super) fn auth_kind(&self, id: AuthId, this_session: bool) -> Option<AuthKind> {
        if self.refresh_call_sent_at(id).is_some() {
            return Some(AuthKind::Refresh);
        }
        let epoch = self.session.epoch;
        let call = (self.auth.pending.iter())
            .find(|c| c.id == id && (!this_session || c.epoch == epoch))?;
        Some(match call.login {
            true => AuthKind::Login { call: call.user },
            false => AuthKind::Logout,
        })
    }

    /// Sends a login or logout call, or, while a refresh call of the ended session is still
    /// out, holds it until that call lands: its cookie must not land after this call's.
    pub(super) fn send_auth(&mut self, id: AuthId, kind: AuthKind) {
        if self.auth.draining.is_some() {
            self.auth.deferred.push((id, kind));
        } else {
            self.push_auth(id, kind);
        }
    }

    /// Auth call `id` answered (or failed). Answers to calls the keeper no longer waits for —
    /// timed out, or from an earlier session — are dropped.
    pub fn handle_auth_answer(&mut self, id: AuthId, mut answer: Answer, now_ms: f64) {
        if self.disposed {
            return;
        }
        if let Answer::Response {
            dpop_nonce: Some(nonce),
            ..
        } = &answer
        {
            // Its endpoint's origin gave it. A call the keeper no longer knows the kind of (one
            // draining after it was replaced, one that timed out) files none: a nonce lost costs
            // one more challenge at most.
            let kind = self.auth_kind(id, false);
            let url = kind.and_then(|kind| self.env.endpoint(kind));
            if let (Some(dpop), Some(url)) = (&mut self.dpop, url) {
                dpop.keep_nonce(url, nonce);
            }
        }
        if let Answer::Response { body, parsed, .. } = &mut answer {
            if body.len() > super::MAX_INPUT_BYTES {
                body.clear();
                *parsed = crate::parsed::Parsed::NotJson;
            }
        }
        if let Answer::Response {
            status: status @ (429 | 500..=599),
            retry_after_s,
            ..
        } = answer
        {
            // The answer of a refresh still draining after its session ended: no refresh call
            // leaves before the server said either (the flight's own answer is noted with its
            // backoff, `transient`; a login's throttle is not about refreshes).
            let wait_ms = retry_after_ms(retry_after_s);
            if let (true, Some(wait_ms)) =
                (self.auth.draining.is_some_and(|(d, _)| d == id), wait_ms)
            {
                self.note_not_before(now_ms, wait_ms, Some(status));
            }
        }
        if self.auth_nonce_retry(id, &answer) {
            return;
        }
        if let Some(sent_at_ms) = self.refresh_call_sent_at(id) {
            return self.refresh_answer(answer, sent_at_ms, now_ms);
        }
        if self.drained(id, now_ms) {
            return;
        }
        let Some(index) = self.auth.pending.iter().position(|c| c.id == id) else {
            return;
        };
        let pending = self.auth.pending.remove(index);
        if pending.login {
            self.login_answer(pending, Some(answer), now_ms);
        } else {
            self.logout_answer(pending, Some(answer), now_ms);
        }
    }

    pub(super) fn auth_timeouts(&mut self, now_ms: f64) {
        while let Some(index) = self
            .auth
            .pending
            .iter()
            .position(|c| now_ms >= c.deadline_ms)
        {
            let pending = self.auth.pending.remove(index);
            self.push(Command::AbortAuth { id: pending.id });
            if pending.login {
                self.login_answer(pending, None, now_ms);
            } else {
                self.logout_answer(pending, None, now_ms);
            }
        }
    }
}

/// A `Retry-After` in seconds as a wait in ms, when it is one (finite, not negative).
pub(super) fn retry_after_ms(seconds: Option<f64>) -> Option<f64> {
    seconds
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| s * 1000.0)
}

pub(super) fn is_ok(status: u16) -> bool {
    (200..300).contains(&status)
}

pub(super) fn timed_out() -> Error {
    Error::new(ErrorKind::Timeout, "the auth call timed out")
}

pub(super) fn unreachable_server() -> Error {
    Error::new(ErrorKind::Network, "the auth server could not be reached")
}
