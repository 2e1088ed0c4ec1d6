//! What a login or refresh answer grants: the token (from the JSON body's `tokenField`, or the
//! `tokenHeader`), its `expires_in`, the CSRF value, and with `dpop` its `token_type` checked.

use alloc::string::String;

use super::Keeper;
use crate::parsed::{Parsed, Value};
use crate::{Error, ErrorKind};

/// What a successful login or refresh answer carried.
pub(super) struct Grant {
    pub(super) token: String,
    pub(super) expires_in_s: Option<f64>,
    pub(super) csrf: Option<String>,
}

impl Keeper {
    pub(super) fn grant(&self, body: Parsed, header: Option<String>) -> Result<Grant, Error> {
        let csrf_field = self
            .config
            .csrf
            .as_ref()
            .map_or("", |c| c.response_field.as_str());
        let not_object = || {
            Error::new(
                ErrorKind::InvalidToken,
                "the auth server's answer is not a json object",
            )
        };
        // Only the header the app named: a driver's stray value is no token.
        let header = header
            .as_deref()
            .filter(|_| self.config.token_header.is_some())
            .map(bare_token)
            .filter(|t| !t.is_empty());
        let members = match &body {
            Parsed::Object(members) => Some(members),
            // A token in the header needs no JSON body.
            _ if header.is_some() => None,
            _ => return Err(not_object()),
        };
        let member = |key: &str| members.and_then(|m| m.get(key));
        let string = |key: &str| match member(key) {
            Some(Value::Str(s)) => Some(s.as_str()),
            _ => None,
        };
        // RFC 9449 §5: with `dpop`, a token the server says is of another type (a plain bearer)
        // is not bound to the key and would be sent as if it were: refused.
        if let (true, Some(kind)) = (self.dpop.is_some(), string("token_type")) {
            if !kind.eq_ignore_ascii_case("dpop") {
                return Err(Error::new(
                    ErrorKind::InvalidToken,
                    "the auth server issued a token that is not a dpop token (token_type)",
                ));
            }
        }
        let Some(token) = string(&self.config.token_field).or(header) else {
            let mut message = String::from("the auth answer has no string field `");
            message.push_str(&self.config.token_field);
            message.push('`');
            if let Some(name) = &self.config.token_header {
                message.push_str(" nor a header `");
                message.push_str(name);
                message.push('`');
            }
            return Err(Error::new(ErrorKind::InvalidToken, message));
        };
        let expires_in_s = match member("expires_in") {
            Some(Value::Num(n)) if n.is_finite() && *n >= 0.0 => Some(*n),
            _ => None,
        };
        let csrf = string(csrf_field)
            .filter(|v| !csrf_field.is_empty() && !v.is_empty())
            .map(String::from);
        let token = String::from(token);
        Ok(Grant {
            token,
            expires_in_s,
            csrf,
        })
    }
}

/// `Bearer <token>` (the scheme in any case) or a bare token, trimmed; "" for a bare scheme.
/// ASCII trimming only: `str::trim` would bring Unicode's whitespace table into the wasm.
fn bare_token(value: &str) -> &str {
    let value = value.trim_ascii();
    match value.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("bearer ") => {
            value.get(7..).unwrap_or_default().trim_ascii()
        }
        _ if value.eq_ignore_ascii_case("bearer") => "",
        _ => value,
    }
}
