//! Tab messages: the structure both drivers send, read back and refused.

use super::*;

const S: &str = "https://app.example/auth/refresh";

fn messages() -> [TabMessage; 5] {
    [
        TabMessage::Token {
            token: "a.b.c".into(),
            received_at_ms: 1_700_000_000_123.0,
            lifetime_ms: Some(300_000.0),
        },
        TabMessage::Token {
            token: "a.\"b\".c".into(),
            received_at_ms: 5.0,
            lifetime_ms: None,
        },
        TabMessage::SignedIn {
            received_at_ms: 9.0,
            lifetime_ms: Some(60_000.0),
        },
        TabMessage::Logout { at_ms: 42.0 },
        TabMessage::Working { for_ms: 10_000.0 },
    ]
}

#[test]
fn every_message_round_trips() {
    for message in messages() {
        assert_eq!(TabMessage::from_wire(&message.wire(S), S), Some(message));
    }
}

#[test]
fn times_travel_as_whole_milliseconds() {
    let wire = TabMessage::Logout { at_ms: 42.9 }.wire(S);
    assert_eq!(wire.at, Some(42.0));
    let wire = TabMessage::Working { for_ms: -3.0 }.wire(S);
    assert_eq!(wire.for_ms, Some(0.0));
}

#[test]
fn malformed_or_hostile_messages_are_none() {
    let token = || Wire {
        token: Some("a.b.c".into()),
        at: Some(1.0),
        ..Wire::new(Kind::Token, S)
    };
    for wire in [
        Wire::new(Kind::Token, S),
        Wire {
            token: Some(String::new()),
            ..token()
        },
        Wire {
            at: None,
            ..token()
        },
        Wire {
            at: Some(-1.0),
            ..token()
        },
        Wire {
            at: Some(f64::NAN),
            ..token()
        },
        Wire {
            at: Some(f64::INFINITY),
            ..token()
        },
        Wire {
            lifetime: Some(-5.0),
            ..token()
        },
        Wire {
            lifetime: Some(f64::NAN),
            ..token()
        },
        Wire {
            token: None,
            ..token()
        },
        Wire {
            for_ms: Some(-1.0),
            ..Wire::new(Kind::Working, S)
        },
        Wire::new(Kind::Logout, S),
        // A number this kind does not read must still be one.
        Wire {
            at: Some(5.0),
            for_ms: Some(-1.0),
            ..Wire::new(Kind::Logout, S)
        },
        Wire {
            at: Some(5.0),
            lifetime: Some(f64::NAN),
            ..Wire::new(Kind::Logout, S)
        },
        Wire::new(Kind::Working, S),
        Wire::new(Kind::SignedIn, S),
        // Another version, another session, or none.
        Wire { v: 2.0, ..token() },
        Wire {
            v: f64::NAN,
            ..token()
        },
        Wire {
            session: "https://other.example/auth/refresh".into(),
            ..token()
        },
        Wire {
            session: String::new(),
            ..token()
        },
    ] {
        assert_eq!(TabMessage::from_wire(&wire, S), None, "{wire:?}");
    }
    assert!(TabMessage::from_wire(&token(), S).is_some());
}

proptest::proptest! {
    /// Whatever another tab (or a script posting on the channel) sends, reading returns, and
    /// what it reads is what the fields said.
    #[test]
    fn fuzz_tab_messages_never_panic(
        kind in proptest::sample::select(Kind::ALL.to_vec()),
        v in proptest::prop_oneof![proptest::strategy::Just(1.0), proptest::num::f64::ANY],
        token in proptest::option::of(".{0,20}"),
        at in proptest::option::of(proptest::num::f64::ANY),
        lifetime in proptest::option::of(proptest::num::f64::ANY),
        for_ms in proptest::option::of(proptest::num::f64::ANY),
    ) {
        let wire = Wire { v, kind, session: S.into(), token, at, lifetime, for_ms };
        if let Some(message) = TabMessage::from_wire(&wire, S) {
            proptest::prop_assert_eq!(wire.v, VERSION);
            proptest::prop_assert_eq!(TabMessage::from_wire(&message.wire(S), S).is_some(), true);
        }
    }
}

#[test]
fn debug_never_shows_the_token() {
    let message = TabMessage::Token {
        token: "secret.token.value".into(),
        received_at_ms: 1.0,
        lifetime_ms: None,
    };
    assert!(!alloc::format!("{message:?}").contains("secret"));
    assert!(!alloc::format!("{:?}", message.wire(S)).contains("secret"));
}

/// The structure as JSON (what serde-wasm-bindgen makes of it in a Rust tab; a JavaScript
/// tab's structured clone has the same members).
#[cfg(feature = "serde")]
#[test]
fn the_structure_s_members_are_the_documented_ones() {
    let [token, _, signed_in, logout, working] = messages().map(|m| m.wire(S));
    let json = |w: &Wire| serde_json::to_string(w).unwrap();
    assert_eq!(
        json(&token),
        r#"{"v":1.0,"type":"token","session":"https://app.example/auth/refresh","token":"a.b.c","at":1700000000123.0,"lifetime":300000.0}"#
    );
    assert!(json(&signed_in).contains(r#""type":"signedIn","#));
    assert!(json(&logout).ends_with(r#""at":42.0}"#));
    assert!(json(&working).ends_with(r#""for":10000.0}"#));
    let read: Wire = serde_json::from_str(
        r#"{"v":1,"type":"logout","session":"https://app.example/auth/refresh","at":42}"#,
    )
    .unwrap();
    assert_eq!(
        TabMessage::from_wire(&read, S),
        Some(TabMessage::Logout { at_ms: 42.0 })
    );
    // A tab of an older build posted JSON text: not a structure at all.
    assert!(serde_json::from_str::<Wire>(r#""{\"type\":\"logout\"}""#).is_err());
    // `type` is a string, never serde's `{ "logout": null }` for a variant; `null` is absent.
    let with = |members: &str| {
        serde_json::from_str::<Wire>(&alloc::format!(
            r#"{{"v":1,"session":"{S}","at":42,{members}}}"#
        ))
    };
    assert!(with(r#""type":{"logout":null}"#).is_err());
    assert!(with(r#""type":"Logout""#).is_err());
    assert!(with(r#""type":"logout","token":7"#).is_err());
    let read = with(r#""type":"logout","lifetime":null,"token":null"#).unwrap();
    assert_eq!((read.lifetime, read.token), (None, None));
}
