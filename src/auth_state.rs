//! The app's view of the session, for a UI: initializing, signed in, signed out or failed.
//! [`TokenKeeper::watch_auth`] keeps one up to date; `token_keeper::leptos` (cargo feature
//! `leptos`) makes it a signal, and a hook of any other framework is a few lines around it.

use std::rc::{Rc, Weak};

use crate::keeper::{Event, Subscription, TokenKeeper};
use crate::{Claims, Error};

/// What a view shows: nothing yet, the app, the sign-in form, or a retry.
/// The four are the whole of it (not `#[non_exhaustive]`): a view matches them all.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthState {
    /// The page has just loaded and `restore()` has not answered yet: whether the user has a
    /// session is not known. Show neither the sign-in form nor the signed-in app (a sign-in form
    /// that flashes for returning users is the bug this state exists to prevent).
    Initializing,
    /// A token is held; its claims.
    SignedIn(Claims),
    /// No session: show the sign-in form.
    SignedOut,
    /// `restore()` could not tell (`network`, `timeout`, a server error): the user may still
    /// have a session. Offer a retry ([`TokenKeeper::restore`]) rather than the sign-in form alone.
    Failed(Error),
}

impl AuthState {
    /// Whether a token is held.
    pub fn is_signed_in(&self) -> bool {
        matches!(self, AuthState::SignedIn(_))
    }

    /// The phase alone, without the claims: what a view that switches between the sign-in form
    /// and the app should match, so that a new token (every refresh) does not rebuild it.
    pub fn phase(&self) -> AuthPhase {
        match self {
            AuthState::Initializing => AuthPhase::Initializing,
            AuthState::SignedIn(_) => AuthPhase::SignedIn,
            AuthState::SignedOut => AuthPhase::SignedOut,
            AuthState::Failed(_) => AuthPhase::Failed,
        }
    }
}

/// The phase of an [`AuthState`], without its claims or error: it changes on a sign-in, a
/// sign-out or a failed restore, never on a refresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthPhase {
    /// `restore()` has not answered yet.
    Initializing,
    /// A token is held.
    SignedIn,
    /// No session.
    SignedOut,
    /// `restore()` could not tell.
    Failed,
}

impl TokenKeeper {
    /// Restores the session and calls `on_change` with the [`AuthState`] at once and on every
    /// change after, until the returned [`Subscription`] is dropped: `Initializing` (or
    /// `SignedIn` when a token is already held) now; then `SignedIn`, `SignedOut` or `Failed`
    /// once `restore()` answers; then `SignedIn` on every new token (a login, a refresh, another
    /// tab's) and `SignedOut` on every logout.
    ///
    /// Calls [`TokenKeeper::restore`] itself: call it once per keeper, at start.
    pub fn watch_auth(&self, on_change: impl Fn(&AuthState) + 'static) -> Subscription {
        let on_change: Rc<dyn Fn(&AuthState)> = Rc::new(on_change);
        on_change(&match self.claims() {
            Some(claims) => AuthState::SignedIn(claims),
            None => AuthState::Initializing,
        });
        // The restore below ends after the subscription may have been dropped: it reaches the
        // callback only through the listener, which holds the only strong reference.
        let weak: Weak<dyn Fn(&AuthState)> = Rc::downgrade(&on_change);
        let subscription = self.subscribe(move |event| match event {
            Event::Token { claims, .. } => on_change(&AuthState::SignedIn(Claims::clone(claims))),
            Event::Logout { .. } => on_change(&AuthState::SignedOut),
            _ => {}
        });
        let keeper = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let restored = keeper.restore().await;
            let Some(on_change) = weak.upgrade() else {
                return;
            };
            // What the keeper holds now decides: a token another tab sent meanwhile, or a login
            // that finished first, wins over this restore's own answer.
            on_change(&match (keeper.claims(), restored) {
                (Some(claims), _) => AuthState::SignedIn(claims),
                (None, Ok(_)) => AuthState::SignedOut,
                (None, Err(error)) => AuthState::Failed(error),
            });
        });
        subscription
    }
}
