//! How the refresh in flight ends: a token, a transient failure to back off from and retry, a
//! final failure, or cancellation — and who is answered then.

use alloc::rc::Rc;
use alloc::vec::Vec;

use super::flight::{Outcome, Stage, Waiter};
use super::{Command, Keeper, Settled, MAX_RETRY_AFTER_MS, RETRY_SCHEDULE_MS};
use crate::event::{Event, LogoutReason};
use crate::{Error, ErrorKind};

impl Keeper {
    /// The refresh call's answer, already judged by `auth`: a token installed
    /// (`Outcome::Fresh`), a transient failure to retry (`Outcome::Transient`, with the
    /// server's `Retry-After`), or a final one (`Outcome::Failed`).
    pub(super) fn refresh_done(&mut self, outcome: Outcome, now_ms: f64) {
        match outcome {
            Outcome::Transient(e, retry_after_ms) => self.transient(e, retry_after_ms, now_ms),
            Outcome::Failed(e) => self.finish_flight(Some(e), now_ms),
            Outcome::Fresh => self.finish_flight(None, now_ms),
        }
    }

    /// A failure worth retrying (network, timeout, 5xx, 429): back off, or give up when the
    /// attempts are spent or the server asks for too long a wait.
    pub(super) fn transient(&mut self, error: Error, retry_after_ms: Option<f64>, now_ms: f64) {
        let retry = self.config.retry;
        let attempt = self.refresh.flight.as_ref().map_or(0, |f| f.attempt);
        let unit = self.rng.unit();
        let delay = retry_after_ms.unwrap_or_else(|| {
            #[allow(clippy::cast_precision_loss)]
            let (base, max) = (
                retry.base_delay.as_millis() as f64,
                retry.max_delay.as_millis() as f64,
            );
            let exp = (base * f64::from(1u32 << attempt.min(20))).min(max);
            exp * (0.5 + 0.5 * unit)
        });
        // Kept past this flight: the next one, whoever starts it, waits as long.
        self.note_not_before(now_ms, delay, error.status());
        if attempt >= retry.attempts || retry_after_ms.is_some_and(|ms| ms > MAX_RETRY_AFTER_MS) {
            return self.finish_flight(Some(error), now_ms);
        }
        if let Some(flight) = &mut self.refresh.flight {
            flight.attempt += 1;
            flight.stage = Stage::Backoff {
                until_ms: now_ms + delay,
            };
        }
        self.tell_working(delay);
    }

    /// No refresh call for `wait_ms` from `now_ms` (at most [`super::MAX_NOT_BEFORE_MS`]; the
    /// later of this and any wait already asked for). `status`: of the answer that asked for it
    /// (`None`: no answer came).
    pub(super) fn note_not_before(&mut self, now_ms: f64, wait_ms: f64, status: Option<u16>) {
        let at_ms = now_ms + wait_ms.min(super::MAX_NOT_BEFORE_MS);
        if self.refresh.not_before_ms < at_ms {
            self.refresh.not_before_ms = at_ms;
            self.refresh.not_before_status = status.unwrap_or(0);
        }
    }

    /// Ends the flight for `reason` without an answer (a new session, a sign-out, dispose):
    /// waiters learn it, the call is aborted, the lock released.
    pub(super) fn cancel_flight(&mut self, reason: &Error) {
        let Some(flight) = self.refresh.flight.take() else {
            return;
        };
        if let Some(dpop) = &mut self.dpop {
            dpop.for_tab = false;
        }
        match flight.stage {
            // The call is out: let it land (its cookie with it), holding the lock until then.
            Stage::Send {
                id, deadline_ms, ..
            } => self.drain(id, deadline_ms),
            // Stop waiting for the lock.
            Stage::Lock { .. } if !self.lock.held => self.push(Command::ReleaseLock),
            _ => self.release_lock(),
        }
        self.answer_waiters(flight.waiters, Some(reason));
    }

    /// Ends the flight: with a new token held (`error` none), or failed.
    pub(super) fn finish_flight(&mut self, error: Option<Error>, now_ms: f64) {
        let Some(flight) = self.refresh.flight.take() else {
            return;
        };
        self.release_lock();
        // `dpop`: a refresh for a session another tab has, refused here (a server that pins a
        // family to one key, or a session that ended meanwhile): the next one waits a while.
        if let Some(dpop) = &mut self.dpop {
            let heard = core::mem::take(&mut dpop.for_tab);
            if heard
                && error
                    .as_ref()
                    .is_some_and(|e| e.kind() == ErrorKind::Rejected)
            {
                dpop.tab_refused_at_ms = now_ms;
            }
        }
        match &error {
            None => {}
            Some(e) if e.kind() == ErrorKind::Rejected => {
                self.clear(LogoutReason::Rejected, now_ms)
            }
            Some(e) => {
                self.emit(Event::Error(e.clone()));
                match self.plan() {
                    Some(p) if p.is_expired(now_ms) => self.clear(LogoutReason::Expired, now_ms),
                    // Still valid: try again before it expires (half the time left, at most
                    // RETRY_SCHEDULE_MS), instead of waiting for the app's next fetch.
                    Some(p) => {
                        let delay = ((p.expires_at_ms - now_ms) / 2.0).min(RETRY_SCHEDULE_MS);
                        let at = now_ms + delay.max(super::MIN_SCHEDULE_MS);
                        self.refresh.scheduled_at_ms = Some(at.max(self.refresh.not_before_ms));
                    }
                    None => {}
                }
            }
        }
        self.answer_waiters(flight.waiters, error.as_ref());
    }

    /// Tells everyone who waited how the refresh went (`error` is `None` when a fresh token is
    /// held): a refused session is no session for `restore()`; requests waiting to be sent go
    /// out with whatever is held now; a 401 is retried only after a fresh token.
    pub(super) fn answer_waiters(&mut self, waiters: Vec<Waiter>, error: Option<&Error>) {
        for waiter in waiters {
            self.answer_waiter(waiter, error);
        }
    }

    pub(super) fn answer_waiter(&mut self, waiter: Waiter, error: Option<&Error>) {
        match (waiter, error) {
            (Waiter::Restore(call), None) => self.settle(call, Ok(Settled::Restored(true))),
            (Waiter::Restore(call), Some(e)) if e.kind() == ErrorKind::Rejected => {
                self.settle(call, Ok(Settled::Restored(false)));
            }
            (Waiter::Refresh(call), None) => self.settle(call, Ok(Settled::Done)),
            (Waiter::Login(call), None) => {
                let result = match &self.session.held {
                    Some(held) => Ok(Settled::Claims(Rc::clone(&held.claims))),
                    None => Err(Error::new(ErrorKind::Aborted, "the keeper signed out")),
                };
                self.settle(call, result);
            }
            (Waiter::Restore(call) | Waiter::Refresh(call) | Waiter::Login(call), Some(e)) => {
                self.settle(call, Err(e.clone()));
            }
            (Waiter::Send(id), _) => self.send_app(id),
            (Waiter::Retry(id), None) => self.retry_app(id),
            (Waiter::Retry(id), Some(_)) => self.finish_app(id),
        }
    }
}
