//! The mock server: the reference backend for token-keeper.
//!
//! Everything a real backend must do for the keeper is enforced here for real — HS256 access
//! tokens, refresh tokens rotated on every use and kept server-side as families, reuse detection,
//! double-submit CSRF, CORS with credentials — plus test controls under `/__mock/`.
//! [`app`] builds the router, apart from `main`, so tests run it in-process on port 0.

pub mod store;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

use store::{Outcome, Store};

/// The demo user.
pub const DEMO_USER: (&str, &str) = ("alice", "wonderland");
/// `iss` of every access token.
pub const ISSUER: &str = "token-keeper-mock";
/// `aud` of every access token.
pub const AUDIENCE: &str = "token-keeper-demo";
/// The largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

const REFRESH_COOKIE: &str = "refresh_token";
const CSRF_COOKIE: &str = "csrf_token";
const CSRF_HEADER: &str = "x-csrf-token";

/// What the command line sets; `POST /__mock/reset` returns to it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Access token lifetime.
    pub access_ttl: Duration,
    /// Refresh family lifetime.
    pub refresh_ttl: Duration,
    /// How long a just-rotated refresh token is still answered (with the current state).
    pub reuse_grace: Duration,
    /// Mark cookies `Secure`.
    pub secure_cookies: bool,
    /// Origins allowed besides any `http://127.0.0.1:*` and `http://localhost:*`.
    pub allow_origins: Vec<String>,
    /// Served at `/`.
    pub www: PathBuf,
    /// Served at `/pkg/`.
    pub pkg: PathBuf,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            access_ttl: Duration::from_secs(5 * 60),
            refresh_ttl: Duration::from_secs(14 * 86_400),
            reuse_grace: Duration::ZERO,
            secure_cookies: false,
            allow_origins: Vec::new(),
            www: PathBuf::from("www"),
            pkg: PathBuf::from("pkg"),
        }
    }
}

/// The runtime config of `POST /__mock/config`, as its JSON reads.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MockConfig {
    /// Access token lifetime, ms.
    pub access_ttl_ms: u64,
    /// Added to the server's clock when it writes and checks `iat`, `nbf`, `exp`.
    pub clock_skew_ms: i64,
    /// Reuse grace window, ms.
    pub reuse_grace_ms: u64,
    /// How many of the next refreshes fail with `fail_status`.
    pub fail_next_refreshes: u32,
    /// 500, 503 or 429.
    pub fail_status: u16,
    /// `Retry-After` seconds sent with a 429.
    pub retry_after_s: u32,
    /// Delay before a refresh is answered, ms.
    pub refresh_delay_ms: u64,
    /// How many of the next refreshes are answered 200 with a body that is not JSON (an
    /// extension beyond DESIGN.md's list, for testing clients against a broken server).
    pub garble_next_refreshes: u32,
    /// How many of the next refreshes rotate and send their headers (the new cookies included)
    /// at once, but their body only after `stall_body_ms` (an extension beyond DESIGN.md's list:
    /// a server whose body stalls must not jam a client).
    pub stall_next_refreshes: u32,
    /// How long a stalled body takes, ms.
    pub stall_body_ms: u64,
}

impl MockConfig {
    fn from_options(o: &Options) -> Self {
        MockConfig {
            access_ttl_ms: millis(o.access_ttl),
            clock_skew_ms: 0,
            reuse_grace_ms: millis(o.reuse_grace),
            fail_next_refreshes: 0,
            fail_status: 500,
            retry_after_s: 1,
            refresh_delay_ms: 0,
            garble_next_refreshes: 0,
            stall_next_refreshes: 0,
            stall_body_ms: 60_000,
        }
    }
}

/// `POST /__mock/config`: any subset of the fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigPatch {
    access_ttl_ms: Option<u64>,
    clock_skew_ms: Option<i64>,
    reuse_grace_ms: Option<u64>,
    fail_next_refreshes: Option<u32>,
    fail_status: Option<u16>,
    retry_after_s: Option<u32>,
    refresh_delay_ms: Option<u64>,
    garble_next_refreshes: Option<u32>,
    stall_next_refreshes: Option<u32>,
    stall_body_ms: Option<u64>,
    revoke_access_tokens: Option<bool>,
}

/// The counters of `GET /__mock/stats`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Stats {
    /// Successful logins.
    pub logins: u64,
    /// Successful rotations.
    pub refreshes: u64,
    /// Refreshes answered 401 (unknown, expired, revoked or reused token).
    pub refresh_rejections: u64,
    /// Reuses of a retired refresh token that revoked a family.
    pub reuse_detections: u64,
    /// Refreshes and logouts refused for a missing or wrong CSRF header.
    pub csrf_rejections: u64,
    /// `/api/*` requests answered 200.
    pub api_ok: u64,
    /// `/api/*` requests answered 401.
    pub api_unauthorized: u64,
    /// `/api/*` requests that carried any `Authorization` header.
    pub authorized_requests: u64,
}

#[derive(Debug)]
struct Inner {
    config: MockConfig,
    stats: Stats,
    store: Store,
    /// Access tokens with a serial at or below this are revoked.
    revoked_through: u64,
    next_serial: u64,
}

/// Shared server state.
#[derive(Clone)]
pub struct AppState {
    options: Arc<Options>,
    inner: Arc<Mutex<Inner>>,
    keys: Arc<(EncodingKey, DecodingKey)>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Fresh state with a random signing key.
    pub fn new(options: Options) -> Self {
        let secret = random_bytes::<32>();
        AppState {
            inner: Arc::new(Mutex::new(Inner {
                config: MockConfig::from_options(&options),
                stats: Stats::default(),
                store: Store::default(),
                revoked_through: 0,
                next_serial: 0,
            })),
            options: Arc::new(options),
            keys: Arc::new((
                EncodingKey::from_secret(&secret),
                DecodingKey::from_secret(&secret),
            )),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A handler that panicked mid-update cannot leave the store torn in a way later requests
        // could not cope with: every update is a few assignments. Keep serving.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The whole server: auth routes, API routes, test controls, the demo and the package.
pub fn app(state: AppState) -> Router {
    let options = state.options.clone();
    let api = Router::new()
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/echo", post(echo))
        .route("/__mock/stats", get(stats))
        .route("/__mock/reset", post(reset))
        .route("/__mock/config", post(config))
        .method_not_allowed_fallback(|| async {
            error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state);
    let not_found = || async { error(StatusCode::NOT_FOUND, "not_found") };
    api.route("/auth/{*rest}", axum::routing::any(not_found))
        .route("/api/{*rest}", axum::routing::any(not_found))
        .route("/__mock/{*rest}", axum::routing::any(not_found))
        .nest_service(
            "/pkg",
            ServeDir::new(&options.pkg).not_found_service(axum::routing::any(not_found)),
        )
        .fallback_service(
            ServeDir::new(&options.www).not_found_service(axum::routing::any(not_found)),
        )
        .layer(cors(&options.allow_origins))
}

fn cors(extra: &[String]) -> CorsLayer {
    let extra: HashSet<String> = extra.iter().cloned().collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            let Ok(origin) = origin.to_str() else {
                return false;
            };
            extra.contains(origin) || is_loopback_origin(origin)
        }))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            AUTHORIZATION,
            CONTENT_TYPE,
            HeaderName::from_static(CSRF_HEADER),
        ])
        .expose_headers([RETRY_AFTER, WWW_AUTHENTICATE])
}

/// `http://127.0.0.1:PORT` or `http://localhost:PORT` (or without a port).
fn is_loopback_origin(origin: &str) -> bool {
    ["http://127.0.0.1", "http://localhost"].iter().any(|host| {
        origin.strip_prefix(host).is_some_and(|rest| {
            rest.is_empty()
                || rest.strip_prefix(':').is_some_and(|port| {
                    !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
                })
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Errors and helpers

/// A JSON error answer: `{"error": code}`.
fn error(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({ "error": code }))).into_response()
}

fn body_error(rejection: BytesRejection) -> Response {
    let status = rejection.status();
    let code = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "payload_too_large"
    } else {
        "bad_request"
    };
    error(status, code)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS random source does not fail on the platforms this runs on; if it ever did, a
    // predictable test token is no danger in a mock, but say so loudly.
    if getrandom::fill(&mut bytes).is_err() {
        eprintln!("mock-server: the OS random source failed");
    }
    bytes
}

fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

fn unix_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

// ---------------------------------------------------------------------------------------------
// Access tokens

#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    sub: String,
    aud: String,
    iat: f64,
    nbf: f64,
    exp: f64,
    jti: String,
    /// The refresh family the token belongs to: revoking it kills the token too.
    fam: u64,
}

#[allow(clippy::cast_precision_loss)] // milliseconds since 1970 fit f64 exactly
fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// Issues an access token for `family` and the JSON body that carries it.
fn issue(state: &AppState, inner: &mut Inner, family: u64, user: &str, csrf: &str) -> Value {
    inner.next_serial += 1;
    let now_ms = unix_now_ms() + inner.config.clock_skew_ms;
    let ttl_ms = i64::try_from(inner.config.access_ttl_ms).unwrap_or(i64::MAX / 2);
    let claims = AccessClaims {
        iss: ISSUER.into(),
        sub: user.into(),
        aud: AUDIENCE.into(),
        iat: seconds(now_ms),
        nbf: seconds(now_ms),
        exp: seconds(now_ms.saturating_add(ttl_ms)),
        jti: inner.next_serial.to_string(),
        fam: family,
    };
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &state.keys.0)
        .unwrap_or_default();
    json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": seconds(ttl_ms),
        "csrf_token": csrf,
    })
}

/// Why an access token is refused.
fn check_access(state: &AppState, headers: &HeaderMap) -> Result<AccessClaims, &'static str> {
    let header = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("missing")?;
    let token = header.strip_prefix("Bearer ").ok_or("not a bearer token")?;
    let mut validation = Validation::new(Algorithm::HS256);
    // Dates are checked below against the (possibly skewed) server clock.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    let claims = jsonwebtoken::decode::<AccessClaims>(token, &state.keys.1, &validation)
        .map_err(|_| "bad signature or claims")?
        .claims;
    let inner = state.lock();
    let now_s = seconds(unix_now_ms() + inner.config.clock_skew_ms);
    if now_s >= claims.exp {
        return Err("expired");
    }
    let serial: u64 = claims.jti.parse().map_err(|_| "bad jti")?;
    if serial <= inner.revoked_through || inner.store.is_revoked(claims.fam) {
        return Err("revoked");
    }
    Ok(claims)
}

// ---------------------------------------------------------------------------------------------
// Cookies

fn cookie<'a>(
    state: &AppState,
    name: &'a str,
    value: String,
    path: &'a str,
    http_only: bool,
    max_age: Duration,
) -> Cookie<'a> {
    Cookie::build((name, value))
        .path(path)
        .http_only(http_only)
        .same_site(SameSite::Strict)
        .secure(state.options.secure_cookies)
        .max_age(time::Duration::seconds(
            i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX),
        ))
        .build()
}

fn session_cookies(state: &AppState, jar: CookieJar, refresh: String, csrf: String) -> CookieJar {
    let ttl = state.options.refresh_ttl;
    jar.add(cookie(state, REFRESH_COOKIE, refresh, "/auth", true, ttl))
        .add(cookie(state, CSRF_COOKIE, csrf, "/", false, ttl))
}

fn cleared_cookies(state: &AppState, jar: CookieJar) -> CookieJar {
    jar.add(cookie(
        state,
        REFRESH_COOKIE,
        String::new(),
        "/auth",
        true,
        Duration::ZERO,
    ))
    .add(cookie(
        state,
        CSRF_COOKIE,
        String::new(),
        "/",
        false,
        Duration::ZERO,
    ))
}

/// Double submit: the header must equal the readable cookie.
fn csrf_ok(jar: &CookieJar, headers: &HeaderMap) -> bool {
    let header = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let cookie = jar.get(CSRF_COOKIE).map(Cookie::value);
    matches!((header, cookie), (Some(h), Some(c)) if !c.is_empty() && h == c)
}

// ---------------------------------------------------------------------------------------------
// Handlers

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_error(rejection),
    };
    let Ok(credentials) = serde_json::from_slice::<Credentials>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    if (credentials.username.as_str(), credentials.password.as_str()) != DEMO_USER {
        return error(StatusCode::UNAUTHORIZED, "invalid_credentials");
    }
    let (refresh, csrf) = (random_token(), random_token());
    let mut inner = state.lock();
    let family = inner.store.login(
        &credentials.username,
        refresh.clone(),
        csrf.clone(),
        Instant::now(),
        state.options.refresh_ttl,
    );
    inner.stats.logins += 1;
    let body = issue(&state, &mut inner, family, &credentials.username, &csrf);
    drop(inner);
    (session_cookies(&state, jar, refresh, csrf), Json(body)).into_response()
}

async fn refresh(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap) -> Response {
    let delay = state.lock().config.refresh_delay_ms;
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let mut inner = state.lock();
    // No session at all: nothing to protect, just say so (a page load without a cookie).
    let Some(presented) = jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned()) else {
        inner.stats.refresh_rejections += 1;
        return error(StatusCode::UNAUTHORIZED, "invalid_grant");
    };
    if !csrf_ok(&jar, &headers) {
        inner.stats.csrf_rejections += 1;
        return error(StatusCode::FORBIDDEN, "csrf");
    }
    if inner.config.fail_next_refreshes > 0 {
        inner.config.fail_next_refreshes -= 1;
        let status = StatusCode::from_u16(inner.config.fail_status)
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = error(status, "temporarily_unavailable");
        if status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(inner.config.retry_after_s));
        }
        return response;
    }
    if inner.config.garble_next_refreshes > 0 {
        inner.config.garble_next_refreshes -= 1;
        return ([(CONTENT_TYPE, "text/html")], "<h1>502 Bad Gateway</h1>").into_response();
    }
    let grace = Duration::from_millis(inner.config.reuse_grace_ms);
    let (family, token) =
        match inner
            .store
            .refresh(&presented, random_token(), Instant::now(), grace)
        {
            Outcome::Rotated { family, token } => {
                inner.stats.refreshes += 1;
                (family, token)
            }
            Outcome::Grace { family, token } => (family, token),
            Outcome::ReuseDetected => {
                inner.stats.reuse_detections += 1;
                inner.stats.refresh_rejections += 1;
                return error(StatusCode::UNAUTHORIZED, "invalid_grant");
            }
            Outcome::Invalid => {
                inner.stats.refresh_rejections += 1;
                return error(StatusCode::UNAUTHORIZED, "invalid_grant");
            }
        };
    let Some((user, csrf)) = inner
        .store
        .family(family)
        .map(|f| (f.user.clone(), f.csrf.clone()))
    else {
        return error(StatusCode::UNAUTHORIZED, "invalid_grant");
    };
    let body = issue(&state, &mut inner, family, &user, &csrf);
    let stall = (inner.config.stall_next_refreshes > 0).then(|| {
        inner.config.stall_next_refreshes -= 1;
        Duration::from_millis(inner.config.stall_body_ms)
    });
    drop(inner);
    let cookies = session_cookies(&state, jar, token, csrf);
    match stall {
        None => (cookies, Json(body)).into_response(),
        Some(wait) => {
            // Headers (and cookies) now, the body later: a stream whose one chunk waits.
            let chunk = futures_util::stream::once(async move {
                tokio::time::sleep(wait).await;
                Ok::<_, std::convert::Infallible>(body.to_string())
            });
            let body = axum::body::Body::from_stream(chunk);
            (cookies, [(CONTENT_TYPE, "application/json")], body).into_response()
        }
    }
}

async fn logout(State(state): State<AppState>, jar: CookieJar, headers: HeaderMap) -> Response {
    let mut inner = state.lock();
    if let Some(presented) = jar.get(REFRESH_COOKIE).map(|c| c.value().to_owned()) {
        if !csrf_ok(&jar, &headers) {
            inner.stats.csrf_rejections += 1;
            return error(StatusCode::FORBIDDEN, "csrf");
        }
        inner.store.revoke_family_of(&presented);
    }
    drop(inner);
    (cleared_cookies(&state, jar), StatusCode::NO_CONTENT).into_response()
}

/// An access token refused, and why (`missing` gets the bare challenge).
#[derive(Debug)]
struct Unauthorized(&'static str);

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        let mut response = error(StatusCode::UNAUTHORIZED, "invalid_token");
        let challenge = if self.0 == "missing" {
            HeaderValue::from_static("Bearer")
        } else {
            HeaderValue::from_static("Bearer error=\"invalid_token\"")
        };
        response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
        response
    }
}

/// Checks the bearer of an API request and counts it.
fn authorize(state: &AppState, headers: &HeaderMap) -> Result<AccessClaims, Unauthorized> {
    let checked = check_access(state, headers).map_err(Unauthorized);
    let mut inner = state.lock();
    if headers.contains_key(AUTHORIZATION) {
        inner.stats.authorized_requests += 1;
    }
    match checked {
        Ok(_) => inner.stats.api_ok += 1,
        Err(_) => inner.stats.api_unauthorized += 1,
    }
    checked
}

async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match authorize(&state, &headers) {
        Ok(c) => {
            Json(json!({ "sub": c.sub, "jti": c.jti, "iat": c.iat, "exp": c.exp })).into_response()
        }
        Err(refused) => refused.into_response(),
    }
}

async fn echo(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(refused) = authorize(&state, &headers) {
        return refused.into_response();
    }
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_error(rejection),
    };
    let content_type = headers
        .get(CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    ([(CONTENT_TYPE, content_type)], body).into_response()
}

async fn stats(State(state): State<AppState>) -> Json<Stats> {
    Json(state.lock().stats.clone())
}

async fn reset(State(state): State<AppState>) -> Json<Stats> {
    let mut inner = state.lock();
    inner.stats = Stats::default();
    inner.config = MockConfig::from_options(&state.options);
    inner.store.revoke_all();
    inner.revoked_through = inner.next_serial;
    Json(inner.stats.clone())
}

async fn config(State(state): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_error(rejection),
    };
    let Ok(patch) = serde_json::from_slice::<ConfigPatch>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid_config");
    };
    if patch
        .fail_status
        .is_some_and(|s| ![500, 503, 429].contains(&s))
    {
        return error(StatusCode::BAD_REQUEST, "invalid_config");
    }
    let mut inner = state.lock();
    let c = &mut inner.config;
    c.access_ttl_ms = patch.access_ttl_ms.unwrap_or(c.access_ttl_ms);
    c.clock_skew_ms = patch.clock_skew_ms.unwrap_or(c.clock_skew_ms);
    c.reuse_grace_ms = patch.reuse_grace_ms.unwrap_or(c.reuse_grace_ms);
    c.fail_next_refreshes = patch.fail_next_refreshes.unwrap_or(c.fail_next_refreshes);
    c.fail_status = patch.fail_status.unwrap_or(c.fail_status);
    c.retry_after_s = patch.retry_after_s.unwrap_or(c.retry_after_s);
    c.refresh_delay_ms = patch.refresh_delay_ms.unwrap_or(c.refresh_delay_ms);
    c.garble_next_refreshes = patch
        .garble_next_refreshes
        .unwrap_or(c.garble_next_refreshes);
    c.stall_next_refreshes = patch.stall_next_refreshes.unwrap_or(c.stall_next_refreshes);
    c.stall_body_ms = patch.stall_body_ms.unwrap_or(c.stall_body_ms);
    if patch.revoke_access_tokens == Some(true) {
        inner.revoked_through = inner.next_serial;
    }
    Json(inner.config.clone()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_origins_on_any_port_and_nothing_else() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:5173",
            "http://127.0.0.1",
        ] {
            assert!(is_loopback_origin(ok), "{ok}");
        }
        for bad in [
            "http://127.0.0.1.evil.com",
            "http://127.0.0.1:80x",
            "https://localhost:1",
            "http://localhost:",
            "http://example.com",
        ] {
            assert!(!is_loopback_origin(bad), "{bad}");
        }
    }
}
