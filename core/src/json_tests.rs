extern crate std;

use super::*;
use alloc::borrow::ToOwned;
use alloc::string::ToString;
use std::format;

fn one(json: &str, key: &str) -> Option<Value> {
    fields(json, &[key]).unwrap().unwrap().pop().unwrap()
}

fn is_json(json: &str) -> bool {
    fields(json, &[]).is_ok()
}

fn strings(items: &[&str]) -> Value {
    Value::StrList(items.iter().map(|s| s.to_string()).collect())
}

/// The examples of RFC 8259, section 13, and the scalar texts it calls valid.
#[test]
fn rfc8259_examples_are_read() {
    let image = r#"
      {
        "Image": {
            "Width":  800,
            "Height": 600,
            "Title":  "View from 15th Floor",
            "Thumbnail": {
                "Url":    "http://www.example.com/image/481989943",
                "Height": 125,
                "Width":  100
            },
            "Animated" : false,
            "IDs": [116, 943, 234, 38793]
          }
      }"#;
    assert_eq!(
        fields(image, &["Image", "Width"]).map(|v| v.map(|v| v.len())),
        Ok(Some(2))
    );
    assert!(matches!(
        fields(image, &["Image"]).unwrap().unwrap().as_slice(),
        [Some(Value::Object(text))] if text.starts_with('{') && text.ends_with('}')
    ));
    let places = r#"
      [
        {
           "precision": "zip",
           "Latitude":  37.7668,
           "Longitude": -122.3959,
           "Address":   "",
           "City":      "SAN FRANCISCO",
           "State":     "CA",
           "Zip":       "94107",
           "Country":   "US"
        },
        {
           "precision": "zip",
           "Latitude":  37.371991,
           "Longitude": -122.026020,
           "Address":   "",
           "City":      "SUNNYVALE",
           "State":     "CA",
           "Zip":       "94085",
           "Country":   "US"
        }
      ]"#;
    assert_eq!(fields(places, &["City"]), Ok(None));
    for scalar in [
        "\"Hello world!\"",
        "42",
        "true",
        "false",
        "null",
        "-0",
        "1.5e-3",
    ] {
        assert_eq!(fields(scalar, &["a"]), Ok(None), "{scalar}");
    }
}

#[test]
fn each_kind_of_value_is_told_apart() {
    let json = r#"{"s":"x","n":-12.5e1,"l":["a","b"],"e":[],"t":true,"f":false,"z":null,
                   "o":{"a":1},"m":["a",1],"n2":[1,"a"],"nested":[["a"]]}"#;
    let keys = [
        "s", "n", "l", "e", "t", "f", "z", "o", "m", "n2", "nested", "absent",
    ];
    let expected = vec![
        Some(Value::Str("x".into())),
        Some(Value::Num(-125.0)),
        Some(strings(&["a", "b"])),
        Some(strings(&[])),
        Some(Value::Bool(true)),
        Some(Value::Bool(false)),
        Some(Value::Null),
        Some(Value::Object(r#"{"a":1}"#.into())),
        Some(Value::Other),
        Some(Value::Other),
        Some(Value::Other),
        None,
    ];
    assert_eq!(fields(json, &keys), Ok(Some(expected)));
}

#[test]
fn values_come_in_the_order_of_wanted_and_may_repeat() {
    let values = fields(r#"{"a":1,"b":2}"#, &["b", "zz", "a", "b"])
        .unwrap()
        .unwrap();
    let two = Some(Value::Num(2.0));
    assert_eq!(values, vec![two.clone(), None, Some(Value::Num(1.0)), two]);
    assert_eq!(fields("{}", &[]), Ok(Some(vec![])));
    assert_eq!(fields(" {\t}\n", &["a"]), Ok(Some(vec![None])));
}

#[test]
fn the_last_duplicate_wins() {
    assert_eq!(
        one(r#"{"a":1,"a":"two"}"#, "a"),
        Some(Value::Str("two".into()))
    );
    assert_eq!(one(r#"{"a":[],"b":0,"a":null}"#, "a"), Some(Value::Null));
    assert_eq!(
        one(r#"{"a":{"a":1},"a":["x"]}"#, "a"),
        Some(strings(&["x"]))
    );
    // A duplicate after an unwanted key, and one spelled with an escape.
    assert_eq!(
        one(r#"{"exp":1,"x":2,"e\u0078p":3}"#, "exp"),
        Some(Value::Num(3.0))
    );
    // Keys inside nested objects are not top-level fields.
    assert_eq!(one(r#"{"o":{"a":1}}"#, "a"), None);
}

#[test]
fn keys_are_compared_after_unescaping() {
    assert_eq!(one(r#"{"e\u0078p":1}"#, "exp"), Some(Value::Num(1.0)));
    assert_eq!(one(r#"{"a\/b":1}"#, "a/b"), Some(Value::Num(1.0)));
    assert_eq!(one(r#"{"\ud83d\ude00":1}"#, "😀"), Some(Value::Num(1.0)));
    assert_eq!(one(r#"{"exp ":1}"#, "exp"), None);
}

#[test]
fn escapes_are_unescaped() {
    let cases = [
        (r#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{c}\n\r\t"),
        (r#""\u0041\u00e9\u00E9\u20AC\uffff""#, "Aéé€\u{ffff}"),
        (r#""\u0000""#, "\0"),
        (r#""\uD83D\uDE00 \ud834\udd1e""#, "😀 𝄞"),
        (r#""\uDBFF\uDFFF""#, "\u{10ffff}"),
        (
            r#""é€😀 raw UTF-8, \u007f and \u0080""#,
            "é€😀 raw UTF-8, \u{7f} and \u{80}",
        ),
        (r#""""#, ""),
    ];
    for (literal, text) in cases {
        assert_eq!(
            one(&format!(r#"{{"k":{literal}}}"#), "k"),
            Some(Value::Str(text.into())),
            "{literal}"
        );
        assert_eq!(
            one(&format!(r#"{{"k":[{literal}]}}"#), "k"),
            Some(strings(&[text])),
            "{literal}"
        );
    }
}

#[test]
fn numbers_are_parsed_by_core() {
    let cases = [
        ("0", 0.0),
        ("-0", -0.0),
        ("1", 1.0),
        ("-1", -1.0),
        ("0.5", 0.5),
        ("1.25e2", 125.0),
        ("1E2", 100.0),
        ("1e+2", 100.0),
        ("1e-2", 0.01),
        ("0e0", 0.0),
        ("1300819380", 1_300_819_380.0),
        ("18446744073709551616", 18_446_744_073_709_551_616.0),
        ("1e999", f64::INFINITY),
        ("-1e999", f64::NEG_INFINITY),
    ];
    for (lexeme, number) in cases {
        assert_eq!(
            one(&format!(r#"{{"n":{lexeme}}}"#), "n"),
            Some(Value::Num(number)),
            "{lexeme}"
        );
    }
}

#[test]
fn whitespace_is_only_space_tab_lf_and_cr() {
    assert!(is_json(
        " \t\r\n{ \t\r\n\"a\" \t\r\n: \t\r\n[ \t\r\n1 \t\r\n, 2 ] \t\r\n, \"b\":{ } } \t\r\n"
    ));
    assert!(is_json("\n[ ]\n"));
    for space in [
        "\u{b}", "\u{c}", "\u{a0}", "\u{feff}", "\u{2028}", "\u{3000}", "\0",
    ] {
        assert!(!is_json(&format!("{space}{{}}")), "{space:?} before");
        assert!(!is_json(&format!("{{}}{space}")), "{space:?} after");
        assert!(!is_json(&format!("[1,{space}2]")), "{space:?} inside");
    }
}

#[test]
fn texts_that_are_not_json_are_refused() {
    let invalid = [
        // Nothing, or an unfinished value.
        "",
        " ",
        "{",
        "}",
        "[",
        "]",
        "{\"a\"",
        "{\"a\":",
        "{\"a\":1",
        "[1",
        "[1,",
        "\"abc",
        "\"\\",
        // Trailing commas, missing or doubled separators.
        "{\"a\":1,}",
        "[1,]",
        "[,]",
        "{,}",
        "[,1]",
        "{\"a\":1,,\"b\":2}",
        "[1,,2]",
        "[1 2]",
        "{\"a\":1 \"b\":2}",
        "{\"a\" 1}",
        "{\"a\"::1}",
        "{\"a\":}",
        "{:1}",
        "[\"a\" \"b\"]",
        "{\"a\":[\"x\",]}",
        "{\"a\":[\"x\" \"y\"]}",
        "{\"a\":[\"x\",1,]}",
        // Keys that are not strings, mismatched brackets.
        "{a:1}",
        "{1:1}",
        "{null:1}",
        "{\"a\":1]",
        "[1}",
        "{\"a\":[}",
        "{\"a\":{]}",
        "[[]",
        "[]]",
        // Comments, single quotes, other extensions.
        "{\"a\":1}//",
        "/*c*/{}",
        "{\"a\":1 /* c */}",
        "{'a':1}",
        "{\"a\":'b'}",
        "'a'",
        // Numbers.
        "01",
        "-01",
        "00",
        "{\"a\":01}",
        "[1,02]",
        "+1",
        "{\"a\":+1}",
        ".5",
        "-.5",
        "1.",
        "1.e5",
        "1e",
        "1e+",
        "1E-",
        "-",
        "--1",
        "1ee2",
        "1e2.5",
        "0x10",
        "1_000",
        "NaN",
        "-NaN",
        "Infinity",
        "-Infinity",
        "{\"a\":NaN}",
        "[Infinity]",
        "1.5.2",
        "١",
        // Literals.
        "tru",
        "True",
        "nul",
        "NULL",
        "falsey",
        "[truefalse]",
        "nulll",
        "t",
        // Strings: raw control characters, bad escapes, bad or lone surrogates.
        "\"a\u{0}b\"",
        "\"a\tb\"",
        "\"a\nb\"",
        "\"\u{1f}\"",
        "\"\\x\"",
        "\"\\a\"",
        "\"\\U0041\"",
        "\"\\'\"",
        "\"\\u12\"",
        "\"\\u12G4\"",
        "\"\\u+123\"",
        "\"\\u-123\"",
        "\"\\u 123\"",
        "\"\\u00é\"",
        "\"\\uD800\"",
        "\"\\uDC00\"",
        "\"\\uDFFF\"",
        "\"\\uD800\\u0041\"",
        "\"\\uD800x\"",
        "\"\\uD800\\\"",
        "\"\\uD800\\n\"",
        "\"\\uD800\\uD800\"",
        "\"\\uDC00\\uD800\"",
        "{\"\\uD800\":1}",
        "{\"a\":\"\\uDE00\"}",
        "{\"a\":[\"\\uD83D\"]}",
        // Trailing garbage after the value.
        "{\"a\":1} x",
        "{}{}",
        "{} {}",
        "[]]",
        "1 2",
        "\"a\"\"b\"",
        "null,",
        "{}\u{0}",
    ];
    for text in invalid {
        assert_eq!(fields(text, &["a"]), Err(()), "{text:?}");
    }
}

#[test]
fn unwanted_values_are_checked_too() {
    for value in ["[1,]", "{\"x\":01}", "\"\\uD800\"", "[{\"y\":[}]", "tru"] {
        assert_eq!(
            fields(&format!(r#"{{"skip":{value},"a":1}}"#), &["a"]),
            Err(()),
            "{value}"
        );
    }
    let deep = r#"{"skip":[{"x":[[],{},"s",1,true,null,{"y":{"z":[-0.5e-3]}}]}],"a":1}"#;
    assert_eq!(one(deep, "a"), Some(Value::Num(1.0)));
}

#[test]
fn deep_nesting_neither_recurses_nor_is_refused() {
    let depth = 1_000_000;
    let open = "[".repeat(depth);
    let balanced = format!("{open}{}", "]".repeat(depth));
    assert_eq!(fields(&open, &["a"]), Err(()));
    assert_eq!(fields(&balanced, &["a"]), Ok(None));
    assert_eq!(
        one(&format!(r#"{{"a":{balanced}}}"#), "a"),
        Some(Value::Other)
    );
    assert_eq!(fields(&format!(r#"{{"a":{open}}}"#), &["a"]), Err(()));
    assert_eq!(
        fields(&format!(r#"{{"b":{balanced},"a":1}}"#), &["a"]),
        Ok(Some(vec![Some(Value::Num(1.0))]))
    );
    let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    assert!(
        matches!(one(&objects, "a"), Some(Value::Object(text)) if text.len() == objects.len() - 6)
    );
    assert_eq!(fields(&objects[..objects.len() - 1], &["a"]), Err(()));
    // Six megabytes of `[`, as a hostile tab might post.
    assert_eq!(fields(&"[".repeat(6 << 20), &[]), Err(()));
}

#[test]
fn big_strings_and_lists_are_read_whole() {
    let big = "é€😀x".repeat(1 << 18);
    let mut json = "{\"k\":".to_owned();
    write_string(&mut json, &big);
    json.push('}');
    assert_eq!(one(&json, "k"), Some(Value::Str(big)));
    let escaped = format!(r#"{{"k":"{}"}}"#, "\\n\\u00e9".repeat(1 << 17));
    assert_eq!(one(&escaped, "k"), Some(Value::Str("\né".repeat(1 << 17))));
    let list = format!(r#"{{"k":[{}"last"]}}"#, "\"a\",".repeat(1 << 16));
    let Some(Value::StrList(items)) = one(&list, "k") else {
        panic!("not a list")
    };
    assert_eq!(items.len(), (1 << 16) + 1);
}

#[test]
fn write_string_escapes_what_json_requires() {
    let mut out = String::from("x=");
    write_string(
        &mut out,
        "a\"b\\c/\n\r\t\u{8}\u{c}\0\u{1}\u{a}\u{b}\u{1a}\u{1f} \u{7f}é😀",
    );
    assert_eq!(
        out,
        "x=\"a\\\"b\\\\c/\\n\\r\\t\\b\\f\\u0000\\u0001\\n\\u000b\\u001a\\u001f \u{7f}é😀\""
    );
    out.clear();
    write_string(&mut out, "");
    assert_eq!(out, "\"\"");
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

#[test]
fn known_fields_names_the_first_unknown_key_and_reads_objects_as_text() {
    let json = r#"{"b": 1, "a": {"x": [1, {"y": null}]}, "c": 2, "d": 3, "b": "again"}"#;
    let mut unknown = None;
    assert_eq!(
        known_fields(json, &["a", "b"], Some(&mut unknown)),
        Ok(Some(vec![
            Some(Value::Object(r#"{"x": [1, {"y": null}]}"#.into())),
            Some(Value::Str("again".into())),
        ]))
    );
    assert_eq!(unknown.as_deref(), Some("c"));
    assert_eq!(known_fields("[1]", &[], None), Ok(None));
    assert_eq!(known_fields(r#"{"a":}"#, &["a"], None), Err(()));
}
