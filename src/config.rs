//! Options: from JavaScript (one flat object) or from Rust (a builder). The core's
//! [`Config::validate`] holds every check; the readers here only convert types and name the option
//! that has the wrong one. Unknown option names are refused, so a typo such as `refreshURL` is an
//! error rather than a silently ignored setting.

use std::time::Duration;

pub use token_keeper_core::config::{config_error, Config, Csrf, RefreshMethod, Retry};
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

    /// `loginUrl`.
    pub fn login_url(mut self, url: impl Into<String>) -> Self {
        self.config.login_url = Some(url.into());
        self
    }

    /// `logoutUrl`.
    pub fn logout_url(mut self, url: impl Into<String>) -> Self {
        self.config.logout_url = Some(url.into());
        self
    }

    /// `tokenField`.
    pub fn token_field(mut self, field: impl Into<String>) -> Self {
        self.config.token_field = field.into();
        self
    }

    /// `refreshLeadMs`.
    pub fn refresh_lead(mut self, lead: Duration) -> Self {
        self.config.policy.lead_ms = lead.as_secs_f64() * 1000.0;
        self
    }

    /// `refreshLeadRatio`, in `(0, 1)`.
    pub fn refresh_lead_ratio(mut self, ratio: f64) -> Self {
        self.config.policy.lead_ratio = ratio;
        self
    }

    /// `jitterRatio`, in `[0, 1)`.
    pub fn jitter_ratio(mut self, ratio: f64) -> Self {
        self.config.policy.jitter_ratio = ratio;
        self
    }

    /// `allowedOrigins`: exactly these origins receive the bearer.
    pub fn allowed_origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.config.allowed_origins = Some(origins.into_iter().map(Into::into).collect());
        self
    }

    /// `csrf`: `None` disables the header.
    pub fn csrf(mut self, csrf: Option<Csrf>) -> Self {
        self.config.csrf = csrf;
        self
    }

    /// `timeoutMs`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout = timeout;
        self
    }

    /// `retry`.
    pub fn retry(mut self, retry: Retry) -> Self {
        self.config.retry = retry;
        self
    }

    /// `crossTab`.
    pub fn cross_tab(mut self, on: bool) -> Self {
        self.config.cross_tab = on;
        self
    }

    /// `channelName` (default: derived from the resolved `refreshUrl`, so keepers of
    /// different backends on one origin keep apart).
    pub fn channel_name(mut self, name: impl Into<String>) -> Self {
        self.config.channel_name = Some(name.into());
        self
    }

    /// `sendAccessTokenOnRefresh`: the refresh call carries the last access token (expired or
    /// not) as `Authorization: Bearer`, for servers that bind the refresh to the token's user.
    pub fn send_access_token_on_refresh(mut self, on: bool) -> Self {
        self.config.send_access_token_on_refresh = on;
        self
    }

    /// `tokenHeader`: take the access token from this response header of the login and refresh
    /// answers when their JSON body has none (`Bearer <token>` or the bare token).
    pub fn token_header(mut self, name: impl Into<String>) -> Self {
        self.config.token_header = Some(name.into());
        self
    }

    /// `refreshMethod`: `GET` for a token endpoint that takes only that (a session-cookie
    /// backend's); `POST` by default.
    pub fn refresh_method(mut self, method: RefreshMethod) -> Self {
        self.config.refresh_method = method;
        self
    }

    /// `refreshAfterLogin`: the login answer carries no token (a session-cookie backend's
    /// sign-in): `login` succeeds when the server accepts the credentials, then refreshes for
    /// the token and settles with that refresh.
    pub fn refresh_after_login(mut self, on: bool) -> Self {
        self.config.refresh_after_login = on;
        self
    }

    /// `dpop`: sender-constrained tokens (RFC 9449). The keeper makes a non-extractable P-256
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
    /// A `config` error naming the first option that is empty or out of range.
    pub fn build_config(self) -> Result<Config, Error> {
        self.config.validate()
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "config_tests.rs"]
mod tests;
