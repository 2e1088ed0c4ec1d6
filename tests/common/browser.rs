//! Helpers shared by the browser suites: the mock server's URLs, its test controls over the real
//! network, and keepers pointed at it.
//!
//! `make test` passes the servers' URLs in at compile time (it starts them on free ports). Without
//! them — `wasm-pack test --headless --chrome`, `cargo test --target wasm32-unknown-unknown` —
//! the tests look for the servers `make mock-server` starts at fixed addresses:
//! [`DEFAULT_SERVER`], [`DEFAULT_SECOND_SERVER`], [`DEFAULT_REISSUE_SERVER`] and
//! [`DEFAULT_DPOP_SERVER`].
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use js_sys::{Reflect, JSON};
use token_keeper::TokenKeeper;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export async function control(url, method, body) {
  const r = await fetch(url, {
    method, headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return r.json();
}
export async function storageSnapshot() {
  const dbs = indexedDB.databases ? await indexedDB.databases() : [];
  return {
    local: JSON.stringify(Object.assign({}, localStorage)),
    session: JSON.stringify(Object.assign({}, sessionStorage)),
    cookie: document.cookie,
    indexedDb: dbs.length,
  };
}
export function callback(log) { return (detail) => log.push(detail); }
"#)]
extern "C" {
    #[wasm_bindgen(catch)]
    pub async fn control(url: &str, method: &str, body: JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = storageSnapshot)]
    pub async fn storage_snapshot() -> JsValue;
    pub fn callback(log: &js_sys::Array) -> JsValue;
}

/// Where `make mock-server` serves the main mock server.
pub const DEFAULT_SERVER: &str = "http://127.0.0.1:18080";
/// … a second one (another origin).
pub const DEFAULT_SECOND_SERVER: &str = "http://127.0.0.1:18081";
/// … one with `--bind-refresh-to-user --token-in-header`.
pub const DEFAULT_REISSUE_SERVER: &str = "http://127.0.0.1:18082";
/// … and one with `--dpop-nonce` (DPoP proofs and server nonces).
pub const DEFAULT_DPOP_SERVER: &str = "http://127.0.0.1:18083";

pub fn server() -> &'static str {
    option_env!("MOCK_SERVER_URL").unwrap_or(DEFAULT_SERVER)
}

pub fn second_server() -> &'static str {
    option_env!("MOCK_SERVER_URL_2").unwrap_or(DEFAULT_SECOND_SERVER)
}

pub fn reissue_server() -> &'static str {
    option_env!("MOCK_SERVER_URL_REISSUE").unwrap_or(DEFAULT_REISSUE_SERVER)
}

pub fn dpop_server() -> &'static str {
    option_env!("MOCK_SERVER_URL_DPOP").unwrap_or(DEFAULT_DPOP_SERVER)
}

/// A test control at `url` that did not answer: say what is missing and how to start it.
pub fn no_server(url: &str) -> ! {
    panic!(
        "no mock server answered at {url}: start the test servers with `make mock-server` \
         (they listen on {DEFAULT_SERVER}, {DEFAULT_SECOND_SERVER}, {DEFAULT_REISSUE_SERVER} \
         and {DEFAULT_DPOP_SERVER}), or run every test with `make test`"
    )
}

/// A test control, failing the test with [`no_server`]'s message when nothing answers.
pub async fn control_or_fail(url: &str, method: &str, body: JsValue) -> JsValue {
    match control(url, method, body).await {
        Ok(answer) => answer,
        Err(_) => no_server(url),
    }
}

pub fn url(path: &str) -> String {
    format!("{}{path}", server())
}

pub fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

pub fn num(v: &JsValue, key: &str) -> f64 {
    get(v, key).as_f64().unwrap_or(f64::NAN)
}

pub fn json(text: &str) -> JsValue {
    JSON::parse(text).unwrap()
}

pub async fn reset_with(config: &str) {
    control_or_fail(&url("/__mock/reset"), "POST", JsValue::UNDEFINED).await;
    control_or_fail(&url("/__mock/config"), "POST", json(config)).await;
}

pub async fn configure(config: &str) {
    control_or_fail(&url("/__mock/config"), "POST", json(config)).await;
}

pub async fn stats() -> JsValue {
    control_or_fail(&url("/__mock/stats"), "GET", JsValue::UNDEFINED).await
}

pub fn builder() -> token_keeper::config::Builder {
    TokenKeeper::builder(url("/auth/refresh"))
        .login_url(url("/auth/login"))
        .logout_url(url("/auth/logout"))
}

pub async fn signed_in(b: token_keeper::config::Builder) -> TokenKeeper {
    let keeper = b.build().unwrap();
    keeper
        .login_json(r#"{"username":"alice","password":"wonderland"}"#)
        .await
        .unwrap();
    keeper
}

/// `join_all` without the futures crate: start all, then await each.
pub async fn futures_join_all<F: std::future::Future<Output = T> + 'static, T: 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<T> {
    let slots: Vec<std::rc::Rc<std::cell::RefCell<Option<T>>>> = Vec::new();
    let mut slots = slots;
    let mut promises = Vec::new();
    for f in futures {
        let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
        let sink = slot.clone();
        promises.push(wasm_bindgen_futures::future_to_promise(async move {
            *sink.borrow_mut() = Some(f.await);
            Ok(JsValue::UNDEFINED)
        }));
        slots.push(slot);
    }
    for p in promises {
        wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
    }
    slots
        .into_iter()
        .map(|s| s.borrow_mut().take().unwrap())
        .collect()
}
