//! DPoP (`dpop`) across tabs: tabs share the lock but not tokens; a tab refreshes for its own
//! session, and stops after another session's refresh was refused.

use alloc::string::String;

use alloc::format;

use super::dpop_tests::*;
use super::tests::*;

#[test]
fn tabs_do_not_adopt_each_other_s_tokens_but_a_signed_out_tab_refreshes_for_its_own() {
    let t = token(T0, 300.0, 9);
    let message = TabMessage::Token {
        token: t.clone(),
        received_at_ms: T0,
        lifetime_ms: Some(300_000.0),
    }
    .wire(SESSION);

    // Signed in: the other tab's token is ignored; no refresh either.
    let mut k = signed_in_dpop(true, true);
    let mine = k.access_token().cloned();
    k.handle_tab_message(&message, T0 + 1.0);
    assert_eq!(k.access_token().cloned(), mine);
    assert!(!k.is_refreshing());

    // Signed out: not adopted, but a refresh of its own starts (under the lock).
    let mut k = dpop_keeper(true, true);
    k.handle_tab_message(&message, T0 + 1.0);
    assert!(!k.is_authenticated());
    assert!(k.is_refreshing());
    let out = drain(&mut k);
    assert!(out.iter().any(|c| matches!(c, Command::RequestLock { .. })));
    assert!(has_event(&out, "refresh"));

    // A token from before this tab signed out starts nothing.
    let mut k = signed_in_dpop(true, true);
    k.logout(CallId(4), T0 + 10.0);
    drain(&mut k);
    k.handle_tab_message(&message, T0 + 20.0);
    assert!(!k.is_refreshing());

    // Without dpop, the token is adopted as ever.
    let mut k = keeper(true, true);
    k.handle_tab_message(&message, T0 + 1.0);
    assert!(k.is_authenticated());
}

#[test]
fn a_waiting_tab_refreshes_for_itself_after_the_lock_even_if_another_tab_just_did() {
    let mut k = signed_in_dpop(true, true);
    k.refresh(CallId(2), T0 + 1.0);
    drain(&mut k);
    // The other tab refreshed meanwhile and announced its token.
    let other = TabMessage::Token {
        token: token(T0 + 1.0, 300.0, 9),
        received_at_ms: T0 + 1.0,
        lifetime_ms: Some(300_000.0),
    }
    .wire(SESSION);
    k.handle_tab_message(&other, T0 + 2.0);
    // It may listen a moment first (the other tab was working); then it sends its own refresh.
    assert!(
        refresh_sent_after_grant(&mut k, T0 + 3.0).is_some(),
        "its own refresh"
    );
}

fn heard(token: &str, at: f64) -> Wire {
    TabMessage::Token {
        token: token.into(),
        received_at_ms: at,
        lifetime_ms: Some(300_000.0),
    }
    .wire(SESSION)
}

/// A token of `sub`, issued at `now_ms`, living 300 s.
fn token_for(sub: &str, now_ms: f64) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    let iat = now_ms / 1000.0;
    let payload = format!(r#"{{"sub":"{sub}","iat":{iat},"exp":{}}}"#, iat + 300.0);
    format!(
        "eyJhbGciOiJIUzI1NiJ9.{}.c2ln",
        URL_SAFE_NO_PAD.encode(payload)
    )
}

#[test]
fn a_signed_in_tab_refreshes_when_another_tab_signed_in_as_someone_else() {
    let mut k = signed_in_dpop(true, true);
    // Another login as alice (the same user): nothing to do.
    k.handle_tab_message(&heard(&token(T0 + 1.0, 300.0, 9), T0 + 1.0), T0 + 2.0);
    assert!(!k.is_refreshing());
    // A login as bob: this tab refreshes for its own token of the new session.
    let bob = token_for("bob", T0 + 3.0);
    k.handle_tab_message(&heard(&bob, T0 + 3.0), T0 + 4.0);
    assert!(k.is_refreshing());
    assert_eq!(
        k.access_token().map(|t| String::from(t.expose())),
        Some(token(T0, 300.0, 1)),
        "not adopted"
    );
}

#[test]
fn a_signed_out_tab_whose_refresh_for_another_tab_s_session_is_refused_stops_until_a_sign_out() {
    let mut k = dpop_keeper(true, true);
    k.handle_tab_message(&heard(&token(T0, 300.0, 9), T0), T0 + 1.0);
    drain(&mut k);
    let id = refresh_sent_after_grant(&mut k, T0 + 2.0).unwrap();
    // A server that pins the family to the first tab's key refuses this one.
    k.handle_auth_answer(
        id,
        answer(401, r#"{"error":"invalid_dpop_key"}"#),
        T0 + 200.0,
    );
    drain(&mut k);
    assert!(!k.is_refreshing());
    // The first tab refreshes again: no new attempt here.
    k.handle_tab_message(
        &heard(&token(T0 + 500.0, 300.0, 10), T0 + 500.0),
        T0 + 501.0,
    );
    assert!(!k.is_refreshing());
    // A sign-out heard, then a new login: worth a try again.
    k.handle_tab_message(
        &TabMessage::Logout { at_ms: T0 + 600.0 }.wire(SESSION),
        T0 + 600.0,
    );
    k.handle_tab_message(
        &heard(&token(T0 + 700.0, 300.0, 11), T0 + 700.0),
        T0 + 701.0,
    );
    assert!(k.is_refreshing());
}

#[test]
fn a_restore_refused_at_page_load_does_not_stop_the_tab_from_hearing_a_later_login() {
    let mut k = dpop_keeper(true, true);
    k.restore(CallId(1), T0);
    drain(&mut k);
    k.handle_lock(LockEvent::Granted, T0 + 1.0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, status(401), T0 + 2.0);
    drain(&mut k);
    k.handle_tab_message(&heard(&token(T0 + 10.0, 300.0, 9), T0 + 10.0), T0 + 11.0);
    assert!(k.is_refreshing());
}

#[test]
fn without_the_lock_a_heard_token_starts_no_refresh() {
    // Tabs that cannot take turns would all present the one cookie at once.
    let mut k = dpop_keeper(false, true);
    k.handle_tab_message(&heard(&token(T0, 300.0, 9), T0), T0 + 1.0);
    assert!(!k.is_refreshing());
}
