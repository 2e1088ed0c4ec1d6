//! What tabs of one origin tell each other over the `BroadcastChannel`, as typed messages with
//! one text encoding (JSON), so a JavaScript tab and a Rust tab of the same app understand each
//! other.
//!
//! Every message names the session it belongs to (the keeper's [`crate::Keeper::session`], its
//! resolved `refreshUrl`): keepers of different backends may share one channel (an app that set
//! one `channelName` for both, an older version's default), and a message of another session is
//! none of this keeper's business.
//!
//! Decoding checks shapes only: a message that is not one of these, of another session, or whose
//! fields have the wrong types or impossible values, is `None` and ignored. Whether a well-formed token message
//! is worth adopting (it decodes, is not expired, is newer than the token held, was not received
//! in the future) is the keeper's decision, in `keeper::tabs`.

use alloc::string::String;

use crate::json::{self, Reader, Value};

/// A message between tabs.
#[derive(Clone, PartialEq)]
pub enum TabMessage {
    /// A tab received a new token from the server.
    Token {
        /// The access token.
        token: String,
        /// When the sending tab received it, ms on the local clock (shared by every tab).
        received_at_ms: f64,
        /// Its lifetime as the sending tab planned it; `None` for a token that never expires.
        lifetime_ms: Option<f64>,
    },
    /// A tab received a new token it does not share (the isolated entry, whose channel any page
    /// script could listen on): there is a session, and each tab refreshes for a token of its own.
    SignedIn {
        /// When the sending tab received it, ms on the local clock.
        received_at_ms: f64,
        /// Its lifetime as the sending tab planned it; `None` for a token that never expires.
        lifetime_ms: Option<f64>,
    },
    /// A tab signed out (or the server refused its refresh token): the session is over.
    Logout {
        /// When, ms on the local clock. Tokens received before this moment are never adopted.
        at_ms: f64,
    },
    /// The holder of the refresh lock is still working on it (sending, or waiting out a
    /// backoff): a tab waiting for the lock must not steal it for this long.
    Working {
        /// How long until the holder's next sign of life at the latest, ms.
        for_ms: f64,
    },
}

impl core::fmt::Debug for TabMessage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the token itself.
        f.write_str(match self {
            TabMessage::Token { .. } => "TabMessage::Token([redacted])",
            TabMessage::SignedIn { .. } => "TabMessage::SignedIn",
            TabMessage::Logout { .. } => "TabMessage::Logout",
            TabMessage::Working { .. } => "TabMessage::Working",
        })
    }
}

const KEYS: &[&str] = &[
    "type",
    "token",
    "receivedAt",
    "lifetime",
    "at",
    "for",
    "session",
];

impl TabMessage {
    /// The message as JSON text, for `session`. Times are whole milliseconds.
    pub fn encode(&self, session: &str) -> String {
        let mut out = String::from("{\"type\":");
        match self {
            TabMessage::Token {
                token,
                received_at_ms,
                lifetime_ms,
            } => {
                out.push_str("\"token\",\"token\":");
                json::write_string(&mut out, token);
                push_received(&mut out, *received_at_ms, *lifetime_ms);
            }
            TabMessage::SignedIn {
                received_at_ms,
                lifetime_ms,
            } => {
                out.push_str("\"signedIn\"");
                push_received(&mut out, *received_at_ms, *lifetime_ms);
            }
            TabMessage::Logout { at_ms } => {
                out.push_str("\"logout\"");
                push_ms(&mut out, "at", *at_ms);
            }
            TabMessage::Working { for_ms } => {
                out.push_str("\"working\"");
                push_ms(&mut out, "for", *for_ms);
            }
        }
        out.push_str(",\"session\":");
        json::write_string(&mut out, session);
        out.push('}');
        out
    }

    /// The message `text` encodes, or `None` when it is not a well-formed message of
    /// `session`.
    pub fn decode(text: &str, session: &str, reader: Reader) -> Option<TabMessage> {
        let values = json::fields(reader, text, KEYS).ok()??;
        let [kind, token, received_at, lifetime, at, for_ms, of] =
            <[Option<Value>; 7]>::try_from(values).ok()?;
        match of {
            Some(Value::Str(of)) if of == session => {}
            _ => return None,
        }
        let Some(Value::Str(kind)) = kind else {
            return None;
        };
        let lifetime_ms = match lifetime {
            None => None,
            Some(v) => Some(ms(Some(v))?),
        };
        match kind.as_str() {
            "token" => {
                let Some(Value::Str(token)) = token else {
                    return None;
                };
                (!token.is_empty()).then_some(())?;
                Some(TabMessage::Token {
                    token,
                    received_at_ms: ms(received_at)?,
                    lifetime_ms,
                })
            }
            "signedIn" => Some(TabMessage::SignedIn {
                received_at_ms: ms(received_at)?,
                lifetime_ms,
            }),
            "logout" => Some(TabMessage::Logout { at_ms: ms(at)? }),
            "working" => Some(TabMessage::Working {
                for_ms: ms(for_ms)?,
            }),
            _ => None,
        }
    }
}

/// A time or duration field: a finite number of milliseconds, not negative.
fn ms(value: Option<Value>) -> Option<f64> {
    match value {
        Some(Value::Num(n)) if n.is_finite() && n >= 0.0 => Some(n),
        _ => None,
    }
}

/// Appends when a token was received and its lifetime, when it has one.
fn push_received(out: &mut String, received_at_ms: f64, lifetime_ms: Option<f64>) {
    push_ms(out, "receivedAt", received_at_ms);
    if let Some(lifetime) = lifetime_ms {
        push_ms(out, "lifetime", lifetime);
    }
}

/// Appends `,"key":<ms>` with `ms` rounded down to a whole number (no float formatting).
fn push_ms(out: &mut String, key: &str, ms: f64) {
    out.push_str(",\"");
    out.push_str(key);
    out.push_str("\":");
    // Saturating cast: negative and NaN become 0, which decoding accepts as a time.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    json::write_u64(out, ms as u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &str = "https://app.example/auth/refresh";

    #[test]
    fn every_message_round_trips() {
        for message in [
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
        ] {
            assert_eq!(
                TabMessage::decode(&message.encode(S), S, crate::json::serde_reader),
                Some(message)
            );
        }
    }

    #[test]
    fn malformed_or_hostile_messages_are_none() {
        for text in [
            "",
            "null",
            "[]",
            r#"{"type":"token"}"#,
            r#"{"type":"token","token":"","receivedAt":1}"#,
            r#"{"type":"token","token":"a.b.c"}"#,
            r#"{"type":"token","token":"a.b.c","receivedAt":"1"}"#,
            r#"{"type":"token","token":"a.b.c","receivedAt":-1}"#,
            r#"{"type":"token","token":"a.b.c","receivedAt":1,"lifetime":null}"#,
            r#"{"type":"token","token":"a.b.c","receivedAt":1,"lifetime":-5}"#,
            r#"{"type":"token","token":7,"receivedAt":1}"#,
            r#"{"type":"logout"}"#,
            r#"{"type":"working","for":"long"}"#,
            r#"{"type":"steal"}"#,
            r#"{"type":["token"]}"#,
        ] {
            let text = &text.replacen('{', r#"{"session":"https://app.example/auth/refresh","#, 1);
            assert_eq!(
                TabMessage::decode(text, S, crate::json::serde_reader),
                None,
                "{text}"
            );
        }
    }

    proptest::proptest! {
        /// Whatever another tab (or a script posting on the channel) sends, decoding returns.
        #[test]
        fn fuzz_tab_messages_never_panic(text in ".{0,200}") {
            let _ = TabMessage::decode(&text, S, crate::json::serde_reader);
        }

        /// Shapes close to real messages, with fields of every type, never panic either.
        #[test]
        fn fuzz_near_messages_never_panic(
            kind in proptest::sample::select(alloc::vec!["token", "logout", "working", "", "Token", "\\u0074oken"]),
            value in proptest::sample::select(alloc::vec!["1", "-1", "1e999", "\"x\"", "null", "[]", "{}", "true", "0.5", "9007199254740993"]),
        ) {
            for key in ["token", "receivedAt", "lifetime", "at", "for"] {
                let text = alloc::format!(r#"{{"type":"{kind}","{key}":{value},"token":"a.b.c","receivedAt":1}}"#);
                let _ = TabMessage::decode(&text, S, crate::json::serde_reader);
            }
        }
    }

    #[test]
    fn a_message_of_another_session_or_of_none_is_not_heard() {
        let message = TabMessage::Logout { at_ms: 5.0 };
        let other = message.encode("https://other.example/auth/refresh");
        assert_eq!(
            TabMessage::decode(&other, S, crate::json::serde_reader),
            None
        );
        assert_eq!(
            TabMessage::decode(r#"{"type":"logout","at":5}"#, S, crate::json::serde_reader),
            None
        );
        assert_eq!(
            TabMessage::decode(
                r#"{"session":7,"type":"logout","at":5}"#,
                S,
                crate::json::serde_reader
            ),
            None
        );
        assert_eq!(
            TabMessage::decode(&message.encode(S), S, crate::json::serde_reader),
            Some(message)
        );
    }

    #[test]
    fn debug_never_shows_the_token() {
        let message = TabMessage::Token {
            token: "secret.token.value".into(),
            received_at_ms: 1.0,
            lifetime_ms: None,
        };
        assert!(!alloc::format!("{message:?}").contains("secret"));
    }
}
