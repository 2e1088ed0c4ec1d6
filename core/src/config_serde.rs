//! `Config` from any serde format (cargo feature `serde`): an app that keeps its settings in
//! JSON, TOML or YAML reads them with the JavaScript API's names. The value is read by
//! [`Config::from_parsed`], so every check and every message is the same as for
//! `new TokenKeeper(options)`.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::config::Config;
use crate::parsed::{from_serde, Parsed};

impl<'de> Deserialize<'de> for Config {
    /// Through `serde_json::Value`, which any serde format fills (a `NaN` or an infinity becomes
    /// `null`, refused as "must be a finite number", as JavaScript's `JSON.stringify` writes them),
    /// then read as the Rust crate's JSON parser reads an object ([`crate::parsed`]).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let options = match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Object(members) => Parsed::Object(from_serde(members)),
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
