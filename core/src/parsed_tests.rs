//! The seam's parsers as the Rust crate and the simulation use them, and the number writer.

use super::*;
extern crate std;
use alloc::string::ToString;
use alloc::vec;
use proptest::prelude::*;
use std::format;

fn one(text: &str, key: &str) -> Option<Value> {
    serde_parse(text).members()?.get(key).cloned()
}

#[test]
fn each_kind_of_value_is_told_apart() {
    let text =
        r#"{"s":"x","n":-1.5e3,"l":["a","b"],"e":[],"t":true,"z":null,"o":{"k":"v"},"m":[1,"a"]}"#;
    assert_eq!(one(text, "s"), Some(Value::Str("x".to_string())));
    assert_eq!(one(text, "n"), Some(Value::Num(-1500.0)));
    assert_eq!(
        one(text, "l"),
        Some(Value::StrList(vec!["a".to_string(), "b".to_string()]))
    );
    assert_eq!(one(text, "e"), Some(Value::StrList(vec![])));
    assert_eq!(one(text, "t"), Some(Value::Bool(true)));
    assert_eq!(one(text, "z"), Some(Value::Null));
    let mut inner = Members::new();
    inner.push("k".to_string(), Value::Str("v".to_string()));
    assert_eq!(one(text, "o"), Some(Value::Object(inner)));
    assert_eq!(one(text, "m"), Some(Value::Other));
    assert_eq!(one(text, "absent"), None);
}

#[test]
fn the_last_duplicate_wins_and_an_unknown_key_is_named() {
    let parsed = serde_parse(r#"{"b":1,"a":2,"b":3,"c":4}"#);
    let members = parsed.members().unwrap();
    assert_eq!(members.get("b"), Some(&Value::Num(3.0)));
    assert_eq!(members.unknown(&["a", "b"]), Some("c"));
    assert_eq!(members.unknown(&["a", "b", "c"]), None);
    // Members pushed by a driver in the order JavaScript gave them: the last one counts.
    let mut pushed = Members::new();
    pushed.push("k".to_string(), Value::Num(1.0));
    pushed.push("k".to_string(), Value::Num(2.0));
    assert_eq!(pushed.get("k"), Some(&Value::Num(2.0)));
    pushed.push("j".to_string(), Value::Null);
    assert_eq!(pushed.take("k"), Some(Value::Num(2.0)));
    assert_eq!(pushed.take("k"), Some(Value::Num(1.0)));
    assert_eq!(pushed.take("k"), None);
    assert_eq!(serde_parse("[1]"), Parsed::NotObject);
    assert_eq!(serde_parse("\"a\""), Parsed::NotObject);
    for text in ["", "{", "{a:1}", "{\"a\":1,}", "nul", "{} {}", "{'a':1}"] {
        assert_eq!(serde_parse(text), Parsed::NotJson, "{text}");
    }
}

#[test]
fn a_segment_is_decoded_as_base64url_then_utf8_then_json() {
    let decoded = serde_segment("eyJhIjoxfQ"); // {"a":1}
    let Decoded::Json { text, parsed } = decoded else {
        panic!("{decoded:?}")
    };
    assert_eq!(text, r#"{"a":1}"#);
    assert_eq!(parsed.members().unwrap().get("a"), Some(&Value::Num(1.0)));
    assert_eq!(serde_segment("_w"), Decoded::NotUtf8); // 0xff
                                                       // A byte-order mark stays part of the text, which is then no JSON (as JavaScript's decoder
                                                       // reads it: tests/e2e/json.test.js).
    assert!(matches!(
        serde_segment("77u_e30"), // BOM {}
        Decoded::Json {
            parsed: Parsed::NotJson,
            ..
        }
    ));
    assert_eq!(serde_segment("a+b/"), Decoded::NotBase64); // not the URL-safe alphabet
    assert!(matches!(
        serde_segment("bm90IGpzb24"), // "not json"
        Decoded::Json {
            parsed: Parsed::NotJson,
            ..
        }
    ));
}

#[test]
fn write_u64_writes_decimal() {
    for (n, text) in [
        (0, "0"),
        (7, "7"),
        (10, "10"),
        (99, "99"),
        (100, "100"),
        (1_300_819_380, "1300819380"),
    ] {
        let mut out = String::from("@");
        write_u64(&mut out, n);
        assert_eq!(out, format!("@{text}"));
    }
    let mut out = String::new();
    write_u64(&mut out, u64::MAX);
    assert_eq!(out, "18446744073709551615");
}

proptest! {
    #[test]
    fn write_u64_round_trips(n in any::<u64>()) {
        let mut out = String::new();
        write_u64(&mut out, n);
        prop_assert_eq!(out.parse::<u64>(), Ok(n));
    }
}
