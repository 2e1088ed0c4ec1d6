// The Leptos block of docs/rust.md, word for word: compiled here (for wasm32, with the example),
// and scripts/check-docs.py holds the guide to it.
use leptos::prelude::*;
use token_keeper::leptos::{expect_auth, provide_auth};
use token_keeper::{AuthPhase, TokenKeeper};

#[component]
fn App() -> impl IntoView {
    match TokenKeeper::builder("/auth/refresh")
        .login_url("/auth/login")
        .build()
    {
        Ok(keeper) => {
            // Restores the session and keeps `auth.phase()` and `auth.state()` up to date.
            provide_auth(keeper);
            view! { <Header/> }.into_any()
        }
        Err(error) => view! { <p>{error.to_string()}</p> }.into_any(),
    }
}

#[component]
fn Header() -> impl IntoView {
    let auth = expect_auth();
    // The phase, not the whole state: a refresh brings new claims, and a view matched on them
    // would be rebuilt with every token, losing what it showed.
    move || match auth.phase() {
        // restore() has not answered: neither the sign-in link nor the app.
        AuthPhase::Initializing => view! { <span>"…"</span> }.into_any(),
        AuthPhase::SignedIn => {
            view! { <span>{move || auth.claims().and_then(|c| c.sub)}</span> }.into_any()
        }
        AuthPhase::SignedOut => view! { <a href="/login">"Sign in"</a> }.into_any(),
        AuthPhase::Failed => view! { <span>"offline"</span> }.into_any(),
    }
}
