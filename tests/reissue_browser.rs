//! The reissue flow through the Rust driver, in headless Chromium, against a mock server started
//! with `--bind-refresh-to-user --token-in-header` (MOCK_SERVER_URL_REISSUE from scripts/test.sh,
//! or `make mock-server`'s): the refresh call carries the last access token, and the tokens come
//! in an `Authorization` response header instead of the JSON body.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use token_keeper::TokenKeeper;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_sys::Request;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/browser.rs"]
mod common;
use common::{control_or_fail, json, num, reissue_server};

fn base() -> &'static str {
    reissue_server()
}

fn at(path: &str) -> String {
    format!("{}{path}", base())
}

async fn stats() -> JsValue {
    control_or_fail(&at("/__mock/stats"), "GET", JsValue::UNDEFINED).await
}

async fn reset() {
    control_or_fail(&at("/__mock/reset"), "POST", JsValue::UNDEFINED).await;
    control_or_fail(&at("/__mock/config"), "POST", json("{}")).await;
}

fn builder() -> token_keeper::config::Builder {
    TokenKeeper::builder(at("/auth/refresh"))
        .login_url(at("/auth/login"))
        .logout_url(at("/auth/logout"))
        .cross_tab(false)
}

const ALICE: &str = r#"{"username":"alice","password":"wonderland"}"#;

// 1
#[wasm_bindgen_test]
async fn the_token_is_read_from_the_header_that_token_header_names_and_only_then() {
    reset().await;
    let keeper = builder().token_header("Authorization").build().unwrap();
    let claims = keeper.login_json(ALICE).await.unwrap();
    assert_eq!(claims.sub.as_deref(), Some("alice"));
    let me = Request::new_with_str(&at("/api/me")).unwrap();
    assert_eq!(keeper.fetch(me).await.unwrap().status(), 200);
    keeper.dispose();

    let plain = builder().build().unwrap();
    let e = plain.login_json(ALICE).await.unwrap_err();
    assert_eq!(e.code(), "invalid_token");
    assert!(!plain.is_authenticated());
    plain.dispose();
    assert_eq!(num(&stats().await, "api_ok"), 1.0);
}

// 2
#[wasm_bindgen_test]
async fn a_refresh_bound_to_the_user_needs_send_access_token_on_refresh() {
    reset().await;
    let keeper = builder()
        .token_header("Authorization")
        .send_access_token_on_refresh(true)
        .build()
        .unwrap();
    keeper.login_json(ALICE).await.unwrap();
    let before = keeper.access_token().map(|t| t.expose().to_owned());
    keeper.refresh().await.unwrap();
    assert!(keeper.is_authenticated());
    assert_ne!(keeper.access_token().map(|t| t.expose().to_owned()), before);
    assert_eq!(num(&stats().await, "refreshes"), 1.0);
    keeper.dispose();

    // Without the option the refresh carries no token: the server refuses it, the keeper signs out.
    let bare = builder().token_header("Authorization").build().unwrap();
    bare.login_json(ALICE).await.unwrap();
    let e = bare.refresh().await.unwrap_err();
    assert_eq!(e.code(), "rejected");
    assert!(!bare.is_authenticated());
    let s = stats().await;
    assert_eq!(
        (num(&s, "refreshes"), num(&s, "refresh_rejections")),
        (1.0, 1.0)
    );
    bare.dispose();
}
