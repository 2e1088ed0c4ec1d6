//! The options as JSON text: what `new TokenKeeper(options)` passes through `JSON.stringify`, and
//! what a Rust app may keep in a settings file. The camelCase names of the JavaScript API; an
//! unknown name, a wrong type or a value out of range is a `config` error naming the option.
//!
//! JSON has no `undefined`, `NaN` or functions: `JSON.stringify` drops an `undefined` option (so
//! it counts as not given, as in JavaScript) and writes `NaN` and `Infinity` as `null`, which is
//! refused here as "must be a finite number".

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use crate::config::{config_error, Config, Csrf, Retry};
use crate::json::{entries, Value};
use crate::Error;

/// The names `new TokenKeeper(options)` knows.
const OPTIONS: [&str; 13] = [
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
];

impl Config {
    /// Reads and validates options given as a JSON object with the JavaScript API's names.
    ///
    /// # Errors
    ///
    /// A `config` error naming the first option that is unknown, of the wrong type, missing
    /// (`refreshUrl`) or out of range.
    pub fn from_json(json: &str) -> Result<Config, Error> {
        let not_object = || config_error("options", "must be an object with refreshUrl");
        let options = object(json, "", &OPTIONS)?.ok_or_else(not_object)?;
        if !options.iter().any(|(key, _)| key == "refreshUrl") {
            return Err(config_error("refreshUrl", "is required"));
        }
        let mut c = Config::new(String::new());
        // Each option is set in place by one function with one way out: every early return
        // here would carry its own copy of the clean-up of everything alive (wasm bytes).
        for (key, value) in options {
            set(&mut c, &key, value)?;
        }
        c.validate()
    }
}

/// Sets option `key` of `c` to `value`, checking its type.
fn set(c: &mut Config, key: &str, value: Value) -> Result<(), Error> {
    let p = &mut c.policy;
    match key {
        "refreshUrl" => c.refresh_url = string(key, value)?,
        "loginUrl" => c.login_url = Some(string(key, value)?),
        "logoutUrl" => c.logout_url = Some(string(key, value)?),
        "tokenField" => c.token_field = string(key, value)?,
        "channelName" => c.channel_name = string(key, value)?,
        "refreshLeadMs" => p.lead_ms = millis(key, &value)?.as_secs_f64() * 1000.0,
        "refreshLeadRatio" => p.lead_ratio = number(key, &value)?,
        "jitterRatio" => p.jitter_ratio = number(key, &value)?,
        "timeoutMs" => c.timeout = millis(key, &value)?,
        "crossTab" => match value {
            Value::Bool(on) => c.cross_tab = on,
            _ => return Err(config_error(key, "must be a boolean")),
        },
        "allowedOrigins" => match value {
            Value::StrList(list) => c.allowed_origins = Some(list),
            _ => return Err(config_error(key, "must be an array of strings")),
        },
        "csrf" => c.csrf = csrf(value)?,
        _ => c.retry = retry(value)?,
    }
    Ok(())
}

/// The fields of a JSON object whose names are all in `known`; `None` when `json` is JSON but
/// not an object.
fn object(json: &str, prefix: &str, known: &[&str]) -> Result<Option<Vec<(String, Value)>>, Error> {
    let not_json = || config_error("options", "must be JSON-encodable");
    let Some(fields) = entries(json).map_err(|()| not_json())? else {
        return Ok(None);
    };
    if let Some((key, _)) = fields.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        let mut name = String::from(prefix);
        name.push_str(key);
        return Err(config_error(&name, "is not an option of TokenKeeper"));
    }
    Ok(Some(fields))
}

fn string(key: &str, value: Value) -> Result<String, Error> {
    match value {
        Value::Str(s) => Ok(s),
        _ => Err(config_error(key, "must be a string")),
    }
}

fn number(key: &str, value: &Value) -> Result<f64, Error> {
    match value {
        Value::Num(n) if n.is_finite() => Ok(*n),
        _ => Err(config_error(key, "must be a finite number")),
    }
}

fn millis(key: &str, value: &Value) -> Result<Duration, Error> {
    let ms = number(key, value)?;
    if !(0.0..=1.0e12).contains(&ms) {
        return Err(config_error(
            key,
            "must be between 0 and 10^12 milliseconds",
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(Duration::from_millis((ms + 0.5) as u64))
}

fn csrf(value: Value) -> Result<Option<Csrf>, Error> {
    let text = match value {
        Value::Bool(false) => return Ok(None),
        Value::Object(text) => text,
        _ => return Err(config_error("csrf", "must be false or an object")),
    };
    let known = ["headerName", "cookieName", "responseField"];
    let mut csrf = Csrf::default();
    for (key, value) in object(&text, "csrf.", &known)?.unwrap_or_default() {
        let value = string(&key, value)?;
        match key.as_str() {
            "headerName" => csrf.header_name = value,
            "cookieName" => csrf.cookie_name = value,
            _ => csrf.response_field = value,
        }
    }
    Ok(Some(csrf))
}

fn retry(value: Value) -> Result<Retry, Error> {
    let Value::Object(text) = value else {
        return Err(config_error("retry", "must be an object"));
    };
    let known = ["attempts", "baseDelayMs", "maxDelayMs"];
    let mut retry = Retry::default();
    for (key, value) in object(&text, "retry.", &known)?.unwrap_or_default() {
        match key.as_str() {
            "attempts" => match number(&key, &value)? {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                n if (0.0..=100.0).contains(&n) && n == (n as u32) as f64 => {
                    retry.attempts = n as u32;
                }
                _ => {
                    return Err(config_error(
                        "retry.attempts",
                        "must be a whole number from 0 to 100",
                    ))
                }
            },
            "baseDelayMs" => retry.base_delay = millis("retry.baseDelayMs", &value)?,
            _ => retry.max_delay = millis("retry.maxDelayMs", &value)?,
        }
    }
    Ok(retry)
}

#[cfg(test)]
#[path = "config_json_tests.rs"]
mod tests;
