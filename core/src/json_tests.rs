//! The seam's reader as the Rust crate and the simulation use it, and its number writer.

use super::*;
extern crate std;
use alloc::string::ToString;
use alloc::vec;
use proptest::prelude::*;
use std::format;

fn one(text: &str, key: &str) -> Option<Value> {
    match serde_reader(text, &[key]) {
        Parsed::Object { mut values, .. } => values.pop().flatten(),
        _ => None,
    }
}

#[test]
fn each_kind_of_value_is_told_apart() {
    let text =
        r#"{"s":"x","n":-1.5e3,"l":["a","b"],"e":[],"t":true,"z":null,"o":{"k":[1]},"m":[1,"a"]}"#;
    assert_eq!(one(text, "s"), Some(Value::Str("x".to_string())));
    assert_eq!(one(text, "n"), Some(Value::Num(-1500.0)));
    assert_eq!(
        one(text, "l"),
        Some(Value::StrList(vec!["a".to_string(), "b".to_string()]))
    );
    assert_eq!(one(text, "e"), Some(Value::StrList(vec![])));
    assert_eq!(one(text, "t"), Some(Value::Bool(true)));
    assert_eq!(one(text, "z"), Some(Value::Null));
    assert_eq!(
        one(text, "o"),
        Some(Value::Object(r#"{"k":[1]}"#.to_string()))
    );
    assert_eq!(one(text, "m"), Some(Value::Other));
    assert_eq!(one(text, "absent"), None);
}

#[test]
fn values_come_in_the_order_asked_the_last_duplicate_wins_and_an_unknown_key_is_named() {
    let parsed = serde_reader(r#"{"b":1,"a":2,"b":3,"c":4}"#, &["a", "b", "b", "x"]);
    assert_eq!(
        parsed,
        Parsed::Object {
            values: vec![
                Some(Value::Num(2.0)),
                Some(Value::Num(3.0)),
                Some(Value::Num(3.0)),
                None
            ],
            unknown: Some("c".to_string()),
        }
    );
    assert_eq!(serde_reader("[1]", &["a"]), Parsed::NotObject);
    assert_eq!(serde_reader("\"a\"", &["a"]), Parsed::NotObject);
    for text in ["", "{", "{a:1}", "{\"a\":1,}", "nul", "{} {}", "{'a':1}"] {
        assert_eq!(serde_reader(text, &["a"]), Parsed::NotJson, "{text}");
    }
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
