//! The mock server: the reference backend for token-keeper.
//!
//! Everything a real backend must do for the keeper is enforced here for real — HS256 access
//! tokens, refresh tokens rotated on every use and kept server-side as families, reuse detection,
//! double-submit CSRF, CORS with credentials — plus test controls under `/__mock/`.
//! [`app`] builds the router, apart from `main`, so tests run it in-process on port 0.

mod access;
mod auth;
pub mod backend;
pub mod redis_store;
pub mod store;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

use backend::Backend;
use redis_store::RedisStore;

/// The demo user.
pub const DEMO_USER: (&str, &str) = ("alice", "wonderland");
/// `iss` of every access token.
pub const ISSUER: &str = "token-keeper-mock";
/// `aud` of every access token.
pub const AUDIENCE: &str = "token-keeper-demo";
/// The largest request body accepted.
pub const BODY_LIMIT: usize = 64 * 1024;

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
    /// The reissue flow: a refresh must carry an access token (signature valid, expiry ignored)
    /// of the refresh cookie's user and family, or it is refused 401.
    pub bind_refresh_to_user: bool,
    /// Login and refresh answers carry the access token in `Authorization: Bearer …` (exposed
    /// over CORS) instead of the JSON body.
    pub token_in_header: bool,
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
            bind_refresh_to_user: false,
            token_in_header: false,
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
    revoke_jti: Option<String>,
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

/// What one instance keeps for itself: its test controls and its counters.
#[derive(Debug)]
struct Inner {
    config: MockConfig,
    stats: Stats,
}

/// Shared server state.
#[derive(Clone)]
pub struct AppState {
    options: Arc<Options>,
    inner: Arc<Mutex<Inner>>,
    /// The families and revocations: this process's, or a Redis shared with other instances.
    store: Arc<Backend>,
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
    /// Fresh state in memory, with a random signing key.
    pub fn new(options: Options) -> Self {
        Self::with_backend(options, Backend::default(), &random_bytes::<32>())
    }

    /// State kept in Redis at `url`, keys under `prefix`. The signing key lives there too (the
    /// first instance writes it), so instances sharing one Redis accept each other's tokens.
    pub async fn with_redis(
        options: Options,
        url: &str,
        prefix: &str,
    ) -> Result<Self, redis::RedisError> {
        let store = RedisStore::connect(url, prefix).await?;
        let secret = store.signing_key(&random_token()).await?;
        Ok(Self::with_backend(
            options,
            Backend::Redis(store),
            secret.as_bytes(),
        ))
    }

    fn with_backend(options: Options, store: Backend, secret: &[u8]) -> Self {
        AppState {
            inner: Arc::new(Mutex::new(Inner {
                config: MockConfig::from_options(&options),
                stats: Stats::default(),
            })),
            options: Arc::new(options),
            store: Arc::new(store),
            keys: Arc::new((
                EncodingKey::from_secret(secret),
                DecodingKey::from_secret(secret),
            )),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A handler that panicked mid-update cannot leave the counters torn in a way later
        // requests could not cope with: every update is a few assignments. Keep serving.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The whole server: auth routes, API routes, test controls, the demo and the package.
pub fn app(state: AppState) -> Router {
    let options = state.options.clone();
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/api/me", get(access::me))
        .route("/api/echo", post(access::echo))
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
            HeaderName::from_static(auth::CSRF_HEADER),
        ])
        // AUTHORIZATION: the access token of `--token-in-header` answers.
        .expose_headers([RETRY_AFTER, WWW_AUTHENTICATE, AUTHORIZATION])
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

/// The store (Redis) failed: 503, and nothing was decided.
fn unavailable() -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, "store_unavailable")
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

/// The store's clock: ms since 1970, without the test skew.
fn now() -> u64 {
    u64::try_from(unix_now_ms()).unwrap_or(0)
}

fn unix_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

async fn stats(State(state): State<AppState>) -> Json<Stats> {
    Json(state.lock().stats.clone())
}

async fn reset(State(state): State<AppState>) -> Response {
    if state.store.revoke_all().await.is_err() {
        return unavailable();
    }
    let mut inner = state.lock();
    inner.stats = Stats::default();
    inner.config = MockConfig::from_options(&state.options);
    Json(inner.stats.clone()).into_response()
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
    let config = {
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
        c.clone()
    };
    if patch.revoke_access_tokens == Some(true) && state.store.revoke_access_tokens().await.is_err()
    {
        return unavailable();
    }
    if let Some(jti) = patch.revoke_jti {
        let ttl = millis(state.options.refresh_ttl);
        if state.store.revoke_jti(&jti, ttl).await.is_err() {
            return unavailable();
        }
    }
    Json(config).into_response()
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
