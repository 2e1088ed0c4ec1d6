//! Access tokens: issuing them, checking them on `/api/*`, and the two API routes.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::backend::Unavailable;
use crate::store::Session;
use crate::{body_error, error, unavailable, unix_now_ms, AppState, AUDIENCE, ISSUER};

/// The claims of every access token this server signs.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AccessClaims {
    pub(crate) iss: String,
    pub(crate) sub: String,
    pub(crate) aud: String,
    pub(crate) iat: f64,
    pub(crate) nbf: f64,
    pub(crate) exp: f64,
    /// A serial, unique across instances: revoking it kills this one token.
    pub(crate) jti: String,
    /// The refresh family the token belongs to: revoking it kills the token too.
    pub(crate) fam: u64,
}

/// How far ahead of this server's clock a token's `nbf` may be.
const NBF_LEEWAY_S: f64 = 5.0;

#[allow(clippy::cast_precision_loss)] // milliseconds since 1970 fit f64 exactly
pub(crate) fn seconds(ms: i64) -> f64 {
    ms as f64 / 1000.0
}

/// The answer to a login or a refresh: the JSON body, and the access token when the server is
/// told to send it in a header instead (`--token-in-header`).
pub(crate) struct Issued {
    pub(crate) body: Value,
    pub(crate) header: Option<HeaderValue>,
}

/// Issues access token number `serial` (its `jti`, taken from the store *before* a refresh
/// commits its rotation, so nothing can fail after it) for `session`.
pub(crate) fn issue(
    state: &AppState,
    session: &Session,
    serial: u64,
) -> Result<Issued, Unavailable> {
    let (skew_ms, ttl_ms) = {
        let inner = state.lock();
        (inner.config.clock_skew_ms, inner.config.access_ttl_ms)
    };
    let now_ms = unix_now_ms() + skew_ms;
    let ttl_ms = i64::try_from(ttl_ms).unwrap_or(i64::MAX / 2);
    let claims = AccessClaims {
        iss: ISSUER.into(),
        sub: session.user.clone(),
        aud: AUDIENCE.into(),
        iat: seconds(now_ms),
        nbf: seconds(now_ms),
        exp: seconds(now_ms.saturating_add(ttl_ms)),
        jti: serial.to_string(),
        fam: session.family,
    };
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &state.keys.0)
        .map_err(|_| Unavailable)?;
    let mut body = json!({
        "token_type": "Bearer",
        "expires_in": seconds(ttl_ms),
        "csrf_token": session.csrf,
    });
    if state.options.token_in_header {
        let header = HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| Unavailable)?;
        return Ok(Issued {
            body,
            header: Some(header),
        });
    }
    body["access_token"] = Value::String(token);
    Ok(Issued { body, header: None })
}

/// The bearer token of a request, if it carries one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// The claims of `token` if this server signed it, for this audience; dates unchecked.
pub(crate) fn signed_claims(state: &AppState, token: &str) -> Option<AccessClaims> {
    let mut validation = Validation::new(Algorithm::HS256);
    // Dates are the caller's to check, against the (possibly skewed) server clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.required_spec_claims.clear();
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    jsonwebtoken::decode::<AccessClaims>(token, &state.keys.1, &validation)
        .ok()
        .map(|data| data.claims)
}

/// Why an access token is refused; `Ok(Err(..))` when it is, `Err` when the store failed.
async fn check_access(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Result<AccessClaims, &'static str>, Unavailable> {
    let Some(header) = headers.get(AUTHORIZATION) else {
        return Ok(Err("missing"));
    };
    let Some(token) = header.to_str().ok().and_then(|h| h.strip_prefix("Bearer ")) else {
        return Ok(Err("not a bearer token"));
    };
    let Some(claims) = signed_claims(state, token) else {
        return Ok(Err("bad signature or claims"));
    };
    let now_s = seconds(unix_now_ms() + state.lock().config.clock_skew_ms);
    if now_s >= claims.exp {
        return Ok(Err("expired"));
    }
    // A few seconds of leeway: instances sharing a Redis on other hosts have clocks of their own.
    if now_s + NBF_LEEWAY_S < claims.nbf {
        return Ok(Err("not yet valid"));
    }
    if !state.store.access_live(claims.fam, &claims.jti).await? {
        return Ok(Err("revoked"));
    }
    Ok(Ok(claims))
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
async fn authorize(state: &AppState, headers: &HeaderMap) -> Result<AccessClaims, Response> {
    let checked = check_access(state, headers)
        .await
        .map_err(|Unavailable| unavailable())?;
    let mut inner = state.lock();
    if headers.contains_key(AUTHORIZATION) {
        inner.stats.authorized_requests += 1;
    }
    match checked {
        Ok(claims) => {
            inner.stats.api_ok += 1;
            Ok(claims)
        }
        Err(why) => {
            inner.stats.api_unauthorized += 1;
            Err(Unauthorized(why).into_response())
        }
    }
}

pub(crate) async fn me(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match authorize(&state, &headers).await {
        Ok(c) => {
            Json(json!({ "sub": c.sub, "jti": c.jti, "iat": c.iat, "exp": c.exp })).into_response()
        }
        Err(refused) => refused,
    }
}

pub(crate) async fn echo(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(refused) = authorize(&state, &headers).await {
        return refused;
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
