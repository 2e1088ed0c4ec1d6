//! Unverified JWT decoding: enough to learn when a token expires and who it names.
//!
//! Nothing here checks a signature — a browser cannot hold the server's key — so the result is
//! used only for scheduling refreshes and for display, never for an access decision. The name of
//! the entry point, [`decode_unverified`], says so on every call site.
//!
//! Decoding is linear in the token's length: one split and one base64url syntax check per
//! segment here, then the platform's [`Decoder`] (the driver's: `atob`, `TextDecoder` and
//! `JSON.parse` in the npm package, the `base64` crate and `serde_json` in the Rust crate) on
//! each of the first two segments. The core picks which text is the token (an answer's body or
//! its header, a tab's message…) and asks the decoder then, as a TLS library asks the crypto
//! provider it was handed (rustls' `CryptoProvider`): a pure function, so the keeper stays
//! deterministic.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::parsed::{Members, Parsed, Value};

/// The data of a base64url segment as JWTs use it (RFC 7515 §2): the URL-safe alphabet, no
/// padding needed, `=` padding up to the canonical amount tolerated (and cut off here). `None`
/// for anything else: a byte outside the alphabet, too much padding, or 4n + 1 characters,
/// which carry 6 bits too few for a byte (no encoder writes that). What is left decodes without
/// a doubt; the platform's [`Decoder`] does that.
fn base64url(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let end = bytes.iter().position(|&b| b == b'=').unwrap_or(bytes.len());
    let padding = bytes.get(end..)?;
    if padding.len() > (4 - end % 4) % 4 || padding.iter().any(|&b| b != b'=') || end % 4 == 1 {
        return None;
    }
    let data = text.get(..end)?;
    data.bytes()
        .all(|b| matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_'))
        .then_some(data)
}

pub use crate::parsed::{Decoded, Decoder};

/// Which part of a compact JWT a problem was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// The first segment, the JOSE header.
    Header,
    /// The second segment, the claims set.
    Payload,
    /// The third segment: never verified here, but it must be base64url text, for the token
    /// goes out in an `Authorization` header whatever it holds.
    Signature,
}

impl Segment {
    fn name(self) -> &'static str {
        match self {
            Segment::Header => "header",
            Segment::Payload => "payload",
            Segment::Signature => "signature",
        }
    }
}

/// Why a token could not be decoded. Messages never include any part of the token.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JwtError {
    /// The token does not have exactly three dot-separated segments.
    Segments {
        /// How many segments were found.
        found: usize,
    },
    /// The header or payload segment is empty.
    EmptySegment(Segment),
    /// A segment is not valid base64url.
    Base64(Segment),
    /// A segment decodes to bytes that are not UTF-8.
    Utf8(Segment),
    /// A segment decodes to text that is not JSON.
    Json(Segment),
    /// A segment decodes to JSON that is not an object.
    NotObject(Segment),
    /// A registered claim (or header parameter) has the wrong JSON type.
    ClaimType {
        /// The claim's name, such as `exp`.
        claim: &'static str,
        /// What the claim must be, such as `a number`.
        expected: &'static str,
    },
}

impl JwtError {
    /// What is wrong, in words. Built without `core::fmt`, which would cost the npm build's wasm
    /// kilobytes.
    pub fn message(&self) -> String {
        let mut m = String::new();
        let (before, segment, after) = match self {
            JwtError::Segments { found } => {
                m.push_str("a jwt has 3 dot-separated segments, this token has ");
                crate::parsed::write_u64(&mut m, *found as u64);
                return m;
            }
            JwtError::ClaimType { claim, expected } => {
                for part in ["the jwt claim `", claim, "` must be ", expected] {
                    m.push_str(part);
                }
                return m;
            }
            JwtError::EmptySegment(s) => ("the jwt ", s, " segment is empty"),
            JwtError::Base64(s) => ("the jwt ", s, " segment is not valid base64url"),
            JwtError::Utf8(s) => ("the jwt ", s, " segment is not utf-8 text"),
            JwtError::Json(s) => ("the jwt ", s, " segment is not json"),
            JwtError::NotObject(s) => ("the jwt ", s, " segment is json but not an object"),
        };
        for part in [before, segment.name(), after] {
            m.push_str(part);
        }
        m
    }
}

impl fmt::Display for JwtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for JwtError {}

/// The `aud` claim: one audience or several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// `"aud": "api"`
    One(String),
    /// `"aud": ["api", "admin"]`
    Many(Vec<String>),
}

impl Audience {
    /// Whether `name` is among the audiences.
    pub fn contains(&self, name: &str) -> bool {
        match self {
            Audience::One(one) => one == name,
            Audience::Many(many) => many.iter().any(|a| a == name),
        }
    }
}

/// The claims of a JWT, decoded without verifying its signature.
///
/// The registered claims of RFC 7519 are typed; numeric dates are seconds since the epoch and may
/// carry a fraction. Every claim, registered or not, stays available as JSON text through
/// [`Claims::json`].
#[derive(Clone, PartialEq)]
pub struct Claims {
    /// Issuer.
    pub iss: Option<String>,
    /// Subject.
    pub sub: Option<String>,
    /// Audience.
    pub aud: Option<Audience>,
    /// Expiration time, seconds since the epoch.
    pub exp: Option<f64>,
    /// Not before, seconds since the epoch.
    pub nbf: Option<f64>,
    /// Issued at, seconds since the epoch.
    pub iat: Option<f64>,
    /// JWT ID.
    pub jti: Option<String>,
    json: String,
}

impl Claims {
    /// The whole claims set as the JSON text the token carried, for claims beyond the registered
    /// ones (parse it with your JSON library of choice).
    pub fn json(&self) -> &str {
        &self.json
    }

    /// `exp` in milliseconds, as the JavaScript clock counts.
    pub fn exp_ms(&self) -> Option<f64> {
        self.exp.map(|s| s * 1000.0)
    }

    /// `iat` in milliseconds, as the JavaScript clock counts.
    pub fn iat_ms(&self) -> Option<f64> {
        self.iat.map(|s| s * 1000.0)
    }
}

impl fmt::Debug for Claims {
    // The registered claims only: the rest of the payload is the application's business.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("iss", &self.iss)
            .field("sub", &self.sub)
            .field("aud", &self.aud)
            .field("exp", &self.exp)
            .field("nbf", &self.nbf)
            .field("iat", &self.iat)
            .field("jti", &self.jti)
            .finish_non_exhaustive()
    }
}

/// The JOSE header of a JWT, decoded without verifying anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Signing algorithm, such as `HS256`.
    pub alg: Option<String>,
    /// Media type, usually `JWT`.
    pub typ: Option<String>,
    /// Key ID.
    pub kid: Option<String>,
    json: String,
}

impl Header {
    /// The whole header as JSON text.
    pub fn json(&self) -> &str {
        &self.json
    }
}

/// Decodes the claims of a compact JWT **without verifying its signature**.
///
/// The header must be a JSON object too; the signature segment is not examined (it may even be
/// empty, as in an unsecured JWT).
///
/// # Errors
///
/// A [`JwtError`] naming the first problem found: the segment count, an empty segment, invalid
/// base64url, text that is not UTF-8 or not JSON, JSON that is not an object, or a registered claim
/// of the wrong type.
pub fn decode_unverified(token: &str, decoder: Decoder) -> Result<Claims, JwtError> {
    let [header, payload] = split(token)?;
    header_from(header, decoder)?;
    let (json, mut members) = decode_object(decoder, Segment::Payload, payload)?;
    let mut claims = Claims {
        iss: None,
        sub: None,
        aud: None,
        exp: None,
        nbf: None,
        iat: None,
        jti: None,
        json,
    };
    for &claim in CLAIM_KEYS {
        let Some(value) = members.take(claim) else {
            continue;
        };
        match claim {
            "aud" => {
                claims.aud = Some(match value {
                    Value::Str(one) => Audience::One(one),
                    Value::StrList(many) => Audience::Many(many),
                    _ => return Err(wrong_type(claim, "a string or an array of strings")),
                })
            }
            "exp" | "nbf" | "iat" => {
                let Value::Num(n) = value else {
                    return Err(wrong_type(claim, "a number"));
                };
                let slot = match claim {
                    "exp" => &mut claims.exp,
                    "nbf" => &mut claims.nbf,
                    _ => &mut claims.iat,
                };
                *slot = Some(n);
            }
            _ => {
                let Value::Str(s) = value else {
                    return Err(wrong_type(claim, "a string"));
                };
                let slot = match claim {
                    "iss" => &mut claims.iss,
                    "sub" => &mut claims.sub,
                    _ => &mut claims.jti,
                };
                *slot = Some(s);
            }
        }
    }
    Ok(claims)
}

/// Decodes the JOSE header of a compact JWT without verifying anything.
///
/// # Errors
///
/// As [`decode_unverified`], for the header segment (the payload is not examined).
pub fn decode_header_unverified(token: &str, decoder: Decoder) -> Result<Header, JwtError> {
    let [header, _] = split(token)?;
    header_from(header, decoder)
}

fn header_from(segment: &str, decoder: Decoder) -> Result<Header, JwtError> {
    let (json, mut members) = decode_object(decoder, Segment::Header, segment)?;
    let mut out = Header {
        alg: None,
        typ: None,
        kid: None,
        json,
    };
    for &name in HEADER_KEYS {
        let Some(value) = members.take(name) else {
            continue;
        };
        let Value::Str(s) = value else {
            return Err(wrong_type(name, "a string"));
        };
        *match name {
            "alg" => &mut out.alg,
            "typ" => &mut out.typ,
            _ => &mut out.kid,
        } = Some(s);
    }
    Ok(out)
}

fn wrong_type(claim: &'static str, expected: &'static str) -> JwtError {
    JwtError::ClaimType { claim, expected }
}

/// The header and payload segments, after checking there are exactly three. Byte scans: `str`'s
/// pattern searchers cost the npm package's wasm hundreds of bytes.
fn split(token: &str) -> Result<[&str; 2], JwtError> {
    let bytes = token.as_bytes();
    let dots = bytes.iter().filter(|&&b| b == b'.').count();
    let first = bytes.iter().position(|&b| b == b'.');
    let second =
        first.and_then(|f| Some(f + 1 + bytes.get(f + 1..)?.iter().position(|&b| b == b'.')?));
    // Cut at ASCII dots, so every piece is a `str`.
    let parts = first
        .zip(second)
        .and_then(|(f, s)| Some([token.get(..f)?, token.get(f + 1..s)?]));
    let (2, Some([header, payload])) = (dots, parts) else {
        return Err(JwtError::Segments { found: dots + 1 });
    };
    for (segment, text) in [(Segment::Header, header), (Segment::Payload, payload)] {
        if text.is_empty() {
            return Err(JwtError::EmptySegment(segment));
        }
    }
    // The signature is not examined, but a byte outside base64url (a space, a line break,
    // non-ASCII) would make the `Authorization` header that carries the token invalid.
    let signature = bytes
        .get(second.unwrap_or_default() + 1..)
        .unwrap_or_default();
    let base64url =
        |b: &u8| matches!(b, b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'=');
    if !signature.iter().all(base64url) {
        return Err(JwtError::Base64(Segment::Signature));
    }
    Ok([header, payload])
}

const CLAIM_KEYS: &[&str] = &["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];
const HEADER_KEYS: &[&str] = &["alg", "typ", "kid"];

/// Base64url, UTF-8 and JSON-object checks for one segment; returns the JSON text and the
/// object's members.
fn decode_object(
    decoder: Decoder,
    segment: Segment,
    text: &str,
) -> Result<(String, Members), JwtError> {
    let data = base64url(text).ok_or(JwtError::Base64(segment))?;
    match decoder(data) {
        Decoded::NotBase64 => Err(JwtError::Base64(segment)),
        Decoded::NotUtf8 => Err(JwtError::Utf8(segment)),
        Decoded::Json {
            parsed: Parsed::NotJson,
            ..
        } => Err(JwtError::Json(segment)),
        Decoded::Json {
            parsed: Parsed::NotObject,
            ..
        } => Err(JwtError::NotObject(segment)),
        Decoded::Json {
            text,
            parsed: Parsed::Object(members),
        } => Ok((text, members)),
    }
}

#[cfg(test)]
#[path = "jwt_tests.rs"]
mod tests;
