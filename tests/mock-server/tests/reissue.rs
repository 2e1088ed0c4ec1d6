//! The reissue flow: `--bind-refresh-to-user` (a refresh must carry an access token of the
//! cookie's user and family, expired or not) and `--token-in-header`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{set_cookie_value, Server};
use mock_server::Options;
use reqwest::header::{AUTHORIZATION, COOKIE};
use reqwest::Client;
use serde_json::{json, Value};

fn bound() -> Options {
    Options {
        bind_refresh_to_user: true,
        ..Options::default()
    }
}

async fn refresh(server: &Server, refresh: &str, csrf: &str, bearer: Option<&str>) -> u16 {
    let mut request = Client::new()
        .post(server.url("/auth/refresh"))
        .header(
            COOKIE,
            format!("refresh_token={refresh}; csrf_token={csrf}"),
        )
        .header("x-csrf-token", csrf);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_bound_refresh_needs_the_users_own_token_and_takes_it_expired() {
    let server = Server::start(bound()).await;
    server.config(json!({"access_ttl_ms": 50})).await;
    let alice = server.login(&Client::new()).await;
    let other = server.login(&Client::new()).await;
    // None, garbage, or a token of another family (same user, another login): refused,
    // and nothing rotated.
    for bearer in [None, Some("not-a-jwt"), Some(other.access.as_str())] {
        assert_eq!(
            refresh(&server, &alice.refresh, &alice.csrf, bearer).await,
            401
        );
    }
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(server.me(&alice.access).await.status(), 401, "expired");
    assert_eq!(
        refresh(&server, &alice.refresh, &alice.csrf, Some(&alice.access)).await,
        200,
        "its own expired token is accepted"
    );
    let stats = server.stats().await;
    assert_eq!(
        (
            stats.refreshes,
            stats.refresh_rejections,
            stats.reuse_detections
        ),
        (1, 3, 0)
    );
}

#[tokio::test]
async fn without_the_flag_a_refresh_needs_no_access_token() {
    let server = Server::default().await;
    let alice = server.login(&Client::new()).await;
    assert_eq!(
        refresh(&server, &alice.refresh, &alice.csrf, None).await,
        200
    );
}

#[tokio::test]
async fn token_in_header_answers_with_the_bearer_in_an_exposed_header() {
    let server = Server::start(Options {
        token_in_header: true,
        cors_loopback: true,
        ..Options::default()
    })
    .await;
    let response = Client::new()
        .post(server.url("/auth/login"))
        .header("origin", "http://127.0.0.1:5173")
        .json(&json!({"username": "alice", "password": "wonderland"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("authorization"), "{exposed}");
    let header = response.headers()[AUTHORIZATION]
        .to_str()
        .unwrap()
        .to_owned();
    let token = header.strip_prefix("Bearer ").unwrap().to_owned();
    assert!(set_cookie_value(&response, "refresh_token").is_some());
    let body: Value = response.json().await.unwrap();
    assert!(body.get("access_token").is_none(), "{body}");
    assert!(body["csrf_token"].is_string());
    assert_eq!(server.me(&token).await.status(), 200);
}

/// A tab that missed a login in another tab of the same browser still holds the replaced
/// session's token: the new cookie's refresh accepts it (the login recorded what it replaced).
#[tokio::test]
async fn a_token_of_the_family_the_cookies_login_replaced_is_accepted() {
    let server = Server::start(bound()).await;
    let browser = server.browser();
    let old = server.login(&browser).await;
    let new = server.login(&browser).await;
    assert_eq!(
        refresh(&server, &new.refresh, &new.csrf, Some(&old.access)).await,
        200
    );
    // Another browser's session is no ancestor.
    let stranger = server.login(&Client::new()).await;
    let rotated = server.login(&browser).await;
    assert_eq!(
        refresh(
            &server,
            &rotated.refresh,
            &rotated.csrf,
            Some(&stranger.access)
        )
        .await,
        401
    );
}
