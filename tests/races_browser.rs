//! The races a browser can stage and the old keeper lost, each against the real mock server in
//! Chromium: a refresh in flight across `logout()`, a lock request the browser refuses, an answer
//! whose body stalls, and a waiting tab tempted to steal the lock from a holder in its retries.
//! (The logic behind each is proven in the simulation; these prove the browser driver.) Its own
//! test page, so its locks and channels meet no other suite's.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/browser.rs"]
mod common;
use common::*;

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Array, Promise};
use token_keeper::clock::{now_ms, sleep_ms};
use token_keeper::{Event, Retry, TokenKeeper};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Starts `future` now, as a caller who does not await it yet would.
fn start<T: Into<JsValue>>(
    future: impl Future<Output = Result<T, token_keeper::Error>> + 'static,
) -> Promise {
    future_to_promise(async move {
        future
            .await
            .map(Into::into)
            .map_err(|e| JsValue::from_str(e.code()))
    })
}

/// What `promise` settled to within `ms`, or a panic saying it never did.
async fn within(ms: f64, what: &str, promise: Promise) -> Result<JsValue, JsValue> {
    const NEVER: &str = "never settled";
    let timer = future_to_promise(async move {
        sleep_ms(ms).await;
        Ok(JsValue::from_str(NEVER))
    });
    // A rejection becomes a value, so the race tells it from the timer.
    let settled = future_to_promise(async move {
        Ok(match JsFuture::from(promise).await {
            Ok(v) => Array::of2(&JsValue::TRUE, &v).into(),
            Err(e) => Array::of2(&JsValue::FALSE, &e).into(),
        })
    });
    let first = JsFuture::from(Promise::race(&Array::of2(&settled, &timer)))
        .await
        .unwrap();
    if first.as_string().as_deref() == Some(NEVER) {
        panic!("{what} did not settle within {ms} ms");
    }
    let pair = Array::from(&first);
    if pair.get(0).is_truthy() {
        Ok(pair.get(1))
    } else {
        Err(pair.get(1))
    }
}

fn names(keeper: &TokenKeeper) -> (Rc<RefCell<Vec<&'static str>>>, token_keeper::Subscription) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink = log.clone();
    let sub = keeper.subscribe(move |e: &Event| sink.borrow_mut().push(e.name()));
    (log, sub)
}

// Finding 1: without logoutUrl, `login; p = refresh(); await logout(); await p` left the keeper
// signed in and fired `token` after `logout`.
#[wasm_bindgen_test]
async fn a_refresh_in_flight_across_logout_does_not_sign_the_user_back_in() {
    reset_with(r#"{"refresh_delay_ms": 400}"#).await;
    let keeper = TokenKeeper::builder(url("/auth/refresh"))
        .login_url(url("/auth/login"))
        .build()
        .unwrap();
    keeper
        .login_json(r#"{"username":"alice","password":"wonderland"}"#)
        .await
        .unwrap();
    let (log, _sub) = names(&keeper);
    let refreshing = {
        let keeper = keeper.clone();
        start(async move { keeper.refresh().await.map(|()| JsValue::UNDEFINED) })
    };
    sleep_ms(50.0).await;
    keeper.logout().await.unwrap();
    assert!(!keeper.is_authenticated());
    let refreshed = within(5_000.0, "refresh()", refreshing).await;
    assert_eq!(
        refreshed.unwrap_err().as_string().as_deref(),
        Some("aborted")
    );
    // The answer landed meanwhile (the server rotated): still signed out, no token after logout.
    sleep_ms(600.0).await;
    assert_eq!(num(&stats().await, "refreshes"), 1.0);
    assert!(!keeper.is_authenticated());
    assert!(keeper.access_token().is_none());
    let log = log.borrow();
    let logout = log.iter().position(|n| *n == "logout").unwrap();
    assert!(!log[logout..].contains(&"token"), "{log:?}");
    keeper.dispose();
}

// Finding 2: a Web Lock request the browser refuses (a name starting with `-` is reserved) hung
// every refresh forever.
#[wasm_bindgen_test]
async fn a_lock_the_browser_refuses_falls_back_to_refreshing_alone() {
    reset_with("{}").await;
    let keeper = signed_in(builder().channel_name("-app")).await;
    let refreshing = {
        let keeper = keeper.clone();
        start(async move { keeper.refresh().await.map(|()| JsValue::UNDEFINED) })
    };
    within(5_000.0, "refresh()", refreshing).await.unwrap();
    let restoring = {
        let keeper = keeper.clone();
        start(async move { keeper.restore().await })
    };
    assert_eq!(
        within(5_000.0, "restore()", restoring).await.unwrap(),
        JsValue::TRUE
    );
    assert_eq!(num(&stats().await, "refreshes"), 1.0);
    keeper.dispose();
}

// Finding 3: an auth answer whose headers came but whose body stalled jammed the single flight:
// `timeoutMs` stopped at the headers, and no refresh settled again.
#[wasm_bindgen_test]
async fn an_answer_whose_body_stalls_times_out_and_the_refresh_goes_on() {
    reset_with("{}").await;
    let keeper = signed_in(builder().timeout(Duration::from_millis(800)).retry(Retry {
        attempts: 2,
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_millis(200),
    }))
    .await;
    configure(r#"{"stall_next_refreshes": 1, "stall_body_ms": 30000}"#).await;
    let before = keeper.access_token();
    let started = now_ms();
    let refreshing = {
        let keeper = keeper.clone();
        start(async move { keeper.refresh().await.map(|()| JsValue::UNDEFINED) })
    };
    within(5_000.0, "refresh()", refreshing).await.unwrap();
    let took = now_ms() - started;
    assert!(
        took >= 800.0,
        "the stalled answer was waited for {took} ms, not timeoutMs"
    );
    assert_ne!(keeper.access_token(), before);
    // The stalled answer's headers set the rotated cookie: the retry presented it, no reuse.
    let s = stats().await;
    assert_eq!(
        (num(&s, "refreshes"), num(&s, "reuse_detections")),
        (2.0, 0.0)
    );
    let again = {
        let keeper = keeper.clone();
        start(async move { keeper.refresh().await.map(|()| JsValue::UNDEFINED) })
    };
    within(5_000.0, "the next refresh()", again).await.unwrap();
    assert_eq!(num(&stats().await, "refreshes"), 3.0);
    keeper.dispose();
}

// Finding 4: a tab waiting for the lock stole it after `timeoutMs` while the holder was still in
// its retries; both presented the same rotating cookie, the server saw reuse, and every tab was
// signed out. Two keepers of one page share the lock and the channel exactly as two tabs do.
#[wasm_bindgen_test]
async fn a_waiting_tab_does_not_steal_the_lock_from_a_holder_in_its_retries() {
    reset_with("{}").await;
    let options = || {
        builder()
            .timeout(Duration::from_millis(2_000))
            .channel_name("steal-test")
    };
    let waiter = options().build().unwrap();
    let holder = signed_in(options()).await;
    sleep_ms(100.0).await;
    assert!(waiter.is_authenticated(), "the other tab heard the login");
    // Every refresh answers after 1.5 s; the first is a 429 asking for 1 s more: the holder works
    // for about 4 s, twice the waiter's timeoutMs.
    configure(
        r#"{"refresh_delay_ms": 1500, "fail_next_refreshes": 1, "fail_status": 429, "retry_after_s": 1}"#,
    )
    .await;
    let holding = {
        let holder = holder.clone();
        start(async move { holder.refresh().await.map(|()| JsValue::UNDEFINED) })
    };
    sleep_ms(100.0).await;
    let waiting = {
        let waiter = waiter.clone();
        start(async move { waiter.refresh().await.map(|()| JsValue::UNDEFINED) })
    };
    within(15_000.0, "the holder's refresh()", holding)
        .await
        .unwrap();
    within(15_000.0, "the waiter's refresh()", waiting)
        .await
        .unwrap();
    let s = stats().await;
    assert_eq!(num(&s, "reuse_detections"), 0.0);
    assert_eq!(num(&s, "refresh_rejections"), 0.0);
    assert_eq!(
        num(&s, "refreshes"),
        1.0,
        "the waiter adopted the holder's token"
    );
    assert!(holder.is_authenticated() && waiter.is_authenticated());
    assert_eq!(holder.access_token(), waiter.access_token());
    holder.dispose();
    waiter.dispose();
}

// Finding 7: a fetch that rejected left its request copy behind. Now a watched request that
// fails on the network fails as `window.fetch` does (`network`), for any number of calls, and
// leaves the keeper as it was.
#[wasm_bindgen_test]
async fn a_failed_fetch_fails_as_the_network_did_and_leaves_the_keeper_working() {
    reset_with("{}").await;
    // Port 9 refuses: a bearer-carrying request to it fails on the network.
    let keeper = TokenKeeper::builder(url("/auth/refresh"))
        .login_url(url("/auth/login"))
        .channel_name("failed-fetch-test")
        .allowed_origins([server(), "http://127.0.0.1:9"])
        .build()
        .unwrap();
    keeper
        .login_json(r#"{"username":"alice","password":"wonderland"}"#)
        .await
        .unwrap();
    for _ in 0..20 {
        let request = web_sys::Request::new_with_str("http://127.0.0.1:9/api/me").unwrap();
        let err = keeper.fetch(request).await.unwrap_err();
        assert_eq!(err.code(), "network");
    }
    let request = web_sys::Request::new_with_str(&url("/api/me")).unwrap();
    assert_eq!(keeper.fetch(request).await.unwrap().status(), 200);
    keeper.dispose();
}

// Issue "Where SPAs are really built": Django's CSRF protects every POST, a sign-in too. A login
// while signed in (the CSRF cookie is there) carries the header, in the Rust driver as in the
// npm one — the core decides it for both (`AuthSend`, the CSRF header in it read with the core's one parser).
#[wasm_bindgen_test]
async fn a_login_while_signed_in_carries_the_csrf_header() {
    reset_with(r#"{"csrf_on_login": true}"#).await;
    let keeper = signed_in(builder().channel_name("csrf-login-test")).await;
    keeper
        .login_json(r#"{"username":"alice","password":"wonderland"}"#)
        .await
        .unwrap();
    let s = stats().await;
    let count = |name: &str| js_sys::Reflect::get(&s, &name.into()).unwrap().as_f64();
    assert_eq!(count("logins"), Some(2.0));
    assert_eq!(count("csrf_rejections"), Some(0.0));
    keeper.dispose();
}

// Tab messages travel as one structure (core/src/message.rs): what a Rust tab posts is the
// documented object, and it hears a sign-out of its session in that structure posted by any
// script of the origin — but drops, as a JavaScript tab does, what does not fit it.
#[wasm_bindgen_test]
async fn a_rust_tab_posts_and_hears_tab_messages_as_the_documented_structure() {
    reset_with("{}").await;
    let session = url("/auth/refresh");
    // A script of the page on the keeper's channel.
    let script = js_sys::Function::new_with_args(
        "name",
        "const channel = new BroadcastChannel(name), heard = [];
         channel.onmessage = ({ data }) => heard.push(data);
         return { heard, post: (m) => channel.postMessage(typeof m == 'string' ? JSON.parse(m) : m) };",
    )
    .call1(&JsValue::NULL, &format!("token-keeper:{session}").into())
    .unwrap();
    let keeper = signed_in(builder()).await;
    let (events, _sub) = names(&keeper);
    sleep_ms(300.0).await;
    let heard = Array::from(&get(&script, "heard"));
    let token = heard
        .iter()
        .find(|m| get(m, "type").as_string().as_deref() == Some("token"))
        .expect("the login's token was posted");
    let mut keys: Vec<String> = js_sys::Object::keys(&token.clone().into())
        .iter()
        .filter_map(|k| k.as_string())
        .collect();
    keys.sort();
    assert_eq!(keys, ["at", "lifetime", "session", "token", "type", "v"]);
    assert_eq!(
        (num(&token, "v"), get(&token, "session").as_string()),
        (1.0, Some(session.clone()))
    );

    let post = js_sys::Function::from(get(&script, "post"));
    let at = now_ms();
    let message = |rest: &str| format!(r#"{{"session":"{session}","at":{at},{rest}}}"#);
    for unfit in [
        format!(r#"[1,"logout","{session}",null,{at}]"#),
        message(r#""v":1,"type":{"logout":null}"#),
        message(r#""v":1,"type":"logout","for":"x""#),
        message(r#""v":1,"type":"logout","token":7"#),
        message(r#""v":2,"type":"logout""#),
        json_string(&message(r#""v":1,"type":"logout""#)), // a structure's JSON text
        // A string longer than a tab takes (65,536), dropped before it reaches the wasm.
        message(&format!(
            r#""v":1,"type":"logout","token":"{}""#,
            "x".repeat(70_000)
        )),
    ] {
        post.call1(&JsValue::NULL, &unfit.into()).unwrap();
    }
    sleep_ms(300.0).await;
    assert!(
        keeper.is_authenticated(),
        "a message that does not fit was heard"
    );
    post.call1(&JsValue::NULL, &message(r#""v":1,"type":"logout""#).into())
        .unwrap();
    sleep_ms(300.0).await;
    assert!(!keeper.is_authenticated());
    assert_eq!(events.borrow().as_slice(), ["logout"]);
}

/// `text` as a JSON string literal (`JSON.stringify`): JSON.parse of it gives `text` itself.
fn json_string(text: &str) -> String {
    js_sys::JSON::stringify(&text.into())
        .unwrap()
        .as_string()
        .unwrap()
}
