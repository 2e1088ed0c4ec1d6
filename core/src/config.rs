//! The keeper's options, validated once by [`Config::validate`]. Drivers fill them (from a
//! JavaScript object, a Rust builder, JSON) and only convert types; every range check is here.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use crate::schedule::Policy;
use crate::{Error, ErrorKind};

/// The double-submit CSRF settings (`csrf` option).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csrf {
    /// Request header sent on refresh and logout. Default `X-CSRF-Token`.
    pub header_name: String,
    /// Readable cookie holding the value. Default `csrf_token`.
    pub cookie_name: String,
    /// Login/refresh JSON field holding the value, used when the cookie is not readable.
    /// Default `csrf_token`.
    pub response_field: String,
}

impl Default for Csrf {
    fn default() -> Self {
        Csrf {
            header_name: "X-CSRF-Token".into(),
            cookie_name: "csrf_token".into(),
            response_field: "csrf_token".into(),
        }
    }
}

/// Backoff for transient refresh failures (`retry` option).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retry {
    /// Further attempts after the first failure. Default 3.
    pub attempts: u32,
    /// First backoff delay. Default 250 ms.
    pub base_delay: Duration,
    /// Largest backoff delay. Default 5 s.
    pub max_delay: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 3,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(5),
        }
    }
}

/// The names of the options in JavaScript (and in JSON), in the order
/// [`Config::from_parsed`] numbers them; any other name is refused.
pub const OPTIONS: [&str; 18] = [
    "refreshUrl",
    "loginUrl",
    "logoutUrl",
    "tokenField",
    "refreshLeadMs",
    "refreshLeadRatio",
    "jitterRatio",
    "allowedOrigins",
    "csrf",
    "timeoutMs",
    "retry",
    "crossTab",
    "channelName",
    "sendAccessTokenOnRefresh",
    "tokenHeader",
    "dpop",
    "refreshMethod",
    "refreshAfterLogin",
];

/// The names inside the `csrf` option, in the order of [`Csrf`]'s fields.
pub const CSRF_OPTIONS: [&str; 3] = ["headerName", "cookieName", "responseField"];

/// The names inside the `retry` option, in the order of [`Retry`]'s fields.
pub const RETRY_OPTIONS: [&str; 3] = ["attempts", "baseDelayMs", "maxDelayMs"];

/// Validated options. URLs are as given; the keeper resolves relative ones against the page.
/// Made by [`Config::new`] (then fields set), the Rust crate's builder, [`Config::from_parsed`] or
/// serde: `#[non_exhaustive]`, so a new option is never a breaking change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Config {
    /// POSTed with credentials to get a new access token.
    pub refresh_url: String,
    /// POSTed with JSON credentials by `login`.
    pub login_url: Option<String>,
    /// POSTed by `logout`.
    pub logout_url: Option<String>,
    /// JSON field holding the access token. Default `access_token`.
    pub token_field: String,
    /// When to refresh.
    pub policy: Policy,
    /// Origins that receive the bearer; `None` means the page's and the configured URLs'.
    pub allowed_origins: Option<Vec<String>>,
    /// CSRF settings; `None` disables the header.
    pub csrf: Option<Csrf>,
    /// Limit for each auth call.
    pub timeout: Duration,
    /// Backoff for transient refresh failures.
    pub retry: Retry,
    /// Coordinate tabs of the same origin.
    pub cross_tab: bool,
    /// Lock and channel name; `None` (the default) derives it from the session, so keepers of
    /// different backends on one origin keep apart ([`crate::Keeper::channel_name`]).
    pub channel_name: Option<String>,
    /// The reissue flow: the refresh call carries the last access token, expired or not, as
    /// `Authorization: Bearer`, so the server can check it belongs to the refresh cookie's user.
    pub send_access_token_on_refresh: bool,
    /// A response header of the login and refresh answers holding the access token
    /// (`Bearer <token>` or the bare token), used when the JSON body has none.
    pub token_header: Option<String>,
    /// Sender-constrained tokens (RFC 9449): every auth call and every request that carries the
    /// token goes with a DPoP proof signed by this tab's own key, and the token as
    /// `Authorization: DPoP …`. Tabs then share the refresh lock but not tokens.
    pub dpop: bool,
    /// The method of refresh calls: `POST` (the default), or `GET` for token endpoints that
    /// take only that (a session-cookie backend's `/token`). With `dpop`, its proof names it.
    pub refresh_method: RefreshMethod,
    /// The login answer carries no token (a session-cookie backend's sign-in sets its cookie and
    /// answers the user): `login` succeeds when the server accepts the credentials (2xx), then
    /// refreshes to get the token, and settles with that refresh.
    pub refresh_after_login: bool,
}

/// The HTTP method of refresh calls (`refreshMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefreshMethod {
    /// `POST`, the default.
    #[default]
    Post,
    /// `GET`.
    Get,
}

impl RefreshMethod {
    /// `"POST"` or `"GET"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RefreshMethod::Post => "POST",
            RefreshMethod::Get => "GET",
        }
    }
}

impl Config {
    /// The defaults, with the one required option.
    pub fn new(refresh_url: impl Into<String>) -> Config {
        Config {
            refresh_url: refresh_url.into(),
            login_url: None,
            logout_url: None,
            token_field: "access_token".into(),
            policy: Policy::default(),
            allowed_origins: None,
            csrf: Some(Csrf::default()),
            timeout: Duration::from_secs(10),
            retry: Retry::default(),
            cross_tab: true,
            channel_name: None,
            send_access_token_on_refresh: false,
            token_header: None,
            dpop: false,
            refresh_method: RefreshMethod::Post,
            refresh_after_login: false,
        }
    }

    /// The name of the tabs' refresh lock and channel for `session` (`refreshUrl` resolved):
    /// `channelName` when given, else `token-keeper:` and the session, so that keepers of
    /// different backends on one origin keep apart while every tab of one app (JavaScript or
    /// Rust) meets on it.
    pub fn channel_name_for(&self, session: &str) -> String {
        match &self.channel_name {
            Some(name) => name.clone(),
            None => {
                let mut name = String::from("token-keeper:");
                name.push_str(session);
                name
            }
        }
    }

    /// Checks every option.
    ///
    /// # Errors
    ///
    /// A `config` error naming the first option that is empty or out of range.
    pub fn validate(self) -> Result<Config, Error> {
        match self.problem() {
            Some((option, problem)) => Err(config_error(option, problem)),
            None => Ok(self),
        }
    }

    /// The first option that is empty, out of range or combined with one it excludes: its
    /// JavaScript name and what is wrong with it, for a driver that words it in its own terms
    /// (the Rust builder names its methods). `None` when every option is good.
    pub fn problem(&self) -> Option<(&'static str, &'static str)> {
        let c = self;
        let non_empty = [
            ("refreshUrl", Some(&c.refresh_url)),
            ("loginUrl", c.login_url.as_ref()),
            ("logoutUrl", c.logout_url.as_ref()),
            ("tokenField", Some(&c.token_field)),
            ("channelName", c.channel_name.as_ref()),
        ];
        for (name, value) in non_empty {
            if value.is_some_and(|v| v.trim_ascii().is_empty()) {
                return Some((name, "must not be empty"));
            }
        }
        if c.token_header
            .as_ref()
            .is_some_and(|h| h.is_empty() || !h.bytes().all(is_header_name_byte))
        {
            return Some(("tokenHeader", "must be a header name"));
        }
        if c.dpop && c.send_access_token_on_refresh {
            // The reissue flow would present a token bound to a key the server may no longer
            // hold the family to: the two are not combined.
            return Some(("dpop", "cannot be combined with sendAccessTokenOnRefresh"));
        }
        if let Some(csrf) = &c.csrf {
            if csrf.header_name.is_empty() || csrf.cookie_name.is_empty() {
                return Some(("csrf", "names must not be empty"));
            }
        }
        let p = c.policy;
        if p.lead.is_zero() {
            return Some(("refreshLeadMs", "must be a positive number"));
        }
        if !(p.lead_ratio > 0.0 && p.lead_ratio < 1.0) {
            return Some(("refreshLeadRatio", "must be above 0 and below 1"));
        }
        if !(p.jitter_ratio >= 0.0 && p.jitter_ratio < 1.0) {
            return Some(("jitterRatio", "must be at least 0 and below 1"));
        }
        if c.timeout.is_zero() {
            return Some(("timeoutMs", "must be a positive number"));
        }
        if c.retry.base_delay > c.retry.max_delay {
            return Some(("retry", "baseDelayMs must not exceed maxDelayMs"));
        }
        None
    }
}

/// An option given in milliseconds (`refreshLeadMs`, `timeoutMs`, `retry.baseDelayMs`…), named
/// `key`: a duration from 0 to 10^12 ms, rounded to the millisecond.
///
/// # Errors
///
/// A `config` error naming `key` when `ms` is out of that range (or not a number).
pub fn millis(key: &str, ms: f64) -> Result<Duration, Error> {
    if !(0.0..=1.0e12).contains(&ms) {
        return Err(config_error(
            key,
            "must be between 0 and 10^12 milliseconds",
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(Duration::from_millis((ms + 0.5) as u64))
}

/// `retry.attempts`: a whole number from 0 to 100.
///
/// # Errors
///
/// A `config` error naming `retry.attempts` otherwise.
pub fn attempts(n: f64) -> Result<u32, Error> {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let whole = n as u32;
    if (0.0..=100.0).contains(&n) && n == f64::from(whole) {
        Ok(whole)
    } else {
        Err(config_error(
            "retry.attempts",
            "must be a whole number from 0 to 100",
        ))
    }
}

impl RefreshMethod {
    /// The `refreshMethod` option's value.
    ///
    /// # Errors
    ///
    /// A `config` error unless `method` is `"POST"` or `"GET"`.
    pub fn from_option(method: &str) -> Result<RefreshMethod, Error> {
        match method {
            "POST" => Ok(RefreshMethod::Post),
            "GET" => Ok(RefreshMethod::Get),
            _ => Err(config_error("refreshMethod", "must be \"POST\" or \"GET\"")),
        }
    }
}

/// A byte of an HTTP header name (RFC 9110 `tchar`).
fn is_header_name_byte(b: u8) -> bool {
    // A match, not a slice's `contains`: that links a 380-byte search into the wasm.
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

/// A `config` error for option `name`.
pub fn config_error(name: &str, problem: &str) -> Error {
    let mut message = String::from("option `");
    message.push_str(name);
    message.push_str("` ");
    message.push_str(problem);
    Error::new(ErrorKind::Config, message)
}
