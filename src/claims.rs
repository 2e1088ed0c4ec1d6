//! The app's own claims type, filled from the token's payload with serde: through the browser's
//! `JSON.parse` and serde-wasm-bindgen on wasm (no JSON parser of its own in the wasm), through
//! serde_json elsewhere (host tests, server builds).
//!
//! ```
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct MyClaims {
//!     sub: String,
//!     // RFC 7519 dates may carry a fraction: `u64` alone would refuse `1700000000.5`.
//!     #[serde(deserialize_with = "token_keeper::claims::whole_seconds")]
//!     exp: u64,
//!     #[serde(default)]
//!     roles: Vec<String>,
//! }
//!
//! // eyJhbGciOiJIUzI1NiJ9 . {"sub":"alice","exp":1700000000.5,"roles":["admin"]} . sig
//! let token = "eyJhbGciOiJIUzI1NiJ9.\
//!     eyJzdWIiOiJhbGljZSIsImV4cCI6MTcwMDAwMDAwMC41LCJyb2xlcyI6WyJhZG1pbiJdfQ.c2ln";
//! let claims = token_keeper::decode_unverified(token)?;
//! let mine: MyClaims = token_keeper::claims::claims_as(&claims)?;
//! assert_eq!((mine.sub.as_str(), mine.exp, mine.roles.len()), ("alice", 1_700_000_000, 1));
//! # Ok::<(), token_keeper::Error>(())
//! ```

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

use crate::{Claims, Error, ErrorKind};

/// Fills the app's claims type `T` from the whole payload of `claims`.
///
/// # Errors
///
/// An `invalid_token` error naming the claim that did not fit `T` (`exp`, `roles[1]`, or `.` for
/// the payload itself) and what `T` expected there — never the claim's value.
pub fn claims_as<T: DeserializeOwned>(claims: &Claims) -> Result<T, Error> {
    #[cfg(target_arch = "wasm32")]
    {
        // The decoder already checked the payload is a JSON object: JSON.parse cannot refuse it.
        let value = js_sys::JSON::parse(claims.json())
            .map_err(|_| Error::new(ErrorKind::InvalidToken, "the claims are not JSON"))?;
        let deserializer = serde_wasm_bindgen::Deserializer::from(value);
        serde_path_to_error::deserialize(deserializer).map_err(|e| unfit::<T, _>(&e))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let mut deserializer = serde_json::Deserializer::from_str(claims.json());
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| unfit::<T, _>(&e))
    }
}

/// `value` as JSON text: through serde-wasm-bindgen and `JSON.stringify` in the browser (no JSON
/// writer in the wasm), serde_json elsewhere. For `login`.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let failed = || {
        Error::new(
            ErrorKind::Config,
            "the credentials could not be written as JSON",
        )
    };
    #[cfg(target_arch = "wasm32")]
    {
        // Maps as plain objects, 64-bit integers as numbers: what JSON.stringify can write.
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        let value = value.serialize(&serializer).map_err(|_| failed())?;
        js_sys::JSON::stringify(&value)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(failed)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_json::to_string(value).map_err(|_| failed())
    }
}

/// The error for a claim that did not fit: its path and what was expected, without the value
/// (serde's messages quote it: `invalid type: string "…", expected u64`).
fn unfit<T, E: core::fmt::Display>(e: &serde_path_to_error::Error<E>) -> Error {
    let inner = e.inner().to_string();
    let expected = match inner.split_once(", expected ") {
        Some((_, expected)) => format!(": expected {expected}"),
        None if inner.starts_with("missing field") => format!(": {inner}"),
        None => String::new(),
    };
    let message = format!(
        "the claim `{}` does not fit {}{expected}",
        e.path(),
        short_type_name(core::any::type_name::<T>())
    );
    Error::new(ErrorKind::InvalidToken, message)
}

/// A type's name without its module paths: `my_app::auth::Claims` is `Claims`,
/// `alloc::vec::Vec<my_app::Role>` is `Vec<Role>`.
fn short_type_name(full: &str) -> String {
    let mut out = String::new();
    let mut segment = String::new();
    let mut chars = full.chars().peekable();
    while let Some(c) = chars.next() {
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            segment.clear();
        } else if c.is_alphanumeric() || c == '_' {
            segment.push(c);
        } else {
            out.push_str(&segment);
            segment.clear();
            out.push(c);
        }
    }
    out + &segment
}

#[cfg(test)]
#[test]
fn type_names_lose_their_paths() {
    assert_eq!(short_type_name("my_app::auth::Claims"), "Claims");
    assert_eq!(
        short_type_name("alloc::vec::Vec<my_app::Role>"),
        "Vec<Role>"
    );
    assert_eq!(
        short_type_name("core::option::Option<(u64, a::B)>"),
        "Option<(u64, B)>"
    );
}

/// A numeric date (seconds since 1970, RFC 7519 `NumericDate`) as whole seconds, accepting the
/// fraction the RFC allows (cut off): `#[serde(deserialize_with = "token_keeper::claims::whole_seconds")]`.
///
/// # Errors
///
/// When the claim is not a number, or is negative or past `u64`.
pub fn whole_seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let seconds = f64::deserialize(deserializer)?;
    if !(0.0..1.8e19).contains(&seconds) {
        return Err(serde::de::Error::custom(
            "a date in seconds since 1970, not negative",
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(seconds.floor() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode_unverified;

    fn token(payload: &str) -> Claims {
        use base64_url::encode;
        decode_unverified(&format!("eyJhbGciOiJIUzI1NiJ9.{}.c2ln", encode(payload))).unwrap()
    }

    mod base64_url {
        /// base64url without padding, for the tests' tokens.
        pub fn encode(text: &str) -> String {
            const ABC: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let bytes = text.as_bytes();
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
                for i in 0..=chunk.len() {
                    out.push(char::from(ABC[(n >> (18 - 6 * i) & 63) as usize]));
                }
            }
            out
        }
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Mine {
        sub: String,
        #[serde(deserialize_with = "whole_seconds")]
        exp: u64,
        #[serde(default)]
        roles: Vec<String>,
        tenant: Option<u32>,
    }

    #[test]
    fn credentials_of_any_serde_type_are_written_as_json() {
        #[derive(serde::Serialize)]
        struct Credentials<'a> {
            username: &'a str,
            password: &'a str,
        }
        let json = to_json(&Credentials {
            username: "alice",
            password: "won\"derland",
        })
        .unwrap();
        assert_eq!(json, r#"{"username":"alice","password":"won\"derland"}"#);
        let map: std::collections::BTreeMap<&str, u64> = [("pin", 1234)].into();
        assert_eq!(to_json(&map).unwrap(), r#"{"pin":1234}"#);
    }

    #[test]
    fn the_apps_struct_is_filled_with_fractional_dates_cut_to_whole_seconds() {
        let mine: Mine =
            claims_as(&token(r#"{"sub":"alice","exp":1700000000.75,"tenant":7}"#)).unwrap();
        let expected = Mine {
            sub: "alice".into(),
            exp: 1_700_000_000,
            roles: vec![],
            tenant: Some(7),
        };
        assert_eq!(mine, expected);
    }

    #[test]
    fn a_claim_that_does_not_fit_is_named_and_its_value_is_not_said() {
        let e = claims_as::<Mine>(&token(
            r#"{"sub":"alice","exp":1,"roles":["a","secret-ish-value",3]}"#,
        ))
        .map(drop)
        .unwrap_err();
        assert_eq!(e.code(), "invalid_token");
        assert!(e.message().contains("`roles[2]`"), "{}", e.message());
        assert!(e.message().contains("expected a string"), "{}", e.message());
        let e = claims_as::<Mine>(&token(r#"{"sub":"secret-ish-value","exp":-5}"#))
            .map(drop)
            .unwrap_err();
        assert!(e.message().contains("`exp`"), "{}", e.message());
        let e = claims_as::<Mine>(&token(r#"{"exp":5}"#))
            .map(drop)
            .unwrap_err();
        assert!(
            e.message().contains("missing field `sub`"),
            "{}",
            e.message()
        );
        let e = claims_as::<Mine>(&token(r#"{"sub":"x","exp":5,"tenant":"secret-ish-value"}"#))
            .map(drop)
            .unwrap_err();
        assert!(!e.message().contains("secret-ish"), "{}", e.message());
    }
}
