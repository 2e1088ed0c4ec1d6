//! Every rule of the token contract, over real HTTP against the server on a free port.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{claims, set_cookie, set_cookie_value, Instance, Server};
use mock_server::{Options, Stats};
use reqwest::header::WWW_AUTHENTICATE;
use reqwest::Client;
use serde_json::{json, Value};

#[tokio::test]
async fn login_answers_the_token_and_sets_both_cookies_with_the_right_flags() {
    let server = Server::default().await;
    let response = Client::new()
        .post(server.url("/auth/login"))
        .json(&json!({"username": "alice", "password": "wonderland"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let refresh = set_cookie(&response, "refresh_token").unwrap();
    for flag in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/auth",
        "Max-Age=1209600",
    ] {
        assert!(refresh.contains(flag), "{refresh} lacks {flag}");
    }
    assert!(!refresh.contains("Secure"));
    let csrf = set_cookie(&response, "csrf_token").unwrap();
    assert!(csrf.contains("SameSite=Strict") && csrf.contains("Path=/"));
    assert!(
        !csrf.contains("HttpOnly"),
        "the csrf cookie must be readable"
    );
    let csrf_value = set_cookie_value(&response, "csrf_token").unwrap();

    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300.0);
    assert_eq!(body["csrf_token"], csrf_value.as_str());
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["sub"], "alice");
    assert_eq!(c["iss"], "token-keeper-mock");
    assert_eq!(c["aud"], "token-keeper-demo");
    for claim in ["iat", "nbf", "exp", "jti"] {
        assert!(!c[claim].is_null(), "{claim} missing");
    }
    assert!((c["exp"].as_f64().unwrap() - c["iat"].as_f64().unwrap() - 300.0).abs() < 1e-6);
    assert_eq!(server.stats().await.logins, 1);
}

#[tokio::test]
async fn secure_cookies_are_marked_secure() {
    let server = Server::start(Options {
        secure_cookies: true,
        ..Options::default()
    })
    .await;
    let response = Client::new()
        .post(server.url("/auth/login"))
        .json(&json!({"username": "alice", "password": "wonderland"}))
        .send()
        .await
        .unwrap();
    assert!(set_cookie(&response, "refresh_token")
        .unwrap()
        .contains("Secure"));
    // Over https the CSRF cookie is `__Host-` prefixed: Secure, Path=/, no Domain — a sibling
    // subdomain cannot set one this host would receive.
    let csrf = set_cookie(&response, "__Host-csrf_token").unwrap();
    assert!(csrf.contains("Secure") && csrf.contains("Path=/"), "{csrf}");
    assert!(!csrf.contains("Domain"), "{csrf}");
    assert_eq!(set_cookie(&response, "csrf_token"), None);
}

#[tokio::test]
async fn a_second_csrf_cookie_neither_stands_in_for_the_session_s_nor_hides_it() {
    let server = Server::default().await;
    let session = server.login(&server.browser()).await;
    let refresh = |cookies: String, header: String| {
        Client::new()
            .post(server.url("/auth/refresh"))
            .header(reqwest::header::COOKIE, cookies)
            .header("x-csrf-token", header)
            .send()
    };
    let real = &session.csrf;
    // A sibling app's cookie of the same name comes after ours (the server read the last one).
    let cookies = format!(
        "refresh_token={}; csrf_token={real}; csrf_token=sibling",
        session.refresh
    );
    // The sibling's value is a cookie, but not the one bound to the session: refused.
    let forged = refresh(cookies.clone(), "sibling".into()).await.unwrap();
    assert_eq!(forged.status(), 403);
    // The session's own value is accepted, whatever else came with it.
    let ok = refresh(cookies, real.clone()).await.unwrap();
    assert_eq!(ok.status(), 200);
    let stats = server.stats().await;
    assert_eq!((stats.csrf_rejections, stats.refreshes), (1, 1));
}

#[tokio::test]
async fn bad_credentials_get_401_and_a_malformed_body_400() {
    let server = Server::default().await;
    let post = |body: &'static str| {
        Client::new()
            .post(server.url("/auth/login"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let wrong = post(r#"{"username":"alice","password":"nope"}"#)
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(set_cookie(&wrong, "refresh_token").is_none());
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "invalid_credentials"
    );
    for malformed in [r#"{"username":"alice""#, "[]", r#"{"user":"alice"}"#, ""] {
        let r = post(malformed).await.unwrap();
        assert_eq!(r.status(), 400, "{malformed}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    }
    assert_eq!(server.stats().await.logins, 0);
}

#[tokio::test]
async fn refresh_rotates_and_the_old_cookie_then_fails_and_revokes_the_family() {
    let server = Server::default().await;
    let browser = server.browser();
    let session = server.login(&browser).await;

    let rotated = server.refresh(&browser, &session.csrf).await;
    assert_eq!(rotated.status(), 200);
    let new_refresh = set_cookie_value(&rotated, "refresh_token").unwrap();
    assert_ne!(new_refresh, session.refresh, "the refresh token rotates");
    let body: Value = rotated.json().await.unwrap();
    let new_access = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(new_access, session.access);
    assert_eq!(server.me(&new_access).await.status(), 200);

    // The old cookie presented again, after a grace of zero: theft.
    let reused = server.refresh_with(&session.refresh, &session.csrf).await;
    assert_eq!(reused.status(), 401);
    assert_eq!(
        reused.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    // The whole family died: the newest refresh token and its access token too.
    assert_eq!(server.refresh(&browser, &session.csrf).await.status(), 401);
    assert_eq!(server.me(&new_access).await.status(), 401);

    let stats = server.stats().await;
    assert_eq!(stats.refreshes, 1);
    assert_eq!(stats.reuse_detections, 1);
    assert_eq!(stats.refresh_rejections, 2);
}

#[tokio::test]
async fn reuse_within_the_grace_window_answers_the_current_state_without_rotating() {
    let server = Server::start(Options {
        reuse_grace: Duration::from_secs(10),
        ..Options::default()
    })
    .await;
    let browser = server.browser();
    let session = server.login(&browser).await;
    let rotated = server.refresh(&browser, &session.csrf).await;
    let current = set_cookie_value(&rotated, "refresh_token").unwrap();

    let late = server.refresh_with(&session.refresh, &session.csrf).await;
    assert_eq!(late.status(), 200);
    assert_eq!(
        set_cookie_value(&late, "refresh_token").as_deref(),
        Some(current.as_str()),
        "the late tab is handed the family's current refresh token"
    );
    let access = late.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(server.me(&access).await.status(), 200);
    // The family lives on.
    assert_eq!(server.refresh(&browser, &session.csrf).await.status(), 200);
    let stats = server.stats().await;
    assert_eq!((stats.refreshes, stats.reuse_detections), (2, 0));
}

#[tokio::test]
async fn reuse_after_the_grace_window_revokes() {
    let server = Server::default().await;
    server.config(json!({"reuse_grace_ms": 100})).await;
    let browser = server.browser();
    let session = server.login(&browser).await;
    server.refresh(&browser, &session.csrf).await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    let late = server.refresh_with(&session.refresh, &session.csrf).await;
    assert_eq!(late.status(), 401);
    assert_eq!(server.stats().await.reuse_detections, 1);
}

#[tokio::test]
async fn csrf_missing_or_wrong_gives_403_and_changes_nothing() {
    let server = Server::default().await;
    let browser = server.browser();
    let session = server.login(&browser).await;
    let missing = browser
        .post(server.url("/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 403);
    assert_eq!(missing.json::<Value>().await.unwrap()["error"], "csrf");
    assert_eq!(server.refresh(&browser, "forged").await.status(), 403);
    let logout = browser
        .post(server.url("/auth/logout"))
        .header("x-csrf-token", "forged")
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 403);
    let stats = server.stats().await;
    assert_eq!((stats.csrf_rejections, stats.refreshes), (3, 0));
    // Nothing was rotated or revoked: the right header still works.
    assert_eq!(server.refresh(&browser, &session.csrf).await.status(), 200);
}

#[tokio::test]
async fn refused_access_tokens_get_401_with_the_bearer_challenge() {
    let server = Server::default().await;
    let session = server.login(&server.browser()).await;
    let ok = server.me(&session.access).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.json::<Value>().await.unwrap()["sub"], "alice");

    let missing = Client::new()
        .get(server.url("/api/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()[WWW_AUTHENTICATE], "Bearer");

    // Badly signed: the same claims under another server's key; and a tampered signature.
    let other = Server::default().await;
    let foreign = other.login(&other.browser()).await.access;
    let mut tampered = session.access.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [foreign.as_str(), tampered.as_str(), "not-a-jwt"] {
        let r = server.me(bad).await;
        assert_eq!(r.status(), 401);
        assert_eq!(
            r.headers()[WWW_AUTHENTICATE],
            "Bearer error=\"invalid_token\""
        );
    }

    // Revoked: every access token issued so far dies; a later one lives.
    server.config(json!({"revoke_access_tokens": true})).await;
    assert_eq!(server.me(&session.access).await.status(), 401);
    let fresh = server.login(&server.browser()).await.access;
    assert_eq!(server.me(&fresh).await.status(), 200);

    // Expired.
    server.config(json!({"access_ttl_ms": 50})).await;
    let short = server.login(&server.browser()).await.access;
    tokio::time::sleep(Duration::from_millis(120)).await;
    let expired = server.me(&short).await;
    assert_eq!(expired.status(), 401);
    assert_eq!(
        expired.headers()[WWW_AUTHENTICATE],
        "Bearer error=\"invalid_token\""
    );

    let stats = server.stats().await;
    assert_eq!(stats.api_ok, 2);
    assert_eq!(stats.api_unauthorized, 6);
    assert_eq!(
        stats.authorized_requests, 7,
        "all but the one without a header"
    );
}

#[tokio::test]
async fn logout_clears_both_cookies_and_kills_the_family() {
    let server = Server::default().await;
    let browser = server.browser();
    let session = server.login(&browser).await;
    let response = browser
        .post(server.url("/auth/logout"))
        .header("x-csrf-token", &session.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    for name in ["refresh_token", "csrf_token"] {
        let line = set_cookie(&response, name).unwrap();
        assert!(line.contains("Max-Age=0"), "{line}");
    }
    assert_eq!(
        server
            .refresh_with(&session.refresh, &session.csrf)
            .await
            .status(),
        401
    );
    assert_eq!(server.me(&session.access).await.status(), 401);
    // Logging out without a session is fine too.
    let again = Client::new()
        .post(server.url("/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 204);
}

#[tokio::test]
async fn echo_returns_the_body_it_got() {
    let server = Server::default().await;
    let session = server.login(&server.browser()).await;
    let body = r#"{"note":"zoë 🦀","n":[1,2,3]}"#;
    let response = Client::new()
        .post(server.url("/api/echo"))
        .bearer_auth(&session.access)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.unwrap(), body);
}

#[tokio::test]
async fn admin_asks_a_valid_token_for_a_stronger_sign_in_and_blames_only_a_bad_one() {
    let server = Server::default().await;
    let session = server.login(&server.browser()).await;
    let admin = |token: &str| {
        Client::new()
            .get(server.url("/api/admin"))
            .bearer_auth(token)
            .send()
    };
    let fine = admin(&session.access).await.unwrap();
    assert_eq!(fine.status(), 401);
    let challenge = fine.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with(r#"Bearer error="insufficient_user_authentication""#),
        "{challenge}"
    );
    let bad = admin("not.a.token").await.unwrap();
    assert_eq!(bad.status(), 401);
    let challenge = bad.headers()["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
}

#[tokio::test]
async fn every_control_changes_what_it_says() {
    let server = Server::default().await;
    let config: Value = server
        .config(json!({"access_ttl_ms": 2000, "clock_skew_ms": 3_600_000}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        config,
        json!({"access_ttl_ms": 2000, "clock_skew_ms": 3_600_000, "reuse_grace_ms": 0,
               "fail_next_refreshes": 0, "fail_status": 500, "retry_after_s": 1,
               "refresh_delay_ms": 0, "login_delay_ms": 0, "garble_next_refreshes": 0,
               "garble_body_bytes": 0,
               "stall_next_refreshes": 0, "stall_body_ms": 60_000,
               "csrf_on_login": false, "null_without_session": false, "refresh_get": false})
    );
    let browser = server.browser();
    let session = server.login(&browser).await;
    assert_eq!(session.body["expires_in"], 2.0);
    let c = claims(&session.access);
    let iat = c["iat"].as_f64().unwrap();
    assert!((c["exp"].as_f64().unwrap() - iat - 2.0).abs() < 1e-6);
    #[allow(clippy::cast_precision_loss)]
    let now_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((iat - now_s - 3600.0).abs() < 5.0, "iat is an hour ahead");
    // The skewed server checks with its own skewed clock: its tokens work.
    assert_eq!(server.me(&session.access).await.status(), 200);

    // Fail the next two refreshes with 500, then one with 429 and Retry-After.
    server
        .config(json!({"fail_next_refreshes": 2, "fail_status": 500}))
        .await;
    for _ in 0..2 {
        assert_eq!(server.refresh(&browser, &session.csrf).await.status(), 500);
    }
    server
        .config(json!({"fail_next_refreshes": 1, "fail_status": 429, "retry_after_s": 7}))
        .await;
    let limited = server.refresh(&browser, &session.csrf).await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
    assert_eq!(server.refresh(&browser, &session.csrf).await.status(), 200);

    // Garble the next refresh: 200, not JSON, nothing rotated.
    server.config(json!({"garble_next_refreshes": 1})).await;
    let garbled = server.refresh(&browser, &session.csrf).await;
    assert_eq!(garbled.status(), 200);
    assert!(set_cookie(&garbled, "refresh_token").is_none());
    assert!(garbled.json::<Value>().await.is_err());
    // Garbled and a megabyte long.
    server
        .config(json!({"garble_next_refreshes": 1, "garble_body_bytes": 1_000_000}))
        .await;
    let huge = server.refresh(&browser, &session.csrf).await;
    assert_eq!(huge.status(), 200);
    assert_eq!(huge.text().await.unwrap().len(), 1_000_000);

    // Stall the next refresh's body: the headers, and the rotated cookie, come at once.
    server
        .config(json!({"stall_next_refreshes": 1, "stall_body_ms": 400}))
        .await;
    let started = Instant::now();
    let stalled = server.refresh(&browser, &session.csrf).await;
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "headers came first"
    );
    assert_eq!(stalled.status(), 200);
    assert!(set_cookie(&stalled, "refresh_token").is_some());
    let body: Value = stalled.json().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "the body came later"
    );
    assert!(body["access_token"].is_string());

    // Delay refreshes.
    server.config(json!({"refresh_delay_ms": 300})).await;
    let started = Instant::now();
    assert_eq!(server.refresh(&browser, &session.csrf).await.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    assert_eq!(
        server.stats().await,
        Stats {
            logins: 1,
            refreshes: 3,
            api_ok: 1,
            authorized_requests: 1,
            login_headers: vec![String::from("content-type: application/json")],
            ..Stats::default()
        }
    );

    // Reset: counters to zero, config back to the command line's, every family revoked.
    let reset = Client::new()
        .post(server.url("/__mock/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert_eq!(server.stats().await, Stats::default());
    let config: Value = server.config(json!({})).await.json().await.unwrap();
    assert_eq!(config["access_ttl_ms"], 300_000);
    assert_eq!(config["refresh_delay_ms"], 0);
    assert_eq!(server.refresh(&browser, &session.csrf).await.status(), 401);
}

#[tokio::test]
async fn bad_control_input_is_refused_and_changes_nothing() {
    let server = Server::default().await;
    let before: Value = server.config(json!({})).await.json().await.unwrap();
    for patch in [
        json!({"fail_status": 418}),
        json!({"access_ttl_ms": -1}),
        json!({"no_such_field": 1}),
        json!([1]),
    ] {
        let r = server.config(patch.clone()).await;
        assert_eq!(r.status(), 400, "{patch}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_config");
    }
    let after: Value = server.config(json!({})).await.json().await.unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn bad_requests_get_json_errors_and_change_nothing() {
    let server = Server::default().await;
    let session = server.login(&server.browser()).await;
    let before = server.stats().await;
    let client = Client::new();

    let huge = "x".repeat(mock_server::BODY_LIMIT + 1);
    let too_large = client
        .post(server.url("/api/echo"))
        .bearer_auth(&session.access)
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
    assert_eq!(
        too_large.json::<Value>().await.unwrap()["error"],
        "payload_too_large"
    );
    let too_large_login = client
        .post(server.url("/auth/login"))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(too_large_login.status(), 413);

    for (method, path, status) in [
        ("GET", "/api/nope", 404),
        ("GET", "/auth/nope", 404),
        ("POST", "/__mock/nope", 404),
        ("GET", "/auth/login", 405),
        ("DELETE", "/api/me", 405),
        ("GET", "/__mock/reset", 405),
    ] {
        let r = client
            .request(method.parse().unwrap(), server.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{method} {path}");
        assert!(
            r.json::<Value>().await.unwrap()["error"].is_string(),
            "{method} {path} answers JSON"
        );
    }
    let mut after = server.stats().await;
    // The 413 echo still counted as an authorized, accepted API request; nothing else moved.
    after.api_ok -= 1;
    after.authorized_requests -= 1;
    assert_eq!(before, after);
    assert_eq!(server.me(&session.access).await.status(), 200);
}

#[tokio::test]
async fn cors_preflight_answers_allowed_origins_only() {
    // By default no origin may call with credentials, a loopback one neither.
    let strict = Server::default().await;
    let r = Client::new()
        .request(reqwest::Method::OPTIONS, strict.url("/auth/refresh"))
        .header("origin", "http://127.0.0.1:5173")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let server = Server::start(Options {
        allow_origins: vec!["https://app.example".into()],
        cors_loopback: true,
        ..Options::default()
    })
    .await;
    let preflight = |origin: &'static str| {
        Client::new()
            .request(reqwest::Method::OPTIONS, server.url("/auth/refresh"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "x-csrf-token, content-type",
            )
            .send()
    };
    for allowed in [
        "http://127.0.0.1:5173",
        "http://localhost:3000",
        "https://app.example",
    ] {
        let r = preflight(allowed).await.unwrap();
        assert!(r.status().is_success());
        let h = r.headers();
        assert_eq!(h["access-control-allow-origin"], allowed);
        assert_eq!(h["access-control-allow-credentials"], "true");
        let allowed_headers = h["access-control-allow-headers"].to_str().unwrap();
        for name in ["authorization", "content-type", "x-csrf-token"] {
            assert!(allowed_headers.contains(name), "{allowed_headers}");
        }
    }
    for foreign in ["http://evil.example", "http://127.0.0.1.evil.example:80"] {
        let r = preflight(foreign).await.unwrap();
        assert!(
            r.headers().get("access-control-allow-origin").is_none(),
            "{foreign} must not be allowed"
        );
    }
}

/// The binary as the test scripts and `make demo` run it: port 0, durations with units.
#[tokio::test]
async fn the_binary_prints_its_address_and_honours_its_flags() {
    // `Instance::spawn` reads the first line, `listening on http://…`, and fails without it.
    let instance = Instance::spawn(&["--access-ttl", "1500ms", "--reuse-grace", "2s"]).await;
    let base = &instance.server.base;
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let config: Value = instance
        .server
        .config(json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(config["access_ttl_ms"], 1500);
    assert_eq!(config["reuse_grace_ms"], 2000);
}

#[tokio::test]
async fn guessing_is_throttled_per_user_and_address_with_a_retry_after() {
    let server = Server::default().await;
    let login = |password: &'static str| {
        Client::new()
            .post(server.url("/auth/login"))
            .json(&json!({"username": "alice", "password": password}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(login("guess").await.unwrap().status(), 401);
    }
    // The sixth try is not even compared, right or wrong: 429 until the window ends.
    let throttled = login("wonderland").await.unwrap();
    assert_eq!(throttled.status(), 429);
    let wait: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(server.stats().await.logins, 0);
    // The address is throttled too: another user from it waits as well.
    let other = Client::new()
        .post(server.url("/auth/login"))
        .json(&json!({"username": "bob", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 429);
    // A reset (the tests' control) starts over.
    Client::new()
        .post(server.url("/__mock/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(login("wonderland").await.unwrap().status(), 200);
}

/// The backend shapes of the issue "Where SPAs are really built": a refresh endpoint that takes
/// only GET (`refresh_get`), and one that answers 200 `null` without a session
/// (`null_without_session`).
#[tokio::test]
async fn the_refresh_endpoint_takes_get_or_answers_null_when_told() {
    let server = Server::default().await;
    let client = Client::new();
    let get = || client.get(server.url("/auth/refresh")).send();
    let post = || client.post(server.url("/auth/refresh")).send();
    assert_eq!(get().await.unwrap().status(), 405);
    assert_eq!(post().await.unwrap().status(), 401);
    server
        .config(json!({"refresh_get": true, "null_without_session": true}))
        .await;
    assert_eq!(post().await.unwrap().status(), 405);
    let none = get().await.unwrap();
    assert_eq!(none.status(), 200);
    assert_eq!(none.text().await.unwrap(), "null");
}

/// `--session-tokens`: a session-cookie backend with a token endpoint. Login sets the session
/// cookie and answers no JWT; `GET /auth/refresh` mints one for the session, never rotating the
/// cookie, and refuses a request without a live session; logout ends it.
#[tokio::test]
async fn session_tokens_mint_a_jwt_per_get_and_never_rotate_the_cookie() {
    let server = Server::start(Options {
        session_tokens: true,
        ..Options::default()
    })
    .await;
    let browser = server.browser();
    let login = browser
        .post(server.url("/auth/login"))
        .json(&json!({"username": "alice", "password": "wonderland"}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = set_cookie_value(&login, "refresh_token").unwrap();
    let body: Value = login.json().await.unwrap();
    assert_eq!(body, json!({"user": {"id": "alice"}}));

    let mut jtis = Vec::new();
    for _ in 0..2 {
        let minted = browser
            .get(server.url("/auth/refresh"))
            .send()
            .await
            .unwrap();
        assert_eq!(minted.status(), 200);
        assert!(set_cookie(&minted, "refresh_token").is_none(), "rotated");
        let body: Value = minted.json().await.unwrap();
        let c = claims(body["token"].as_str().unwrap());
        assert_eq!(c["sub"], "alice");
        jtis.push(c["jti"].clone());
    }
    assert_ne!(jtis[0], jtis[1]);
    assert_eq!(server.stats().await.refreshes, 2);
    let post = browser
        .post(server.url("/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
    let stranger = Client::new()
        .get(server.url("/auth/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 401);

    // Logout asks no CSRF header: the `Origin`, when a browser sends one, must be the server's.
    let logout = || browser.post(server.url("/auth/logout"));
    let forged = logout()
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(
        browser
            .get(server.url("/auth/refresh"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let own = server.url("");
    let ended = logout()
        .header("origin", own.trim_end_matches('/'))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.status(), 204);
    let replayed = Client::new()
        .get(server.url("/auth/refresh"))
        .header("cookie", format!("refresh_token={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status(), 401);
}
