//! Helpers shared by the browser suites: the mock server's URLs (passed in at compile time by
//! scripts/test.sh), its test controls over the real network, and keepers pointed at it.
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

pub fn server() -> &'static str {
    match option_env!("MOCK_SERVER_URL") {
        Some(url) => url,
        None => panic!("run the browser tests through `make test`"),
    }
}

pub fn second_server() -> &'static str {
    match option_env!("MOCK_SERVER_URL_2") {
        Some(url) => url,
        None => panic!("run the browser tests through `make test`"),
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
    control(&url("/__mock/reset"), "POST", JsValue::UNDEFINED)
        .await
        .unwrap();
    control(&url("/__mock/config"), "POST", json(config))
        .await
        .unwrap();
}

pub async fn configure(config: &str) {
    control(&url("/__mock/config"), "POST", json(config))
        .await
        .unwrap();
}

pub async fn stats() -> JsValue {
    control(&url("/__mock/stats"), "GET", JsValue::UNDEFINED)
        .await
        .unwrap()
}

pub fn builder() -> token_keeper::config::Builder {
    TokenKeeper::builder(url("/auth/refresh"))
        .login_url(url("/auth/login"))
        .logout_url(url("/auth/logout"))
}

pub async fn signed_in(b: token_keeper::config::Builder) -> TokenKeeper {
    let keeper = b.build().unwrap();
    keeper
        .login(r#"{"username":"alice","password":"wonderland"}"#)
        .await
        .unwrap();
    keeper
}
