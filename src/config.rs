//! Options: from JavaScript (one flat object) or from Rust (a builder). The core's
//! [`Config::validate`] holds every check; the readers here only convert types and name the option
//! that has the wrong one. Unknown option names are refused, so a typo such as `refreshURL` is an
//! error rather than a silently ignored setting.

use std::time::Duration;

pub use token_keeper_core::config::{config_error, Config, Csrf, Retry};
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

#[cfg(all(target_arch = "wasm32", feature = "js"))]
pub(crate) use from_js::from_js;

#[cfg(all(target_arch = "wasm32", feature = "js"))]
mod from_js {
    use std::time::Duration;

    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    use token_keeper_core::config::{CSRF_OPTIONS, OPTIONS, RETRY_OPTIONS};

    use super::{config_error, Builder, Config, Csrf, Retry};
    use crate::Error;

    /// Reads the options object JavaScript passed to `new TokenKeeper(options)`.
    pub(crate) fn from_js(options: &JsValue) -> Result<Config, Error> {
        if !options.is_object() {
            return Err(config_error("options", "must be an object with refreshUrl"));
        }
        check_keys(options, &OPTIONS, "")?;
        let Some(refresh_url) = string(options, "refreshUrl")? else {
            return Err(config_error("refreshUrl", "is required"));
        };
        let mut b = Builder::new(refresh_url);
        if let Some(v) = string(options, "loginUrl")? {
            b = b.login_url(v);
        }
        if let Some(v) = string(options, "logoutUrl")? {
            b = b.logout_url(v);
        }
        if let Some(v) = string(options, "tokenField")? {
            b = b.token_field(v);
        }
        if let Some(v) = number(options, "refreshLeadMs")? {
            b = b.refresh_lead(millis("refreshLeadMs", v)?);
        }
        if let Some(v) = number(options, "refreshLeadRatio")? {
            b = b.refresh_lead_ratio(v);
        }
        if let Some(v) = number(options, "jitterRatio")? {
            b = b.jitter_ratio(v);
        }
        if let Some(v) = number(options, "timeoutMs")? {
            b = b.timeout(millis("timeoutMs", v)?);
        }
        if let Some(v) = boolean(options, "crossTab")? {
            b = b.cross_tab(v);
        }
        if let Some(v) = string(options, "channelName")? {
            b = b.channel_name(v);
        }
        if let Some(v) = boolean(options, "sendAccessTokenOnRefresh")? {
            b = b.send_access_token_on_refresh(v);
        }
        if let Some(v) = string(options, "tokenHeader")? {
            b = b.token_header(v);
        }
        if let Some(v) = boolean(options, "dpop")? {
            b = b.dpop(v);
        }
        let origins = get(options, "allowedOrigins");
        if !origins.is_undefined() {
            if !Array::is_array(&origins) {
                return Err(config_error(
                    "allowedOrigins",
                    "must be an array of strings",
                ));
            }
            let list = Array::from(&origins)
                .iter()
                .map(|o| o.as_string())
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| config_error("allowedOrigins", "must be an array of strings"))?;
            b = b.allowed_origins(list);
        }
        let csrf = get(options, "csrf");
        if csrf == JsValue::FALSE {
            b = b.csrf(None);
        } else if csrf.is_object() {
            check_keys(&csrf, &CSRF_OPTIONS, "csrf.")?;
            let d = Csrf::default();
            b = b.csrf(Some(Csrf {
                header_name: string(&csrf, "headerName")?.unwrap_or(d.header_name),
                cookie_name: string(&csrf, "cookieName")?.unwrap_or(d.cookie_name),
                response_field: string(&csrf, "responseField")?.unwrap_or(d.response_field),
            }));
        } else if !csrf.is_undefined() {
            return Err(config_error("csrf", "must be false or an object"));
        }
        let retry = get(options, "retry");
        if retry.is_object() {
            check_keys(&retry, &RETRY_OPTIONS, "retry.")?;
            let d = Retry::default();
            let attempts = match number(&retry, "attempts")? {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Some(n) if (0.0..=100.0).contains(&n) && n.fract() == 0.0 => n as u32,
                Some(_) => {
                    return Err(config_error(
                        "retry.attempts",
                        "must be a whole number from 0 to 100",
                    ))
                }
                None => d.attempts,
            };
            let base = number(&retry, "baseDelayMs")?;
            let max = number(&retry, "maxDelayMs")?;
            b = b.retry(Retry {
                attempts,
                base_delay: base.map_or(Ok(d.base_delay), |v| millis("retry.baseDelayMs", v))?,
                max_delay: max.map_or(Ok(d.max_delay), |v| millis("retry.maxDelayMs", v))?,
            });
        } else if !retry.is_undefined() {
            return Err(config_error("retry", "must be an object"));
        }
        b.build_config()
    }

    fn get(object: &JsValue, key: &str) -> JsValue {
        Reflect::get(object, &key.into()).unwrap_or(JsValue::UNDEFINED)
    }

    fn check_keys(object: &JsValue, known: &[&str], prefix: &str) -> Result<(), Error> {
        let Some(object) = object.dyn_ref::<Object>() else {
            return Ok(());
        };
        for key in Object::keys(object).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                return Err(config_error(
                    &format!("{prefix}{key}"),
                    "is not an option of TokenKeeper",
                ));
            }
        }
        Ok(())
    }

    fn string(object: &JsValue, key: &str) -> Result<Option<String>, Error> {
        let v = get(object, key);
        if v.is_undefined() {
            return Ok(None);
        }
        v.as_string()
            .map(Some)
            .ok_or_else(|| config_error(key, "must be a string"))
    }

    fn number(object: &JsValue, key: &str) -> Result<Option<f64>, Error> {
        let v = get(object, key);
        if v.is_undefined() {
            return Ok(None);
        }
        match v.as_f64() {
            Some(n) if n.is_finite() => Ok(Some(n)),
            _ => Err(config_error(key, "must be a finite number")),
        }
    }

    fn boolean(object: &JsValue, key: &str) -> Result<Option<bool>, Error> {
        let v = get(object, key);
        if v.is_undefined() {
            return Ok(None);
        }
        v.as_bool()
            .map(Some)
            .ok_or_else(|| config_error(key, "must be a boolean"))
    }

    fn millis(key: &str, ms: f64) -> Result<Duration, Error> {
        if !(0.0..=1.0e12).contains(&ms) {
            return Err(config_error(
                key,
                "must be between 0 and 10^12 milliseconds",
            ));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(Duration::from_millis(ms.round() as u64))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
#[path = "config_tests.rs"]
mod tests;
