//! The smallest Leptos CSR app on token-keeper: sign in, call `/api/me`, watch the token's
//! timeline. Served by the mock server (`make example`), the page and the API on one origin.
//!
//! What to copy: `provide_auth` in the root, `use_auth` below it, `send(Request::get(…))` for
//! API calls, `claims_as::<Claims>()` for the app's own claims type.

use gloo_net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use token_keeper::claims::whole_seconds;
use token_keeper::leptos::{provide_auth, use_auth, Auth};
use token_keeper::{AuthState, Event, TokenKeeper};

/// The README's Leptos snippet, compiled here (as a reader would write it: `expect` on a context
/// the root always provides).
#[allow(dead_code, clippy::expect_used)]
mod readme;

/// The claims this app reads from its tokens.
#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    // RFC 7519 allows fractional dates; `whole_seconds` takes 1700000000.5 as well.
    #[serde(deserialize_with = "whole_seconds")]
    exp: u64,
}

#[derive(Serialize)]
struct Credentials {
    username: String,
    password: String,
}

fn main() {
    mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    // Options are fixed here, so `build` fails only if they are edited into something invalid.
    let keeper = match TokenKeeper::builder("/auth/refresh")
        .login_url("/auth/login")
        .logout_url("/auth/logout")
        .build()
    {
        Ok(keeper) => keeper,
        Err(error) => {
            return view! { <p id="state">{format!("bad options: {error}")}</p> }.into_any()
        }
    };
    let timeline = RwSignal::new(Vec::<String>::new());
    let subscription = keeper.subscribe(move |event| {
        timeline.update(|lines| lines.push(describe(event)));
    });
    // Kept for as long as the app is mounted.
    StoredValue::new_local(subscription);
    let auth = provide_auth(keeper);
    view! {
        <h1>"token-keeper × Leptos"</h1>
        <p id="state">{move || state_line(&auth)}</p>
        {move || match auth.state() {
            AuthState::Initializing => ().into_any(),
            AuthState::SignedIn(_) => view! { <SignedIn/> }.into_any(),
            AuthState::SignedOut | AuthState::Failed(_) => view! { <SignIn/> }.into_any(),
        }}
        <h2>"Timeline"</h2>
        <ol id="timeline">{move || timeline.get().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ol>
    }
    .into_any()
}

fn state_line(auth: &Auth) -> String {
    match auth.state() {
        AuthState::Initializing => "initializing".to_owned(),
        AuthState::SignedIn(_) => match auth.keeper().map(|k| k.claims_as::<Claims>()) {
            Some(Ok(Some(claims))) => format!("signed in as {} until {}", claims.sub, claims.exp),
            Some(Err(error)) => format!("signed in; claims: {error}"),
            _ => "signed in".to_owned(),
        },
        AuthState::SignedOut => "signed out".to_owned(),
        AuthState::Failed(error) => format!("failed: {}", error.code()),
    }
}

fn describe(event: &Event) -> String {
    let now = js_sys_now();
    match event {
        Event::Token { claims, .. } => {
            format!("{now} token, jti {}", claims.jti.as_deref().unwrap_or("-"))
        }
        Event::Refresh { trigger } => format!("{now} refresh ({})", trigger.as_str()),
        Event::Logout { reason } => format!("{now} logout ({})", reason.as_str()),
        Event::Error(error) => format!("{now} error ({})", error.code()),
        _ => format!("{now} {}", event.name()),
    }
}

/// The time of day, for the timeline.
fn js_sys_now() -> String {
    let date = leptos::web_sys::js_sys::Date::new_0();
    format!(
        "{:02}:{:02}:{:02}",
        date.get_hours(),
        date.get_minutes(),
        date.get_seconds()
    )
}

#[component]
fn SignIn() -> impl IntoView {
    let auth = use_auth();
    let username = RwSignal::new("alice".to_owned());
    let password = RwSignal::new("wonderland".to_owned());
    let error = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(keeper) = auth.and_then(|a| a.keeper()) else {
            return;
        };
        let credentials = Credentials {
            username: username.get_untracked(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            // Success shows through the auth state; a refusal stays on the form.
            if let Err(e) = keeper.login_as(&credentials).await {
                error.set(format!("sign-in refused: {}", e.code()));
            }
        });
    };
    view! {
        <form id="login" on:submit=submit>
            <input id="username" bind:value=username/>
            <input id="password" type="password" bind:value=password/>
            <button type="submit">"Sign in"</button>
            <p id="error">{move || error.get()}</p>
        </form>
    }
}

#[component]
fn SignedIn() -> impl IntoView {
    let auth = use_auth();
    let me = RwSignal::new(String::new());
    let keeper = move || auth.and_then(|a| a.keeper());
    let call = move |_| {
        let Some(keeper) = keeper() else { return };
        spawn_local(async move {
            let line = match keeper.send(Request::get("/api/me")).await {
                Ok(response) if response.ok() => response.text().await.unwrap_or_default(),
                Ok(response) => format!("HTTP {}", response.status()),
                Err(error) => format!("failed: {}", error.code()),
            };
            me.set(line);
        });
    };
    let refresh = move |_| {
        let Some(keeper) = keeper() else { return };
        // A failure shows in the timeline (the error event) and in the auth state.
        spawn_local(async move { _ = keeper.refresh().await });
    };
    let logout = move |_| {
        let Some(keeper) = keeper() else { return };
        spawn_local(async move { _ = keeper.logout().await });
    };
    view! {
        <button id="call" on:click=call>"GET /api/me"</button>
        <button id="refresh" on:click=refresh>"Refresh now"</button>
        <button id="logout" on:click=logout>"Sign out"</button>
        <pre id="me">{move || me.get()}</pre>
    }
}
