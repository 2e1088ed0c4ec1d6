//! What the platform parsed, as the core takes it: the core reads no JSON, base64 or UTF-8 of
//! its own. The driver parses an auth answer's body into [`Parsed`] before the answer goes in;
//! the platform's [`Decoder`] turns each of a JWT's segments into one when
//! the core reads a token; a Rust app's settings become one with serde. `JSON.parse`, `atob` and
//! `TextDecoder` in the npm package; `serde_json` and the `base64` crate in the Rust crate and
//! the simulation ([`serde_parse`], [`serde_segment`], feature `serde`). The core then checks
//! what the values mean (types, ranges, combinations), with the same errors whichever platform
//! parsed them. A JSON reader in the npm wasm cost it about 6 KB raw (docs/performance.md).
//!
//! Where the two JSON parsers themselves differ, the keeper follows its platform: `JSON.parse`
//! takes an escaped lone surrogate (`"\ud800"`), a number beyond an `f64` (as `Infinity`) and any
//! depth of nesting, where `serde_json` finds no JSON (it stops at 128 levels). No auth server
//! or token writes these; the tests hold both to the same answers everywhere else.
//!
//! One small writer stays: a whole number in decimal, for an error message.

use alloc::string::String;
use alloc::vec::Vec;

/// A JSON value, as far as the core reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Str(String),
    /// A number (JavaScript's: an `f64`).
    Num(f64),
    /// An array whose items are all strings; an empty array is one too.
    StrList(Vec<String>),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// An object nested in another (only a Rust app's settings have the core read one: the npm
    /// driver hands over a nested object as [`Value::Other`]).
    Object(Members),
    /// Anything else: an array with an item that is not a string, or an object the core does
    /// not read.
    Other,
}

/// A JSON object's members, in the order the platform gave them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Members(Vec<(String, Value)>);

impl Members {
    /// No members.
    pub const fn new() -> Members {
        Members(Vec::new())
    }

    /// Adds a member. A key given twice: [`Members::get`] reads the last one, as `JSON.parse`
    /// does.
    pub fn push(&mut self, key: String, value: Value) {
        self.0.push((key, value));
    }

    /// The value of `key` (the last one given), if the object has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Takes the last value of `key` out, if the object has it.
    pub fn take(&mut self, key: &str) -> Option<Value> {
        let at = self.0.iter().rposition(|(k, _)| k == key)?;
        // In order: a later `take` of the same key still reads the last one left.
        Some(self.0.remove(at).1)
    }

    /// The members, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The first key that is not in `known`.
    pub fn unknown(&self, known: &[&str]) -> Option<&str> {
        self.0
            .iter()
            .map(|(k, _)| k.as_str())
            .find(|k| !known.contains(k))
    }
}

impl From<Vec<(String, Value)>> for Members {
    /// The members in the order given.
    fn from(members: Vec<(String, Value)>) -> Members {
        Members(members)
    }
}

/// What the platform made of a text that should hold a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// It is not JSON.
    NotJson,
    /// It is JSON, but not an object.
    NotObject,
    /// An object.
    Object(Members),
}

impl Parsed {
    /// The object's members, if it is one.
    pub fn members(&self) -> Option<&Members> {
        match self {
            Parsed::Object(members) => Some(members),
            _ => None,
        }
    }
}

/// One of a JWT's first two segments as the platform decoded it: base64url to bytes, the bytes
/// as UTF-8, the text as JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// The platform's base64url decoder refused it (the core's own syntax check let it by: a
    /// decoder stricter than RFC 7515).
    NotBase64,
    /// The bytes are not UTF-8.
    NotUtf8,
    /// The text, and what the platform's JSON parser made of it.
    Json {
        /// The decoded text.
        text: String,
        /// Its parse.
        parsed: Parsed,
    },
}

/// The platform's JWT segment decoder: given a segment's base64url data (checked, its padding
/// cut off), its bytes read as UTF-8 and parsed as JSON.
pub type Decoder = fn(segment: &str) -> Decoded;

/// `serde_json`'s reading of `text`: the Rust crate's and the simulation's JSON parser.
#[cfg(any(test, feature = "serde"))]
pub fn serde_parse(text: &str) -> Parsed {
    use serde_json::Value as J;
    match serde_json::from_str::<J>(text) {
        Ok(J::Object(members)) => Parsed::Object(from_serde(members)),
        Ok(_) => Parsed::NotObject,
        Err(_) => Parsed::NotJson,
    }
}

/// `serde_json`'s members as the core takes them (also a Rust app's settings: `config_serde.rs`).
#[cfg(any(test, feature = "serde"))]
pub(crate) fn from_serde(members: serde_json::Map<String, serde_json::Value>) -> Members {
    use serde_json::Value as J;
    let mut out = Members::new();
    for (key, value) in members {
        let value = match value {
            J::String(s) => Value::Str(s),
            J::Number(n) => n.as_f64().map_or(Value::Other, Value::Num),
            J::Bool(b) => Value::Bool(b),
            J::Null => Value::Null,
            // As deep as the value: serde_json stops at 128 levels, and a Rust app's settings are
            // its own.
            J::Object(inner) => Value::Object(from_serde(inner)),
            J::Array(items) => items
                .into_iter()
                .map(|item| match item {
                    J::String(s) => Some(s),
                    _ => None,
                })
                .collect::<Option<Vec<String>>>()
                .map_or(Value::Other, Value::StrList),
        };
        out.push(key, value);
    }
    out
}

/// The `base64` crate as [`serde_segment`] decodes with it: the URL-safe alphabet, padding or
/// none, bits left over in the last character ignored (as `atob` ignores them).
#[cfg(any(test, feature = "serde"))]
pub(crate) const BASE64URL: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The Rust crate's and the simulation's [`Decoder`]: the `base64` crate
/// (the URL-safe alphabet, padding or none, bits left over in the last character ignored, as
/// `atob` ignores them; the core hands over a segment without its padding), UTF-8 and
/// [`serde_parse`].
#[cfg(any(test, feature = "serde"))]
pub fn serde_segment(segment: &str) -> Decoded {
    use base64::Engine as _;
    let Ok(bytes) = BASE64URL.decode(segment) else {
        return Decoded::NotBase64;
    };
    match String::from_utf8(bytes) {
        Ok(text) => Decoded::Json {
            parsed: serde_parse(&text),
            text,
        },
        Err(_) => Decoded::NotUtf8,
    }
}

/// Appends a non-negative whole number (u64) in decimal, without core::fmt.
pub(crate) fn write_u64(out: &mut String, n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n;
    loop {
        at -= 1;
        if let Some(digit) = digits.get_mut(at) {
            *digit = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    // ASCII digits.
    out.push_str(core::str::from_utf8(digits.get(at..).unwrap_or_default()).unwrap_or_default());
}

#[cfg(test)]
#[path = "parsed_tests.rs"]
mod tests;
