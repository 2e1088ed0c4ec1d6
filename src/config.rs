//! Options: a [`Builder`] (what [`TokenKeeper::builder`](crate::TokenKeeper::builder) returns),
//! or a [`Config`] read with serde under the JavaScript API's names (`refreshUrl`, `timeoutMs`…:
//! the settings a JavaScript app of the same backend uses). The core's checks hold for both;
//! unknown names are refused, so a typo such as `refreshURL` is an error rather than a silently
//! ignored setting.

use std::time::Duration;

pub use token_keeper_core::config::{Config, Csrf, RefreshMethod, Retry};
#[cfg(all(test, not(target_arch = "wasm32")))]
use token_keeper_core::schedule::Policy;

use crate::Error;

/// Builds a [`Config`]; setters never fail, [`Builder::build_config`] (or `build`, which also
/// starts the keeper) reports the first problem.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until build() is called"]
pub struct Builder {
    config: Config,
}

impl Builder {
    /// Starts from the defaults with the one required option.
    pub fn new(refresh_url: impl Into<String>) -> Self {
        Builder {
            config: Config::new(refresh_url),
        }
    }

    /// Where [`TokenKeeper::login`](crate::TokenKeeper::login) POSTs the credentials (JSON);
    /// relative to the page. Without it, `login` fails with a `config` error.
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.config.login_url = Some(url.into());
        self
    }

    /// Where [`TokenKeeper::logout`](crate::TokenKeeper::logout) POSTs to end the session on
    /// the server; relative to the page. Without it, `logout` only forgets the token.
    pub fn logout_url(mut self, url: impl Into<String>) -> Self {
        self.config.logout_url = Some(url.into());
        self
    }

    /// The member of the login and refresh answers' JSON that holds the access token
    /// (default `access_token`; `token` for better-auth, `access` for SimpleJWT).
    pub fn token_field(mut self, field: impl Into<String>) -> Self {
        self.config.token_field = field.into();
        self
    }

    /// Refresh when at most this much of the token's lifetime remains (default one minute),
    /// capped by [`refresh_lead_ratio`](Self::refresh_lead_ratio). Not zero.
    pub fn refresh_lead(mut self, lead: Duration) -> Self {
        self.config.policy.lead = lead;
        self
    }

    /// The lead as at most this fraction of the token's lifetime (default 0.25), so a short
    /// token never refreshes in a loop. Above 0 and below 1.
    pub fn refresh_lead_ratio(mut self, ratio: f64) -> Self {
        self.config.policy.lead_ratio = ratio;
        self
    }

    /// A random spread of the refresh moment, as a fraction of the lead (default 0.1), so
    /// many clients do not refresh at once. At least 0 and below 1.
    pub fn jitter_ratio(mut self, ratio: f64) -> Self {
        self.config.policy.jitter_ratio = ratio;
        self
    }

    /// Exactly these origins (`https://api.example.com`) receive the token; requests to any
    /// other go out untouched. Default: the page's origin and those of the configured URLs.
    pub fn allowed_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.allowed_origins = Some(origins.into_iter().map(Into::into).collect());
        self
    }

    /// The CSRF header of the auth calls (double submit: the readable cookie's value, or the
    /// last answer's field); [`Csrf::default`] is `X-CSRF-Token` from `csrf_token`. `None`
    /// sends none.
    pub fn csrf(mut self, csrf: Option<Csrf>) -> Self {
        self.config.csrf = csrf;
        self
    }

    /// The limit for each auth call, headers and body together (default 10 s). Not zero.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// How transient refresh failures (network, timeout, 5xx, 429) are retried: see
    /// [`Retry`].
    pub fn retry(mut self, retry: Retry) -> Self {
        self.config.retry = retry;
        self
    }

    /// Whether tabs of the origin take turns refreshing and share tokens (Web Locks and
    /// `BroadcastChannel`, where the browser has them). Default `true`.
    pub fn cross_tab(mut self, on: bool) -> Self {
        self.config.cross_tab = on;
        self
    }

    /// The name of the tabs' lock and channel. Default: derived from the resolved refresh URL,
    /// so keepers of different backends on one origin keep apart, and a JavaScript tab of the
    /// same app meets this one.
    pub fn channel_name(mut self, name: impl Into<String>) -> Self {
        self.config.channel_name = Some(name.into());
        self
    }

    /// The refresh call carries the last access token (expired or
    /// not) as `Authorization: Bearer`, for servers that bind the refresh to the token's user.
    pub fn send_access_token_on_refresh(mut self, on: bool) -> Self {
        self.config.send_access_token_on_refresh = on;
        self
    }

    /// Take the access token from this response header of the login and refresh
    /// answers when their JSON body has none (`Bearer <token>` or the bare token).
    pub fn token_header(mut self, name: impl Into<String>) -> Self {
        self.config.token_header = Some(name.into());
        self
    }

    /// [`RefreshMethod::Get`] for a token endpoint that takes only that (a session-cookie
    /// backend's); `POST` by default.
    pub fn refresh_method(mut self, method: RefreshMethod) -> Self {
        self.config.refresh_method = method;
        self
    }

    /// The login answer carries no token (a session-cookie backend's
    /// sign-in): `login` succeeds when the server accepts the credentials, then refreshes for
    /// the token and settles with that refresh.
    pub fn refresh_after_login(mut self, on: bool) -> Self {
        self.config.refresh_after_login = on;
        self
    }

    /// Sender-constrained tokens (RFC 9449). The keeper makes a non-extractable P-256
    /// key for itself with WebCrypto, in memory only, and every auth call and every request
    /// carrying the token goes with a proof signed by it, the token as `Authorization: DPoP …`.
    /// Tabs then share the refresh lock but not tokens. Not with `send_access_token_on_refresh`.
    pub fn dpop(mut self, on: bool) -> Self {
        self.config.dpop = on;
        self
    }

    /// Checks every option.
    ///
    /// # Errors
    ///
    /// A `config` error naming the builder method whose value is empty or out of range (or two
    /// that cannot be combined): ``builder: `timeout` must not be zero``.
    pub fn build_config(self) -> Result<Config, Error> {
        match self.config.problem() {
            None => Ok(self.config),
            Some(problem) => Err(builder_error(problem)),
        }
    }
}

/// The core names the JavaScript option; the builder's error names its own method.
fn builder_error((option, problem): (&str, &'static str)) -> Error {
    let (method, problem) = match option {
        "refreshUrl" => ("TokenKeeper::builder(refresh_url)", problem),
        "loginUrl" => ("login_url", problem),
        "logoutUrl" => ("logout_url", problem),
        "tokenField" => ("token_field", problem),
        "channelName" => ("channel_name", problem),
        "tokenHeader" => ("token_header", problem),
        "csrf" => ("csrf", "header and cookie names must not be empty"),
        "dpop" => (
            "dpop",
            "cannot be combined with send_access_token_on_refresh",
        ),
        "refreshLeadMs" => ("refresh_lead", "must not be zero"),
        "refreshLeadRatio" => ("refresh_lead_ratio", problem),
        "jitterRatio" => ("jitter_ratio", problem),
        "timeoutMs" => ("timeout", "must not be zero"),
        "retry" => ("retry", "base_delay must not exceed max_delay"),
        other => (other, problem),
    };
    Error::new(
        crate::ErrorKind::Config,
        format!("builder: `{method}` {problem}"),
    )
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "config_tests.rs"]
mod tests;
