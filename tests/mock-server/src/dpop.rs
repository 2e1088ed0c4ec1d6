//! DPoP (RFC 9449) under `--dpop`: checking a proof, the key thumbprint (RFC 7638), and what the
//! server remembers for it (the proofs already seen, the server nonce, the key each refresh
//! family is bound to) — in this instance's memory, or in the Redis every instance shares.
//!
//! [`verify`] is a pure function of the proof, the request and `now_ms`: the signature against
//! the embedded key, `typ`, `alg`, `jwk`, `jti`, `htm`, `htu`, `iat`, and on `/api/*` `ath` and
//! the token's `cnf.jkt`. [`shared::accept`] then applies what needs memory: the nonce and the
//! replay cache. [`check`] is the glue the handlers call; it counts refusals in the stats.

use axum::extract::State;
use axum::http::header::HOST;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::{EncodedPoint, FieldBytes};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::backend::Unavailable;
use crate::{unix_now_ms, AppState};

mod memory;
pub(crate) mod shared;
pub(crate) use memory::Memory;

/// The request header that carries the proof.
pub(crate) const PROOF_HEADER: HeaderName = HeaderName::from_static("dpop");
/// The response header that names the current server nonce (`--dpop-nonce`).
pub(crate) const NONCE_HEADER: HeaderName = HeaderName::from_static("dpop-nonce");
/// How far a proof's `iat` may be from the server's clock either way; a `jti` is remembered
/// until its `iat` plus this, when the proof could no longer be accepted anyway.
pub(crate) const IAT_WINDOW_MS: i64 = 60_000;
/// How long a nonce is current before a fresh one takes over; the one before stays accepted.
pub(crate) const NONCE_PERIOD_MS: i64 = 5 * 60_000;
const MAX_JTI_CHARS: usize = 128;

/// Why a proof is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Missing, malformed, or not matching the request (the reason is for tests, never sent).
    Invalid(&'static str),
    /// Good, but without a nonce this server accepts.
    UseNonce,
}

impl Refusal {
    /// The error code of RFC 9449.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Refusal::Invalid(_) => "invalid_dpop_proof",
            Refusal::UseNonce => "use_dpop_nonce",
        }
    }
}

/// What a proof must match.
pub(crate) struct Expected<'a> {
    /// The request's method.
    pub(crate) method: &'a str,
    /// `http://{Host}{path}`: the URL the client called, without query and fragment.
    pub(crate) url: String,
    /// On `/api/*`: the access token (its hash is `ath`) and the thumbprint of its `cnf.jkt`.
    pub(crate) access: Option<(&'a str, &'a str)>,
}

impl std::fmt::Debug for Expected<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The access token is never printed.
        f.debug_struct("Expected")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("access", &self.access.map(|(_, jkt)| ("[redacted]", jkt)))
            .finish()
    }
}

/// A proof whose signature and claims hold; the nonce and replay checks remain.
#[derive(Debug)]
pub(crate) struct Proven {
    /// The thumbprint of the key that signed it.
    pub(crate) jkt: String,
    jti: String,
    iat_ms: i64,
    nonce: Option<String>,
}

#[derive(Deserialize)]
struct ProofHeader {
    typ: String,
    alg: String,
    jwk: Map<String, Value>,
}

#[derive(Deserialize)]
struct ProofClaims {
    jti: String,
    htm: String,
    htu: String,
    /// Seconds since 1970, possibly fractional.
    iat: f64,
    ath: Option<String>,
    nonce: Option<String>,
}

fn invalid<T>(why: &'static str) -> Result<T, Refusal> {
    Err(Refusal::Invalid(why))
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Checks a compact JWS `b64u(header).b64u(claims).b64u(signature)` against the request.
pub(crate) fn verify(proof: &str, expected: &Expected<'_>, now_ms: i64) -> Result<Proven, Refusal> {
    let mut parts = proof.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return invalid("not a compact jws");
    };
    let Some(header) = decode_json::<ProofHeader>(header_b64) else {
        return invalid("unreadable header");
    };
    if header.typ != "dpop+jwt" {
        return invalid("typ is not dpop+jwt");
    }
    if header.alg != "ES256" {
        return invalid("alg is not ES256");
    }
    let (key, jkt) = public_key(&header.jwk)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature_b64)
        .ok()
        .filter(|bytes| bytes.len() == 64)
        .and_then(|bytes| Signature::from_slice(&bytes).ok());
    let Some(signature) = signature else {
        return invalid("unreadable signature");
    };
    let signed = &proof[..header_b64.len() + 1 + claims_b64.len()];
    if key.verify(signed.as_bytes(), &signature).is_err() {
        return invalid("bad signature");
    }
    let Some(claims) = decode_json::<ProofClaims>(claims_b64) else {
        return invalid("unreadable claims");
    };
    if !(1..=MAX_JTI_CHARS).contains(&claims.jti.chars().count()) {
        return invalid("jti is empty or too long");
    }
    if claims.htm != expected.method {
        return invalid("htm is not the request's method");
    }
    if normalized(without_query(&claims.htu)).as_deref() != Some(expected.url.as_str()) {
        return invalid("htu is not the request's url");
    }
    if !claims.iat.is_finite() {
        return invalid("iat is no time");
    }
    // Saturating: a far-off iat becomes i64::MIN or MAX, out of the window all the same.
    #[allow(clippy::cast_possible_truncation)]
    let iat_ms = (claims.iat * 1000.0) as i64;
    if iat_ms.abs_diff(now_ms) > IAT_WINDOW_MS.unsigned_abs() {
        return invalid("iat is outside the window");
    }
    if let Some((token, bound)) = expected.access {
        if claims.ath.as_deref() != Some(sha256_b64(token).as_str()) {
            return invalid("ath is not the token's hash");
        }
        if jkt != bound {
            return invalid("signed by another key than the token's");
        }
    }
    Ok(Proven {
        jkt,
        jti: claims.jti,
        iat_ms,
        nonce: claims.nonce,
    })
}

/// The P-256 public key of a JWK, and its thumbprint. A JWK with a private part is refused.
fn public_key(jwk: &Map<String, Value>) -> Result<(VerifyingKey, String), Refusal> {
    let member = |name: &str| jwk.get(name).and_then(Value::as_str);
    if member("kty") != Some("EC") || member("crv") != Some("P-256") {
        return invalid("not a P-256 key");
    }
    if jwk.contains_key("d") {
        return invalid("the jwk holds a private key");
    }
    let coordinate = |name: &str| {
        let bytes = URL_SAFE_NO_PAD.decode(member(name)?).ok()?;
        <[u8; 32]>::try_from(bytes).ok()
    };
    let (Some(x), Some(y)) = (coordinate("x"), coordinate("y")) else {
        return invalid("x or y is not 32 bytes of base64url");
    };
    let point =
        EncodedPoint::from_affine_coordinates(&FieldBytes::from(x), &FieldBytes::from(y), false);
    let Ok(key) = VerifyingKey::from_encoded_point(&point) else {
        return invalid("not a point of P-256");
    };
    Ok((key, thumbprint(&x, &y)))
}

/// The RFC 7638 thumbprint of a P-256 key: base64url(SHA-256) of its required members, in
/// lexicographic order, without whitespace.
pub(crate) fn thumbprint(x: &[u8; 32], y: &[u8; 32]) -> String {
    let (x, y) = (URL_SAFE_NO_PAD.encode(x), URL_SAFE_NO_PAD.encode(y));
    sha256_b64(&format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
    ))
}

/// base64url(SHA-256(text)): a thumbprint, or the `ath` of an access token.
pub(crate) fn sha256_b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()))
}

fn without_query(url: &str) -> &str {
    url.find(['?', '#']).map_or(url, |end| &url[..end])
}

/// The URL the client called, as `htu` must name it, normalized: the server's public origin
/// (`--public-origin`; without one, `http://` and the `Host` header) and the request's path.
fn request_url(state: &AppState, headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let origin = match &state.options.public_origin {
        Some(origin) => origin.trim_end_matches('/').to_owned(),
        None => format!("http://{}", headers.get(HOST)?.to_str().ok()?),
    };
    normalized(&format!("{origin}{}", uri.path()))
}

/// `url` as RFC 3986 §6.2.2 normalizes it, for comparing: scheme and host in lowercase, no
/// default port, the path's percent-encodings of unreserved characters decoded and the others'
/// hex digits in capitals. `None` for what is no absolute http(s) URL.
fn normalized(url: &str) -> Option<String> {
    let uri: Uri = url.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let authority = uri.authority()?;
    if authority.as_str().contains('@') {
        return None; // user information names no origin
    }
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let host = authority.host().to_ascii_lowercase();
    let port = match authority.port_u16() {
        Some(port) if port != default_port => format!(":{port}"),
        _ => String::new(),
    };
    let mut path = String::new();
    let mut bytes = uri.path().bytes();
    while let Some(b) = bytes.next() {
        let decoded = match b {
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                let hex = std::str::from_utf8(&hex).ok()?;
                Some(u8::from_str_radix(hex, 16).ok()?)
            }
            _ => None,
        };
        match decoded {
            Some(c) if c.is_ascii_alphanumeric() || b"-._~".contains(&c) => {
                path.push(char::from(c))
            }
            Some(c) => path.push_str(&format!("%{c:02X}")),
            None => path.push(char::from(b)),
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    Some(format!("{scheme}://{host}{port}{path}"))
}

/// Checks the request's one `DPoP` header; returns the thumbprint of the key that signed it.
/// A refusal is counted (`dpop_rejections`, or `dpop_nonce_challenges`).
pub(crate) async fn check(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    uri: &Uri,
    access: Option<(&str, &str)>,
) -> Result<Result<String, Refusal>, Unavailable> {
    let now_ms = unix_now_ms() + state.lock().config.clock_skew_ms;
    let mut proofs = headers.get_all(PROOF_HEADER).iter();
    let verified = match (
        proofs.next(),
        proofs.next(),
        request_url(state, headers, uri),
    ) {
        (Some(proof), None, Some(url)) => match proof.to_str() {
            Ok(proof) => {
                let expected = Expected {
                    method: method.as_str(),
                    url,
                    access,
                };
                verify(proof, &expected, now_ms)
            }
            Err(_) => invalid("not ascii"),
        },
        (None, ..) => invalid("missing"),
        (Some(_), Some(_), _) => invalid("more than one proof"),
        (Some(_), None, None) => invalid("no host header"),
    };
    let checked = match verified {
        Ok(proven) => shared::accept(state, &proven, state.options.dpop_nonce, now_ms)
            .await?
            .map(|()| proven.jkt),
        Err(refusal) => Err(refusal),
    };
    let mut inner = state.lock();
    match checked {
        Ok(_) => {}
        Err(Refusal::Invalid(_)) => inner.stats.dpop_rejections += 1,
        Err(Refusal::UseNonce) => inner.stats.dpop_nonce_challenges += 1,
    }
    Ok(checked)
}

/// Under `--dpop-nonce`, every answer of login, refresh and `/api/*` names the current nonce.
pub(crate) async fn with_nonce(State(state): State<AppState>, mut response: Response) -> Response {
    if state.options.dpop_nonce {
        let now_ms = unix_now_ms() + state.lock().config.clock_skew_ms;
        // Without the store there is no nonce to name; the answer says what went wrong itself.
        if let Ok(nonce) = shared::nonce(&state, now_ms).await {
            if let Ok(value) = HeaderValue::try_from(nonce) {
                response.headers_mut().insert(NONCE_HEADER, value);
            }
        }
    }
    response
}

#[cfg(test)]
#[path = "dpop_tests.rs"]
mod tests;
