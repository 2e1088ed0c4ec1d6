//! What a login or refresh answer grants: the token (from the JSON body's `tokenField`, or the
//! `tokenHeader`), its `expires_in`, the CSRF value, and with `dpop` its `token_type` checked.

use alloc::string::String;
use alloc::vec::Vec;

use super::Keeper;
use crate::json::{self, Value};
use crate::{Error, ErrorKind};

/// What a successful login or refresh answer carried.
pub(super) struct Grant {
    pub(super) token: String,
    pub(super) expires_in_s: Option<f64>,
    pub(super) csrf: Option<String>,
}

impl Keeper {
    pub(super) fn grant(&self, body: &str, header: Option<String>) -> Result<Grant, Error> {
        let csrf_field = self
            .config
            .csrf
            .as_ref()
            .map_or("", |c| c.response_field.as_str());
        let wanted = [
            self.config.token_field.as_str(),
            "expires_in",
            csrf_field,
            "token_type",
        ];
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
        let values = match json::fields(self.env.json, body, &wanted) {
            Ok(Some(values)) => values,
            // A token in the header needs no JSON body.
            _ if header.is_some() => Vec::new(),
            _ => return Err(not_object()),
        };
        let mut values = values.into_iter();
        let (token, expires_in, csrf) = (values.next(), values.next(), values.next());
        // RFC 9449 §5: with `dpop`, a token the server says is of another type (a plain bearer)
        // is not bound to the key and would be sent as if it were: refused.
        if let (true, Some(Some(Value::Str(kind)))) = (self.dpop.is_some(), values.next()) {
            if !kind.eq_ignore_ascii_case("dpop") {
                return Err(Error::new(
                    ErrorKind::InvalidToken,
                    "the auth server issued a token that is not a dpop token (token_type)",
                ));
            }
        }
        let token = match (token, header) {
            (Some(Some(Value::Str(token))), _) => token,
            (_, Some(token)) => String::from(token),
            _ => {
                let mut message = String::from("the auth answer has no string field `");
                message.push_str(&self.config.token_field);
                message.push('`');
                if let Some(name) = &self.config.token_header {
                    message.push_str(" nor a header `");
                    message.push_str(name);
                    message.push('`');
                }
                return Err(Error::new(ErrorKind::InvalidToken, message));
            }
        };
        let expires_in_s = match expires_in {
            Some(Some(Value::Num(n))) if n.is_finite() && n >= 0.0 => Some(n),
            _ => None,
        };
        let csrf = match csrf {
            Some(Some(Value::Str(v))) if !csrf_field.is_empty() && !v.is_empty() => Some(v),
            _ => None,
        };
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
