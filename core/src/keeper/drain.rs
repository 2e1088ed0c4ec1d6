//! A refresh call that is out when its flight is cancelled (by a login, a logout, a sign-out
//! heard from another tab) is not aborted: its answer carries the rotated refresh cookie, which
//! the browser must store, or the next refresh presents a dead one and the server sees theft. So
//! the call *drains*: the keeper keeps the lock until its answer lands (and ignores the token in
//! it, from an ended session), and nothing whose cookie the late answer could overwrite — a new
//! refresh, a login, a logout — goes out before.

use super::flight::Stage;
use super::{AuthId, Command, Keeper};

impl Keeper {
    /// Lets call `id` land before anything else presents the cookie; gives up at `deadline_ms`.
    pub(super) fn drain(&mut self, id: AuthId, deadline_ms: f64) {
        self.auth.draining = Some((id, deadline_ms));
    }

    /// Whether `id` is the draining call; if so, it has landed.
    pub(super) fn drained(&mut self, id: AuthId, now_ms: f64) -> bool {
        if self.auth.draining.is_some_and(|(d, _)| d == id) {
            self.end_drain(now_ms);
            return true;
        }
        false
    }

    pub(super) fn drain_timeout(&mut self, now_ms: f64) {
        if let Some((id, deadline_ms)) = self.auth.draining {
            if now_ms >= deadline_ms {
                self.push(Command::AbortAuth { id });
                self.end_drain(now_ms);
            }
        }
    }

    fn end_drain(&mut self, now_ms: f64) {
        self.auth.draining = None;
        let timeout_ms = self.timeout_ms();
        let mut login_out = false;
        for (id, kind) in core::mem::take(&mut self.auth.deferred) {
            // A call that timed out (or was overtaken) while it waited is not sent after all.
            if let Some(call) = self.auth.pending.iter_mut().find(|c| c.id == id) {
                // It leaves now: its token dates from now, not from when the user asked. Dated
                // earlier, it would look older to the other tabs than tokens issued meanwhile,
                // and they would keep those (the test
                // a_login_held_back_by_a_draining_refresh_is_dated_from_when_it_leaves).
                call.sent_at_ms = now_ms;
                if !call.login {
                    // A logout's time is its own, however long it waited.
                    call.deadline_ms = now_ms + timeout_ms;
                }
                login_out |= call.login;
                self.push_auth(id, kind);
            }
        }
        if login_out {
            // A login keeps the lock until it is answered, as one that waited for it does: no
            // other tab's login or refresh goes out beside it.
            return;
        }
        // A flight that began meanwhile takes its turn now, under the lock still held.
        let waiting = matches!(
            self.refresh.flight.as_ref().map(|f| f.stage),
            Some(Stage::Lock { .. })
        );
        match (waiting, self.lock.held) {
            (true, true) => self.lock_granted(now_ms),
            (true, false) if self.uses_lock() => self.push(Command::RequestLock { steal: false }),
            (true, false) => self.send_refresh(now_ms),
            (false, _) => self.release_lock(),
        }
    }
}
