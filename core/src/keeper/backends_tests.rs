//! The keeper against backends of other shapes than the reference server's: Django's CSRF on
//! every POST, a session endpoint that answers `null` when there is no session.

use alloc::string::String;

use super::tests::*;

#[test]
fn a_login_carries_the_csrf_header_only_when_its_cookie_is_there() {
    let k = signed_in(false, false);
    let login = AuthKind::Login { call: CallId(9) };
    let csrf = |kind, cookies: &str| k.auth_headers(kind, cookies).0.map(|(_, v)| v);
    assert_eq!(csrf(login, "csrf_token=c1").as_deref(), Some("c1"));
    // No cookie: a login sends none (a first sign-in has none yet), though the last answer's
    // value is known; a refresh and a logout send that one.
    assert_eq!(csrf(login, "other=1"), None);
    assert_eq!(csrf(AuthKind::Refresh, "other=1").as_deref(), Some("c1"));
    assert_eq!(
        csrf(AuthKind::Logout, "csrf_token=c1").as_deref(),
        Some("c1")
    );
    // Only a refresh carries the reissue flow's bearer, and only with its option.
    assert!(k.auth_headers(AuthKind::Refresh, "").1.is_none());
}

#[test]
fn a_refresh_answered_null_is_no_session_like_a_refusal() {
    let null = || Answer::Response {
        status: 200,
        parsed: crate::parsed::serde_parse(&String::from(" null\n")),
        body: String::from(" null\n"),
        retry_after_s: None,
        token_header: None,
        dpop_nonce: None,
    };
    // Page load without a session: `restore()` resolves false, and nothing is an error.
    let mut k = keeper(true, true);
    k.restore(CallId(1), T0);
    k.handle_lock(LockEvent::Granted, T0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, null(), T0 + 1.0);
    let out = drain(&mut k);
    assert!(matches!(
        settled(&out, CallId(1)),
        Some(Ok(Settled::Restored(false)))
    ));
    assert!(!has_event(&out, "error"), "{out:?}");
    assert!(!k.is_authenticated());
    // Signed in, the session ends: a refresh answered null signs out as a refusal does.
    let mut k = signed_in(false, false);
    k.refresh(CallId(2), T0 + 1_000.0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, null(), T0 + 1_001.0);
    let out = drain(&mut k);
    assert!(has_event(&out, "logout"), "{out:?}");
    assert!(matches!(settled(&out, CallId(2)), Some(Err(e)) if e.code() == "rejected"));
    assert!(!k.is_authenticated());
}

/// `refreshAfterLogin`: a session-cookie backend's sign-in answers the user, not a token.
fn session_backend(locks: bool) -> Keeper {
    keeper_with(locks, locks, |c| c.refresh_after_login = true)
}

fn signed_in_user() -> Answer {
    Answer::Response {
        status: 200,
        parsed: crate::parsed::serde_parse(&String::from(r#"{"user":{"id":"alice"}}"#)),
        body: String::from(r#"{"user":{"id":"alice"}}"#),
        retry_after_s: None,
        token_header: None,
        dpop_nonce: None,
    }
}

#[test]
fn refresh_after_login_settles_the_login_with_the_refreshed_token() {
    for locks in [false, true] {
        let mut k = session_backend(locks);
        let login = login_sent(&mut k, T0);
        k.handle_auth_answer(login, signed_in_user(), T0 + 5.0);
        let out = drain(&mut k);
        assert!(settled(&out, CallId(1)).is_none(), "{out:?}");
        assert!(!k.is_authenticated());
        assert!(out.iter().any(|c| matches!(
            c,
            Command::Emit(crate::event::Event::Refresh {
                trigger: crate::event::Trigger::Login
            })
        )));
        let refresh = match sent_auth(&out) {
            Some(id) => id,
            None => refresh_sent_after_grant(&mut k, T0 + 6.0).unwrap(),
        };
        assert_ne!(refresh, login);
        k.handle_auth_answer(refresh, grant(&token(T0, 300.0, 1)), T0 + 10.0);
        let out = drain(&mut k);
        assert!(
            matches!(settled(&out, CallId(1)), Some(Ok(Settled::Claims(_)))),
            "{out:?}"
        );
        assert!(k.is_authenticated());
    }
}

#[test]
fn refresh_after_login_fails_the_login_when_the_token_endpoint_refuses() {
    let mut k = session_backend(false);
    let login = login_sent(&mut k, T0);
    k.handle_auth_answer(login, signed_in_user(), T0 + 5.0);
    let refresh = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(refresh, status(401), T0 + 10.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(1)), Some(Err(e)) if e.code() == "rejected"));
    assert!(!k.is_authenticated());
    // A refused sign-in is the login's own error, and no refresh follows it.
    let mut k = session_backend(false);
    let login = login_sent(&mut k, T0);
    k.handle_auth_answer(login, status(401), T0 + 5.0);
    let out = drain(&mut k);
    assert!(sent_auth(&out).is_none());
    assert!(matches!(settled(&out, CallId(1)), Some(Err(e)) if e.code() == "http"));
}

#[test]
fn a_logout_during_the_refresh_after_login_aborts_the_login() {
    let mut k = session_backend(false);
    let login = login_sent(&mut k, T0);
    k.handle_auth_answer(login, signed_in_user(), T0 + 5.0);
    let refresh = sent_auth(&drain(&mut k)).unwrap();
    k.logout(CallId(2), T0 + 6.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(1)), Some(Err(e)) if e.code() == "aborted"));
    k.handle_auth_answer(refresh, grant(&token(T0, 300.0, 1)), T0 + 10.0);
    drain(&mut k);
    assert!(!k.is_authenticated());
}
