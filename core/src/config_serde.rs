//! `Config` from any serde format (cargo feature `serde`): an app that keeps its settings in
//! JSON, TOML or YAML reads them with the JavaScript API's names. The value is read by
//! [`Config::from_parsed`], so every check and every message is the same as for
//! `new TokenKeeper(options)`.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::config::Config;
use crate::parsed::{Members, Parsed, Value};

/// Any value an option can hold, as the format gave it.
#[derive(Deserialize)]
#[serde(untagged)]
enum Any {
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<Any>),
    Map(BTreeMap<String, Any>),
    Null(()),
}

impl Any {
    /// The value as the core reads it. A `NaN` or an infinity stays one: the core refuses it as
    /// "must be a finite number", as JavaScript's does.
    fn value(self) -> Value {
        match self {
            Any::Bool(b) => Value::Bool(b),
            Any::Num(n) => Value::Num(n),
            Any::Str(s) => Value::Str(s),
            Any::List(items) => items
                .into_iter()
                .map(|item| match item {
                    Any::Str(s) => Some(s),
                    _ => None,
                })
                .collect::<Option<Vec<String>>>()
                .map_or(Value::Other, Value::StrList),
            Any::Map(fields) => Value::Object(members(fields)),
            Any::Null(()) => Value::Null,
        }
    }
}

fn members(fields: BTreeMap<String, Any>) -> Members {
    let mut out = Members::new();
    for (key, value) in fields {
        out.push(key, value.value());
    }
    out
}

impl<'de> Deserialize<'de> for Config {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let options = match Any::deserialize(deserializer)? {
            Any::Map(fields) => Parsed::Object(members(fields)),
            _ => Parsed::NotObject,
        };
        Config::from_parsed(options).map_err(|e| D::Error::custom(e.message()))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn settings_read_with_the_javascript_names_and_checked_the_same_way() {
        let c: Config = serde_json::from_str(
            r#"{"refreshUrl":"/auth/refresh","loginUrl":"/auth/login","timeoutMs":2500,
                "retry":{"attempts":1,"maxDelayMs":900},"csrf":false,"crossTab":false,
                "allowedOrigins":["https://api.example"],"tokenHeader":"X-Token"}"#,
        )
        .unwrap();
        assert_eq!(c.refresh_url, "/auth/refresh");
        assert_eq!(c.timeout.as_millis(), 2500);
        assert_eq!((c.retry.attempts, c.retry.max_delay.as_millis()), (1, 900));
        assert!(c.csrf.is_none() && !c.cross_tab);
        assert_eq!(c.token_header.as_deref(), Some("X-Token"));
        for (json, message) in [
            (
                r#"{"refreshUrl":"/r","refreshURL":"/x"}"#,
                "option `refreshURL` is not an option of TokenKeeper",
            ),
            (
                r#"{"refreshUrl":5}"#,
                "option `refreshUrl` must be a string",
            ),
            (r#"{"loginUrl":"/in"}"#, "option `refreshUrl` is required"),
            (
                r#"{"refreshUrl":"/r","jitterRatio":1.5}"#,
                "option `jitterRatio` must be at least 0 and below 1",
            ),
            (
                r#"{"refreshUrl":"/r","retry":{"tries":2}}"#,
                "option `retry.tries` is not an option of TokenKeeper",
            ),
            (r#"{"refreshUrl":"/r\"\\\n"}"#, ""),
        ] {
            let result = serde_json::from_str::<Config>(json);
            match message {
                "" => assert_eq!(result.unwrap().refresh_url, "/r\"\\\n"),
                _ => assert!(
                    result.unwrap_err().to_string().starts_with(message),
                    "{json}"
                ),
            }
        }
    }
}
