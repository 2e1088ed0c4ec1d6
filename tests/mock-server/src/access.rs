//! Access tokens: issuing them, checking them on `/api/*` (with their DPoP proof under
//! `--dpop`), and the two API routes.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::backend::Unavailable;
use crate::dpop::{self, Refusal};
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
    /// `--dpop`: the key whose proofs must come with the token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cnf: Option<Confirmation>,
}

/// The `cnf` claim of a DPoP-bound token (RFC 9449 §6).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Confirmation {
    /// The RFC 7638 thumbprint of the key.
    pub(crate) jkt: String,
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
/// commits its rotation, so nothing can fail after it) for `session`, bound to the key of
/// thumbprint `jkt` if given (`--dpop`).
pub(crate) fn issue(
    state: &AppState,
    session: &Session,
    serial: u64,
    jkt: Option<&str>,
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
        cnf: jkt.map(|jkt| Confirmation {
            jkt: jkt.to_owned(),
        }),
    };
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &state.keys.0)
        .map_err(|_| Unavailable)?;
    let mut body = json!({
        "token_type": token_type,
        "expires_in": seconds(ttl_ms),
        "csrf_token": session.csrf,
    });
    if state.options.token_in_header {
        let header =
            HeaderValue::try_from(format!("{token_type} {token}")).map_err(|_| Unavailable)?;
        return Ok(Issued {
            body,
            header: Some(header),
        });
    }
    body["access_token"] = Value::String(token);
    Ok(Issued { body, header: None })
}

/// How an access token is presented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// `Authorization: DPoP <token>`.
    Dpop,
}

/// The access token of a request and how it is presented.
pub(crate) fn presented(headers: &HeaderMap) -> Option<(Scheme, &str)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    if let Some(token) = value.strip_prefix("Bearer ") {
        return Some((Scheme::Bearer, token));
    }
    value
        .strip_prefix("DPoP ")
        .map(|token| (Scheme::Dpop, token))
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

/// Why an API request is refused.
#[derive(Debug)]
enum Refused {
    /// No `Authorization` header: the bare challenge.
    Missing,
    /// The token: its scheme, signature, claims, dates or revocation.
    Token,
    /// `--dpop`: a token not presented as `DPoP`, or bound to no key.
    Unbound,
    /// `--dpop`: the proof.
    Proof(Refusal),
}

/// A token that passed the checks of every mode, and how it came.
type Checked<'h> = (AccessClaims, Scheme, &'h str);

/// Checks the access token; `Ok(Err(..))` when it is refused, `Err` when the store failed.
/// Under `--dpop` it may come as `DPoP` or `Bearer`; [`bound`] then tells them apart.
async fn check_access<'h>(
    state: &AppState,
    headers: &'h HeaderMap,
) -> Result<Result<Checked<'h>, Refused>, Unavailable> {
    if !headers.contains_key(AUTHORIZATION) {
        return Ok(Err(Refused::Missing));
    }
    let dpop = state.options.dpop_enabled();
    let Some((scheme, token)) = presented(headers).filter(|(s, _)| dpop || *s == Scheme::Bearer)
    else {
        return Ok(Err(Refused::Token)); // neither `Bearer` nor, under `--dpop`, `DPoP`
    };
    let Some(claims) = signed_claims(state, token) else {
        return Ok(Err(Refused::Token)); // bad signature or claims
    };
    let now_s = seconds(unix_now_ms() + state.lock().config.clock_skew_ms);
    if now_s >= claims.exp {
        return Ok(Err(Refused::Token)); // expired
    }
    // A few seconds of leeway: instances sharing a Redis on other hosts have clocks of their own.
    if now_s + NBF_LEEWAY_S < claims.nbf {
        return Ok(Err(Refused::Token)); // not yet valid
    }
    if !state.store.access_live(claims.fam, &claims.jti).await? {
        return Ok(Err(Refused::Token)); // revoked
    }
    Ok(Ok((claims, scheme, token)))
}

/// `--dpop`: a good token must come as `DPoP`, bound to a key, with a proof by that key.
async fn bound(
    state: &AppState,
    headers: &HeaderMap,
    (method, uri): (&Method, &Uri),
    (claims, scheme, token): Checked<'_>,
) -> Result<Result<AccessClaims, Refused>, Unavailable> {
    if scheme != Scheme::Dpop {
        return Ok(Err(Refused::Unbound)); // not presented as a dpop token
    }
    let Some(jkt) = claims.cnf.as_ref().map(|cnf| cnf.jkt.as_str()) else {
        return Ok(Err(Refused::Unbound)); // bound to no key
    };
    let proof = dpop::check(state, headers, method, uri, Some((token, jkt))).await?;
    Ok(proof.map(|_| claims).map_err(Refused::Proof))
}

impl Refused {
    fn into_response(self, dpop: bool) -> Response {
        let (code, challenge) = match (self, dpop) {
            (Refused::Missing, false) => ("invalid_token", "Bearer"),
            (Refused::Missing, true) => ("invalid_token", "DPoP algs=\"ES256\""),
            (Refused::Token | Refused::Unbound, false) => {
                ("invalid_token", "Bearer error=\"invalid_token\"")
            }
            (Refused::Token | Refused::Unbound, true) => {
                ("invalid_token", "DPoP error=\"invalid_token\"")
            }
            (Refused::Proof(refusal @ Refusal::Invalid(_)), _) => {
                (refusal.code(), "DPoP error=\"invalid_dpop_proof\"")
            }
            (Refused::Proof(Refusal::UseNonce), _) => {
                ("use_dpop_nonce", "DPoP error=\"use_dpop_nonce\"")
            }
        };
        let mut response = error(StatusCode::UNAUTHORIZED, code);
        response
            .headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        response
    }
}

/// Checks the access token (and under `--dpop` its proof) of an API request and counts it.
async fn authorize(
    state: &AppState,
    request: (&Method, &Uri),
    headers: &HeaderMap,
) -> Result<AccessClaims, Response> {
    let checked = check_access(state, headers)
        .await
        .map_err(|Unavailable| unavailable())?;
    let dpop = state.options.dpop_enabled();
    let checked = match checked {
        Ok(good) if dpop => bound(state, headers, request, good)
            .await
            .map_err(|Unavailable| unavailable())?,
        other => other.map(|(claims, ..)| claims),
    };
    let mut inner = state.lock();
    if headers.contains_key(AUTHORIZATION) {
        inner.stats.authorized_requests += 1;
    }
    match checked {
        Ok(claims) => {
            inner.stats.api_ok += 1;
            Ok(claims)
        }
        Err(refused) => {
            match refused {
                // A challenge, not a failure: the client retries with the nonce (counted by
                // `dpop::check`, like every refused proof).
                Refused::Proof(Refusal::UseNonce) => {}
                Refused::Unbound => {
                    inner.stats.dpop_rejections += 1;
                    inner.stats.api_unauthorized += 1;
                }
                Refused::Missing | Refused::Token | Refused::Proof(Refusal::Invalid(_)) => {
                    inner.stats.api_unauthorized += 1;
                }
            }
            Err(refused.into_response(dpop))
        }
    }
}

pub(crate) async fn me(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    match authorize(&state, (&method, &uri), &headers).await {
        Ok(c) => {
            Json(json!({ "sub": c.sub, "jti": c.jti, "iat": c.iat, "exp": c.exp })).into_response()
        }
        Err(refused) => refused,
    }
}

/// `GET /api/admin`: asks for a stronger sign-in than any token of this server carries (RFC 9470
/// step-up): a valid token gets 401 with `WWW-Authenticate: Bearer error=
/// "insufficient_user_authentication"` — the token is fine, a refresh would not help — and an
/// invalid one the usual `invalid_token`.
pub(crate) async fn admin(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = authorize(&state, (&method, &uri), &headers).await {
        return refused;
    }
    let scheme = if state.options.dpop_enabled() {
        "DPoP"
    } else {
        "Bearer"
    };
    let challenge = format!(
        r#"{scheme} error="insufficient_user_authentication", error_description="a second factor is required", acr_values="mfa""#
    );
    let mut response = error(StatusCode::UNAUTHORIZED, "insufficient_user_authentication");
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(WWW_AUTHENTICATE, value);
    }
    response
}

pub(crate) async fn echo(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(refused) = authorize(&state, (&method, &uri), &headers).await {
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
