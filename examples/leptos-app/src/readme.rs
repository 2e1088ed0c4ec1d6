// The README's Leptos snippet, word for word: compiled here (for wasm32, with the example), and
// scripts/check-readme.py holds the README to it.
use leptos::prelude::*;
use token_keeper::leptos::{provide_auth, use_auth};
use token_keeper::{AuthState, TokenKeeper};

#[component]
fn App() -> impl IntoView {
    match TokenKeeper::builder("/auth/refresh")
        .login_url("/auth/login")
        .build()
    {
        Ok(keeper) => {
            // Restores the session and keeps `auth.state()` up to date.
            provide_auth(keeper);
            view! { <Header/> }.into_any()
        }
        Err(error) => view! { <p>{error.to_string()}</p> }.into_any(),
    }
}

#[component]
fn Header() -> impl IntoView {
    let auth = use_auth().expect("provide_auth in App");
    move || match auth.state() {
        // restore() has not answered: neither the sign-in link nor the app.
        AuthState::Initializing => view! { <span>"…"</span> }.into_any(),
        AuthState::SignedIn(claims) => view! { <span>{claims.sub}</span> }.into_any(),
        AuthState::SignedOut => view! { <a href="/login">"Sign in"</a> }.into_any(),
        AuthState::Failed(error) => view! { <span>"offline: " {error.code()}</span> }.into_any(),
    }
}
