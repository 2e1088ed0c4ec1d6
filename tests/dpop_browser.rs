//! DPoP (option `dpop`) through the Rust driver, in headless Chromium, against a mock server that
//! verifies proofs and demands nonces (`--dpop-nonce`: MOCK_SERVER_URL_DPOP from scripts/test.sh,
//! or `make mock-server`'s): the same proofs as the JavaScript driver's, signed with WebCrypto.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gloo_net::http::Request;
use token_keeper::TokenKeeper;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/browser.rs"]
mod common;
use common::{control_or_fail, dpop_server, futures_join_all, json, num};

fn at(path: &str) -> String {
    format!("{}{path}", dpop_server())
}

async fn stats() -> JsValue {
    control_or_fail(&at("/__mock/stats"), "GET", JsValue::UNDEFINED).await
}

async fn config(patch: &str) {
    control_or_fail(&at("/__mock/config"), "POST", json(patch)).await;
}

async fn reset() {
    control_or_fail(&at("/__mock/reset"), "POST", JsValue::UNDEFINED).await;
    config("{}").await;
}

fn keeper() -> TokenKeeper {
    TokenKeeper::builder(at("/auth/refresh"))
        .login_url(at("/auth/login"))
        .logout_url(at("/auth/logout"))
        .cross_tab(false)
        .dpop(true)
        .build()
        .unwrap()
}

const ALICE: &str = r#"{"username":"alice","password":"wonderland"}"#;

async fn me(keeper: &TokenKeeper) -> u16 {
    keeper
        .send(Request::get(&at("/api/me")))
        .await
        .unwrap()
        .status()
}

// 1
#[wasm_bindgen_test]
async fn the_login_s_nonce_challenge_is_answered_and_the_token_is_bound_and_works_only_with_proofs()
{
    reset().await;
    let keeper = keeper();
    let claims = keeper.login_json(ALICE).await.unwrap();
    assert!(
        claims.json().contains(r#""jkt":"#),
        "bound to the key: cnf.jkt"
    );
    assert_eq!(me(&keeper).await, 200);
    let s = stats().await;
    assert_eq!(
        num(&s, "dpop_nonce_challenges"),
        1.0,
        "the login's first proof"
    );
    assert_eq!(num(&s, "logins"), 1.0);

    // Read out and sent without a proof, or as a bearer: refused.
    let token = keeper.access_token().unwrap().expose().to_owned();
    for scheme in ["DPoP", "Bearer"] {
        let bare = Request::get(&at("/api/me"))
            .header("authorization", &format!("{scheme} {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(bare.status(), 401, "{scheme}");
    }
    assert_eq!(num(&stats().await, "dpop_rejections"), 2.0);
    assert_eq!(me(&keeper).await, 200);
    keeper.dispose();
}

// 2
#[wasm_bindgen_test]
async fn a_new_server_nonce_costs_one_resend_and_a_refresh_carries_the_newest() {
    reset().await;
    let keeper = keeper();
    keeper.login_json(ALICE).await.unwrap();
    config(r#"{"rotate_dpop_nonce":true}"#).await;
    assert_eq!(me(&keeper).await, 200);
    keeper.refresh().await.unwrap();
    assert_eq!(me(&keeper).await, 200);
    let s = stats().await;
    assert_eq!(
        num(&s, "dpop_nonce_challenges"),
        2.0,
        "the login's and the rotation's"
    );
    assert_eq!(num(&s, "refreshes"), 1.0);
    assert_eq!(num(&s, "api_unauthorized"), 0.0);
    keeper.dispose();
}

// 3
#[wasm_bindgen_test]
async fn fifty_concurrent_401s_make_one_refresh_and_each_retry_has_its_own_proof() {
    reset().await;
    let keeper = keeper();
    keeper.login_json(ALICE).await.unwrap();
    config(r#"{"revoke_access_tokens":true}"#).await;
    let calls = (0..50).map(|_| {
        let keeper = keeper.clone();
        async move { me(&keeper).await }
    });
    let statuses = futures_join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let s = stats().await;
    assert_eq!(num(&s, "refreshes"), 1.0);
    assert_eq!(num(&s, "api_ok"), 50.0);
    assert_eq!(num(&s, "dpop_rejections"), 0.0, "no proof replayed");
    keeper.dispose();
}

// 4
#[wasm_bindgen_test]
async fn a_second_keeper_restores_with_its_own_key() {
    reset().await;
    let first = keeper();
    let first_claims = first.login_json(ALICE).await.unwrap();
    // A reload, as far as the server can tell: a new keeper, a new key, the same cookie.
    let second = keeper();
    assert!(second.restore().await.unwrap());
    let second_claims = second.claims().unwrap();
    assert_ne!(first_claims.json(), second_claims.json());
    assert_eq!(me(&second).await, 200);
    let s = stats().await;
    assert_eq!(num(&s, "dpop_rebinds"), 1.0);
    assert_eq!(num(&s, "reuse_detections"), 0.0);
    first.dispose();
    second.dispose();
}

// 5
#[wasm_bindgen_test]
async fn a_key_that_could_be_exported_is_refused_and_no_login_leaves() {
    reset().await;
    // A script that ran before the app replaced WebCrypto's generateKey to ask for an
    // extractable key (the JavaScript driver's test stages it the same way).
    let install = js_sys::Function::new_no_args(
        "const subtle = crypto.subtle; const original = subtle.generateKey;
         subtle.generateKey = (alg, _extractable, usages) => original.call(subtle, alg, true, usages);
         return () => { delete subtle.generateKey; };",
    );
    let restore: js_sys::Function = install.call0(&JsValue::NULL).unwrap().into();
    let keeper = keeper();
    restore.call0(&JsValue::NULL).unwrap();
    let e = keeper.login_json(ALICE).await.unwrap_err();
    assert_eq!(e.code(), "network", "{e}");
    assert_eq!(
        num(&stats().await, "logins"),
        0.0,
        "no login left without a proof"
    );
    keeper.dispose();
}
