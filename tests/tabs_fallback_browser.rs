//! Without Web Locks and BroadcastChannel (old browsers, some embedded views) the keeper falls
//! back to per-tab behaviour and stays correct within the tab. Its own test page: it removes
//! those APIs for the whole page.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/browser.rs"]
mod common;
use common::*;

use js_sys::Reflect;
use token_keeper::clock::sleep_ms;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use web_sys::Request;

wasm_bindgen_test_configure!(run_in_browser);

fn remove_cross_tab_apis() {
    let global: JsValue = js_sys::global().into();
    let navigator = Reflect::get(&global, &"navigator".into()).unwrap();
    let prototype = Reflect::get_prototype_of(&navigator).unwrap();
    Reflect::delete_property(&prototype, &"locks".into()).unwrap();
    Reflect::delete_property(&global.clone().into(), &"BroadcastChannel".into()).unwrap();
    assert!(Reflect::get(&navigator, &"locks".into())
        .unwrap()
        .is_undefined());
    assert!(Reflect::get(&global, &"BroadcastChannel".into())
        .unwrap()
        .is_undefined());
}

#[wasm_bindgen_test]
async fn without_locks_or_channels_each_tab_keeps_its_own_token_correctly() {
    remove_cross_tab_apis();
    reset_with(r#"{"access_ttl_ms": 2000}"#).await;
    let keeper = signed_in(builder()).await;
    configure(r#"{"revoke_access_tokens": true}"#).await;
    let calls = (0..10).map(|_| {
        let keeper = keeper.clone();
        async move {
            keeper
                .fetch(Request::new_with_str(&url("/api/me")).unwrap())
                .await
        }
    });
    let mut statuses = Vec::new();
    let promises: Vec<_> = calls
        .map(|f| {
            wasm_bindgen_futures::future_to_promise(async move {
                Ok(JsValue::from(f.await.unwrap().status()))
            })
        })
        .collect();
    for p in promises {
        statuses.push(wasm_bindgen_futures::JsFuture::from(p).await.unwrap());
    }
    assert!(statuses.iter().all(|s| s.as_f64() == Some(200.0)));
    let s = stats().await;
    assert_eq!(num(&s, "refreshes"), 1.0, "still single flight");

    // Proactive refresh still runs on its own timer.
    sleep_ms(1_800.0).await;
    assert_eq!(num(&stats().await, "refreshes"), 2.0);
    keeper.logout().await.unwrap();
    assert!(!keeper.is_authenticated());
    keeper.dispose();
}

#[wasm_bindgen_test]
async fn cross_tab_off_is_per_tab_too() {
    reset_with("{}").await;
    let keeper = signed_in(builder().cross_tab(false)).await;
    keeper.refresh().await.unwrap();
    let r = keeper
        .fetch(Request::new_with_str(&url("/api/me")).unwrap())
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(num(&stats().await, "refreshes"), 1.0);
    keeper.dispose();
}
