//! JSON at the seam: the core reads no JSON text itself. The driver hands it a [`Reader`] — the
//! platform's parser, `JSON.parse` in the npm package, `serde_json` in the Rust crate and the
//! simulation (`serde_reader`, feature `serde`) — and the core asks it for the few top-level
//! members it wants of an auth answer, a JWT segment or (from a Rust app's settings,
//! [`crate::Config::from_json`]) the options, as typed
//! [`Value`]s. It then checks their meaning itself (types, ranges, combinations), with the same
//! errors whichever parser read them. A JSON reader in the npm wasm cost it about 6 KB raw
//! (docs/performance.md); `JSON.parse` is already in every browser.
//!
//! One small writer stays: a whole number in decimal, for an error message.

use alloc::string::String;
use alloc::vec::Vec;

/// A top-level member's value, as far as the core reads it.
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
    /// An object, as JSON text, to be read with the [`Reader`] in turn.
    Object(String),
    /// An array with an item that is not a string.
    Other,
}

/// What a [`Reader`] made of a text.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// It is not JSON.
    NotJson,
    /// It is JSON, but not an object.
    NotObject,
    /// An object.
    Object {
        /// The values of the keys asked for, in the order asked (`None`: absent). A key given
        /// twice: the last one, as `JSON.parse` reads it.
        values: Vec<Option<Value>>,
        /// A key that was not asked for, if there is one.
        unknown: Option<String>,
    },
}

/// The platform's JSON parser: reads `text` and answers the members named in `wanted`.
pub type Reader = fn(text: &str, wanted: &[&str]) -> Parsed;

/// The values of `wanted` in `text`: `Err(())` when it is not JSON, `Ok(None)` when it is JSON but
/// not an object.
pub(crate) fn fields(
    json: Reader,
    text: &str,
    wanted: &[&str],
) -> Result<Option<Vec<Option<Value>>>, ()> {
    match json(text, wanted) {
        Parsed::NotJson => Err(()),
        Parsed::NotObject => Ok(None),
        Parsed::Object { values, .. } => Ok(Some(values)),
    }
}

/// The [`Reader`] of the Rust crate, the simulation and the tests: `serde_json`.
#[cfg(any(test, feature = "serde"))]
pub fn serde_reader(text: &str, wanted: &[&str]) -> Parsed {
    use serde_json::Value as J;
    let Ok(value) = serde_json::from_str::<J>(text) else {
        return Parsed::NotJson;
    };
    let J::Object(members) = value else {
        return Parsed::NotObject;
    };
    let value_of = |value: &J| match value {
        J::String(s) => Value::Str(s.clone()),
        J::Number(n) => n.as_f64().map_or(Value::Other, Value::Num),
        J::Bool(b) => Value::Bool(*b),
        J::Null => Value::Null,
        J::Object(_) => serde_json::to_string(value).map_or(Value::Other, Value::Object),
        J::Array(items) => items
            .iter()
            .map(|item| item.as_str().map(String::from))
            .collect::<Option<Vec<String>>>()
            .map_or(Value::Other, Value::StrList),
    };
    Parsed::Object {
        values: wanted
            .iter()
            .map(|key| members.get(*key).map(value_of))
            .collect(),
        unknown: members
            .keys()
            .find(|key| !wanted.contains(&key.as_str()))
            .cloned(),
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
#[path = "json_tests.rs"]
mod tests;
