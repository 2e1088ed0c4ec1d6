//! The server's defences, each tried as an attacker would, over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{claims, set_cookie, Server};
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::Client;
use serde_json::{json, Value};

/// A sibling subdomain (or a network attacker on plain http) can plant cookies: a csrf cookie
/// and header that match each other but not the session's are refused.
#[tokio::test]
async fn a_planted_csrf_pair_is_refused_because_the_value_is_bound_to_the_family() {
    let server = Server::default().await;
    let browser = server.browser();
    let session = server.login(&browser).await;
    let planted = server.refresh_with(&session.refresh, "planted").await;
    assert_eq!(planted.status(), 403);
    assert_eq!(planted.json::<Value>().await.unwrap()["error"], "csrf");
    let logout = Client::new()
        .post(server.url("/auth/logout"))
        .header(
            COOKIE,
            format!("refresh_token={}; csrf_token=planted", session.refresh),
        )
        .header("x-csrf-token", "planted")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 403);
    let stats = server.stats().await;
    assert_eq!((stats.csrf_rejections, stats.refreshes), (2, 0));
    // Nothing was rotated or revoked: the session's own value still works.
    assert_eq!(server.refresh(&browser, &session.csrf).await.status(), 200);
}

/// A cross-site HTML form posts urlencoded, multipart or text/plain bodies, never JSON: a login
/// that accepted them would let another site sign the victim into the attacker's account.
#[tokio::test]
async fn login_accepts_only_a_json_body() {
    let server = Server::default().await;
    let json_text = r#"{"username":"alice","password":"wonderland"}"#;
    for content_type in [
        Some("application/x-www-form-urlencoded"),
        Some("text/plain"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        let mut request = Client::new()
            .post(server.url("/auth/login"))
            .body(json_text);
        if let Some(value) = content_type {
            request = request.header(CONTENT_TYPE, value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 415, "{content_type:?}");
        assert!(response.headers().get(SET_COOKIE).is_none());
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "unsupported_media_type"
        );
    }
    assert_eq!(server.stats().await.logins, 0);
    let with_charset = Client::new()
        .post(server.url("/auth/login"))
        .header(CONTENT_TYPE, "Application/JSON; charset=utf-8")
        .body(json_text)
        .send()
        .await
        .unwrap();
    assert_eq!(with_charset.status(), 200);
}

/// Logout without a refresh cookie has no session to end: it clears the cookies only for a
/// caller that shows the CSRF value, so a cross-site request cannot touch them.
#[tokio::test]
async fn logout_without_a_session_clears_cookies_only_with_the_csrf_header() {
    let server = Server::default().await;
    let bare = Client::new()
        .post(server.url("/auth/logout"))
        .header(COOKIE, "csrf_token=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 204);
    assert!(
        bare.headers().get(SET_COOKIE).is_none(),
        "no cookie is touched without the header"
    );
    let proven = Client::new()
        .post(server.url("/auth/logout"))
        .header(COOKIE, "csrf_token=abc")
        .header("x-csrf-token", "abc")
        .send()
        .await
        .unwrap();
    assert_eq!(proven.status(), 204);
    assert!(set_cookie(&proven, "csrf_token")
        .unwrap()
        .contains("Max-Age=0"));
}

/// A token is not good before its `nbf`, by the server's own clock.
#[tokio::test]
async fn an_access_token_is_refused_before_its_not_before_date() {
    let server = Server::default().await;
    // Issued by a server an hour ahead, checked by one on time: `nbf` is an hour away.
    server.config(json!({"clock_skew_ms": 3_600_000})).await;
    let session = server.login(&server.browser()).await;
    server.config(json!({"clock_skew_ms": 0})).await;
    let early = server.me(&session.access).await;
    assert_eq!(early.status(), 401);
    assert_eq!(
        early.headers()["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    server.config(json!({"clock_skew_ms": 3_600_000})).await;
    assert_eq!(server.me(&session.access).await.status(), 200);
}

/// Signing in again ends the session the browser presented, so an older cookie (lent, stolen,
/// left on a shared machine) does not live on beside the new one.
#[tokio::test]
async fn a_login_revokes_the_family_of_the_refresh_cookie_it_was_sent_with() {
    let server = Server::default().await;
    let browser = server.browser();
    let first = server.login(&browser).await;
    let second = server.login(&browser).await;
    assert_eq!(
        server
            .refresh_with(&first.refresh, &first.csrf)
            .await
            .status(),
        401
    );
    assert_eq!(server.me(&first.access).await.status(), 401);
    assert_eq!(server.me(&second.access).await.status(), 200);
    assert_eq!(server.refresh(&browser, &second.csrf).await.status(), 200);
    // A login without a cookie leaves other sessions alone.
    let other = server.login(&Client::new()).await;
    assert_eq!(server.me(&other.access).await.status(), 200);
    assert_eq!(server.me(&second.access).await.status(), 200);
}

/// One access token revoked by its `jti`: that one dies, its siblings live.
#[tokio::test]
async fn an_access_token_revoked_by_its_jti_is_refused() {
    let server = Server::default().await;
    let doomed = server.login(&server.browser()).await;
    let spared = server.login(&server.browser()).await;
    let jti = claims(&doomed.access)["jti"].as_str().unwrap().to_owned();
    let answer = server.config(json!({ "revoke_jti": jti })).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(server.me(&doomed.access).await.status(), 401);
    assert_eq!(server.me(&spared.access).await.status(), 200);
}
