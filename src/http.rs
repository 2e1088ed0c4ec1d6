//! The browser's `fetch`, for the auth calls (login, refresh, logout) and for the app's requests.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, Request, RequestCredentials, RequestInit, Response};

use crate::clock::Timeout;
use crate::{Error, ErrorKind};

/// Calls `fetch` of the global object (window or worker) now; the promise of its response.
pub(crate) fn send_now(request: &Request) -> Result<Promise, JsValue> {
    let global: JsValue = js_sys::global().into();
    let fetch: Function = Reflect::get(&global, &"fetch".into())?.dyn_into()?;
    fetch.call1(&global, request)?.dyn_into()
}

/// `fetch` of the global object (window or worker).
pub(crate) async fn send(request: &Request) -> Result<Response, JsValue> {
    JsFuture::from(send_now(request)?).await?.dyn_into()
}

/// POSTs to an auth endpoint with the cookies (`credentials: "include"`), an optional JSON body
/// and extra headers, giving up after `timeout_ms`.
///
/// # Errors
///
/// `network` when no answer came, `timeout` when it took too long.
pub(crate) async fn post(
    url: &str,
    json_body: Option<&str>,
    headers: &[(&str, &str)],
    timeout_ms: f64,
) -> Result<Response, Error> {
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_credentials(RequestCredentials::Include);
    let h = Headers::new().map_err(|_| network_error())?;
    if let Some(body) = json_body {
        init.set_body(&body.into());
        h.set("content-type", "application/json")
            .map_err(|_| network_error())?;
    }
    for (name, value) in headers {
        h.set(name, value)
            .map_err(|_| Error::new(ErrorKind::Config, "a header name or value is not valid"))?;
    }
    init.set_headers(&h);
    let controller = AbortController::new().ok();
    if let Some(c) = &controller {
        init.set_signal(Some(&c.signal()));
    }
    let request = Request::new_with_str_and_init(url, &init)
        .map_err(|_| Error::new(ErrorKind::Config, "an auth url is not a valid url"))?;
    // The timer aborts the call; dropping it (when the answer came first) clears it.
    let timed_out = std::rc::Rc::new(std::cell::Cell::new(false));
    let _timer = controller.map(|c| {
        let flag = timed_out.clone();
        Timeout::new(timeout_ms, move || {
            flag.set(true);
            c.abort();
        })
    });
    match send(&request).await {
        Ok(response) => Ok(response),
        Err(_) if timed_out.get() => Err(Error::new(ErrorKind::Timeout, "the auth call timed out")),
        Err(_) => Err(network_error()),
    }
}

fn network_error() -> Error {
    Error::new(ErrorKind::Network, "the auth server could not be reached")
}

/// The JSON body of an auth answer, which must be an object.
///
/// # Errors
///
/// `invalid_token` when the body is not a JSON object.
pub(crate) async fn json_object(response: &Response) -> Result<JsValue, Error> {
    let bad = || {
        Error::new(
            ErrorKind::InvalidToken,
            "the auth server's answer is not a json object",
        )
    };
    let promise = response.json().map_err(|_| bad())?;
    let value = JsFuture::from(promise).await.map_err(|_| bad())?;
    if value.is_object() && !js_sys::Array::is_array(&value) {
        Ok(value)
    } else {
        Err(bad())
    }
}

/// A plain object with these properties (event details, tab messages).
pub(crate) fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (key, value) in entries {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&o, &(*key).into(), value);
    }
    o.into()
}

/// A string field of a JSON object.
pub(crate) fn string_field(object: &JsValue, field: &str) -> Option<String> {
    Reflect::get(object, &field.into()).ok()?.as_string()
}

/// A number field of a JSON object.
pub(crate) fn number_field(object: &JsValue, field: &str) -> Option<f64> {
    Reflect::get(object, &field.into())
        .ok()?
        .as_f64()
        .filter(|n| n.is_finite())
}

/// `Retry-After` in milliseconds, when given in seconds.
pub(crate) fn retry_after_ms(response: &Response) -> Option<f64> {
    let value = response.headers().get("retry-after").ok()??;
    // JavaScript's Number(): the wasm then needs no float parser of its own.
    let seconds = js_sys::Number::from(JsValue::from_str(value.trim())).value_of();
    (seconds.is_finite() && seconds >= 0.0).then_some(seconds * 1000.0)
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

/// The origin of an absolute, normalized URL (as `Request.url` gives it): `scheme://host[:port]`.
/// `None` for URLs without an authority (`data:`, `blob:`), whose origin is opaque.
pub(crate) fn origin_of_absolute(url: &str) -> Option<&str> {
    // Byte scans: a `str` pattern search would pull in kilobytes of searcher code.
    let bytes = url.as_bytes();
    let after_scheme = bytes.windows(3).position(|w| w == b"://")? + 3;
    let end = bytes[after_scheme..]
        .iter()
        .position(|b| matches!(b, b'/' | b'?' | b'#'))
        .map_or(bytes.len(), |i| after_scheme + i);
    // `user:pass@` cannot reach here (a Request refuses credentials in its URL); never compare
    // one as a host all the same.
    let host = bytes.get(after_scheme..end)?;
    if host.contains(&b'@') {
        return None;
    }
    url.get(..end)
}

/// The origin of the page (or worker).
pub(crate) fn page_origin() -> Option<String> {
    Reflect::get(&js_sys::global(), &"origin".into())
        .ok()?
        .as_string()
        .filter(|o| o != "null")
}

/// A readable cookie's value, from `document.cookie` (reading only: the keeper writes no cookie).
pub(crate) fn read_cookie(name: &str) -> Option<String> {
    let document = Reflect::get(&js_sys::global(), &"document".into()).ok()?;
    let cookies = Reflect::get(&document, &"cookie".into())
        .ok()?
        .as_string()?;
    cookies.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name && !value.is_empty()).then(|| value.to_owned())
    })
}

/// Whether the request already carries an `Authorization` header of the caller's.
pub(crate) fn has_authorization(request: &Request) -> bool {
    request.headers().has("authorization").unwrap_or(false)
}

/// Sets `Authorization: Bearer <token>`.
pub(crate) fn set_bearer(request: &Request, token: &str) -> bool {
    let mut value = String::with_capacity(7 + token.len());
    value.push_str("Bearer ");
    value.push_str(token);
    request.headers().set("authorization", &value).is_ok()
}
