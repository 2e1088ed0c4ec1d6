//! The test controls under `/__mock/`: the counters, the runtime config, the reset.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::{body_error, dpop, error, millis, unavailable, unix_now_ms, AppState, Options, Stats};

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
    /// Delay before a login is answered, ms (an extension beyond DESIGN.md's list: a login still
    /// on the wire when the user signs out).
    pub login_delay_ms: u64,
    /// A login sent with a CSRF cookie needs the CSRF header equal to it, as Django's CSRF
    /// protects every unsafe method (403 `csrf` otherwise).
    pub csrf_on_login: bool,
    /// A refresh without a session is answered 200 `null` instead of 401, as a session
    /// endpoint of better-auth (or a `getToken` of Supabase's or Clerk's shape) does.
    pub null_without_session: bool,
    /// The refresh endpoint takes GET only (a session-cookie backend's token endpoint); POST is
    /// answered 405. Without it, GET is answered 405.
    pub refresh_get: bool,
    /// How many of the next refreshes are answered 200 with a body that is not JSON (an
    /// extension beyond DESIGN.md's list, for testing clients against a broken server).
    pub garble_next_refreshes: u32,
    /// How long a garbled body is, bytes: its page padded with spaces (0, the default: the page
    /// alone). Another extension: a client must not choke on a huge answer.
    pub garble_body_bytes: u32,
    /// How many of the next refreshes rotate and send their headers (the new cookies included)
    /// at once, but their body only after `stall_body_ms` (an extension beyond DESIGN.md's list:
    /// a server whose body stalls must not jam a client).
    pub stall_next_refreshes: u32,
    /// How long a stalled body takes, ms.
    pub stall_body_ms: u64,
}

impl MockConfig {
    pub(crate) fn from_options(o: &Options) -> Self {
        MockConfig {
            access_ttl_ms: millis(o.access_ttl),
            clock_skew_ms: 0,
            reuse_grace_ms: millis(o.reuse_grace),
            fail_next_refreshes: 0,
            fail_status: 500,
            retry_after_s: 1,
            refresh_delay_ms: 0,
            login_delay_ms: 0,
            csrf_on_login: false,
            null_without_session: false,
            refresh_get: false,
            garble_next_refreshes: 0,
            garble_body_bytes: 0,
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
    login_delay_ms: Option<u64>,
    csrf_on_login: Option<bool>,
    null_without_session: Option<bool>,
    refresh_get: Option<bool>,
    garble_next_refreshes: Option<u32>,
    garble_body_bytes: Option<u32>,
    stall_next_refreshes: Option<u32>,
    stall_body_ms: Option<u64>,
    revoke_access_tokens: Option<bool>,
    revoke_jti: Option<String>,
    rotate_dpop_nonce: Option<bool>,
}

pub(crate) async fn stats(State(state): State<AppState>) -> Json<Stats> {
    Json(state.lock().stats.clone())
}

pub(crate) async fn reset(State(state): State<AppState>) -> Response {
    if state.store.revoke_all().await.is_err() {
        return unavailable();
    }
    let mut inner = state.lock();
    inner.stats = Stats::default();
    inner.config = MockConfig::from_options(&state.options);
    // The families are revoked: their keys with them. The nonce and the proofs seen stay.
    inner.dpop.forget_bindings();
    inner.throttle.clear();
    Json(inner.stats.clone()).into_response()
}

pub(crate) async fn config(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
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
        c.login_delay_ms = patch.login_delay_ms.unwrap_or(c.login_delay_ms);
        c.csrf_on_login = patch.csrf_on_login.unwrap_or(c.csrf_on_login);
        c.null_without_session = patch.null_without_session.unwrap_or(c.null_without_session);
        c.refresh_get = patch.refresh_get.unwrap_or(c.refresh_get);
        c.garble_next_refreshes = patch
            .garble_next_refreshes
            .unwrap_or(c.garble_next_refreshes);
        c.garble_body_bytes = patch.garble_body_bytes.unwrap_or(c.garble_body_bytes);
        c.stall_next_refreshes = patch.stall_next_refreshes.unwrap_or(c.stall_next_refreshes);
        c.stall_body_ms = patch.stall_body_ms.unwrap_or(c.stall_body_ms);
        c.clone()
    };
    if patch.rotate_dpop_nonce == Some(true)
        && dpop::shared::rotate_nonce(&state, unix_now_ms() + config.clock_skew_ms)
            .await
            .is_err()
    {
        return unavailable();
    }
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
