//! The keeper in a Yew 0.23 app (cargo feature `yew`): hooks over
//! [`TokenKeeper::watch_auth`]. Make the keeper once (in the root, with `use_memo`), hand it down
//! (a `ContextProvider<TokenKeeper>`: keepers compare by identity), and call the hooks below it.
//!
//! ```rust,ignore
//! #[function_component]
//! fn Header() -> Html {
//!     let keeper = use_context::<TokenKeeper>().expect("a ContextProvider<TokenKeeper> above");
//!     // Re-renders on a sign-in or sign-out, never on a refresh.
//!     match use_auth_phase(&keeper) {
//!         AuthPhase::Initializing => html! { <span>{"…"}</span> },
//!         AuthPhase::SignedIn => html! { <SignedIn/> },
//!         AuthPhase::SignedOut | AuthPhase::Failed => html! { <SignIn/> },
//!     }
//! }
//! ```
//!
//! `examples/yew-app` is a whole app (built by `make test`).

use yew::prelude::{hook, use_effect_with, use_state, use_state_eq};

use crate::{AuthPhase, AuthState, TokenKeeper};

/// The auth state of `keeper`, re-rendering the component on every change — every new token
/// too (the claims change). Restores the session on the first render
/// ([`TokenKeeper::watch_auth`]); the listener goes with the component, or with another keeper.
#[hook]
pub fn use_auth(keeper: &TokenKeeper) -> AuthState {
    let state = use_state(|| AuthState::Initializing);
    {
        let state = state.clone();
        use_effect_with(keeper.clone(), move |keeper| {
            let subscription = keeper.watch_auth(move |now| state.set(now.clone()));
            move || drop(subscription)
        });
    }
    (*state).clone()
}

/// The phase of `keeper`'s auth state alone, re-rendering the component on a sign-in, a
/// sign-out or a failed restore, never on a refresh: what a component that switches between
/// the sign-in form and the app should use, so that what the app shows survives new tokens.
/// Restores the session on the first render, as [`use_auth`].
#[hook]
pub fn use_auth_phase(keeper: &TokenKeeper) -> AuthPhase {
    let phase = use_state_eq(|| AuthPhase::Initializing);
    {
        let phase = phase.clone();
        use_effect_with(keeper.clone(), move |keeper| {
            let subscription = keeper.watch_auth(move |now| phase.set(now.phase()));
            move || drop(subscription)
        });
    }
    *phase
}
