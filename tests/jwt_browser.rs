//! The Rust crate's decoder as the browser runs it (the npm package's `decodeJwt` is held by
//! tests/e2e/json.test.js and keeper.test.js).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use token_keeper::jwt::{decode_unverified, Audience, JwtError, Segment};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const RFC7519: &str = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\
    .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
    .dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn b64(text: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

fn token(payload: &str) -> String {
    format!(
        "{}.{}.sig",
        b64(br#"{"alg":"HS256"}"#),
        b64(payload.as_bytes())
    )
}

#[wasm_bindgen_test]
fn rfc7519_example_decodes_in_the_browser() {
    let c = decode_unverified(RFC7519).unwrap();
    assert_eq!(c.iss.as_deref(), Some("joe"));
    assert_eq!(c.exp, Some(1_300_819_380.0));
}

#[wasm_bindgen_test]
fn typed_claims_through_json_parse() {
    let c = decode_unverified(&token(
        r#"{"sub":"zoë 🦀","aud":["api","web"],"exp":1700000300.5,"iat":1700000000,"x":{"y":[1,null]}}"#,
    ))
    .unwrap();
    assert_eq!(c.sub.as_deref(), Some("zoë 🦀"));
    assert_eq!(
        c.aud,
        Some(Audience::Many(vec!["api".into(), "web".into()]))
    );
    assert_eq!(c.exp, Some(1_700_000_300.5));
    assert_eq!(c.iat, Some(1_700_000_000.0));
}

#[wasm_bindgen_test]
fn every_kind_of_bad_input_is_named_in_the_browser() {
    let cases: Vec<(String, JwtError)> = vec![
        ("a.b".into(), JwtError::Segments { found: 2 }),
        (
            format!("{}..s", b64(b"{}")),
            JwtError::EmptySegment(Segment::Payload),
        ),
        (
            format!("{}.a$b.s", b64(b"{}")),
            JwtError::Base64(Segment::Payload),
        ),
        (
            format!("{}.{}.s", b64(b"{}"), b64(&[0xff, 0xfe])),
            JwtError::Utf8(Segment::Payload),
        ),
        (token("{nope"), JwtError::Json(Segment::Payload)),
        (token("[1,2]"), JwtError::NotObject(Segment::Payload)),
        (token("null"), JwtError::NotObject(Segment::Payload)),
        (
            token(r#"{"exp":"soon"}"#),
            JwtError::ClaimType {
                claim: "exp",
                expected: "a number",
            },
        ),
        (
            token(r#"{"aud":[1]}"#),
            JwtError::ClaimType {
                claim: "aud",
                expected: "a string or an array of strings",
            },
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(decode_unverified(&input), Err(expected));
    }
}

/// Garbage of every shape never panics the decoder (a panic would poison the app's wasm), and
/// decoding still works after it.
#[wasm_bindgen_test]
fn the_decoder_survives_a_flood_of_garbage() {
    for i in 0..500u32 {
        let junk = format!("{}.{}.{}", i, "%".repeat((i % 7) as usize), i * 31);
        assert!(decode_unverified(&junk).is_err());
        assert!(decode_unverified(&token(&"[".repeat((i % 50) as usize))).is_err());
    }
    assert!(decode_unverified(RFC7519).is_ok());
}
