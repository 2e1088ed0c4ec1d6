//! The mock server: the reference backend for token-keeper.
//!
//! Everything a real backend must do for the keeper is enforced here for real — HS256 access
//! tokens, refresh tokens rotated on every use and kept server-side as families, reuse detection,
//! double-submit CSRF, CORS with credentials — plus test controls under `/__mock/`.
//! [`app`] builds the router, apart from `main`, so tests run it in-process on port 0.
//!
//! # DPoP (RFC 9449), behind flags
//!
//! Under `--dpop` ([`Options::dpop`]) login, refresh and `/api/*` need a proof: one `DPoP`
//! header, an ES256 compact JWS (`typ` `dpop+jwt`, the public `jwk` in its header) whose claims
//! name the request (`htm`, `htu` = `http://{Host}{path}`), a fresh `iat` (±60 s of the server's
//! clock, skew included) and a `jti` never seen in that window; on `/api/*` also `ath`, the
//! base64url SHA-256 of the access token, which must be sent as `Authorization: DPoP <token>` and
//! signed by the key of its `cnf.jkt` (RFC 7638 thumbprint). Login and refresh bind the access
//! token they issue to the key of their proof (`cnf.jkt`, `token_type` `DPoP`). A refused proof
//! is `400 {"error":"invalid_dpop_proof"}` on login and refresh, and a 401 with
//! `WWW-Authenticate: DPoP error="invalid_dpop_proof"` on `/api/*`.
//!
//! Under `--dpop-nonce` a proof must also carry the server's current nonce (or the one before
//! it), sent in `DPoP-Nonce` on every answer of those routes; without it the answer is
//! `use_dpop_nonce` (400 on login and refresh, 401 on `/api/*`) — a challenge, not a rejection.
//!
//! A refresh family is bound to the key of its login, then of its last refresh. A refresh proven
//! by another key is accepted and re-binds the family to it (`dpop_rebinds`): browser tabs each
//! hold a non-extractable key of their own, and a reloaded page makes a new one, while they take
//! turns on one rotating cookie; rotation and reuse detection still catch a cookie used in two
//! places. Under `--dpop-pin` such a refresh is refused `401 {"error":"invalid_dpop_key"}`, and
//! the family is neither rotated nor revoked: a thief's key cannot use a stolen cookie, nor kill
//! the owner's session with it. The DPoP state — the proofs seen, the nonce, the key each family
//! is bound to — lives where the families do: in this process's memory, or under `--redis` and
//! `--redis-cluster` in Redis, so instances behind one load balancer (and one
//! `--public-origin`) refuse a proof spent at another, accept each other's nonce and keep each
//! other's bindings.

mod access;
mod auth;
pub mod backend;
mod controls;
mod dpop;
pub mod redis_store;
pub mod store;
mod throttle;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::rejection::BytesRejection;
use axum::extract::DefaultBodyLimit;
use axum::http::header::{
    AUTHORIZATION, CONTENT_TYPE, HOST, ORIGIN, RETRY_AFTER, WWW_AUTHENTICATE,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::map_response_with_state;
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
pub use controls::MockConfig;
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
    /// The origins CORS lets call with credentials (`--cors-origin`); none by default.
    pub allow_origins: Vec<String>,
    /// Also any `http://127.0.0.1:*` and `http://localhost:*` origin (`--cors-loopback`): for
    /// tests and local development, whose pages are served on ports picked at random. Default
    /// off.
    pub cors_loopback: bool,
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
    /// DPoP (RFC 9449): login, refresh and `/api/*` need a proof, and access tokens are bound
    /// to its key (see the crate docs). Default off: a `DPoP` header is ignored.
    pub dpop: bool,
    /// Proofs must carry the server's nonce (`DPoP-Nonce`). Implies `dpop`. Default off.
    pub dpop_nonce: bool,
    /// A refresh family accepts only the key it is bound to, instead of re-binding to the key
    /// of each refresh. Implies `dpop`. Default off.
    pub dpop_pin: bool,
    /// The shape of session-cookie backends that mint short JWTs from a token endpoint
    /// (better-auth's JWT plugin; Supabase's and Clerk's `getToken`): login sets the session
    /// cookie and answers no token; `GET /auth/refresh` answers `{"token": <a fresh JWT>}` for a
    /// live session (401 without one) and leaves the cookie as it is — no rotation. Default off.
    pub session_tokens: bool,
    /// The origin clients call this server at (`https://api.example.com` behind TLS), which a
    /// DPoP proof's `htu` must name (`--public-origin`; the binary and the tests' servers default
    /// it to the address they listen on). `None` falls back to `http://` and the request's `Host`
    /// header — a header the client sends: set it.
    pub public_origin: Option<String>,
}

impl Options {
    /// Whether proofs are checked: `dpop`, or a flag that implies it.
    pub fn dpop_enabled(&self) -> bool {
        self.dpop || self.dpop_nonce || self.dpop_pin
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            access_ttl: Duration::from_secs(5 * 60),
            refresh_ttl: Duration::from_secs(14 * 86_400),
            reuse_grace: Duration::ZERO,
            secure_cookies: false,
            allow_origins: Vec::new(),
            cors_loopback: false,
            www: PathBuf::from("www"),
            pkg: PathBuf::from("pkg"),
            bind_refresh_to_user: false,
            token_in_header: false,
            dpop: false,
            dpop_nonce: false,
            dpop_pin: false,
            session_tokens: false,
            public_origin: None,
        }
    }
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
    /// `--dpop`: requests refused for their proof (missing, invalid, replayed, of another key
    /// than the token's or, under `--dpop-pin`, than the family's) or for an access token not
    /// presented as `DPoP` with a `cnf.jkt`.
    pub dpop_rejections: u64,
    /// `--dpop-nonce`: good proofs without a nonce the server accepts, answered `use_dpop_nonce`.
    pub dpop_nonce_challenges: u64,
    /// `--dpop`: refreshes proven by another key than the family's, which re-bound it.
    pub dpop_rebinds: u64,
    /// The last successful login's `x-` headers (an app's own: a tenant, a region) and its
    /// `content-type`, as `name: value`, sorted.
    pub login_headers: Vec<String>,
}

/// What one instance keeps for itself: its test controls, its counters, and — when the store is
/// its memory — what it remembers for DPoP (the proofs seen, the nonce, family → key bindings).
#[derive(Debug)]
struct Inner {
    config: MockConfig,
    stats: Stats,
    dpop: dpop::Memory,
    /// Failed logins, per user and per client address.
    throttle: throttle::Throttle,
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
        Self::shared(options, RedisStore::connect(url, prefix).await?).await
    }

    /// State kept in the Redis Cluster `nodes` belong to (`redis://host:port`), keys under
    /// `prefix`; the signing key lives there too.
    pub async fn with_redis_cluster(
        options: Options,
        nodes: &[String],
        prefix: &str,
    ) -> Result<Self, redis::RedisError> {
        Self::shared(options, RedisStore::connect_cluster(nodes, prefix).await?).await
    }

    /// State in `store`, shared with every instance pointed at it: the first one writes the
    /// signing key, the others read it.
    async fn shared(options: Options, store: RedisStore) -> Result<Self, redis::RedisError> {
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
                dpop: dpop::Memory::new(unix_now_ms()),
                throttle: throttle::Throttle::default(),
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
    // `--dpop-nonce`: every answer of these routes, refusals included, names the nonce.
    let nonce = map_response_with_state(state.clone(), dpop::with_nonce);
    let api = Router::new()
        .route("/auth/login", post(auth::login).layer(nonce.clone()))
        .route(
            "/auth/refresh",
            post(auth::refresh).get(auth::refresh).layer(nonce.clone()),
        )
        .route("/auth/logout", post(auth::logout))
        .route("/api/me", get(access::me).layer(nonce.clone()))
        .route("/api/admin", get(access::admin).layer(nonce.clone()))
        .route("/api/echo", post(access::echo).layer(nonce))
        .route("/__mock/stats", get(controls::stats))
        .route("/__mock/reset", post(controls::reset))
        .route("/__mock/config", post(controls::config))
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
        .layer(cors(&options.allow_origins, options.cors_loopback))
}

fn cors(allowed: &[String], loopback: bool) -> CorsLayer {
    let extra: HashSet<String> = allowed.iter().cloned().collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| {
            let Ok(origin) = origin.to_str() else {
                return false;
            };
            extra.contains(origin) || (loopback && is_loopback_origin(origin))
        }))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            AUTHORIZATION,
            CONTENT_TYPE,
            HeaderName::from_static(auth::CSRF_HEADER),
            dpop::PROOF_HEADER,
        ])
        // AUTHORIZATION: the access token of `--token-in-header` answers.
        .expose_headers([
            RETRY_AFTER,
            WWW_AUTHENTICATE,
            AUTHORIZATION,
            dpop::NONCE_HEADER,
        ])
}

/// Whether a browser request's `Origin` is one this server answers: its own (`--public-origin`,
/// else `http://` and the `Host` header), or one its CORS lets in. A request without `Origin`
/// is no browser's cross-site request.
pub(crate) fn trusted_origin(options: &Options, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return headers.get(ORIGIN).is_none();
    };
    let own = match &options.public_origin {
        Some(own) => own.trim_end_matches('/').to_owned(),
        None => match headers.get(HOST).and_then(|v| v.to_str().ok()) {
            Some(host) => format!("http://{host}"),
            None => return false,
        },
    };
    origin == own
        || options.allow_origins.iter().any(|o| o == origin)
        || (options.cors_loopback && is_loopback_origin(origin))
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
