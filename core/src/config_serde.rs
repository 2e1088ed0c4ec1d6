//! `Config` from any serde format (cargo feature `serde`): an app that keeps its settings in
//! JSON, TOML or YAML reads them with the JavaScript API's names. The value is written out as
//! JSON and read by [`Config::from_json`], so every check and every message is the same as for
//! `new TokenKeeper(options)`.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::config::Config;

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
    fn write(&self, out: &mut String) {
        match self {
            Any::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            // Rust's float formatting round-trips; JSON has no NaN or infinity: null, which the
            // reader refuses as "must be a finite number".
            Any::Num(n) if n.is_finite() => out.push_str(&format!("{n}")),
            Any::Num(_) | Any::Null(()) => out.push_str("null"),
            Any::Str(s) => write_str(s, out),
            Any::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Any::Map(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_str(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl<'de> Deserialize<'de> for Config {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Any::deserialize(deserializer)?;
        let mut json = String::new();
        value.write(&mut json);
        Config::from_json(&json, crate::json::serde_reader)
            .map_err(|e| D::Error::custom(e.message()))
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
