//! The browser's `fetch`, for the auth calls (login, refresh, logout) and for the app's requests.

use js_sys::{Function, Promise, Reflect};
use token_keeper_core::keeper::MAX_INPUT_BYTES;
use token_keeper_core::parsed::{serde_parse, Parsed};
use token_keeper_core::Answer;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortSignal, Headers, Request, RequestCredentials};

/// Calls `fetch` of the global object (window or worker) now; the promise of its response.
pub(crate) fn send_now(request: &Request) -> Result<Promise, JsValue> {
    let global: JsValue = js_sys::global().into();
    let fetch: Function = Reflect::get(&global, &"fetch".into())?.dyn_into()?;
    fetch.call1(&global, request)?.dyn_into()
}

/// Calls an auth endpoint (`method`: POST, or GET for a refresh under `refreshMethod`) with the
/// cookies (`credentials: "include"`), an optional JSON body
/// and extra headers, and reads the whole answer as text. `signal` aborts it (the core decides
/// when: it times every auth call, headers and body together).
/// `token_header` names the response header to report with the answer (`tokenHeader`); its
/// `DPoP-Nonce` comes with it too.
pub(crate) async fn auth_call(
    (method, url): (&str, &str),
    json_body: Option<&str>,
    headers: &[(&str, &str)],
    token_header: Option<&str>,
    signal: Option<&AbortSignal>,
) -> Answer {
    let Some(request) = auth_request((method, url), json_body, headers, signal) else {
        return Answer::Failed;
    };
    let Ok(response) = request.send().await else {
        return Answer::Failed;
    };
    let status = response.status();
    let raw = response.headers();
    let retry_after_s = raw.get("retry-after").and_then(|v| retry_after_s(&v));
    // `tokenHeader` is checked to be a header name, so reading it cannot throw.
    let token_header = token_header.and_then(|name| raw.get(name));
    let dpop_nonce = raw.get("dpop-nonce");
    match response.text().await {
        Ok(body) => Answer::Response {
            status,
            // serde_json reads it, as `JSON.parse` does in the npm package; a body longer than
            // the core reads is no JSON object to it.
            parsed: if body.len() > MAX_INPUT_BYTES {
                Parsed::NotJson
            } else {
                serde_parse(&body)
            },
            body,
            retry_after_s,
            token_header,
            dpop_nonce,
        },
        Err(_) => Answer::Failed,
    }
}

/// The auth call as a gloo-net request. The headers are set on a `web_sys::Headers` first: a
/// value the browser refuses (a CSRF cookie holding what no header may) fails the call here,
/// where gloo-net's own setter would throw.
fn auth_request(
    (method, url): (&str, &str),
    json_body: Option<&str>,
    headers: &[(&str, &str)],
    signal: Option<&AbortSignal>,
) -> Option<gloo_net::http::Request> {
    let h = Headers::new().ok()?;
    for (name, value) in headers {
        h.set(name, value).ok()?;
    }
    let builder = gloo_net::http::RequestBuilder::new(url)
        .method(if method == "GET" {
            gloo_net::http::Method::GET
        } else {
            gloo_net::http::Method::POST
        })
        .credentials(RequestCredentials::Include)
        .headers(gloo_net::http::Headers::from_raw(h))
        .abort_signal(signal);
    match json_body {
        Some(body) => builder.body(body).ok(),
        None => builder.build().ok(),
    }
}

/// `Retry-After` read as a number of seconds, as the npm driver reads it (JavaScript's
/// `Number()`); whether it is a wait the keeper honours (finite, not negative) is the core's
/// decision (`retry_after_ms`), made once for both drivers.
fn retry_after_s(value: &str) -> Option<f64> {
    Some(js_sys::Number::from(JsValue::from_str(value.trim())).value_of())
}

/// `url` resolved against the page (or worker) location; `None` when it is not a URL.
pub(crate) fn resolve(url: &str) -> Option<String> {
    let base = Reflect::get(&js_sys::global(), &"location".into())
        .ok()
        .and_then(|l| Reflect::get(&l, &"href".into()).ok())
        .and_then(|h| h.as_string());
    let parsed = match base {
        Some(base) => web_sys::Url::new_with_base(url, &base),
        None => web_sys::Url::new(url),
    };
    parsed.ok().map(|u| u.href())
}

/// The origin of an absolute URL.
pub(crate) fn origin_of(url: &str) -> Option<String> {
    web_sys::Url::new(url).ok().map(|u| u.origin())
}

/// The origin of the page (or worker).
pub(crate) fn page_origin() -> Option<String> {
    Reflect::get(&js_sys::global(), &"origin".into())
        .ok()?
        .as_string()
        .filter(|o| o != "null")
}

/// The page's readable cookies, `document.cookie` (`a=1; b=2`), or "" where there is none (a
/// worker). Reading only: the keeper writes no cookie, and the core picks the value it needs.
pub(crate) fn document_cookie() -> String {
    Reflect::get(&js_sys::global(), &"document".into())
        .and_then(|document| Reflect::get(&document, &"cookie".into()))
        .ok()
        .and_then(|cookies| cookies.as_string())
        .unwrap_or_default()
}

/// Whether the request already carries an `Authorization` header of the caller's.
pub(crate) fn has_authorization(request: &Request) -> bool {
    request.headers().has("authorization").unwrap_or(false)
}

/// Sets the `Authorization` header to the value the core handed over.
pub(crate) fn set_authorization(request: &Request, value: &str) -> bool {
    request.headers().set("authorization", value).is_ok()
}
