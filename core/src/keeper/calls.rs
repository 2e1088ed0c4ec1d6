//! The application's calls that are not auth calls of their own — `restore`, `refresh`,
//! `set_token`, `wake`, `dispose` — and the one timer, `handle_timeout`.

use alloc::rc::Rc;
use alloc::string::String;

use super::token::Source;
use super::{flight, CallId, Command, Keeper, Settled};
use crate::event::Trigger;
use crate::jwt::{decode_unverified, Claims};
use crate::{Error, ErrorKind};

impl Keeper {
    /// Page load: a silent refresh with the cookie; settles `Restored(true)` when signed in,
    /// `Restored(false)` when the server has no session. A keeper already holding a token that is
    /// not due (heard from another tab) answers at once.
    pub fn restore(&mut self, call: CallId, now_ms: f64) {
        if let Some(e) = self.unavailable() {
            return self.settle(call, Err(e));
        }
        if self.session.held.is_some() && !self.is_due(now_ms) {
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
    pub fn set_token(&mut self, token: &str, now_ms: f64) -> Result<Rc<Claims>, Error> {
        if self.disposed {
            return Err(disposed());
        }
        let claims = Rc::new(decode_unverified(token, self.env.decoder)?);
        self.install(String::from(token), Rc::clone(&claims), Source::App, now_ms);
        Ok(claims)
    }

    /// The page became visible, was shown again, got focus or came online: timers may have
    /// slept, so compare the deadline with the clock. Hidden pages do nothing.
    pub fn handle_wake(&mut self, visible: bool, now_ms: f64) {
        if visible
            && self.session.held.is_some()
            && self.is_due(now_ms)
            && !self.refresh_waits(now_ms)
            && self.unavailable().is_none()
        {
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
        self.session.epoch += 1;
        // Forgotten first, so requests waiting for the refresh go out untouched.
        self.session.held = None;
        self.session.generation += 1;
        self.cancel_flight(&disposed());
        if let Some((id, _)) = self.auth.draining.take() {
            self.push(Command::AbortAuth { id });
        }
        self.auth.deferred.clear();
        self.auth.login_waiting = None;
        self.release_lock();
        for call in core::mem::take(&mut self.auth.pending) {
            self.push(Command::AbortAuth { id: call.id });
            self.settle(call.user, Err(disposed()));
        }
        // Requests on the wire finish with their own answers: `handle_app_answer` finds no record.
        self.fetches.clear();
        self.refresh.scheduled_at_ms = None;
        self.session.csrf = None;
        if let Some(dpop) = &mut self.dpop {
            dpop.nonces.clear();
        }
    }

    /// Why a refresh cannot start now, if it cannot.
    pub(super) fn unavailable(&self) -> Option<Error> {
        if self.disposed {
            Some(disposed())
        } else if self.logging_out() {
            Some(Error::new(ErrorKind::Aborted, "the keeper is signing out"))
        } else if self.logging_in() {
            // A refresh now would present the session's cookie beside the login's, and its
            // answer could land after the login's: none starts until the login settles.
            Some(Error::new(ErrorKind::Aborted, "the keeper is signing in"))
        } else {
            None
        }
    }
}

pub(super) fn disposed() -> Error {
    Error::new(ErrorKind::Aborted, "the keeper was disposed")
}
