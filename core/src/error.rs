//! The one error type, for Rust and JavaScript alike: what went wrong as an [`ErrorKind`] with a
//! stable code ([`ErrorKind::code`]; JavaScript gets it as a `TokenKeeperError`'s `code`), the
//! HTTP status where one caused it, and a message that holds no secret.

use alloc::string::String;
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
    /// An auth call took longer than the configured timeout.
    Timeout,
    /// The server answered an auth call with an unexpected status.
    Http,
    /// A token (or the response meant to carry one) could not be decoded.
    InvalidToken,
    /// The call needs a signed-in keeper and there is no token.
    Unauthenticated,
    /// The server refused the refresh token: the session is over.
    Rejected,
    /// The call was aborted by its caller, replaced by a later login or logout, or cut short by
    /// `dispose`.
    Aborted,
    /// The server refused a refresh's CSRF header (a 403 that does not say the refresh token is
    /// dead): an error of that call, not the end of the session.
    Csrf,
}

impl ErrorKind {
    /// Every kind.
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Config,
        ErrorKind::Network,
        ErrorKind::Timeout,
        ErrorKind::Http,
        ErrorKind::InvalidToken,
        ErrorKind::Unauthenticated,
        ErrorKind::Rejected,
        ErrorKind::Aborted,
        ErrorKind::Csrf,
    ];

    /// The stable code: `"config"`, `"network"`, `"timeout"`, `"http"`, `"invalid_token"`,
    /// `"unauthenticated"`, `"rejected"`, `"aborted"` or `"csrf"` (JavaScript's `error.code`).
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
            ErrorKind::Csrf => "csrf",
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
    /// An error of `kind` with a lowercase `message` that holds no secret. For the drivers.
    #[doc(hidden)]
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            status: None,
            message: message.into(),
        }
    }

    /// An [`ErrorKind::Http`] error for an unexpected `status`. For the drivers.
    #[doc(hidden)]
    pub fn http(status: u16, message: impl Into<String>) -> Self {
        Error {
            status: Some(status),
            ..Error::new(ErrorKind::Http, message)
        }
    }

    /// The same error with another kind, keeping message and status.
    pub(crate) fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable code of its kind ([`ErrorKind::code`]).
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

impl core::error::Error for Error {}

impl From<JwtError> for Error {
    fn from(err: JwtError) -> Self {
        Error::new(ErrorKind::InvalidToken, err.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

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
            (ErrorKind::Csrf, "csrf"),
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
