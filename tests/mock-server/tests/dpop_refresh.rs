//! DPoP refreshes: the family follows the key of its last refresh (several tabs, a reloaded
//! page), `--dpop-pin` refuses another key without harming the owner's session, and a refused
//! proof rotates nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::dpop::{
    api_proof, dpop, error_code, login, me, refresh, session, signed_in, Key, Session,
};
use common::{claims, set_cookie_value, Server};
use mock_server::Options;
use reqwest::header::SET_COOKIE;
use reqwest::Client;
use serde_json::{json, Value};

#[tokio::test]
async fn a_refresh_by_another_key_is_accepted_and_rebinds_the_family() {
    let server = Server::start(dpop(Options::default())).await;
    let (tab_a, tab_b) = (Key::new(1), Key::new(2));
    let s = signed_in(&server, &Client::new(), &tab_a).await;
    let response = refresh(&server, &s, Some(&tab_b), &json!({})).await;
    assert_eq!(response.status(), 200);
    let next = set_cookie_value(&response, "refresh_token").unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");
    assert_eq!(
        claims(body["access_token"].as_str().unwrap())["cnf"]["jkt"],
        tab_b.jkt()
    );
    // The same key again is no rebind; back to the first one is.
    let s = Session { refresh: next, ..s };
    let again = refresh(&server, &s, Some(&tab_b), &json!({})).await;
    assert_eq!(again.status(), 200);
    let s = Session {
        refresh: set_cookie_value(&again, "refresh_token").unwrap(),
        ..s
    };
    assert_eq!(
        refresh(&server, &s, Some(&tab_a), &json!({}))
            .await
            .status(),
        200
    );
    let stats = server.stats().await;
    assert_eq!((stats.refreshes, stats.dpop_rebinds), (3, 2));
}

#[tokio::test]
async fn a_pinned_family_refuses_another_key_without_rotating_or_revoking() {
    let server = Server::start(Options {
        dpop_pin: true,
        ..Options::default()
    })
    .await;
    let (owner, thief) = (Key::new(1), Key::new(2));
    let s = signed_in(&server, &Client::new(), &owner).await;
    let stolen = refresh(&server, &s, Some(&thief), &json!({})).await;
    assert_eq!(stolen.status(), 401);
    assert!(stolen.headers().get(SET_COOKIE).is_none());
    assert_eq!(error_code(stolen).await, "invalid_dpop_key");
    // The owner's session lives on: its token, and the very same cookie.
    let proof = api_proof(&server, &owner, &s.access, &json!({}));
    assert_eq!(
        me(&server, "DPoP", &s.access, Some(proof)).await.status(),
        200
    );
    assert_eq!(
        refresh(&server, &s, Some(&owner), &json!({}))
            .await
            .status(),
        200
    );
    let stats = server.stats().await;
    assert_eq!(
        (
            stats.refreshes,
            stats.reuse_detections,
            stats.dpop_rejections,
            stats.dpop_rebinds
        ),
        (1, 0, 1, 0)
    );
}

#[tokio::test]
async fn a_refresh_with_a_refused_proof_rotates_nothing() {
    let server = Server::start(Options {
        dpop_nonce: true,
        ..Options::default()
    })
    .await;
    let key = Key::new(1);
    let nonce = login(&server, &Client::new(), &key, &json!({}))
        .await
        .headers()["dpop-nonce"]
        .to_str()
        .unwrap()
        .to_owned();
    let with_nonce = json!({ "nonce": nonce });
    let s = session(login(&server, &Client::new(), &key, &with_nonce).await).await;
    let no_proof = refresh(&server, &s, None, &json!({})).await;
    assert_eq!(no_proof.status(), 400);
    assert!(no_proof.headers().get(SET_COOKIE).is_none());
    assert!(no_proof.headers().contains_key("dpop-nonce"));
    assert_eq!(error_code(no_proof).await, "invalid_dpop_proof");
    let no_nonce = refresh(&server, &s, Some(&key), &json!({})).await;
    assert_eq!(no_nonce.status(), 400);
    assert_eq!(error_code(no_nonce).await, "use_dpop_nonce");
    // The same cookie still refreshes, once: it was never rotated, and nothing was reuse.
    assert_eq!(
        refresh(&server, &s, Some(&key), &with_nonce).await.status(),
        200
    );
    let stats = server.stats().await;
    assert_eq!(
        (
            stats.refreshes,
            stats.reuse_detections,
            stats.refresh_rejections
        ),
        (1, 0, 0)
    );
    assert_eq!((stats.dpop_rejections, stats.dpop_nonce_challenges), (1, 2));
}
