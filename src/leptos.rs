//! The keeper in a Leptos 0.8 app (cargo feature `leptos`): [`provide_auth`] at the root puts
//! it in the context with its [`AuthState`] as a signal, and [`use_auth`] finds it below.
//!
//! The handle is `Copy` and `Send + Sync` as Leptos contexts and closures want; the keeper stays
//! on the browser's one thread, in the reactive owner's local storage, and is dropped with it
//! (its timers and listeners with it).
//!
//! The README's example (compiled in `examples/leptos-app`, as `src/readme.rs`):
#![doc = concat!("```rust,ignore\n", include_str!("../examples/leptos-app/src/readme.rs"), "```")]

use leptos::prelude::{
    provide_context, signal, use_context, Get, GetValue, LocalStorage, ReadSignal, Set, StoredValue,
};

use crate::{AuthState, Subscription, TokenKeeper};

/// The keeper and its auth state, as the context holds them.
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    state: ReadSignal<AuthState>,
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

impl Auth {
    /// The auth state, tracked: a view or an effect that reads it runs again when it changes.
    pub fn state(&self) -> AuthState {
        self.state.get()
    }

    /// The auth state's signal, to hand to a child or to derive from.
    pub fn signal(&self) -> ReadSignal<AuthState> {
        self.state
    }

    /// The keeper: `send`, `login_as`, `logout`, `claims_as`, … `None` once the owner that
    /// provided it is gone.
    pub fn keeper(&self) -> Option<TokenKeeper> {
        self.keeper.try_get_value()
    }
}
