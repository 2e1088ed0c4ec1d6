//! The one error type. JavaScript receives it as an `Error` whose `name` is `"TokenKeeperError"`
//! and whose `code` is one of the stable codes of [`ErrorKind::code`].

use core::fmt;

use crate::jwt::JwtError;

/// What went wrong, as a stable code a program can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An option is missing, of the wrong type or out of range.
    Config,
    /// The request did not reach the server, or no answer came back.
    Network,
    /// An auth call took longer than `timeoutMs`.
    Timeout,
    /// The server answered an auth call with an unexpected status.
    Http,
    /// A token (or the response meant to carry one) could not be decoded.
    InvalidToken,
    /// The call needs a signed-in keeper and there is no token.
    Unauthenticated,
    /// The server refused the refresh token: the session is over.
    Rejected,
    /// The call was aborted by its caller or by `dispose()`.
    Aborted,
}

impl ErrorKind {
    /// The stable code JavaScript sees as `error.code`.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Config => "config",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Http => "http",
            ErrorKind::InvalidToken => "invalid_token",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Aborted => "aborted",
        }
    }
}

/// An error of token-keeper. Its message never contains a token, a cookie or a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    status: Option<u16>,
    message: String,
}

impl Error {
    /// An error of `kind` with a lowercase `message` that holds no secret.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            status: None,
            message: message.into(),
        }
    }

    /// An [`ErrorKind::Http`] error for an unexpected `status`.
    pub fn http(status: u16, message: impl Into<String>) -> Self {
        Error {
            status: Some(status),
            ..Error::new(ErrorKind::Http, message)
        }
    }

    /// Changes what went wrong, keeping message and status.
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn set_kind(&mut self, kind: ErrorKind) {
        self.kind = kind;
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable code, as JavaScript sees it.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The HTTP status, for errors caused by one.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// The human-readable message, without the code.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(target_arch = "wasm32")]
impl Error {
    /// The JavaScript `Error` the package documents: `name` `"TokenKeeperError"`, `code`, and
    /// `status` when there is one.
    pub fn to_js(&self) -> wasm_bindgen::JsValue {
        use js_sys::Reflect;
        let js = js_sys::Error::new(self.message());
        js.set_name("TokenKeeperError");
        // Setting a property on a fresh Error object cannot fail.
        let _ = Reflect::set(&js, &"code".into(), &self.code().into());
        if let Some(status) = self.status {
            let _ = Reflect::set(&js, &"status".into(), &status.into());
        }
        js.into()
    }

    /// Any JavaScript value as an error, never failing: a `TokenKeeperError` keeps its code and
    /// status; another `Error` or a string becomes `network` with its message; anything else a
    /// fixed message.
    pub fn from_js(value: &wasm_bindgen::JsValue) -> Error {
        use wasm_bindgen::JsCast;
        let field = |name: &str| js_sys::Reflect::get(value, &name.into()).ok();
        let message = match value.dyn_ref::<js_sys::Error>() {
            Some(e) => String::from(e.message()),
            None => value
                .as_string()
                .unwrap_or_else(|| "an unknown javascript error".into()),
        };
        let code = field("code").and_then(|c| c.as_string());
        let kind = ALL_KINDS
            .iter()
            .copied()
            .find(|k| code.as_deref() == Some(k.code()))
            .unwrap_or(ErrorKind::Network);
        Error {
            kind,
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            status: field("status").and_then(|s| s.as_f64()).map(|s| s as u16),
            message,
        }
    }
}

#[cfg(target_arch = "wasm32")]
const ALL_KINDS: [ErrorKind; 8] = [
    ErrorKind::Config,
    ErrorKind::Network,
    ErrorKind::Timeout,
    ErrorKind::Http,
    ErrorKind::InvalidToken,
    ErrorKind::Unauthenticated,
    ErrorKind::Rejected,
    ErrorKind::Aborted,
];

impl From<JwtError> for Error {
    fn from(err: JwtError) -> Self {
        Error::new(ErrorKind::InvalidToken, err.to_string())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable() {
        let all = [
            (ErrorKind::Config, "config"),
            (ErrorKind::Network, "network"),
            (ErrorKind::Timeout, "timeout"),
            (ErrorKind::Http, "http"),
            (ErrorKind::InvalidToken, "invalid_token"),
            (ErrorKind::Unauthenticated, "unauthenticated"),
            (ErrorKind::Rejected, "rejected"),
            (ErrorKind::Aborted, "aborted"),
        ];
        for (kind, code) in all {
            assert_eq!(kind.code(), code);
        }
    }

    #[test]
    fn a_jwt_error_becomes_invalid_token_with_its_message() {
        let err = Error::from(JwtError::Segments { found: 2 });
        assert_eq!(err.code(), "invalid_token");
        assert_eq!(err.status(), None);
        assert!(err.to_string().contains("3 dot-separated segments"));
        assert_eq!(Error::http(503, "refresh failed").status(), Some(503));
    }
}
