//! What each auth answer means: a login's token (or, with `refreshAfterLogin`, its refresh), a
//! logout's end of the session, a refresh's outcome for the flight.

use alloc::rc::Rc;
use alloc::string::String;

use super::auth::{is_ok, retry_after_ms, timed_out, unreachable_server, Pending};
use super::flight::Outcome;
use super::{Answer, Command, Keeper, Settled, Source};
use crate::event::LogoutReason;
use crate::jwt::decode_unverified;
use crate::parsed::Parsed;
use crate::{Error, ErrorKind};

impl Keeper {
    pub(super) fn login_answer(&mut self, pending: Pending, answer: Option<Answer>, now_ms: f64) {
        if self
            .auth
            .login_waiting
            .is_some_and(|(id, _)| id == pending.id)
        {
            // Timed out before the lock came.
            self.auth.login_waiting = None;
            if !self.lock.held {
                self.push(Command::ReleaseLock);
            }
        }
        // The lock taken for the login is given back (a flight holds its own).
        if self.refresh.flight.is_none() && self.auth.draining.is_none() {
            self.release_lock();
        }
        let result = if pending.epoch != self.session.epoch {
            Err(Error::new(
                ErrorKind::Aborted,
                "a later login or logout replaced this login",
            ))
        } else {
            match answer {
                None => Err(timed_out()),
                Some(Answer::Failed) => Err(unreachable_server()),
                // A session-cookie backend's sign-in: the token comes from a refresh, which
                // settles this call (`flight.rs`).
                Some(Answer::Response { status, .. })
                    if is_ok(status) && self.config.refresh_after_login =>
                {
                    let waiter = super::flight::Waiter::Login(pending.user);
                    return self.join_flight(crate::event::Trigger::Login, waiter, now_ms);
                }
                Some(Answer::Response {
                    status,
                    parsed,
                    token_header,
                    ..
                }) if is_ok(status) => self
                    .accept(parsed, token_header, pending.sent_at_ms, now_ms)
                    .map(Settled::Claims),
                Some(Answer::Response { status, .. }) => {
                    Err(Error::http(status, "the login was refused"))
                }
            }
        };
        if result.is_err() && self.unavailable().is_none() {
            // The session that was held goes on: its refreshes resume.
            self.reschedule(now_ms);
        }
        self.settle(pending.user, result);
    }

    pub(super) fn logout_answer(&mut self, pending: Pending, answer: Option<Answer>, now_ms: f64) {
        let failure = match answer {
            None => Some(timed_out()),
            Some(Answer::Failed) => Some(unreachable_server()),
            Some(Answer::Response { status, .. }) if is_ok(status) => None,
            Some(Answer::Response { status, .. }) => {
                Some(Error::http(status, "the logout call was refused"))
            }
        };
        self.clear(LogoutReason::User, now_ms);
        if let Some(e) = failure {
            self.emit(crate::event::Event::Error(e));
        }
        self.settle(pending.user, Ok(Settled::Done));
    }

    pub(super) fn refresh_answer(&mut self, answer: Answer, sent_at_ms: f64, now_ms: f64) {
        match answer {
            Answer::Failed => {
                self.refresh_done(Outcome::Transient(unreachable_server(), None), now_ms);
            }
            Answer::Response {
                status,
                body,
                parsed,
                token_header,
                ..
            } if is_ok(status) => {
                let outcome = match self.accept(parsed, token_header, sent_at_ms, now_ms) {
                    Ok(_) => Outcome::Fresh,
                    // A session endpoint without a session answers JSON `null` (better-auth's,
                    // and the shape of Supabase's and Clerk's `getToken`): the refusal it means.
                    Err(_) if body.trim_ascii() == "null" && !self.adopted_during_flight() => {
                        Outcome::Failed(
                            Error::http(status, "the server refused the refresh token")
                                .with_kind(ErrorKind::Rejected),
                        )
                    }
                    Err(e) => Outcome::Failed(e),
                };
                self.refresh_done(outcome, now_ms);
            }
            // A nonce challenge again, after the one resend: a failure, not a refusal of the
            // refresh token (signing every tab out for a nonce would be the server's whim).
            Answer::Response { status, body, .. }
                if self.dpop.is_some() && super::dpop::names_nonce_error(&body) =>
            {
                let e = Error::http(status, "the server asked for a new DPoP nonce again");
                self.refresh_done(Outcome::Failed(e), now_ms);
            }
            // Refused, but a token newer than this call came while it was out (another tab's
            // login): the cookie it presented is no longer the session's, and signing out now
            // would end the new session in every tab. The new token stays.
            Answer::Response {
                status: 401 | 403, ..
            } if self.adopted_during_flight() => {
                self.refresh_done(Outcome::Fresh, now_ms);
            }
            // The CSRF header refused, not the session (`csrf.rs`): this call's error only.
            Answer::Response {
                status: 403, body, ..
            } if self.refused_csrf(&body) => {
                let e = Error::http(403, "the server refused the csrf header of the refresh")
                    .with_kind(ErrorKind::Csrf);
                self.refresh_done(Outcome::Failed(e), now_ms);
            }
            Answer::Response {
                status: status @ (401 | 403),
                ..
            } => {
                let e = Error::http(status, "the server refused the refresh token")
                    .with_kind(ErrorKind::Rejected);
                self.refresh_done(Outcome::Failed(e), now_ms);
            }
            Answer::Response {
                status,
                retry_after_s,
                ..
            } if status == 429 || status >= 500 => {
                let e = Error::http(status, "the refresh failed on the server");
                let wait = retry_after_ms(retry_after_s);
                self.refresh_done(Outcome::Transient(e, wait), now_ms);
            }
            Answer::Response { status, .. } => {
                let e = Error::http(status, "the refresh answer was unexpected");
                self.refresh_done(Outcome::Failed(e), now_ms);
            }
        }
    }

    /// Takes the token (and CSRF value) from a successful login or refresh answer's body, or
    /// the token from its `tokenHeader` when the body has none.
    fn accept(
        &mut self,
        body: Parsed,
        header: Option<String>,
        sent_at_ms: f64,
        now_ms: f64,
    ) -> Result<Rc<crate::jwt::Claims>, Error> {
        let grant = self.grant(body, header)?;
        let claims = Rc::new(decode_unverified(&grant.token, self.env.decoder)?);
        if grant.csrf.is_some() {
            self.session.csrf = grant.csrf;
        }
        self.install(
            grant.token,
            Rc::clone(&claims),
            Source::Server {
                expires_in_s: grant.expires_in_s,
                sent_at_ms,
            },
            now_ms,
        );
        Ok(claims)
    }
}
