//! What this tab makes of the other tabs' messages. A message is trusted no further than its
//! types: a token is adopted only when it decodes, carries a lifetime its claims agree with, has
//! not expired, was not received in the future or before the last sign-out this tab knows of,
//! and is newer than the token held.

use alloc::string::String;

use super::{AccessToken, Keeper, Source, TAB_REFRESH_BACKOFF_MS};
use crate::event::{LogoutReason, Trigger};
use crate::jwt::decode_unverified;
use crate::message::{TabMessage, Wire};
use crate::schedule::lifetime_ms;

impl Keeper {
    /// A message from another tab, as the driver converted the channel's value (anything that
    /// is not a [`Wire`] is not one of ours and the driver drops it). A message of another
    /// session or version, or longer than [`super::MAX_INPUT_BYTES`], is ignored.
    pub fn handle_tab_message(&mut self, wire: &Wire, now_ms: f64) {
        let len = wire.session.len() + wire.token.as_ref().map_or(0, String::len);
        if self.disposed || len > super::MAX_INPUT_BYTES {
            return;
        }
        match TabMessage::from_wire(wire, &self.env.session) {
            Some(TabMessage::Token {
                token,
                received_at_ms,
                lifetime_ms,
            }) => self.adopt(token, received_at_ms, lifetime_ms, now_ms),
            Some(TabMessage::SignedIn {
                received_at_ms,
                lifetime_ms,
            }) => self.heard_of_token(None, received_at_ms, lifetime_ms, now_ms),
            // A sign-out from before a login this tab has begun: the old session's token goes,
            // the login (a new session) goes on.
            Some(TabMessage::Logout { at_ms }) if self.login_begun_since(at_ms) => {
                self.drop_old_session(now_ms);
            }
            // Signed out from the moment it is heard (`clear`): the sender's moment is earlier.
            Some(TabMessage::Logout { .. }) => self.clear(LogoutReason::Tab, now_ms),
            Some(TabMessage::Working { for_ms }) => self.holder_is_working(for_ms, now_ms),
            None => {}
        }
    }

    fn adopt(&mut self, token: String, received_at_ms: f64, lifetime: Option<f64>, now_ms: f64) {
        if self.dpop.is_some() || !self.env.tab_tokens {
            return self.heard_of_token(Some(&token), received_at_ms, lifetime, now_ms);
        }
        if self.logging_out()
            || received_at_ms > now_ms
            || received_at_ms < self.session.signed_out_at_ms
            || self
                .session
                .held
                .as_ref()
                .is_some_and(|h| h.token.0 == token || h.received_at_ms >= received_at_ms)
        {
            return;
        }
        let Ok(claims) = decode_unverified(&token, self.env.decoder) else {
            return;
        };
        // The claims' own view, counted from the sender's receipt: the message may shorten the
        // lifetime (its `expires_in`), never lengthen it or drop it.
        let claimed = lifetime_ms(None, claims.iat, claims.exp, received_at_ms);
        let lifetime = match (lifetime, claimed) {
            (Some(told), Some(claimed)) => Some(told.min(claimed)),
            (Some(told), None) => Some(told),
            (None, None) => None,
            (None, Some(_)) => return,
        };
        if lifetime.is_some_and(|l| received_at_ms + l <= now_ms) {
            let older_heard =
                matches!(&self.session.heard_expired, Some((_, at)) if *at >= received_at_ms);
            if self.config.send_access_token_on_refresh && !older_heard {
                self.session.heard_expired = Some((AccessToken(token), received_at_ms));
            }
            return;
        }
        self.install(
            token,
            alloc::rc::Rc::new(claims),
            Source::Tab {
                received_at_ms,
                lifetime_ms: lifetime,
            },
            now_ms,
        );
        // A refresh waiting for the lock (or for this very token) needs no rotation of its own.
        self.finish_if_adopted(now_ms);
    }

    /// With `dpop` another tab's token is bound to that tab's key: useless here (and without
    /// [`tab_tokens`](super::Environment::tab_tokens) it is not there at all). It still says
    /// something: a tab signed out learns that there is a session (another tab signed in, or
    /// restored it), and a tab signed in as someone else learns of a new login. Either refreshes
    /// for a token of its own — under the lock only (without it, tabs hearing one login would
    /// all present the one cookie at once), and, after such a refresh was refused, not again for
    /// [`TAB_REFRESH_BACKOFF_MS`] unless a sign-out starts things over (a server that pins a
    /// family to its first key refuses every other tab), signed in or not.
    fn heard_of_token(
        &mut self,
        token: Option<&str>,
        received_at_ms: f64,
        lifetime: Option<f64>,
        now_ms: f64,
    ) {
        // News of a session that is still running: a token that has run out (a tab thawed from
        // a long freeze tells what it got before) is no reason to refresh, as it is no token to
        // adopt without `dpop`.
        let fresh = received_at_ms <= now_ms
            && received_at_ms >= self.session.signed_out_at_ms
            && lifetime.map_or(true, |l| received_at_ms + l > now_ms);
        let someone_else = match &self.session.held {
            None => true,
            // A session heard of without its token may be someone else's: the next refresh
            // tells.
            Some(held) => token.is_some_and(|token| {
                decode_unverified(token, self.env.decoder).is_ok_and(|c| c.sub != held.claims.sub)
            }),
        };
        let refused_at_ms = self
            .dpop
            .as_ref()
            .map_or(f64::NEG_INFINITY, |d| d.tab_refused_at_ms);
        let backed_off = now_ms - refused_at_ms >= TAB_REFRESH_BACKOFF_MS;
        if fresh && someone_else && backed_off && self.uses_lock() && self.unavailable().is_none() {
            let idle = self.refresh.flight.is_none();
            self.start_flight(Trigger::Tab, now_ms);
            let signed_in = self.session.held.is_some();
            if let (true, Some(dpop)) = (idle && self.refresh.flight.is_some(), &mut self.dpop) {
                dpop.for_tab = true;
                if signed_in {
                    // Signed in as someone else: once per backoff, refused or not — a token that
                    // keeps differing after a refresh of our own is no news of our session.
                    dpop.tab_refused_at_ms = now_ms;
                }
            }
        }
    }
}
