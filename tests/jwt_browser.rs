//! The decoder as the browser runs it: `JSON.parse` and serde-wasm-bindgen instead of serde_json,
//! and `decodeJwt` as JavaScript calls it (through the `js` facade: `--features js`).
#![cfg(all(target_arch = "wasm32", feature = "js"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use js_sys::{Array, Reflect};
use token_keeper::js::decode_jwt;
use token_keeper::jwt::{decode_unverified, Audience, JwtError, Segment};
use wasm_bindgen::{JsCast, JsValue};
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

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
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

#[wasm_bindgen_test]
fn decode_jwt_returns_the_whole_payload_object() {
    let claims = decode_jwt(RFC7519.into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(get(&claims, "iss").as_string().as_deref(), Some("joe"));
    assert_eq!(get(&claims, "exp").as_f64(), Some(1_300_819_380.0));
    assert_eq!(get(&claims, "http://example.com/is_root"), JsValue::TRUE);

    let options = js_sys::Object::new();
    Reflect::set(&options, &"header".into(), &JsValue::TRUE).unwrap();
    let header = decode_jwt(RFC7519.into(), options.into()).unwrap();
    assert_eq!(get(&header, "alg").as_string().as_deref(), Some("HS256"));
    assert!(get(&header, "iss").is_undefined());

    let aud = get(
        &decode_jwt(token(r#"{"aud":["a","b"]}"#).into(), JsValue::NULL).unwrap(),
        "aud",
    );
    assert!(Array::is_array(&aud));
}

#[wasm_bindgen_test]
fn decode_jwt_throws_a_token_keeper_error_with_a_stable_code() {
    for bad in [JsValue::from("a.b"), JsValue::from(42), JsValue::UNDEFINED] {
        let err = decode_jwt(bad, JsValue::UNDEFINED).unwrap_err();
        assert!(err.is_instance_of::<js_sys::Error>());
        assert_eq!(
            get(&err, "name").as_string().as_deref(),
            Some("TokenKeeperError")
        );
        assert_eq!(
            get(&err, "code").as_string().as_deref(),
            Some("invalid_token")
        );
    }
    let err = decode_jwt(token(r#"{"iat":"secret-ish"}"#).into(), JsValue::UNDEFINED).unwrap_err();
    let message = get(&err, "message").as_string().unwrap();
    assert!(
        message.contains("`iat`") && !message.contains("secret-ish"),
        "{message}"
    );
}

#[wasm_bindgen_test]
fn the_module_survives_a_flood_of_garbage() {
    // A panic would poison the module: after all of this, decoding must still work.
    for i in 0..500u32 {
        let junk = format!("{}.{}.{}", i, "%".repeat((i % 7) as usize), i * 31);
        let _ = decode_jwt(junk.into(), JsValue::UNDEFINED);
        let _ = decode_jwt(
            token(&"[".repeat((i % 50) as usize)).into(),
            JsValue::UNDEFINED,
        );
    }
    assert!(decode_jwt(RFC7519.into(), JsValue::UNDEFINED).is_ok());
}
