//! The options as a parsed JSON object: what a Rust app keeps in a settings file (JSON, TOML,
//! YAML: read with serde, `config_serde.rs`), with the camelCase names of the JavaScript API; an
//! unknown name, a wrong type or a value out of range is a `config` error naming the option.
//!
//! JSON has no `undefined`, `NaN` or functions: a `NaN` or an infinity written as `null` is
//! refused here as "must be a finite number".

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use crate::config::{
    self, config_error, Config, Csrf, RefreshMethod, Retry, CSRF_OPTIONS, OPTIONS, RETRY_OPTIONS,
};
use crate::parsed::{Members, Parsed, Value};
use crate::Error;

impl Config {
    /// Reads and validates options given as a JSON object with the JavaScript API's names, as
    /// the platform parsed it.
    ///
    /// # Errors
    ///
    /// A `config` error naming the first option that is unknown, of the wrong type, missing
    /// (`refreshUrl`) or out of range.
    pub fn from_parsed(options: Parsed) -> Result<Config, Error> {
        let not_object = || config_error("options", "must be an object with refreshUrl");
        let values = match options {
            Parsed::NotJson => return Err(config_error("options", "must be JSON-encodable")),
            Parsed::NotObject => return Err(not_object()),
            Parsed::Object(members) => known(members, "", &OPTIONS)?,
        };
        if values.first().is_some_and(Option::is_none) {
            return Err(config_error("refreshUrl", "is required"));
        }
        let mut c = Config::new(String::new());
        // Each option is set in place by one function with one way out: every early return
        // here would carry its own copy of the clean-up of everything alive (wasm bytes).
        for (index, value) in values.into_iter().enumerate() {
            if let Some(value) = value {
                set(&mut c, index, value)?;
            }
        }
        c.validate()
    }
}

/// Sets option number `index` (of [`OPTIONS`]) of `c` to `value`, checking its type.
fn set(c: &mut Config, index: usize, value: Value) -> Result<(), Error> {
    let key = OPTIONS.get(index).copied().unwrap_or_default();
    let p = &mut c.policy;
    match index {
        0 => c.refresh_url = string(key, value)?,
        1 => c.login_url = Some(string(key, value)?),
        2 => c.logout_url = Some(string(key, value)?),
        3 => c.token_field = string(key, value)?,
        4 => p.lead = millis(key, &value)?,
        5 => p.lead_ratio = number(key, &value)?,
        6 => p.jitter_ratio = number(key, &value)?,
        7 => match value {
            Value::StrList(list) => c.allowed_origins = Some(list),
            _ => return Err(config_error(key, "must be an array of strings")),
        },
        8 => c.csrf = csrf(value)?,
        9 => c.timeout = millis(key, &value)?,
        10 => c.retry = retry(value)?,
        11 => c.cross_tab = boolean(key, value)?,
        12 => c.channel_name = Some(string(key, value)?),
        13 => c.send_access_token_on_refresh = boolean(key, value)?,
        14 => c.token_header = Some(string(key, value)?),
        15 => c.dpop = boolean(key, value)?,
        17 => c.refresh_after_login = boolean(key, value)?,
        _ => c.refresh_method = RefreshMethod::from_option(&string(key, value)?)?,
    }
    Ok(())
}

/// The values of the members of an object, in the order of `names`, refusing any other name.
fn known(mut members: Members, prefix: &str, names: &[&str]) -> Result<Vec<Option<Value>>, Error> {
    if let Some(key) = members.unknown(names) {
        let mut name = String::from(prefix);
        name.push_str(key);
        return Err(config_error(&name, "is not an option of TokenKeeper"));
    }
    Ok(names.iter().map(|name| members.take(name)).collect())
}

fn string(key: &str, value: Value) -> Result<String, Error> {
    match value {
        Value::Str(s) => Ok(s),
        _ => Err(config_error(key, "must be a string")),
    }
}

fn boolean(key: &str, value: Value) -> Result<bool, Error> {
    match value {
        Value::Bool(on) => Ok(on),
        _ => Err(config_error(key, "must be a boolean")),
    }
}

fn number(key: &str, value: &Value) -> Result<f64, Error> {
    match value {
        Value::Num(n) if n.is_finite() => Ok(*n),
        _ => Err(config_error(key, "must be a finite number")),
    }
}

fn millis(key: &str, value: &Value) -> Result<Duration, Error> {
    config::millis(key, number(key, value)?)
}

/// `csrf`: `false`, or an object of the three names (each a string).
fn csrf(value: Value) -> Result<Option<Csrf>, Error> {
    let members = match value {
        Value::Bool(false) => return Ok(None),
        Value::Object(members) => members,
        _ => return Err(config_error("csrf", "must be false or an object")),
    };
    let mut csrf = Csrf::default();
    let slots = [
        &mut csrf.header_name,
        &mut csrf.cookie_name,
        &mut csrf.response_field,
    ];
    let values = known(members, "csrf.", &CSRF_OPTIONS)?;
    for ((name, slot), value) in CSRF_OPTIONS.iter().zip(slots).zip(values) {
        if let Some(value) = value {
            *slot = string(name, value)?;
        }
    }
    Ok(Some(csrf))
}

/// `retry`: an object of `attempts` (a whole number, 0–100) and the two delays.
fn retry(value: Value) -> Result<Retry, Error> {
    let Value::Object(members) = value else {
        return Err(config_error("retry", "must be an object"));
    };
    let mut retry = Retry::default();
    let values = known(members, "retry.", &RETRY_OPTIONS)?;
    let mut values = values.into_iter();
    if let Some(Some(value)) = values.next() {
        retry.attempts = config::attempts(number("retry.attempts", &value)?)?;
    }
    if let Some(Some(value)) = values.next() {
        retry.base_delay = millis("retry.baseDelayMs", &value)?;
    }
    if let Some(Some(value)) = values.next() {
        retry.max_delay = millis("retry.maxDelayMs", &value)?;
    }
    Ok(retry)
}

#[cfg(test)]
#[path = "config_json_tests.rs"]
mod tests;
