//! A login under the refresh lock. When tabs take turns, a login first takes the lock: a refresh
//! another tab has on the wire presents the old cookie, and landing after the login it would
//! leave the jar with the old session's rotated cookie and the tabs with its token, dated later
//! than the login's — the new session lost (`tabs_login_tests.rs`). The login
//! waits at most half a `timeoutMs` (a frozen holder), leaves dated from when it leaves, and
//! gives the lock back when it is answered. A sign-out or another login replaces one still
//! waiting: it never leaves.

use super::{AuthKind, Command, Keeper};
use crate::{Error, ErrorKind};

impl Keeper {
    /// The lock came (or will not: refused, lost, or the wait ran out): the waiting login goes,
    /// dated from now — a refresh another tab finished meanwhile got an older token.
    pub(super) fn send_waiting_login(&mut self, now_ms: f64) {
        let Some((id, _)) = self.auth.login_waiting.take() else {
            return;
        };
        match self.auth.pending.iter_mut().find(|c| c.id == id) {
            Some(c) => {
                c.sent_at_ms = now_ms;
                let call = c.user;
                self.send_auth(id, AuthKind::Login { call });
            }
            None => self.release_lock(),
        }
    }

    /// Whether a login begun at or after `at_ms` is under way: a sign-out another tab made
    /// before it does not end it.
    pub(super) fn login_begun_since(&self, at_ms: f64) -> bool {
        let timeout = self.timeout_ms();
        self.auth
            .pending
            .iter()
            .any(|c| c.login && c.deadline_ms - timeout >= at_ms)
    }

    /// A logout (this tab's or another's) or another login replaces a login still waiting for
    /// the lock: it never leaves — sent after the sign-out, it would start a session anew.
    pub(super) fn abandon_waiting_login(&mut self) {
        let Some((id, _)) = self.auth.login_waiting.take() else {
            return;
        };
        if !self.lock.held {
            // Stop waiting for it.
            self.push(Command::ReleaseLock);
        }
        if let Some(index) = self.auth.pending.iter().position(|c| c.id == id) {
            self.settle_replaced(index);
        }
    }

    /// Login call number `index` of the calls under way was replaced by a later login or a
    /// logout: it is forgotten and its caller told. Its id and deadline.
    pub(super) fn settle_replaced(&mut self, index: usize) -> (super::AuthId, f64) {
        let login = self.auth.pending.remove(index);
        let e = Error::new(
            ErrorKind::Aborted,
            "a later login or logout replaced this login",
        );
        self.settle(login.user, Err(e));
        (login.id, login.deadline_ms)
    }
}
