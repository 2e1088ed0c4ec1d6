//! What the keeper tells the app (events) and why it did something (triggers, reasons).

use crate::jwt::Claims;
use crate::Error;
use alloc::rc::Rc;

/// What started a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trigger {
    /// The token entered its lead (timer, or checked before a fetch).
    Schedule,
    /// An API call answered 401.
    Unauthorized,
    /// `restore()` at page load.
    Restore,
    /// `refresh()`.
    Manual,
    /// The page became visible, was shown again, got focus or came online past the deadline.
    Wake,
    /// Another tab asked for it.
    Tab,
    /// `login()` with `refreshAfterLogin`: the sign-in was accepted, the token comes from a
    /// refresh.
    Login,
}

impl Trigger {
    /// The name JavaScript sees.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Unauthorized => "unauthorized",
            Trigger::Restore => "restore",
            Trigger::Manual => "manual",
            Trigger::Wake => "wake",
            Trigger::Tab => "tab",
            Trigger::Login => "login",
        }
    }
}

/// Why the keeper signed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogoutReason {
    /// `logout()`.
    User,
    /// The server refused the refresh token.
    Rejected,
    /// The token expired and could not be refreshed.
    Expired,
    /// Another tab signed out.
    Tab,
}

impl LogoutReason {
    /// The name JavaScript sees.
    pub fn as_str(self) -> &'static str {
        match self {
            LogoutReason::User => "user",
            LogoutReason::Rejected => "rejected",
            LogoutReason::Expired => "expired",
            LogoutReason::Tab => "tab",
        }
    }
}

/// What listeners hear.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A new token is held.
    Token {
        /// Its claims.
        claims: Rc<Claims>,
        /// Local expiry, ms since the epoch; `None` when the token does not say.
        expires_at_ms: Option<f64>,
    },
    /// A refresh started.
    Refresh {
        /// Why.
        trigger: Trigger,
    },
    /// The keeper signed out.
    Logout {
        /// Why.
        reason: LogoutReason,
    },
    /// Something failed in the background (a scheduled refresh, a refresh for a 401, logout).
    Error(Error),
}

impl Event {
    /// The event's name in JavaScript: `token`, `refresh`, `logout` or `error`.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Token { .. } => "token",
            Event::Refresh { .. } => "refresh",
            Event::Logout { .. } => "logout",
            Event::Error(_) => "error",
        }
    }
}
