//! The smallest Leptos CSR app on token-keeper: sign in, call `/api/me`, watch the token's
//! timeline. Served by the mock server (`make example`), the page and the API on one origin.
//!
//! What to copy: `provide_auth` in the root, `expect_auth` below it, views switched on
//! `auth.phase()` (a refresh leaves them alone), `send(Request::get(…))` for API calls,
//! `claims_as::<Claims>()` for the app's own claims type.

use gloo_net::http::Request;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde::{Deserialize, Serialize};
use token_keeper::claims::whole_seconds;
use token_keeper::leptos::{expect_auth, provide_auth, Auth};
use token_keeper::{AuthPhase, AuthState, Event, TokenKeeper};

/// The Leptos block of docs/rust.md, compiled here (as a reader would write it: `expect` on a
/// context the root always provides).
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
    let auth = provide_auth(keeper);
    let timeline = RwSignal::new(Vec::<String>::new());
    // Events heard by the signed-in view's own listener, which lives as long as the view does.
    let heard = RwSignal::new(0_u32);
    // For as long as this component is mounted.
    auth.subscribe(move |event| {
        timeline.update(|lines| lines.push(describe(event)));
    });
    view! {
        <h1>"token-keeper × Leptos"</h1>
        <p id="state">{move || state_line(&auth)}</p>
        // The phase: a new token (a refresh, a 401's retry) keeps <SignedIn/> and what it shows.
        {move || match auth.phase() {
            AuthPhase::Initializing => ().into_any(),
            AuthPhase::SignedIn => view! { <SignedIn heard=heard/> }.into_any(),
            AuthPhase::SignedOut | AuthPhase::Failed => view! { <SignIn/> }.into_any(),
        }}
        <p id="heard">{move || format!("events heard by the signed-in view: {}", heard.get())}</p>
        <h2>"Timeline"</h2>
        <ol id="timeline">{move || timeline.get().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ol>
    }
    .into_any()
}

fn state_line(auth: &Auth) -> String {
    match auth.state() {
        AuthState::Initializing => "initializing".to_owned(),
        AuthState::SignedIn(_) => match auth.keeper().claims_as::<Claims>() {
            Ok(Some(claims)) => format!("signed in as {} until {}", claims.sub, claims.exp),
            Err(error) => format!("signed in; claims: {error}"),
            Ok(None) => "signed in".to_owned(),
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
    let auth = expect_auth();
    let username = RwSignal::new("alice".to_owned());
    let password = RwSignal::new("wonderland".to_owned());
    let error = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let keeper = auth.keeper();
        let credentials = Credentials {
            username: username.get_untracked(),
            password: password.get_untracked(),
        };
        spawn_local(async move {
            // Success shows through the auth state; a refusal stays on the form.
            if let Err(e) = keeper.login(&credentials).await {
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
fn SignedIn(heard: RwSignal<u32>) -> impl IntoView {
    let auth = expect_auth();
    // Unsubscribed when this view goes (a sign-out), with no cleanup code here.
    auth.subscribe(move |_| heard.update(|n| *n += 1));
    let me = RwSignal::new(String::new());
    let call = move |_| {
        let keeper = auth.keeper();
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
        let keeper = auth.keeper();
        // A failure shows in the timeline (the error event) and in the auth state.
        spawn_local(async move { _ = keeper.refresh().await });
    };
    let logout = move |_| {
        let keeper = auth.keeper();
        spawn_local(async move { _ = keeper.logout().await });
    };
    view! {
        <button id="call" on:click=call>"GET /api/me"</button>
        <button id="refresh" on:click=refresh>"Refresh now"</button>
        <button id="logout" on:click=logout>"Sign out"</button>
        <pre id="me">{move || me.get()}</pre>
    }
}
