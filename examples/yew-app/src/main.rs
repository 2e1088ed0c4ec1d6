//! The smallest Yew app on token-keeper: sign in, call `/api/me`, sign out. Built by `make test`
//! for wasm32; serve it as examples/leptos-app is served (the page and the API on one origin).
//!
//! What to copy: the keeper made once in the root (`use_memo`) and handed down in a
//! `ContextProvider<TokenKeeper>`, views switched on `use_auth_phase` (a refresh leaves them
//! alone), `send(Request::get(…))` for API calls.

use gloo_net::http::Request;
use serde::Serialize;
use token_keeper::yew::{use_auth, use_auth_phase};
use token_keeper::{AuthPhase, AuthState, TokenKeeper};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

#[derive(Serialize)]
struct Credentials {
    username: &'static str,
    password: &'static str,
}

fn main() {
    yew::Renderer::<App>::new().render();
}

#[function_component]
fn App() -> Html {
    // Options are fixed here, so `build` fails only if they are edited into something invalid.
    let keeper = use_memo((), |()| {
        TokenKeeper::builder("/auth/refresh")
            .login_url("/auth/login")
            .logout_url("/auth/logout")
            .build()
    });
    match &*keeper {
        Ok(keeper) => html! {
            <ContextProvider<TokenKeeper> context={keeper.clone()}>
                <h1>{"token-keeper × Yew"}</h1>
                <State/>
                <Main/>
            </ContextProvider<TokenKeeper>>
        },
        Err(error) => html! { <p id="state">{format!("bad options: {error}")}</p> },
    }
}

/// Reads the whole state: re-rendered with every token, and small.
#[function_component]
fn State() -> Html {
    let Some(keeper) = use_context::<TokenKeeper>() else {
        return Html::default();
    };
    let line = match use_auth(&keeper) {
        AuthState::Initializing => "initializing".to_owned(),
        AuthState::SignedIn(claims) => format!("signed in as {}", claims.sub.unwrap_or_default()),
        AuthState::SignedOut => "signed out".to_owned(),
        AuthState::Failed(error) => format!("failed: {}", error.code()),
    };
    html! { <p id="state">{line}</p> }
}

/// Switches on the phase: what `SignedIn` shows survives every refresh.
#[function_component]
fn Main() -> Html {
    let Some(keeper) = use_context::<TokenKeeper>() else {
        return Html::default();
    };
    match use_auth_phase(&keeper) {
        AuthPhase::Initializing => Html::default(),
        AuthPhase::SignedIn => html! { <SignedIn/> },
        AuthPhase::SignedOut | AuthPhase::Failed => html! { <SignIn/> },
    }
}

#[function_component]
fn SignIn() -> Html {
    let keeper = use_context::<TokenKeeper>();
    let error = use_state(String::new);
    let onclick = {
        let error = error.clone();
        Callback::from(move |_| {
            let (Some(keeper), error) = (keeper.clone(), error.clone()) else {
                return;
            };
            spawn_local(async move {
                let credentials = Credentials {
                    username: "alice",
                    password: "wonderland",
                };
                // Success shows through the phase; a refusal stays here.
                if let Err(e) = keeper.login(&credentials).await {
                    error.set(format!("sign-in refused: {}", e.code()));
                }
            });
        })
    };
    html! {
        <>
            <button id="login" {onclick}>{"Sign in as alice"}</button>
            <p id="error">{(*error).clone()}</p>
        </>
    }
}

#[function_component]
fn SignedIn() -> Html {
    let keeper = use_context::<TokenKeeper>();
    let me = use_state(String::new);
    let call = {
        let (keeper, me) = (keeper.clone(), me.clone());
        Callback::from(move |_| {
            let (Some(keeper), me) = (keeper.clone(), me.clone()) else {
                return;
            };
            spawn_local(async move {
                let line = match keeper.send(Request::get("/api/me")).await {
                    Ok(response) if response.ok() => response.text().await.unwrap_or_default(),
                    Ok(response) => format!("HTTP {}", response.status()),
                    Err(error) => format!("failed: {}", error.code()),
                };
                me.set(line);
            });
        })
    };
    let logout = Callback::from(move |_| {
        if let Some(keeper) = keeper.clone() {
            spawn_local(async move { _ = keeper.logout().await });
        }
    });
    html! {
        <>
            <button id="call" onclick={call}>{"GET /api/me"}</button>
            <button id="logout" onclick={logout}>{"Sign out"}</button>
            <pre id="me">{(*me).clone()}</pre>
        </>
    }
}
