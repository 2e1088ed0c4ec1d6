//! A 401's `WWW-Authenticate` (RFC 9110 §11.6.1): does it blame the token the request carried?
//!
//! RFC 6750 §3.1 (and RFC 9449 §7.1 for DPoP) says what a resource server answers: `error=
//! "invalid_token"` when the token is expired, revoked or malformed — a refresh helps — and
//! other errors when it is not the token (`insufficient_scope`, RFC 9470's
//! `insufficient_user_authentication`): a new token of the same grant would be refused the same
//! way, so a refresh and a replay would only rotate the cookie for nothing. A challenge of
//! another scheme (`Basic`, `Negotiate`) is not about our token either.
//!
//! Byte scans, not a header grammar (a parser cost the npm wasm 0.6 KB gzip): what decides is
//! whether a Bearer or DPoP scheme is named at all, and the `error` values. Whatever the scan
//! cannot read counts as blaming the token: a refresh and a retry, as for a bare 401.

use alloc::vec::Vec;

/// Whether a 401 whose `WWW-Authenticate` is `value` (`None`: absent, or not readable
/// cross-origin) is worth a refresh and a retry: no challenge at all; a Bearer or DPoP
/// challenge with no `error`; or one whose `error` is `invalid_token` (or DPoP's
/// `use_dpop_nonce`). A challenge of another scheme only, or Bearer/DPoP errors that are all
/// something else, is the caller's answer.
pub fn blames_token(value: Option<&str>) -> bool {
    // Lowercase, without whitespace (`error = "x"` reads as `error="x"`), with room for a
    // 6-byte window after a bare `DPoP`.
    let mut text: Vec<u8> = Vec::new();
    for &b in value.unwrap_or_default().as_bytes() {
        if !b.is_ascii_whitespace() {
            text.push(b.to_ascii_lowercase());
        }
    }
    if text.is_empty() {
        return true; // no challenge, as for a bare 401
    }
    text.extend_from_slice(b"  ");
    let (mut ours, mut errors, mut blamed) = (false, false, false);
    for (at, w) in text.windows(6).enumerate() {
        ours |= w == b"bearer" || w.starts_with(b"dpop");
        // `error=`, not `x_error=`.
        if w == b"error=" && (at == 0 || text.get(at - 1) != Some(&b'_')) {
            errors = true;
            let mut rest = text.get(at + 6..).unwrap_or_default();
            if let [b'"', unquoted @ ..] = rest {
                rest = unquoted;
            }
            blamed |= rest.starts_with(b"invalid_token") || rest.starts_with(b"use_dpop_nonce");
        }
    }
    ours && (blamed || !errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_that_blames_the_token_or_none_is_worth_a_refresh() {
        for value in [
            None,
            Some(""),
            Some("Bearer"),
            Some(r#"Bearer realm="api""#),
            Some(r#"Bearer error="invalid_token""#),
            Some(r#"Bearer realm="a, b", error="invalid_token", error_description="expired""#),
            Some(r#"bearer error=invalid_token"#),
            Some("DPoP"),
            Some(r#"Bearer realm="api",error = "invalid_token""#),
            Some(r#"Bearer error= "invalid_token""#),
            Some(r#"Bearer x_error="insufficient_scope""#),
            Some(r#"DPoP algs="ES256", error="invalid_token""#),
            Some(r#"DPoP error="use_dpop_nonce""#),
            Some(r#"Basic realm="x", Bearer error="invalid_token""#),
            Some(r#"Bearer error="insufficient_scope", DPoP error="invalid_token""#),
        ] {
            assert!(blames_token(value), "{value:?}");
        }
    }

    #[test]
    fn a_challenge_that_says_the_token_is_not_the_problem_is_the_answer() {
        for value in [
            r#"Bearer error="insufficient_scope", scope="admin""#,
            r#"Bearer realm="api", error="insufficient_user_authentication", acr_values="mfa""#,
            r#"DPoP algs="ES256", error="insufficient_scope""#,
            r#"Basic realm="intranet""#,
            "Negotiate",
            "Basic dXNlcjpwYXNz==",
            r#"Basic realm="x, error=invalid_token""#,
            r#"Bearer error="insufficient_scope", Basic realm="x""#,
        ] {
            assert!(!blames_token(Some(value)), "{value}");
        }
    }

    proptest::proptest! {
        /// Whatever an API answers, reading it returns.
        #[test]
        fn fuzz_challenges_never_panic(text in ".{0,120}") {
            let _ = blames_token(Some(&text));
        }
    }
}
