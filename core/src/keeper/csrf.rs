//! The CSRF header of refresh and logout calls (double submit): which value to send, and what a
//! refusal of it means.
//!
//! The value comes from the readable cookie the `csrf` option names, or, failing that, from the
//! last login or refresh answer's field. A page may see several cookies of that name — a
//! sibling subdomain's `Domain=.example.com` cookie, another app's on a shorter path — and the
//! server compares one of them: the keeper sends the one the last answer bound when it is among
//! them, else the first (the browser lists the most specific first).
//!
//! A 403 to a refresh whose body names CSRF (`{"error":"csrf"}`, Django's "CSRF verification
//! failed", Spring's "Invalid CSRF token", csurf's "invalid csrf token") and not `invalid_grant`
//! is a refusal of the CSRF header, not of the session: an error of that call (`csrf`), never a
//! sign-out. Any other refusal (401, or a 403 that does not name CSRF) ends the session for every
//! tab, as the server says the refresh token is dead.

use alloc::string::String;

use super::{AuthKind, Authorization, Keeper};

impl Keeper {
    /// The headers the keeper adds to an auth call of `kind`, given the page's readable cookies:
    /// the CSRF header — on a refresh and a logout, and on a login when the CSRF cookie is there
    /// (Django's CSRF protects every unsafe method, a sign-in too; a first login has no cookie
    /// yet) — and, on a refresh, the reissue flow's `Authorization`. Read as the call leaves
    /// ([`AuthSend`](super::AuthSend)).
    pub(super) fn auth_headers(
        &self,
        kind: AuthKind,
        cookies: &str,
    ) -> (Option<(&str, String)>, Option<Authorization>) {
        let cookie = self.csrf_cookie(cookies);
        let csrf = match kind {
            AuthKind::Login { .. } if cookie.is_none() => None,
            _ => self.csrf_header(cookie),
        };
        let bearer = match kind {
            AuthKind::Refresh => self.refresh_authorization(),
            _ => None,
        };
        (csrf, bearer)
    }

    /// Of the readable cookies of the CSRF cookie's name, the one the last answer bound, else
    /// the first; `None` when there is none (or CSRF is off).
    fn csrf_cookie<'a>(&'a self, cookies: &'a str) -> Option<&'a str> {
        let name = self.config.csrf.as_ref()?.cookie_name.as_bytes();
        let mut first = None;
        for value in cookie_values(cookies, name) {
            if self.session.csrf.as_deref() == Some(value) {
                return Some(value);
            }
            first = first.or(Some(value));
        }
        first
    }

    /// The CSRF header for `cookie_value` (the readable cookie's), else the last answer's field.
    fn csrf_header(&self, cookie_value: Option<&str>) -> Option<(&str, String)> {
        let csrf = self.config.csrf.as_ref()?;
        let value = cookie_value
            .filter(|v| !v.is_empty())
            .map(String::from)
            .or_else(|| self.session.csrf.clone())?;
        Some((csrf.header_name.as_str(), value))
    }

    /// Whether a 403 to a refresh refused the CSRF header rather than the refresh token: CSRF is
    /// on and the body names CSRF, in any case, and not `invalid_grant` (byte scans).
    pub(super) fn refused_csrf(&self, body: &str) -> bool {
        let body = body.as_bytes();
        self.config.csrf.is_some()
            && body.windows(4).any(|w| w.eq_ignore_ascii_case(b"csrf"))
            && !body.windows(13).any(|w| w == b"invalid_grant")
    }
}

/// The non-empty values of the cookies named `name` in `cookies` (`a=1; b=2`), in order. Byte
/// scans: `str`'s pattern searchers cost the npm wasm about a kilobyte.
fn cookie_values<'a>(cookies: &'a str, name: &'a [u8]) -> impl Iterator<Item = &'a str> {
    cookies
        .as_bytes()
        .split(|&b| b == b';')
        .filter_map(move |mut pair| {
            while let [b' ', rest @ ..] = pair {
                pair = rest;
            }
            let eq = pair.iter().position(|&b| b == b'=')?;
            let (key, value) = (pair.get(..eq)?, pair.get(eq + 1..)?);
            // Cut at ASCII bytes, so still UTF-8.
            (key == name && !value.is_empty())
                .then(|| core::str::from_utf8(value).ok())
                .flatten()
        })
}
