//! The `#[wasm_bindgen]` facade: everything JavaScript sees, and nothing else. A thin layer over
//! the Rust API of [`crate::keeper`]; its TypeScript is written by hand below, so every option and
//! event is typed and nothing public is `any`.

use js_sys::{Array, Function, Object, Promise, Reflect, JSON};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::error::ToJs;
use crate::keeper::{self, promise, Event};
use crate::{config, http, jwt, Claims, Error, ErrorKind};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** The stable codes of a `TokenKeeperError`. */
export type TokenKeeperErrorCode =
  | "config" | "network" | "timeout" | "http"
  | "invalid_token" | "unauthenticated" | "rejected" | "aborted";

/** Every error token-keeper throws or emits: a plain `Error` with a literal `name` and a `code`. */
export interface TokenKeeperError extends Error {
  name: "TokenKeeperError";
  code: TokenKeeperErrorCode;
  /** The HTTP status, for `http` and `rejected` errors. */
  status?: number;
}

/** The registered claims of RFC 7519, typed; every other claim is kept as the token had it. */
export interface Claims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  /** Seconds since the epoch; may carry a fraction. */
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

/** The JOSE header of a JWT. */
export interface JwtHeader {
  alg?: string;
  typ?: string;
  kid?: string;
  [parameter: string]: unknown;
}

/** Options of `decodeJwt`. */
export interface DecodeJwtOptions {
  /** Return the header instead of the claims. Default `false`. */
  header?: boolean;
}

/**
 * Decodes a JWT's claims (or, with `{ header: true }`, its header) **without verifying the
 * signature**: use the result for display and scheduling, never for an access decision.
 * Throws a `TokenKeeperError` with code `invalid_token` naming what is wrong.
 */
export function decodeJwt(token: string, options: { header: true }): JwtHeader;
export function decodeJwt(token: string, options?: DecodeJwtOptions): Claims;

/** Double-submit CSRF settings. */
export interface CsrfOptions {
  /** Header sent on refresh and logout. Default `"X-CSRF-Token"`. */
  headerName?: string;
  /** Readable cookie holding the value. Default `"csrf_token"`. */
  cookieName?: string;
  /** Login/refresh JSON field holding the value, used when the cookie cannot be read. Default `"csrf_token"`. */
  responseField?: string;
}

/** Backoff for transient refresh failures (network, timeout, 5xx, 429). */
export interface RetryOptions {
  /** Further attempts after the first failure. Default `3`. */
  attempts?: number;
  /** First delay, doubled each attempt, with jitter. Default `250`. */
  baseDelayMs?: number;
  /** Largest delay. Default `5000`. */
  maxDelayMs?: number;
}

/** Options of `new TokenKeeper(options)`. Unknown names are refused with a `config` error. */
export interface TokenKeeperOptions {
  /** POSTed with `credentials: "include"`; the JSON answer carries the new access token. Required. Relative URLs resolve against the page. */
  refreshUrl: string;
  /** `login()` POSTs JSON credentials here. Default: none. */
  loginUrl?: string;
  /** `logout()` POSTs here, then forgets the token whatever the answer. Default: none. */
  logoutUrl?: string;
  /** JSON field holding the access token in login and refresh answers. Default `"access_token"`. */
  tokenField?: string;
  /** Refresh when at most this much lifetime remains … Default `60000`. */
  refreshLeadMs?: number;
  /** … capped at this fraction of the token's lifetime, so a short token never loops. Default `0.25`. */
  refreshLeadRatio?: number;
  /** Random spread of the refresh moment, as a fraction of the lead. Default `0.1`. */
  jitterRatio?: number;
  /** Origins that receive the bearer. Default: the page's origin and the origins of the configured URLs. */
  allowedOrigins?: string[];
  /** CSRF header on refresh and logout; `false` disables it. Default: the `CsrfOptions` defaults. */
  csrf?: CsrfOptions | false;
  /** Limit for each auth call. Default `10000`. */
  timeoutMs?: number;
  /** Backoff for transient refresh failures. Default `{ attempts: 3, baseDelayMs: 250, maxDelayMs: 5000 }`. */
  retry?: RetryOptions;
  /** Coordinate tabs of the same origin, when the browser can. Default `true`. */
  crossTab?: boolean;
  /** Lock and channel name, so two apps on one origin keep apart. Default `"token-keeper"`. */
  channelName?: string;
}

/** What started a refresh. */
export type RefreshTrigger = "schedule" | "unauthorized" | "restore" | "manual" | "wake" | "tab";
/** Why the keeper signed out. */
export type LogoutReason = "user" | "rejected" | "expired" | "tab";

/** The events of `keeper.on(name, listener)` and what their listeners receive. */
export interface TokenKeeperEvents {
  token: { claims: Claims; expiresAt: number | undefined };
  refresh: { trigger: RefreshTrigger };
  logout: { reason: LogoutReason };
  error: TokenKeeperError;
}

/** Keeps an API access token in memory, fresh, and attached to the app's requests. */
export class TokenKeeper {
  free(): void;
  [Symbol.dispose](): void;
  /** Throws a `TokenKeeperError` with code `config` naming a bad option. */
  constructor(options: TokenKeeperOptions);
  /** Page load: a silent refresh with the cookie. Resolves `true` when signed in, `false` when there is no session. */
  restore(): Promise<boolean>;
  /** POSTs `body` as JSON to `loginUrl`; resolves to the new token's claims. */
  login(body: unknown, init?: { headers?: Record<string, string> }): Promise<Claims>;
  /** Forces a refresh (joining the one in flight). Rejects with `rejected` when the session is over. */
  refresh(): Promise<void>;
  /** `window.fetch` with the bearer attached to allowed origins and one refresh-and-retry on 401. */
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** POSTs to `logoutUrl` (when set) and forgets the token whatever the answer. */
  logout(): Promise<void>;
  /** Holds `token` as if the server had sent it. Throws `invalid_token` and keeps the old one when it does not decode. */
  setToken(token: string): Claims;
  /** The access token, when one is held. */
  accessToken(): string | undefined;
  /** The held token's claims. */
  claims(): Claims | undefined;
  /** The held token's expiry on the local clock, in ms since the epoch. */
  expiresAt(): number | undefined;
  /** Whether a token is held. */
  readonly isAuthenticated: boolean;
  /** Listens for an event; returns the function that stops listening. */
  on<E extends keyof TokenKeeperEvents>(event: E, listener: (detail: TokenKeeperEvents[E]) => void): () => void;
  /** Stops timers, listeners and channels and forgets the token. */
  dispose(): void;
}
"#;

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
