//! The keeper in a Leptos 0.8 app (cargo feature `leptos`): [`provide_auth`] at the root puts
//! it in the context with its [`AuthState`] as a signal, and [`expect_auth`] (or [`use_auth`])
//! finds it below. Views switch on [`Auth::phase`], which a refresh leaves alone.
//!
//! The handle is `Copy` and `Send + Sync` as Leptos contexts and closures want; the keeper stays
//! on the browser's one thread, in the reactive owner's local storage, and is dropped with it
//! (its timers and listeners with it).
//!
//! The Rust guide's example (docs/rust.md; compiled in `examples/leptos-app`, as `src/readme.rs`):
#![doc = concat!("```rust,ignore\n", include_str!("../examples/leptos-app/src/readme.rs"), "```")]

use leptos::prelude::{
    provide_context, signal, use_context, Get, GetValue, LocalStorage, Memo, ReadSignal, Set,
    StoredValue,
};

use crate::{AuthPhase, AuthState, Claims, Event, Subscription, TokenKeeper};

/// The keeper and its auth state, as the context holds them.
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    state: ReadSignal<AuthState>,
    phase: Memo<AuthPhase>,
    keeper: StoredValue<TokenKeeper, LocalStorage>,
    // Dropped with the owner: the keeper stops telling the signal.
    _watch: StoredValue<Subscription, LocalStorage>,
}

/// Provides `keeper` to every component below, restores the session, and keeps the auth state
/// signal up to date ([`TokenKeeper::watch_auth`]). Call it once, in the root component.
pub fn provide_auth(keeper: TokenKeeper) -> Auth {
    let (state, set_state) = signal(AuthState::Initializing);
    let watch = keeper.watch_auth(move |now| set_state.set(now.clone()));
    let auth = Auth {
        state,
        phase: Memo::new(move |_| state.get().phase()),
        keeper: StoredValue::new_local(keeper),
        _watch: StoredValue::new_local(watch),
    };
    provide_context(auth);
    auth
}

/// The [`Auth`] an ancestor provided; `None` without [`provide_auth`] above.
pub fn use_auth() -> Option<Auth> {
    use_context::<Auth>()
}

/// The [`Auth`] an ancestor provided, for components that are always below [`provide_auth`].
///
/// # Panics
///
/// Without [`provide_auth`] in an ancestor, with a message that says so (as Leptos's own
/// `expect_context` does): a wiring mistake, found the first time the component renders.
#[track_caller]
pub fn expect_auth() -> Auth {
    #[allow(clippy::panic)] // the documented contract, as `expect_context`'s
    use_context::<Auth>().unwrap_or_else(|| {
        panic!("expect_auth: no Auth in the context; call provide_auth(keeper) in an ancestor (the root component)")
    })
}

impl Auth {
    /// The auth state, tracked: a view or an effect that reads it runs again when it changes —
    /// on every new token too (the claims change). A view that switches between the sign-in
    /// form and the app should match [`Auth::phase`] instead, or each refresh rebuilds it.
    pub fn state(&self) -> AuthState {
        self.state.get()
    }

    /// The phase alone (initializing, signed in, signed out, failed), tracked: it changes on a
    /// sign-in, a sign-out or a failed restore, never on a refresh, so what a view built for it
    /// keeps (an API call's result, a form's input) survives every new token.
    pub fn phase(&self) -> AuthPhase {
        self.phase.get()
    }

    /// The claims of the token held, tracked (they change with every token); `None` when
    /// signed out.
    pub fn claims(&self) -> Option<Claims> {
        match self.state.get() {
            AuthState::SignedIn(claims) => Some(claims),
            _ => None,
        }
    }

    /// The auth state's signal, to hand to a child or to derive from.
    pub fn signal(&self) -> ReadSignal<AuthState> {
        self.state
    }

    /// The phase as a memo, to hand to a child or to derive from.
    pub fn phase_signal(&self) -> Memo<AuthPhase> {
        self.phase
    }

    /// The keeper: `send`, `login`, `logout`, `claims_as`, …
    ///
    /// # Panics
    ///
    /// When called after the component that provided it is gone, as reading a disposed signal
    /// does; [`Auth::try_keeper`] answers `None` instead.
    #[track_caller]
    pub fn keeper(&self) -> TokenKeeper {
        #[allow(clippy::panic)] // the documented contract, as a disposed signal's
        self.keeper.try_get_value().unwrap_or_else(|| {
            panic!("Auth::keeper: the component that called provide_auth is gone")
        })
    }

    /// The keeper, or `None` once the component that provided it is gone.
    pub fn try_keeper(&self) -> Option<TokenKeeper> {
        self.keeper.try_get_value()
    }

    /// Calls `listener` for every event of the keeper for as long as the calling component
    /// lives: the [`Subscription`] is kept in the component's own storage
    /// (`StoredValue::new_local`) and dropped with it. (`on_cleanup(move || drop(subscription))`
    /// does not compile: a subscription belongs to the browser's one thread, and `on_cleanup`
    /// wants `Send`.)
    pub fn subscribe(&self, listener: impl Fn(&Event) + 'static) {
        if let Some(keeper) = self.keeper.try_get_value() {
            StoredValue::new_local(keeper.subscribe(listener));
        }
    }
}
