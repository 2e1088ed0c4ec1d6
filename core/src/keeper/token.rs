//! The token held: installing one (from the server, the app or another tab) with its plan and
//! the word to the other tabs, and clearing it when the session ends.

use alloc::string::String;

use super::{AccessToken, Command, Keeper, MIN_SCHEDULE_MS};
use crate::event::{Event, LogoutReason};
use crate::jwt::Claims;
use crate::message::TabMessage;
use crate::schedule::{lifetime_ms, Plan};
use crate::{Error, ErrorKind};
use alloc::rc::Rc;

/// Where a token came from, which decides its timetable and whether the other tabs hear of it.
pub(super) enum Source {
    /// A login or refresh answer (with its `expires_in`) to a request sent at `sent_at_ms`:
    /// broadcast to the other tabs.
    Server {
        expires_in_s: Option<f64>,
        sent_at_ms: f64,
    },
    /// `setToken`: kept to this tab.
    App,
    /// Another tab's broadcast, with that tab's receipt time and the lifetime it planned.
    Tab {
        received_at_ms: f64,
        lifetime_ms: Option<f64>,
    },
}

/// The session: the token held and what is known of the session's history.
#[derive(Debug)]
pub(super) struct Session {
    pub(super) held: Option<Held>,
    /// The reissue flow only: the newest token another tab announced that had run out by the
    /// time this tab heard of it, with its receipt time. Not adopted (it authorizes nothing),
    /// but newer than the one held, so it is the one a refresh must carry: a tab frozen across
    /// another tab's login would otherwise present the old session's token with the new cookie.
    pub(super) heard_expired: Option<(AccessToken, f64)>,
    /// Bumped whenever the held token changes (new token, or cleared).
    pub(super) generation: u64,
    /// The session epoch (module documentation).
    pub(super) epoch: u64,
    /// The CSRF value from the last login or refresh answer.
    pub(super) csrf: Option<String>,
    /// Tokens received before this moment are never adopted from another tab.
    pub(super) signed_out_at_ms: f64,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            held: None,
            heard_expired: None,
            generation: 0,
            epoch: 0,
            csrf: None,
            signed_out_at_ms: f64::NEG_INFINITY,
        }
    }
}

/// The token held, with its timetable.
#[derive(Debug)]
pub(super) struct Held {
    pub(super) token: AccessToken,
    pub(super) claims: Rc<Claims>,
    pub(super) plan: Option<Plan>,
    pub(super) received_at_ms: f64,
}

impl Keeper {
    pub(super) fn install(
        &mut self,
        token: String,
        claims: Rc<Claims>,
        source: Source,
        now_ms: f64,
    ) {
        let (received_at_ms, lifetime) = match source {
            // The token was issued after its request left: counting from then is never late,
            // even for an answer a frozen tab reads minutes after it came.
            Source::Server {
                expires_in_s,
                sent_at_ms,
            } => (
                sent_at_ms.min(now_ms),
                lifetime_ms(expires_in_s, claims.iat, claims.exp, now_ms),
            ),
            Source::App => (now_ms, lifetime_ms(None, claims.iat, claims.exp, now_ms)),
            Source::Tab {
                received_at_ms,
                lifetime_ms,
            } => (received_at_ms, lifetime_ms),
        };
        let jitter = self.rng.unit();
        let plan = lifetime
            .map(|lifetime| Plan::new(received_at_ms, lifetime, self.config.policy, jitter));
        if matches!(source, Source::Server { .. }) && self.env.channel {
            self.push(Command::Post(if self.env.tab_tokens {
                TabMessage::Token {
                    token: token.clone(),
                    received_at_ms,
                    lifetime_ms: lifetime,
                }
            } else {
                TabMessage::SignedIn {
                    received_at_ms,
                    lifetime_ms: lifetime,
                }
            }));
        }
        if self
            .session
            .heard_expired
            .as_ref()
            .is_some_and(|(_, at)| *at <= received_at_ms)
        {
            self.session.heard_expired = None;
        }
        self.session.held = Some(Held {
            token: AccessToken(token),
            claims: Rc::clone(&claims),
            plan,
            received_at_ms,
        });
        self.session.generation += 1;
        self.reschedule(now_ms);
        self.emit(Event::Token {
            claims,
            expires_at_ms: plan.map(|p| p.expires_at_ms),
        });
    }

    /// Forgets the token and starts a new epoch; emits `logout` when one was held (always for
    /// `User`). A logout by the user, or a refusal of a tab that held a token, ends the session
    /// for every tab: they hear of it.
    pub(super) fn clear(&mut self, reason: LogoutReason, now_ms: f64) {
        self.abandon_waiting_login();
        self.cancel_flight(&Error::new(ErrorKind::Rejected, "the session is over"));
        let had = self.session.held.take().is_some();
        self.session.heard_expired = None;
        self.session.generation += 1;
        self.session.epoch += 1;
        self.refresh.scheduled_at_ms = None;
        if had || matches!(reason, LogoutReason::User | LogoutReason::Tab) {
            // A tab that held nothing keeps hearing logins that began just before.
            self.session.signed_out_at_ms = self.session.signed_out_at_ms.max(now_ms);
        }
        if matches!(reason, LogoutReason::User | LogoutReason::Tab) {
            // `dpop`: a sign-out starts over; the next session heard of is worth a refresh.
            if let Some(dpop) = &mut self.dpop {
                dpop.tab_refused_at_ms = f64::NEG_INFINITY;
            }
        }
        let tell = match reason {
            LogoutReason::User => true,
            LogoutReason::Rejected => had,
            LogoutReason::Expired | LogoutReason::Tab => false,
        };
        if tell && self.env.channel {
            self.push(Command::Post(TabMessage::Logout { at_ms: now_ms }));
        }
        if had || reason == LogoutReason::User {
            self.emit(Event::Logout { reason });
        }
    }

    /// Another tab ended the session a login of this tab's replaces: the old token goes
    /// (`logout` event) without ending the login, whose answer brings the new session.
    pub(super) fn drop_old_session(&mut self, now_ms: f64) {
        self.session.signed_out_at_ms = self.session.signed_out_at_ms.max(now_ms);
        if self.session.held.take().is_some() {
            self.session.generation += 1;
            self.refresh.scheduled_at_ms = None;
            self.emit(Event::Logout {
                reason: LogoutReason::Tab,
            });
        }
    }

    /// Plans the next scheduled refresh of the token held (after something paused it).
    pub(super) fn reschedule(&mut self, now_ms: f64) {
        self.refresh.scheduled_at_ms = self
            .plan()
            .map(|p| p.refresh_at_ms.max(now_ms + MIN_SCHEDULE_MS));
    }
}
