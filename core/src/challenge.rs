//! A 401's `WWW-Authenticate` (RFC 9110 §11.6.1): does it blame the token the request carried?
//!
//! RFC 6750 §3.1 (and RFC 9449 §7.1 for DPoP) says what a resource server answers: `error=
//! "invalid_token"` when the token is expired, revoked or malformed — a refresh helps — and
//! other errors when it is not the token (`insufficient_scope`, RFC 9470's
//! `insufficient_user_authentication`): a new token of the same grant would be refused the same
//! way, so a refresh and a replay would only rotate the cookie for nothing. A challenge of
//! another scheme (`Basic`, `Negotiate`) is not about our token either.
//!
//! Byte scans, not a full header grammar: what decides is the schemes and each Bearer or DPoP
//! challenge's `error`, and anything unreadable counts as blaming the token (today's behaviour:
//! refresh and retry once).

/// Whether a 401 whose `WWW-Authenticate` is `value` (`None`: absent, or not readable
/// cross-origin) is worth a refresh and a retry: no challenge at all, or a `Bearer` or `DPoP`
/// challenge with no `error`, or with `invalid_token` (or DPoP's `use_dpop_nonce`).
pub fn blames_token(value: Option<&str>) -> bool {
    let Some(value) = value.filter(|v| !v.trim_ascii().is_empty()) else {
        return true;
    };
    let mut blamed = false;
    // The challenge being read: whether its scheme is ours, and its `error` so far.
    let mut current: Option<(bool, Option<&[u8]>)> = None;
    for item in items(value.as_bytes()) {
        let item = item.trim_ascii();
        if item.is_empty() {
            continue;
        }
        let space = item.iter().position(u8::is_ascii_whitespace);
        let equals = item.iter().position(|&b| b == b'=');
        // `scheme` alone, `scheme param=…` or `scheme token68`: a new challenge. A word and
        // then `=` (`error = "x"`, spaces allowed around it) is a parameter.
        let starts = match (space, equals) {
            (_, None) => true,
            (Some(s), Some(e)) => s < e && !item[s..e].trim_ascii().is_empty(),
            (None, Some(_)) => false,
        };
        let param = if starts {
            blamed |= current.is_some_and(blames);
            let end = space.unwrap_or(item.len());
            let scheme = &item[..end];
            let ours =
                scheme.eq_ignore_ascii_case(b"bearer") || scheme.eq_ignore_ascii_case(b"dpop");
            current = Some((ours, None));
            item[end..].trim_ascii()
        } else {
            item
        };
        if let Some((_, error)) = current.as_mut() {
            if let Some(e) = param.iter().position(|&b| b == b'=') {
                if param[..e].trim_ascii().eq_ignore_ascii_case(b"error") {
                    *error = Some(unquote(param[e + 1..].trim_ascii()));
                }
            }
        }
    }
    blamed || current.map_or(true, blames)
}

/// A Bearer or DPoP challenge that names no error, or one a new token answers.
fn blames((ours, error): (bool, Option<&[u8]>)) -> bool {
    ours && error.map_or(true, |e| e == b"invalid_token" || e == b"use_dpop_nonce")
}

fn unquote(value: &[u8]) -> &[u8] {
    match value {
        [b'"', inner @ .., b'"'] => inner,
        _ => value,
    }
}

/// The comma-separated items of a header value, commas inside quoted strings kept.
fn items(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut quoted = false;
    let mut escaped = false;
    value.split(move |&b| {
        let cut = b == b',' && !quoted;
        if escaped {
            escaped = false;
        } else if quoted && b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            quoted = !quoted;
        }
        cut
    })
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
            Some(r#"Bearer realm="api",error = "invalid_token""#),
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
