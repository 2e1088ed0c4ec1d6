use super::*;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine as _;

/// The decoder as the Rust crate runs it: the `base64` crate and `serde_json`.
fn decode_unverified(token: &str) -> Result<Claims, JwtError> {
    super::decode_unverified(token, crate::parsed::serde_segment)
}

fn decode_header_unverified(token: &str) -> Result<Header, JwtError> {
    super::decode_header_unverified(token, crate::parsed::serde_segment)
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn token(header: &str, payload: &str) -> String {
    format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    )
}

fn claims(payload: &str) -> Result<Claims, JwtError> {
    decode_unverified(&token(HEADER, payload))
}

/// RFC 7519 section 3.1, byte for byte (its JSON has CRLF line breaks).
#[test]
fn rfc7519_example_decodes_as_the_rfc_says() {
    let rfc = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9\
               .eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ\
               .dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let c = decode_unverified(rfc).unwrap();
    assert_eq!(c.iss.as_deref(), Some("joe"));
    assert_eq!(c.exp, Some(1_300_819_380.0));
    assert_eq!(c.sub, None);
    assert_eq!(
        c.json(),
        "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}"
    );
    let h = decode_header_unverified(rfc).unwrap();
    assert_eq!(h.typ.as_deref(), Some("JWT"));
    assert_eq!(h.alg.as_deref(), Some("HS256"));
    assert_eq!(h.json(), "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}");
}

#[test]
fn every_registered_claim_is_typed() {
    let c = claims(
        r#"{"iss":"https://id.example","sub":"alice","aud":"api","exp":1700000300,
            "nbf":1700000000,"iat":1700000000,"jti":"j-1","role":"admin"}"#,
    )
    .unwrap();
    assert_eq!(c.iss.as_deref(), Some("https://id.example"));
    assert_eq!(c.sub.as_deref(), Some("alice"));
    assert_eq!(c.aud, Some(Audience::One("api".into())));
    assert_eq!(c.exp_ms(), Some(1_700_000_300_000.0));
    assert_eq!(c.nbf, Some(1_700_000_000.0));
    assert_eq!(c.iat_ms(), Some(1_700_000_000_000.0));
    assert_eq!(c.jti.as_deref(), Some("j-1"));
    assert!(
        c.json().contains(r#""role":"admin""#),
        "other claims are kept"
    );
}

#[test]
fn aud_may_be_a_string_or_an_array() {
    let one = claims(r#"{"aud":"api"}"#).unwrap().aud.unwrap();
    assert!(one.contains("api") && !one.contains("web"));
    let many = claims(r#"{"aud":["api","web"]}"#).unwrap().aud.unwrap();
    assert_eq!(many, Audience::Many(vec!["api".into(), "web".into()]));
    assert!(many.contains("web"));
    assert_eq!(
        claims(r#"{"aud":[]}"#).unwrap().aud,
        Some(Audience::Many(vec![]))
    );
}

#[test]
fn numeric_dates_may_carry_a_fraction_or_an_exponent() {
    let c = claims(r#"{"exp":1700000300.75,"iat":1.7e9,"nbf":-5}"#).unwrap();
    assert_eq!(c.exp, Some(1_700_000_300.75));
    assert_eq!(c.iat, Some(1_700_000_000.0));
    assert_eq!(c.nbf, Some(-5.0));
}

#[test]
fn unicode_claims_survive() {
    let c = claims(r#"{"sub":"zoë 🦀 日本","name":"\u00e9t\u00e9 \ud83d\ude00"}"#).unwrap();
    assert_eq!(c.sub.as_deref(), Some("zoë 🦀 日本"));
    assert!(c.json().contains(r#""name":"\u00e9t\u00e9 \ud83d\ude00""#));
}

#[test]
fn padding_is_tolerated_and_not_required() {
    let payload = r#"{"sub":"a"}"#; // 11 bytes: base64 needs one '='
    let padded = format!(
        "{}.{}.sig",
        URL_SAFE.encode(HEADER),
        URL_SAFE.encode(payload)
    );
    assert!(padded.contains('='));
    assert_eq!(
        decode_unverified(&padded).unwrap().sub.as_deref(),
        Some("a")
    );
    assert_eq!(claims(payload).unwrap().sub.as_deref(), Some("a"));
}

#[test]
fn duplicate_keys_keep_the_last_as_json_parse_does() {
    assert_eq!(
        claims(r#"{"sub":"first","sub":"last"}"#)
            .unwrap()
            .sub
            .as_deref(),
        Some("last")
    );
}

#[test]
fn an_unsecured_jwt_with_an_empty_signature_decodes() {
    let t = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(r#"{"sub":"a"}"#)
    );
    assert_eq!(decode_unverified(&t).unwrap().sub.as_deref(), Some("a"));
}

#[test]
fn a_signature_that_could_not_go_in_a_header_is_refused() {
    // Never verified, but the token goes out in `Authorization`: a space, a line break or a
    // non-ASCII byte would make the header invalid (the browser throws when it is set).
    let head = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#),
        URL_SAFE_NO_PAD.encode(r#"{"sub":"a"}"#)
    );
    for signature in ["a b", "abc\n", "€", "a+b/c", "\"x\""] {
        assert_eq!(
            decode_unverified(&format!("{head}{signature}")),
            Err(JwtError::Base64(Segment::Signature)),
            "{signature:?}"
        );
    }
    assert!(decode_unverified(&format!("{head}c2ln-_x==")).is_ok());
    assert!(JwtError::Base64(Segment::Signature)
        .message()
        .contains("signature"));
}

#[test]
fn wrong_segment_counts_are_refused_with_the_count() {
    for (input, found) in [("", 1), ("abc", 1), ("a.b", 2), ("a.b.c.d", 4), ("....", 5)] {
        assert_eq!(
            decode_unverified(input),
            Err(JwtError::Segments { found }),
            "{input:?}"
        );
    }
}

#[test]
fn empty_segments_are_named() {
    let p = URL_SAFE_NO_PAD.encode("{}");
    assert_eq!(
        decode_unverified(&format!(".{p}.s")),
        Err(JwtError::EmptySegment(Segment::Header))
    );
    assert_eq!(
        decode_unverified(&format!("{p}..s")),
        Err(JwtError::EmptySegment(Segment::Payload))
    );
}

#[test]
fn bad_base64url_is_named_per_segment() {
    let good = URL_SAFE_NO_PAD.encode("{}");
    for bad in ["a", "ab$d", "ab+/", "a=b", " abc"] {
        assert_eq!(
            decode_unverified(&format!("{good}.{bad}.s")),
            Err(JwtError::Base64(Segment::Payload)),
            "{bad:?}"
        );
        assert_eq!(
            decode_unverified(&format!("{bad}.{good}.s")),
            Err(JwtError::Base64(Segment::Header)),
            "{bad:?}"
        );
    }
}

#[test]
fn bytes_that_are_not_utf8_are_refused() {
    let t = format!(
        "{}.{}.s",
        URL_SAFE_NO_PAD.encode(HEADER),
        URL_SAFE_NO_PAD.encode([b'{', 0xff, 0xfe, b'}'])
    );
    assert_eq!(decode_unverified(&t), Err(JwtError::Utf8(Segment::Payload)));
}

#[test]
fn text_that_is_not_json_is_refused() {
    for text in ["{", "{\"a\":}", "not json", "{} {}", "{\"a\":1,}"] {
        assert_eq!(
            claims(text),
            Err(JwtError::Json(Segment::Payload)),
            "{text:?}"
        );
    }
    assert_eq!(
        decode_unverified(&token("{alg}", "{}")),
        Err(JwtError::Json(Segment::Header))
    );
}

#[test]
fn json_that_is_not_an_object_is_refused() {
    for text in ["[]", "[1,{\"a\":2}]", "42", "\"str\"", "true", "null"] {
        assert_eq!(
            claims(text),
            Err(JwtError::NotObject(Segment::Payload)),
            "{text:?}"
        );
    }
    assert_eq!(
        decode_unverified(&token("[]", "{}")),
        Err(JwtError::NotObject(Segment::Header))
    );
}

#[test]
fn registered_claims_of_the_wrong_type_are_named() {
    let cases = [
        (r#"{"exp":"1700000000"}"#, "exp", "a number"),
        (r#"{"iat":null}"#, "iat", "a number"),
        (r#"{"nbf":[1]}"#, "nbf", "a number"),
        (r#"{"iss":1}"#, "iss", "a string"),
        (r#"{"sub":{"id":1}}"#, "sub", "a string"),
        (r#"{"jti":true}"#, "jti", "a string"),
        (r#"{"aud":1}"#, "aud", "a string or an array of strings"),
        (
            r#"{"aud":["api",2]}"#,
            "aud",
            "a string or an array of strings",
        ),
    ];
    for (payload, claim, expected) in cases {
        let err = claims(payload).unwrap_err();
        assert_eq!(err, JwtError::ClaimType { claim, expected }, "{payload}");
        assert!(err.to_string().contains(claim));
    }
    assert_eq!(
        decode_unverified(&token(r#"{"alg":256}"#, "{}")),
        Err(JwtError::ClaimType {
            claim: "alg",
            expected: "a string"
        })
    );
}

#[test]
fn messages_never_repeat_the_token() {
    let secret_payload = r#"{"exp":"secret-value-123"}"#;
    let t = token(HEADER, secret_payload);
    let message = decode_unverified(&t).unwrap_err().to_string();
    assert!(!message.contains("secret-value-123"));
    for piece in t.split('.') {
        assert!(!message.contains(piece));
    }
}

#[test]
fn nested_unregistered_claims_are_skipped_whatever_their_shape() {
    let c = claims(r#"{"ctx":{"a":[1,{"b":null}],"c":"d"},"sub":"x","arr":[[],[[]]]}"#).unwrap();
    assert_eq!(c.sub.as_deref(), Some("x"));
}

/// Linear time: a token of several megabytes decodes at once (a quadratic step would not finish).
#[test]
fn a_very_large_token_decodes() {
    let big = "x".repeat(6 * 1024 * 1024);
    let payload = format!(r#"{{"sub":"big","pad":"{big}","exp":1700000000}}"#);
    let c = claims(&payload).unwrap();
    assert_eq!(c.sub.as_deref(), Some("big"));
    assert_eq!(c.exp, Some(1_700_000_000.0));
    assert_eq!(c.json().len(), payload.len());
}

mod fuzz {
    use super::*;
    /// The `base64` crate as the Rust driver's decoder (`parsed::serde_segment`) runs it.
    use crate::parsed::BASE64URL as REFERENCE;
    use proptest::prelude::*;

    proptest! {
        /// The core's base64url check accepts and refuses exactly what the `base64` crate
        /// (padding indifferent, trailing bits allowed) does, and what it hands the decoder (the
        /// padding cut off) decodes to the same bytes.
        #[test]
        fn base64url_agrees_with_the_base64_crate(text in "[A-Za-z0-9_=+/.-]{0,40}") {
            let reference = REFERENCE.decode(&text).ok();
            prop_assert_eq!(base64url(&text).is_some(), reference.is_some(), "{}", text);
            if let Some(data) = base64url(&text) {
                prop_assert_eq!(REFERENCE.decode(data).ok(), reference, "{}", text);
                prop_assert!(!data.contains('='));
            }
        }

        #[test]
        fn base64url_reads_what_the_base64_crate_writes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            for text in [URL_SAFE_NO_PAD.encode(&bytes), URL_SAFE.encode(&bytes)] {
                let data = base64url(&text);
                prop_assert_eq!(data.and_then(|d| REFERENCE.decode(d).ok()), Some(bytes.clone()));
            }
        }

        /// Whatever the input, decoding returns instead of panicking.
        #[test]
        fn arbitrary_text_never_panics(s in ".{0,200}") {
            let _ = decode_unverified(&s);
            let _ = decode_header_unverified(&s);
        }

        /// Arbitrary bytes as the payload give a result or an error, never a panic.
        #[test]
        fn arbitrary_payload_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let t = format!("{}.{}.s", URL_SAFE_NO_PAD.encode(HEADER), URL_SAFE_NO_PAD.encode(&bytes));
            let _ = decode_unverified(&t);
        }

        /// Arbitrary bytes, cut at dots into segments of a token, never panic.
        #[test]
        fn arbitrary_bytes_as_a_token_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = decode_unverified(&text);
            let _ = decode_header_unverified(&text);
        }

        /// A valid token with a few bytes changed, added or dropped — anywhere, in the text or
        /// in its JSON before encoding — decodes or is refused, never panics; what decodes has
        /// claims of the right types.
        #[test]
        fn near_valid_tokens_never_panic(
            exp in 0.0f64..4.0e9,
            sub in "\\PC{0,12}",
            edits in proptest::collection::vec((any::<bool>(), any::<u16>(), prop::sample::select(
                vec![b'.', b'=', b'-', b'_', b'+', b'/', b'A', b'z', b'0', b'{', b'}', b'"', b':', b',', b'[', b'\\', b' ', 0xC3, 0xFF]
            )), 1..4),
            in_json in any::<bool>(),
        ) {
            let payload = format!(
                r#"{{"sub":{},"exp":{exp},"iat":{},"aud":["a","b"],"x":{{"y":[1,2,{{}}]}}}}"#,
                serde_json::to_string(&sub).unwrap(),
                exp - 60.0
            );
            let mut target = if in_json { payload.into_bytes() } else { token(HEADER, &payload).into_bytes() };
            for (insert, at, byte) in edits {
                let at = usize::from(at) % (target.len() + 1);
                if insert {
                    target.insert(at, byte);
                } else if at < target.len() {
                    target.remove(at);
                }
            }
            let text = if in_json {
                token(HEADER, &String::from_utf8_lossy(&target))
            } else {
                String::from_utf8_lossy(&target).into_owned()
            };
            // What decodes, serde_json reads the same way.
            if let Ok(c) = decode_unverified(&text) {
                let v: serde_json::Value = serde_json::from_str(c.json()).unwrap();
                let (oracle, ours) = (v.get("exp").and_then(serde_json::Value::as_f64), c.exp);
                prop_assert_eq!(oracle.is_some(), ours.is_some());
                if let (Some(a), Some(b)) = (oracle, ours) {
                    // Exact up to 2^53 significant; a few units in the last place beyond.
                    prop_assert!((a - b).abs() <= a.abs() * 1e-15, "{} vs {}", a, b);
                }
                prop_assert_eq!(v.get("sub").and_then(serde_json::Value::as_str), c.sub.as_deref());
            }
        }

        /// String subjects round-trip whatever they contain.
        #[test]
        fn any_subject_round_trips(sub in "\\PC{0,40}") {
            let payload = format!(r#"{{"sub":{}}}"#, serde_json::to_string(&sub).unwrap());
            prop_assert_eq!(claims(&payload).unwrap().sub, Some(sub));
        }
    }
}
