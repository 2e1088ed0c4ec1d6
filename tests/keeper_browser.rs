//! The keeper in headless Chromium against the real mock server (started by scripts/test.sh,
//! whose URLs arrive at compile time). Every assertion is something a user would notice: the
//! server's counters, the headers and bodies that arrived, storage, events.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use token_keeper::clock::{now_ms, sleep_ms};
use token_keeper::{Csrf, Event, Retry, TokenKeeper};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Request, RequestInit, Response};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/browser.rs"]
mod common;
use common::*;

/// Everything the keeper emits, by name (with the detail's trigger or reason).
fn record(keeper: &TokenKeeper) -> (Rc<RefCell<Vec<String>>>, token_keeper::Subscription) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink = log.clone();
    let sub = keeper.subscribe(move |e| {
        let entry = match e {
            Event::Refresh { trigger } => format!("refresh:{}", trigger.as_str()),
            Event::Logout { reason } => format!("logout:{}", reason.as_str()),
            Event::Error(err) => format!("error:{}", err.code()),
            other => other.name().to_owned(),
        };
        sink.borrow_mut().push(entry);
    });
    (log, sub)
}

fn request(method: &str, path: &str, body: Option<&str>) -> Request {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(b) = body {
        init.set_body(&b.into());
    }
    Request::new_with_str_and_init(&url(path), &init).unwrap()
}

async fn text(response: &Response) -> String {
    JsFuture::from(response.text().unwrap())
        .await
        .unwrap()
        .as_string()
        .unwrap()
}

// 1
#[wasm_bindgen_test]
async fn after_login_the_claims_are_right_and_no_storage_holds_token_material() {
    reset_with("{}").await;
    let keeper = builder().build().unwrap();
    let claims = keeper
        .login_json(r#"{"username":"alice","password":"wonderland"}"#)
        .await
        .unwrap();
    assert_eq!(claims.sub.as_deref(), Some("alice"));
    assert_eq!(claims.iss.as_deref(), Some("token-keeper-mock"));
    assert!(keeper.is_authenticated());
    let expires = keeper.expires_at_ms().unwrap();
    assert!(
        (expires - now_ms() - 300_000.0).abs() < 5_000.0,
        "local expiry = receipt + 5 min"
    );

    let token = keeper.access_token().unwrap();
    let snapshot = storage_snapshot().await;
    for place in ["local", "session", "cookie"] {
        let held = get(&snapshot, place).as_string().unwrap();
        assert!(
            !held.contains(token.expose()),
            "{place} holds the access token"
        );
        assert!(
            !held.contains("refresh_token"),
            "{place} holds the refresh token"
        );
    }
    assert_eq!(get(&snapshot, "local").as_string().as_deref(), Some("{}"));
    assert_eq!(get(&snapshot, "session").as_string().as_deref(), Some("{}"));
    assert_eq!(
        num(&snapshot, "indexedDb"),
        0.0,
        "no IndexedDB database exists"
    );
    // The only readable cookie is the CSRF one.
    let cookie = get(&snapshot, "cookie").as_string().unwrap();
    assert!(
        cookie.split("; ").all(|c| c.starts_with("csrf_token=")),
        "{cookie}"
    );
    assert!(
        !format!("{token:?}").contains(token.expose()),
        "Debug is redacted"
    );
    keeper.dispose();
}

// 2
#[wasm_bindgen_test]
async fn a_fetch_arrives_with_the_bearer() {
    reset_with("{}").await;
    let keeper = signed_in(builder()).await;
    let response = keeper.fetch(request("GET", "/api/me", None)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(text(&response).await.contains("\"sub\":\"alice\""));
    let s = stats().await;
    assert_eq!(num(&s, "authorized_requests"), 1.0);
    assert_eq!(num(&s, "api_ok"), 1.0);
    keeper.dispose();
}

// 3
#[wasm_bindgen_test]
async fn a_two_second_token_is_refreshed_before_expiry_and_the_server_sees_no_401() {
    reset_with(r#"{"access_ttl_ms": 2000}"#).await;
    let keeper = signed_in(builder()).await;
    let (log, _sub) = record(&keeper);
    let started = now_ms();
    while now_ms() - started < 10_000.0 {
        let r = keeper.fetch(request("GET", "/api/me", None)).await.unwrap();
        assert_eq!(r.status(), 200);
        sleep_ms(250.0).await;
    }
    let s = stats().await;
    assert_eq!(num(&s, "api_unauthorized"), 0.0);
    let refreshes = num(&s, "refreshes");
    // One refresh per ~1.5 s of a 2 s token: about 6 in 10 s, never one per call.
    assert!((4.0..=9.0).contains(&refreshes), "{refreshes} refreshes");
    assert!(log.borrow().iter().any(|e| e == "refresh:schedule"));
    keeper.dispose();
}

// 4
#[wasm_bindgen_test]
async fn after_a_revoke_the_next_fetch_refreshes_once_retries_and_succeeds() {
    reset_with("{}").await;
    let keeper = signed_in(builder()).await;
    let (log, _sub) = record(&keeper);
    configure(r#"{"revoke_access_tokens": true}"#).await;
    let r = keeper.fetch(request("GET", "/api/me", None)).await.unwrap();
    assert_eq!(r.status(), 200);
    let s = stats().await;
    assert_eq!(num(&s, "api_unauthorized"), 1.0);
    assert_eq!(num(&s, "refreshes"), 1.0);
    assert_eq!(num(&s, "api_ok"), 1.0);
    assert_eq!(*log.borrow(), ["refresh:unauthorized", "token"]);
    keeper.dispose();
}

// 5
#[wasm_bindgen_test]
async fn fifty_concurrent_fetches_after_a_revoke_share_one_refresh() {
    reset_with("{}").await;
    let keeper = signed_in(builder()).await;
    configure(r#"{"revoke_access_tokens": true, "refresh_delay_ms": 200}"#).await;
    let calls = (0..50).map(|_| {
        let keeper = keeper.clone();
        async move { keeper.fetch(request("GET", "/api/me", None)).await }
    });
    let responses = futures_join_all(calls).await;
    assert!(responses
        .iter()
        .all(|r| r.as_ref().unwrap().status() == 200));
    let s = stats().await;
    assert_eq!(num(&s, "refreshes"), 1.0, "single flight");
    assert_eq!(num(&s, "api_ok"), 50.0);
    keeper.dispose();
}

// 6
#[wasm_bindgen_test]
async fn a_post_retried_after_a_revoke_carries_the_same_body() {
    reset_with("{}").await;
    let keeper = signed_in(builder()).await;
    configure(r#"{"revoke_access_tokens": true}"#).await;
    let body = r#"{"note":"zoë 🦀","n":[1,2,3]}"#;
    let r = keeper
        .fetch(request("POST", "/api/echo", Some(body)))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(text(&r).await, body);
    let s = stats().await;
    assert_eq!(num(&s, "api_unauthorized"), 1.0);
    assert_eq!(num(&s, "refreshes"), 1.0);
    keeper.dispose();
}

// 7
#[wasm_bindgen_test]
async fn a_rejected_refresh_signs_out_once_and_the_app_sees_the_401() {
    reset_with("{}").await;
    let keeper = signed_in(builder()).await;
    let (log, _sub) = record(&keeper);
    // Reset revokes every refresh family and every access token issued so far.
    control(&url("/__mock/reset"), "POST", JsValue::UNDEFINED)
        .await
        .unwrap();
    let r = keeper.fetch(request("GET", "/api/me", None)).await.unwrap();
    assert_eq!(r.status(), 401, "the app sees the original 401");
    assert!(!keeper.is_authenticated());
    assert!(keeper.access_token().is_none());
    // Later calls go out without a token and trigger no refresh.
    let again = keeper.fetch(request("GET", "/api/me", None)).await.unwrap();
    assert_eq!(again.status(), 401);
    let s = stats().await;
    assert_eq!(num(&s, "refresh_rejections"), 1.0);
    assert_eq!(num(&s, "refreshes"), 0.0);
    assert_eq!(num(&s, "authorized_requests"), 1.0);
    let logouts: Vec<_> = log
        .borrow()
        .iter()
        .filter(|e| e.starts_with("logout"))
        .cloned()
        .collect();
    assert_eq!(logouts, ["logout:rejected"]);
    keeper.dispose();
}

// 8
#[wasm_bindgen_test]
async fn transient_refresh_failures_back_off_and_a_429_is_waited_out() {
    reset_with(r#"{"fail_next_refreshes": 2, "fail_status": 500}"#).await;
    let keeper = signed_in(builder().retry(Retry {
        attempts: 3,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(400),
    }))
    .await;
    keeper.refresh().await.unwrap();
    assert_eq!(num(&stats().await, "refreshes"), 1.0);

    configure(r#"{"fail_next_refreshes": 1, "fail_status": 429, "retry_after_s": 1}"#).await;
    let started = now_ms();
    keeper.refresh().await.unwrap();
    let waited = now_ms() - started;
    assert!(
        waited >= 1_000.0,
        "Retry-After: 1 waited out, not {waited} ms"
    );
    assert_eq!(num(&stats().await, "refreshes"), 2.0);

    // Failures beyond the attempts: the error surfaces, the token is kept.
    configure(r#"{"fail_next_refreshes": 9, "fail_status": 503}"#).await;
    let before = keeper.access_token();
    let err = keeper.refresh().await.unwrap_err();
    assert_eq!((err.code(), err.status()), ("http", Some(503)));
    assert_eq!(keeper.access_token(), before);
    keeper.dispose();
}

// 9
#[wasm_bindgen_test]
async fn restore_brings_the_session_back_from_the_cookie_and_without_one_resolves_false() {
    reset_with("{}").await;
    let first = signed_in(builder()).await;
    first.dispose();
    // A reload: a fresh keeper, nothing in memory, only the cookie.
    let reloaded = builder().build().unwrap();
    let (log, _sub) = record(&reloaded);
    assert!(!reloaded.is_authenticated());
    assert!(reloaded.restore().await.unwrap());
    assert_eq!(reloaded.claims().unwrap().sub.as_deref(), Some("alice"));
    assert_eq!(*log.borrow(), ["refresh:restore", "token"]);
    reloaded.logout().await.unwrap();
    reloaded.dispose();

    // After logout the cookie is gone: restore resolves false, with no error and no logout.
    let fresh = builder().build().unwrap();
    let (log, _sub) = record(&fresh);
    assert!(!fresh.restore().await.unwrap());
    assert_eq!(*log.borrow(), ["refresh:restore"]);
    fresh.dispose();
}

/// `allowedOrigins` as a person might write it (upper case, trailing slash) still matches.
#[wasm_bindgen_test]
async fn allowed_origins_are_normalized() {
    reset_with("{}").await;
    let loose = format!(
        "{}/",
        server().to_uppercase().replacen("HTTP://", "http://", 1)
    );
    let keeper = signed_in(builder().allowed_origins([loose])).await;
    let r = keeper.fetch(request("GET", "/api/me", None)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(num(&stats().await, "authorized_requests"), 1.0);
    keeper.dispose();
}

// 10
#[wasm_bindgen_test]
async fn a_request_to_an_origin_that_is_not_allowed_carries_no_authorization() {
    reset_with("{}").await;
    let keeper = signed_in(builder()).await;
    let other = format!("{}/__mock/reset", second_server());
    control(&other, "POST", JsValue::UNDEFINED).await.unwrap();
    let foreign = Request::new_with_str(&format!("{}/api/me", second_server())).unwrap();
    let r = keeper.fetch(foreign).await.unwrap();
    assert_eq!(r.status(), 401);
    let second = control(
        &format!("{}/__mock/stats", second_server()),
        "GET",
        JsValue::UNDEFINED,
    )
    .await
    .unwrap();
    assert_eq!(num(&second, "authorized_requests"), 0.0, "no bearer leaked");
    assert_eq!(num(&second, "api_unauthorized"), 1.0);
    // And no refresh was triggered by the foreign 401.
    assert_eq!(num(&stats().await, "refreshes"), 0.0);
    keeper.dispose();
}

// 11
#[wasm_bindgen_test]
async fn the_csrf_header_goes_with_refresh_and_without_it_the_403_surfaces() {
    reset_with("{}").await;
    let keeper = signed_in(builder()).await;
    keeper.refresh().await.unwrap();
    let s = stats().await;
    assert_eq!(
        (num(&s, "refreshes"), num(&s, "csrf_rejections")),
        (1.0, 0.0)
    );
    keeper.dispose();

    let no_csrf = signed_in(builder().csrf(None)).await;
    let err = no_csrf.refresh().await.unwrap_err();
    assert_eq!(err.code(), "rejected");
    assert_eq!(err.status(), Some(403));
    assert_eq!(num(&stats().await, "csrf_rejections"), 1.0);
    no_csrf.dispose();

    // A custom cookie name that does not exist falls back to the value the login answer carried.
    let fallback = signed_in(builder().csrf(Some(Csrf {
        cookie_name: "no_such_cookie".into(),
        ..Csrf::default()
    })))
    .await;
    fallback.refresh().await.unwrap();
    fallback.dispose();
}

// 12
#[wasm_bindgen_test]
async fn a_server_clock_an_hour_off_changes_nothing() {
    for skew in ["3600000", "-3600000"] {
        reset_with(&format!(
            r#"{{"access_ttl_ms": 2000, "clock_skew_ms": {skew}}}"#
        ))
        .await;
        let keeper = signed_in(builder()).await;
        let received = now_ms();
        let expires = keeper.expires_at_ms().unwrap();
        assert!(
            (expires - received - 2_000.0).abs() < 300.0,
            "skew {skew}: local expiry"
        );
        let refreshed_at = Rc::new(RefCell::new(None));
        let sink = refreshed_at.clone();
        let _sub = keeper.subscribe(move |e| {
            if matches!(e, Event::Refresh { .. }) && sink.borrow().is_none() {
                *sink.borrow_mut() = Some(now_ms());
            }
        });
        sleep_ms(2_200.0).await;
        let at = refreshed_at
            .borrow()
            .expect("the keeper refreshed on its own")
            - received;
        assert!(
            (1_200.0..2_000.0).contains(&at),
            "skew {skew}: refreshed {at} ms after receipt"
        );
        assert_eq!(num(&stats().await, "refreshes"), 1.0);
        keeper.dispose();
    }
}

// 13
#[wasm_bindgen_test]
async fn a_garbled_refresh_answer_is_an_invalid_token_error_and_the_old_token_stays() {
    reset_with(r#"{"garble_next_refreshes": 1}"#).await;
    let keeper = signed_in(builder()).await;
    let (log, _sub) = record(&keeper);
    let before = keeper.access_token().unwrap();
    let err = keeper.refresh().await.unwrap_err();
    assert_eq!(err.code(), "invalid_token");
    assert_eq!(keeper.access_token().as_ref(), Some(&before));
    assert!(log.borrow().contains(&"error:invalid_token".to_owned()));

    // An answer without the configured field: a second keeper expecting another field.
    let picky = builder().token_field("jwt").build().unwrap();
    picky.set_token(before.expose()).unwrap();
    let err = picky.refresh().await.unwrap_err();
    assert_eq!(err.code(), "invalid_token");
    assert!(err.message().contains("`jwt`"), "{}", err.message());
    assert_eq!(picky.access_token().as_ref(), Some(&before));

    // Bad tokens handed in directly change nothing either.
    for bad in ["", "a.b", "x.y.z"] {
        assert_eq!(picky.set_token(bad).unwrap_err().code(), "invalid_token");
    }
    assert_eq!(picky.access_token().as_ref(), Some(&before));
    // And the module is still healthy: the first keeper works.
    let r = keeper.fetch(request("GET", "/api/me", None)).await.unwrap();
    assert_eq!(r.status(), 200);
    keeper.dispose();
    picky.dispose();
}

// 14
#[wasm_bindgen_test]
async fn after_dispose_no_timer_fires_and_no_refresh_reaches_the_server() {
    reset_with(r#"{"access_ttl_ms": 1000}"#).await;
    let keeper = signed_in(builder()).await;
    keeper.dispose();
    assert!(!keeper.is_authenticated());
    sleep_ms(1_800.0).await;
    assert_eq!(num(&stats().await, "refreshes"), 0.0);
    assert_eq!(keeper.refresh().await.unwrap_err().code(), "aborted");
}

// 15
#[wasm_bindgen_test]
async fn a_callers_own_authorization_header_is_sent_unchanged() {
    reset_with("{}").await;
    let keeper = signed_in(builder()).await;
    let other = signed_in(builder()).await.access_token().unwrap();
    let init = RequestInit::new();
    let headers = web_sys::Headers::new().unwrap();
    headers
        .set("authorization", &format!("Bearer {}", other.expose()))
        .unwrap();
    init.set_headers(&headers);
    let r = keeper
        .fetch(Request::new_with_str_and_init(&url("/api/me"), &init).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The server saw the caller's token: /api/me answers with the jti it got.
    let seen = text(&r).await;
    let jti = token_keeper::decode_unverified(other.expose())
        .unwrap()
        .jti
        .unwrap();
    assert!(seen.contains(&format!("\"jti\":\"{jti}\"")), "{seen}");
    keeper.dispose();
}

#[wasm_bindgen_test]
async fn a_failed_scheduled_refresh_is_tried_again_before_expiry() {
    reset_with(r#"{"access_ttl_ms": 6000}"#).await;
    let keeper = signed_in(builder().retry(Retry {
        attempts: 1,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(100),
    }))
    .await;
    // The scheduled refresh (~4.5 s) and its one retry both fail.
    configure(r#"{"fail_next_refreshes": 2, "fail_status": 503}"#).await;
    let (log, _sub) = record(&keeper);
    let expires = keeper.expires_at_ms().unwrap();
    while now_ms() < expires - 100.0 && num(&stats().await, "refreshes") < 1.0 {
        sleep_ms(100.0).await;
    }
    assert_eq!(
        num(&stats().await, "refreshes"),
        1.0,
        "refreshed before expiry"
    );
    assert!(keeper.is_authenticated());
    let log = log.borrow();
    assert_eq!(
        *log,
        [
            "refresh:schedule",
            "error:http",
            "refresh:schedule",
            "token"
        ],
        "one failed round, then the retry timer"
    );
    keeper.dispose();
}

/// Handles compare by identity: a clone is the same keeper (a Yew `ContextProvider` sees no
/// change), another keeper is not.
#[wasm_bindgen_test]
async fn handles_are_equal_when_they_are_the_same_keeper() {
    let keeper = builder().cross_tab(false).build().unwrap();
    let other = builder().cross_tab(false).build().unwrap();
    assert_eq!(keeper, keeper.clone());
    assert_ne!(keeper, other);
    keeper.dispose();
    other.dispose();
}

/// The app's own claims type, filled in the browser through `JSON.parse` and
/// serde-wasm-bindgen; the mock server's dates carry millisecond fractions.
#[wasm_bindgen_test]
async fn claims_as_fills_the_apps_own_struct_in_the_browser() {
    #[derive(serde::Deserialize)]
    struct MyClaims {
        sub: String,
        fam: u64,
        #[serde(deserialize_with = "token_keeper::claims::whole_seconds")]
        exp: u64,
    }
    reset_with("{}").await;
    let keeper = builder().cross_tab(false).build().unwrap();
    assert!(
        keeper.claims_as::<MyClaims>().unwrap().is_none(),
        "signed out"
    );
    keeper
        .login_json(r#"{"username":"alice","password":"wonderland"}"#)
        .await
        .unwrap();
    let mine = keeper.claims_as::<MyClaims>().unwrap().unwrap();
    assert_eq!(mine.sub, "alice");
    assert!(mine.fam > 0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let now_s = (now_ms() / 1000.0) as u64;
    assert!(
        mine.exp > now_s && mine.exp <= now_s + 301,
        "{} vs {now_s}",
        mine.exp
    );
    // A claim of the wrong type is named.
    #[derive(Debug, serde::Deserialize)]
    struct Wrong {
        #[allow(dead_code)]
        sub: u64,
    }
    let e = keeper.claims_as::<Wrong>().unwrap_err();
    assert_eq!(e.code(), "invalid_token");
    assert!(e.message().contains("`sub`"), "{}", e.message());
    keeper.dispose();
}

/// `fresh_token()` hands out the held token while it is not due, and a refreshed one once it is;
/// signed out, it says so.
#[wasm_bindgen_test]
async fn fresh_token_refreshes_first_when_the_token_is_due() {
    reset_with(r#"{"access_ttl_ms": 2000}"#).await;
    let keeper = builder().cross_tab(false).build().unwrap();
    let e = keeper.fresh_token().await.unwrap_err();
    assert_eq!(e.code(), "unauthenticated");
    assert_eq!(keeper.expires_in(), None);
    keeper
        .login_json(r#"{"username":"alice","password":"wonderland"}"#)
        .await
        .unwrap();
    let left = keeper.expires_in().unwrap();
    assert!(
        left > Duration::ZERO && left <= Duration::from_secs(2),
        "{left:?}"
    );
    let first = keeper.fresh_token().await.unwrap().expose().to_owned();
    assert_eq!(num(&stats().await, "refreshes"), 0.0, "not due: no refresh");
    // Past the lead of a 2 s token (a quarter of it): due, so refreshed first.
    sleep_ms(1_700.0).await;
    let second = keeper.fresh_token().await.unwrap().expose().to_owned();
    assert_ne!(first, second);
    assert_eq!(num(&stats().await, "refreshes"), 1.0);
    keeper.dispose();
}

/// A request the caller aborts is `aborted`, not `network`: an app tells its own cancellations
/// from a network that is down.
#[wasm_bindgen_test]
async fn a_fetch_the_caller_aborts_is_aborted_not_a_network_error() {
    reset_with("{}").await;
    let keeper = signed_in(builder().cross_tab(false)).await;
    let controller = web_sys::AbortController::new().unwrap();
    let init = RequestInit::new();
    init.set_signal(Some(&controller.signal()));
    let request = Request::new_with_str_and_init(&url("/api/me"), &init).unwrap();
    controller.abort();
    let e = keeper.fetch(request).await.unwrap_err();
    assert_eq!(e.code(), "aborted");
    // And a network that refuses is `network`.
    let refused = Request::new_with_str("http://127.0.0.1:9/").unwrap();
    assert_eq!(keeper.fetch(refused).await.unwrap_err().code(), "network");
    keeper.dispose();
}

/// gloo-net requests go through the keeper with `fetch`'s rules: the bearer arrives, a POST body
/// is replayed after a revoke, a foreign origin gets no bearer.
#[wasm_bindgen_test]
async fn send_takes_gloo_net_requests_with_the_same_rules_as_fetch() {
    use gloo_net::http::Request as GlooRequest;
    reset_with("{}").await;
    let keeper = signed_in(builder().cross_tab(false)).await;
    let me = keeper
        .send(GlooRequest::get(&url("/api/me")))
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert!(me.text().await.unwrap().contains("alice"));
    // Revoke the access tokens: the POST gets a 401, a refresh, and its body again.
    configure(r#"{"revoke_access_tokens": true}"#).await;
    let post = GlooRequest::post(&url("/api/echo"))
        .header("content-type", "text/plain")
        .body("the same body twice")
        .unwrap();
    let echoed = keeper.send(post).await.unwrap();
    assert_eq!(echoed.status(), 200);
    assert_eq!(echoed.text().await.unwrap(), "the same body twice");
    let s = stats().await;
    assert_eq!(num(&s, "refreshes"), 1.0);
    // Another origin: no bearer, so its API says 401 and nothing is refreshed.
    let foreign = format!("{}/api/me", second_server());
    let other = keeper.send(GlooRequest::get(&foreign)).await.unwrap();
    assert_eq!(other.status(), 401);
    assert_eq!(num(&stats().await, "refreshes"), 1.0);
    // A URL that cannot parse is a network error, as window.fetch rejects it.
    let e = keeper
        .send(GlooRequest::get("http://[::1"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "network");
    keeper.dispose();
}

/// `login` sends credentials of the app's own serde type as JSON.
#[wasm_bindgen_test]
async fn login_sends_the_apps_own_credentials_type() {
    #[derive(serde::Serialize)]
    struct Credentials<'a> {
        username: &'a str,
        password: &'a str,
    }
    reset_with("{}").await;
    let keeper = builder().cross_tab(false).build().unwrap();
    let wrong = Credentials {
        username: "alice",
        password: "looking-glass",
    };
    assert_eq!(keeper.login(&wrong).await.unwrap_err().status(), Some(401));
    let right = Credentials {
        username: "alice",
        password: "wonderland",
    };
    let claims = keeper.login(&right).await.unwrap();
    assert_eq!(claims.sub.as_deref(), Some("alice"));
    assert_eq!(num(&stats().await, "logins"), 1.0);
    keeper.dispose();
}
