//! Where the keeper meets the page and other apps: sessions kept apart on one origin, a logout
//! that races a login, CSRF values that collide, a server's `Retry-After` across flights, and a
//! 401 that does not blame the token.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::dpop_tests::dpop_keeper;
use super::tests::*;

const OTHER_SESSION: &str = "https://app.example/billing/auth/refresh";

fn api() -> String {
    format!("{ORIGIN}/api/me")
}

fn answer(status: u16, body: &str, retry_after_s: Option<f64>) -> Answer {
    Answer::Response {
        status,
        parsed: crate::parsed::serde_parse(body),
        body: body.into(),
        retry_after_s,
        token_header: None,
        dpop_nonce: None,
    }
}

fn auth_kinds(commands: &[Command]) -> Vec<AuthKind> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::SendAuth(send) => Some(send.kind),
            _ => None,
        })
        .collect()
}

fn bearer_sent(commands: &[Command], id: FetchId) -> bool {
    commands
        .iter()
        .any(|c| matches!(c, Command::SendApp { id: i, .. } if *i == id))
}

fn token_message(token: String, at: f64, session: &str) -> Wire {
    TabMessage::Token {
        token,
        received_at_ms: at,
        lifetime_ms: Some(300_000.0),
    }
    .wire(session)
}

// Keepers of different backends on one origin ------------------------------------------------

#[test]
fn the_default_lock_and_channel_name_is_the_session_s_and_a_given_one_wins() {
    let k = keeper(true, true);
    assert_eq!(k.channel_name(), format!("token-keeper:{SESSION}"));
    let mut config = Config::new("/auth/refresh");
    config.channel_name = Some("app".into());
    assert_eq!(config.channel_name_for(SESSION), "app");
}

#[test]
fn a_message_of_another_session_is_neither_adopted_nor_obeyed() {
    // Signed in: another backend's newer token is not taken, its sign-out ends nothing.
    let mut k = signed_in(true, true);
    let mine = k.access_token().cloned();
    let theirs = token(T0 + 1.0, 300.0, 9);
    k.handle_tab_message(
        &token_message(theirs.clone(), T0 + 1.0, OTHER_SESSION),
        T0 + 2.0,
    );
    assert_eq!(k.access_token().cloned(), mine);
    k.handle_tab_message(
        &TabMessage::Logout { at_ms: T0 + 3.0 }.wire(OTHER_SESSION),
        T0 + 3.0,
    );
    assert!(k.is_authenticated());
    assert!(!has_event(&drain(&mut k), "logout"));

    // Signed out: restore() asks this keeper's own server instead of answering `true` with
    // another backend's token.
    let mut k = keeper(true, true);
    k.handle_tab_message(
        &token_message(theirs.clone(), T0 + 1.0, OTHER_SESSION),
        T0 + 2.0,
    );
    assert!(!k.is_authenticated());
    k.restore(CallId(1), T0 + 3.0);
    let out = drain(&mut k);
    assert!(settled(&out, CallId(1)).is_none(), "it goes to the server");
    assert!(out.iter().any(|c| matches!(c, Command::RequestLock { .. })));

    // The same message for this session is adopted, as ever.
    let mut k = keeper(true, true);
    k.handle_tab_message(&token_message(theirs, T0 + 1.0, SESSION), T0 + 2.0);
    assert!(k.is_authenticated());
}

#[test]
fn with_dpop_a_tab_signed_in_as_someone_else_refreshes_for_a_heard_token_once_per_backoff() {
    let mut k = dpop_keeper(true, true);
    k.set_token(&token(T0, 300.0, 1), T0).unwrap();
    drain(&mut k);
    // Another user's token (`sub` bob), heard twice: the second starts nothing.
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256"}"#);
    let claims = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"sub":"bob","iat":{},"exp":{}}}"#,
        T0 / 1000.0,
        T0 / 1000.0 + 300.0
    ));
    let bob = format!("{header}.{claims}.c2ln");
    k.handle_tab_message(&token_message(bob.clone(), T0 + 1.0, SESSION), T0 + 1.0);
    assert!(k.is_refreshing());
    let id = refresh_sent_after_grant(&mut k, T0 + 2.0).unwrap();
    // The server answers with a token of this tab's user again (another backend's, say).
    k.handle_auth_answer(id, grant(&token(T0 + 3.0, 300.0, 2)), T0 + 3.0);
    drain(&mut k);
    assert!(!k.is_refreshing());
    k.handle_tab_message(&token_message(bob.clone(), T0 + 4.0, SESSION), T0 + 4.0);
    assert!(!k.is_refreshing(), "not again within the backoff");
    k.handle_tab_message(
        &token_message(bob, T0 + TAB_REFRESH_BACKOFF_MS + 10.0, SESSION),
        T0 + TAB_REFRESH_BACKOFF_MS + 10.0,
    );
    assert!(k.is_refreshing(), "after it, once more");
}

// A logout while the login is on the wire ----------------------------------------------------

#[test]
fn a_logout_while_the_login_is_on_the_wire_waits_for_it_and_presents_its_cookie() {
    let mut k = keeper(false, false);
    k.config.logout_url = Some(format!("{ORIGIN}/auth/logout"));
    let login = login_sent(&mut k, T0);
    k.logout(CallId(2), T0 + 1.0);
    let out = drain(&mut k);
    assert!(
        matches!(settled(&out, CallId(1)), Some(Err(e)) if e.code() == "aborted"),
        "the login's caller learns at once"
    );
    assert!(
        auth_kinds(&out).is_empty(),
        "no logout before the login has landed: its cookie would come after"
    );
    // The login lands (its cookie with it): now the logout goes, and presents that cookie.
    k.handle_auth_answer(login, grant(&token(T0 + 2.0, 300.0, 1)), T0 + 2.0);
    let out = drain(&mut k);
    assert_eq!(auth_kinds(&out), [AuthKind::Logout]);
    assert!(
        !has_event(&out, "token"),
        "the replaced login's token is not taken"
    );
    assert!(!k.is_authenticated());
    let logout = sent_auth(&out).unwrap();
    k.handle_auth_answer(logout, status(204), T0 + 3.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(2)), Some(Ok(Settled::Done))));
    assert!(!k.is_authenticated());

    // A login that times out on the wire: the logout goes when the keeper stops waiting.
    let mut k = keeper(false, false);
    k.config.logout_url = Some(format!("{ORIGIN}/auth/logout"));
    let _ = login_sent(&mut k, T0);
    k.logout(CallId(2), T0 + 1.0);
    drain(&mut k);
    k.handle_timeout(T0 + 10_001.0);
    assert_eq!(auth_kinds(&drain(&mut k)), [AuthKind::Logout]);
}

// CSRF values that collide -------------------------------------------------------------------

#[test]
fn of_several_csrf_cookies_the_one_the_last_answer_bound_is_sent() {
    // The login's answer bound `c1` (`grant`).
    let k = signed_in(false, false);
    let header = |cookies: &str| k.auth_headers(AuthKind::Refresh, cookies).0.map(|(_, v)| v);
    assert_eq!(
        header("csrf_token=sibling; csrf_token=c1").as_deref(),
        Some("c1")
    );
    assert_eq!(
        header("a=1; csrf_token=c1; csrf_token=x").as_deref(),
        Some("c1")
    );
    // One cookie is the current value (the server may have set a new one): sent as it is.
    assert_eq!(header("csrf_token=c2").as_deref(), Some("c2"));
    // None readable, or only empty ones: the answer's value.
    assert_eq!(header("other=1; csrf_token=").as_deref(), Some("c1"));
    let fresh = keeper(false, false);
    assert_eq!(
        fresh
            .auth_headers(AuthKind::Refresh, "csrf_token=a; csrf_token=b")
            .0
            .map(|(_, v)| v)
            .as_deref(),
        Some("a")
    );
}

#[test]
fn a_csrf_refusal_is_that_call_s_error_and_signs_no_tab_out() {
    let mut k = signed_in(true, true);
    k.refresh(CallId(2), T0 + 1.0);
    drain(&mut k);
    let id = refresh_sent_after_grant(&mut k, T0 + 2.0).unwrap();
    k.handle_auth_answer(id, answer(403, r#"{"error":"csrf"}"#, None), T0 + 3.0);
    let out = drain(&mut k);
    assert!(
        matches!(settled(&out, CallId(2)), Some(Err(e)) if e.code() == "csrf" && e.status() == Some(403))
    );
    assert!(has_event(&out, "error"));
    assert!(!has_event(&out, "logout"));
    assert!(!out
        .iter()
        .any(|c| matches!(c, Command::Post(TabMessage::Logout { .. }))));
    assert!(k.is_authenticated());

    // Other refusals still end the session: the server says the refresh token is dead, or a
    // 403 that does not name CSRF.
    for body in [
        r#"{"error":"invalid_grant","error_description":"csrf ok, token revoked"}"#,
        "Forbidden",
        r#"{"error":"session_revoked"}"#,
        "",
    ] {
        let mut k = signed_in(false, false);
        k.refresh(CallId(2), T0 + 1.0);
        let id = sent_auth(&drain(&mut k)).unwrap();
        k.handle_auth_answer(id, answer(403, body, None), T0 + 2.0);
        assert!(has_event(&drain(&mut k), "logout"), "{body}");
        assert!(!k.is_authenticated());
    }
    // The common frameworks' CSRF refusals are recognized.
    for body in [
        "CSRF verification failed. Request aborted.",
        r#"{"detail":"CSRF Failed: CSRF token missing."}"#,
        "Invalid CSRF Token 'null' was found",
    ] {
        let mut k = signed_in(false, false);
        k.refresh(CallId(2), T0 + 1.0);
        let id = sent_auth(&drain(&mut k)).unwrap();
        k.handle_auth_answer(id, answer(403, body, None), T0 + 2.0);
        assert!(!has_event(&drain(&mut k), "logout"), "{body}");
        assert!(k.is_authenticated());
    }
}

// The server's `Retry-After`, across flights ------------------------------------------------

#[test]
fn a_retry_after_is_kept_across_flights_and_a_valid_token_is_used_meanwhile() {
    let mut k = signed_in(false, false);
    k.config.retry.attempts = 0;
    // Due (lead 60 s of 300 s, capped at a quarter): the app's request refreshes first.
    let due = T0 + 250_000.0;
    k.fetch(FetchId(10), &api(), false, due);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, answer(429, "", Some(5.0)), due + 10.0);
    let out = drain(&mut k);
    assert!(
        bearer_sent(&out, FetchId(10)),
        "the waiting request goes with the valid token"
    );
    // The app polls: each request goes with the token, and no refresh leaves for 5 s.
    for (n, at) in [200.0, 400.0, 2_000.0, 4_900.0].into_iter().enumerate() {
        let fetch = FetchId(11 + n as u64);
        k.fetch(fetch, &api(), false, due + 10.0 + at);
        let out = drain(&mut k);
        assert!(
            auth_kinds(&out).is_empty(),
            "no refresh {at} ms after the 429"
        );
        assert!(bearer_sent(&out, fetch));
        k.handle_wake(true, due + 10.0 + at);
        assert!(auth_kinds(&drain(&mut k)).is_empty());
    }
    // A forced refresh waits it out, then goes.
    k.refresh(CallId(3), due + 1_000.0);
    assert!(auth_kinds(&drain(&mut k)).is_empty());
    k.handle_timeout(due + 5_010.0);
    assert_eq!(auth_kinds(&drain(&mut k)), [AuthKind::Refresh]);
}

#[test]
fn a_retry_after_longer_than_the_keeper_waits_fails_refreshes_at_once_until_it_passed() {
    let mut k = signed_in(false, false);
    k.refresh(CallId(2), T0 + 1.0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, answer(429, "", Some(300.0)), T0 + 2.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(2)), Some(Err(e)) if e.status() == Some(429)));
    k.refresh(CallId(3), T0 + 3.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(3)), Some(Err(e)) if e.status() == Some(429)));
    assert!(auth_kinds(&out).is_empty());
    // A 401 meanwhile goes to the caller as it is.
    k.fetch(FetchId(10), &api(), false, T0 + 4.0);
    drain(&mut k);
    k.handle_app_answer(FetchId(10), unauthorized(&api(), None, None), T0 + 5.0);
    let out = drain(&mut k);
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::FinishApp { id: FetchId(10) })));
    assert!(auth_kinds(&out).is_empty());
    // Once it has passed, the schedule refreshes.
    k.handle_timeout(T0 + 302_001.0);
    assert_eq!(auth_kinds(&drain(&mut k)), [AuthKind::Refresh]);
}

// A 401 that does not blame the token --------------------------------------------------------

#[test]
fn a_401_whose_challenge_does_not_blame_the_token_goes_to_the_caller_as_it_is() {
    for (challenge, refreshes) in [
        (
            Some(r#"Bearer error="insufficient_scope", scope="admin""#),
            false,
        ),
        (
            Some(r#"Bearer error="insufficient_user_authentication", acr_values="mfa""#),
            false,
        ),
        (Some(r#"Basic realm="intranet""#), false),
        (Some(r#"Bearer error="invalid_token""#), true),
        (None, true),
    ] {
        let mut k = signed_in(false, false);
        k.fetch(FetchId(5), &api(), false, T0 + 1.0);
        drain(&mut k);
        k.handle_app_answer(FetchId(5), unauthorized(&api(), challenge, None), T0 + 2.0);
        let out = drain(&mut k);
        assert_eq!(k.is_refreshing(), refreshes, "{challenge:?}");
        assert_eq!(
            out.iter()
                .any(|c| matches!(c, Command::FinishApp { id: FetchId(5) })),
            !refreshes,
            "{challenge:?}"
        );
    }
}

// Text from outside, bounded ----------------------------------------------------------------

#[test]
fn an_auth_answer_or_a_tab_message_longer_than_64_kib_is_not_read() {
    let mut k = signed_in(false, false);
    let mine = k.access_token().cloned();
    // A grant padded past the bound: read as empty, an invalid_token error; the token stays.
    k.refresh(CallId(2), T0 + 1.0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    let token = token(T0 + 1.0, 300.0, 2);
    let padded = format!(
        r#"{{"access_token":"{token}","pad":"{}"}}"#,
        "x".repeat(MAX_INPUT_BYTES)
    );
    k.handle_auth_answer(id, answer(200, &padded, None), T0 + 2.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(2)), Some(Err(e)) if e.code() == "invalid_token"));
    assert_eq!(k.access_token().cloned(), mine);
    // A tab message as long: not heard.
    let mut k = keeper(true, true);
    let mut message = token_message(token, T0 + 1.0, SESSION);
    message.session.push_str(&"x".repeat(MAX_INPUT_BYTES));
    k.handle_tab_message(&message, T0 + 2.0);
    assert!(!k.is_authenticated());
}

#[test]
fn with_dpop_a_heard_token_that_has_run_out_starts_no_refresh() {
    let mut k = dpop_keeper(true, true);
    // A tab thawed from a long freeze tells of the token it got before: long expired.
    let old = TabMessage::Token {
        token: token(T0, 3.0, 4),
        received_at_ms: T0,
        lifetime_ms: Some(3_000.0),
    };
    k.handle_tab_message(&old.wire(SESSION), T0 + 40_000.0);
    assert!(!k.is_refreshing(), "no news of a running session");
    // A live one is news: this tab refreshes for its own key (and is not held back later).
    let live = TabMessage::Token {
        token: token(T0 + 40_000.0, 300.0, 5),
        received_at_ms: T0 + 40_000.0,
        lifetime_ms: Some(300_000.0),
    };
    k.handle_tab_message(&live.wire(SESSION), T0 + 40_001.0);
    assert!(k.is_refreshing());
}
