//! A `#[wasm_bindgen]` facade over the Rust API of [`crate::keeper`], with the JavaScript API's
//! shape. The npm package no longer ships it (it is `npm/js` over `npm/wasm`, typed by
//! `npm/js/token-keeper.d.ts`); the Rust browser tests still drive the keeper through it.

use js_sys::{Array, Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::ToJs;
use crate::keeper::{self, promise, Event};
use crate::{config, http, jwt, Claims, Error, ErrorKind};

/// `decodeJwt(token, options?)`: see the TypeScript declaration above.
#[wasm_bindgen(js_name = decodeJwt, skip_typescript)]
pub fn decode_jwt(token: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let Some(token) = token.as_string() else {
        return Err(invalid_token("decodeJwt expects the token as a string"));
    };
    let want_header = options.is_object()
        && Reflect::get(&options, &"header".into()).is_ok_and(|v| v.is_truthy());
    let json = if want_header {
        jwt::decode_header_unverified(&token).map(|h| h.json().to_owned())
    } else {
        jwt::decode_unverified(&token).map(|c| c.json().to_owned())
    }
    .map_err(|e| Error::from(e).to_js())?;
    Ok(parse_object(&json))
}

fn invalid_token(message: &str) -> JsValue {
    Error::new(ErrorKind::InvalidToken, message).to_js()
}

/// JSON text the decoder already parsed once as an object.
fn parse_object(json: &str) -> JsValue {
    JSON::parse(json).unwrap_or_else(|_| Object::new().into())
}

fn claims_to_js(claims: &Claims) -> JsValue {
    parse_object(claims.json())
}

fn event_detail(event: &Event) -> JsValue {
    match event {
        Event::Token {
            claims,
            expires_at_ms,
        } => http::object(&[
            ("claims", claims_to_js(claims)),
            (
                "expiresAt",
                expires_at_ms.map_or(JsValue::UNDEFINED, JsValue::from_f64),
            ),
        ]),
        Event::Refresh { trigger } => http::object(&[("trigger", trigger.as_str().into())]),
        Event::Logout { reason } => http::object(&[("reason", reason.as_str().into())]),
        Event::Error(e) => e.to_js(),
        _ => JsValue::UNDEFINED,
    }
}

/// `init.headers` of `login(body, init)`: a plain object of header names to string values.
fn login_headers(init: &JsValue) -> Result<Vec<(String, String)>, Error> {
    let bad = || {
        Error::new(
            ErrorKind::Config,
            "login's init.headers must map names to strings",
        )
    };
    if init.is_undefined() || init.is_null() {
        return Ok(Vec::new());
    }
    let headers = Reflect::get(init, &"headers".into()).map_err(|_| bad())?;
    if headers.is_undefined() {
        return Ok(Vec::new());
    }
    let Some(headers) = headers.dyn_ref::<Object>() else {
        return Err(bad());
    };
    Object::entries(headers)
        .iter()
        .map(|pair| {
            let pair = Array::from(&pair);
            match (pair.get(0).as_string(), pair.get(1).as_string()) {
                (Some(name), Some(value)) => Ok((name, value)),
                _ => Err(bad()),
            }
        })
        .collect()
}

/// `new Request(input, init)`, exactly as `window.fetch` builds it.
fn build_request(input: &JsValue, init: &JsValue) -> Result<web_sys::Request, JsValue> {
    let constructor: Function = Reflect::get(&js_sys::global(), &"Request".into())?.dyn_into()?;
    let args = if init.is_undefined() {
        Array::of1(input)
    } else {
        Array::of2(input, init)
    };
    Reflect::construct(&constructor, &args)?.dyn_into()
}

/// The JavaScript `TokenKeeper`.
#[wasm_bindgen(js_name = TokenKeeper, skip_typescript)]
#[derive(Debug)]
pub struct JsTokenKeeper {
    keeper: keeper::TokenKeeper,
}

#[wasm_bindgen(js_class = TokenKeeper)]
impl JsTokenKeeper {
    /// `new TokenKeeper(options)`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<JsTokenKeeper, JsValue> {
        let config = config::from_js(&options).map_err(|e| e.to_js())?;
        let keeper = keeper::TokenKeeper::new(config).map_err(|e| e.to_js())?;
        Ok(JsTokenKeeper { keeper })
    }

    /// `restore(): Promise<boolean>`.
    pub fn restore(&self) -> Promise {
        let keeper = self.keeper.clone();
        promise(async move {
            keeper
                .restore()
                .await
                .map(JsValue::from_bool)
                .map_err(|e| e.to_js())
        })
    }

    /// `login(body, init?): Promise<Claims>`.
    pub fn login(&self, body: JsValue, init: JsValue) -> Promise {
        let keeper = self.keeper.clone();
        promise(async move {
            let headers = login_headers(&init).map_err(|e| e.to_js())?;
            let headers: Vec<(&str, &str)> = headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let json = JSON::stringify(&body)
                .ok()
                .and_then(|s| s.as_string())
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Config,
                        "login expects a body that JSON can encode",
                    )
                    .to_js()
                })?;
            keeper
                .login_with_headers(&json, &headers)
                .await
                .map(|c| claims_to_js(&c))
                .map_err(|e| e.to_js())
        })
    }

    /// `refresh(): Promise<void>`.
    pub fn refresh(&self) -> Promise {
        let keeper = self.keeper.clone();
        promise(async move {
            keeper
                .refresh()
                .await
                .map(|()| JsValue::UNDEFINED)
                .map_err(|e| e.to_js())
        })
    }

    /// `fetch(input, init?): Promise<Response>`, with `window.fetch`'s argument handling: the
    /// arguments go to the `Request` constructor as they are.
    pub fn fetch(&self, input: JsValue, init: JsValue) -> Promise {
        let request = match build_request(&input, &init) {
            Ok(r) => r,
            Err(e) => return Promise::reject(&e),
        };
        self.keeper.fetch_now(request)
    }

    /// `logout(): Promise<void>`.
    pub fn logout(&self) -> Promise {
        let keeper = self.keeper.clone();
        promise(async move {
            keeper
                .logout()
                .await
                .map(|()| JsValue::UNDEFINED)
                .map_err(|e| e.to_js())
        })
    }

    /// `setToken(token): Claims`.
    #[wasm_bindgen(js_name = setToken)]
    pub fn set_token(&self, token: JsValue) -> Result<JsValue, JsValue> {
        let Some(token) = token.as_string() else {
            return Err(invalid_token("setToken expects the token as a string"));
        };
        self.keeper
            .set_token(&token)
            .map(|c| claims_to_js(&c))
            .map_err(|e| e.to_js())
    }

    /// `accessToken(): string | undefined`.
    #[wasm_bindgen(js_name = accessToken)]
    pub fn access_token(&self) -> Option<String> {
        self.keeper.access_token().map(|t| t.expose().to_owned())
    }

    /// `claims(): Claims | undefined`.
    pub fn claims(&self) -> JsValue {
        self.keeper
            .claims()
            .map_or(JsValue::UNDEFINED, |c| claims_to_js(&c))
    }

    /// `expiresAt(): number | undefined`.
    #[wasm_bindgen(js_name = expiresAt)]
    pub fn expires_at(&self) -> Option<f64> {
        self.keeper.expires_at_ms()
    }

    /// `isAuthenticated: boolean`.
    #[wasm_bindgen(getter = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.keeper.is_authenticated()
    }

    /// `on(event, listener): () => void`.
    pub fn on(&self, event: JsValue, listener: JsValue) -> Result<JsValue, JsValue> {
        let name = event.as_string().unwrap_or_default();
        let name: &'static str = match name.as_str() {
            "token" => "token",
            "refresh" => "refresh",
            "logout" => "logout",
            "error" => "error",
            _ => {
                return Err(Error::new(
                    ErrorKind::Config,
                    "on() takes one of the events token, refresh, logout, error",
                )
                .to_js())
            }
        };
        let Some(listener) = listener.dyn_ref::<Function>().cloned() else {
            return Err(Error::new(ErrorKind::Config, "on() takes a listener function").to_js());
        };
        let subscription = self.keeper.subscribe(move |e| {
            if e.name() == name {
                // A listener that throws must not break the keeper or the other listeners.
                let _ = listener.call1(&JsValue::UNDEFINED, &event_detail(e));
            }
        });
        // Callable any number of times, as unsubscribe functions are (the first call does it). A
        // `once` closure would throw on the second call.
        let mut subscription = Some(subscription);
        Ok(Closure::<dyn FnMut()>::new(move || drop(subscription.take())).into_js_value())
    }

    /// `dispose()`.
    pub fn dispose(&self) {
        self.keeper.dispose();
    }
}
