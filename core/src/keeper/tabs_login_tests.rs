//! The keeper's decisions about other tabs around logins and sign-outs: a login under the
//! lock, one replaced while it waits, a refresh refused after a newer token came, a sign-out
//! from before a login, a thief that hears the holder at work, and a login dated from when it
//! leaves.

use alloc::string::String;

use super::tabs_tests::asked_to_steal;
use super::tests::*;

#[test]
fn a_login_waits_for_the_lock_and_gives_it_back_when_answered() {
    let mut k = keeper(true, true);
    k.login(CallId(1), Credentials::default(), T0);
    let out = drain(&mut k);
    assert!(sent_auth(&out).is_none(), "not before the lock");
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::RequestLock { steal: false })));
    k.handle_lock(LockEvent::Granted, T0 + 5.0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, grant(&token(T0 + 5.0, 300.0, 1)), T0 + 10.0);
    let out = drain(&mut k);
    assert!(matches!(
        settled(&out, CallId(1)),
        Some(Ok(Settled::Claims(_)))
    ));
    assert!(out.iter().any(|c| matches!(c, Command::ReleaseLock)));
    // Dated from when it left: the token's broadcast says T0 + 5, not T0.
    let dated = out.iter().find_map(|c| match c {
        Command::Post(TabMessage::Token { received_at_ms, .. }) => Some(*received_at_ms),
        _ => None,
    });
    assert_eq!(dated, Some(T0 + 5.0));
}

#[test]
fn a_login_goes_without_the_lock_when_the_holder_does_not_let_go() {
    let mut k = keeper(true, true);
    k.login(CallId(1), Credentials::default(), T0);
    drain(&mut k);
    let until = k.poll_timeout().unwrap();
    assert!(
        until - T0 <= 5_000.0,
        "at most half a timeout: {}",
        until - T0
    );
    k.handle_timeout(until);
    assert!(sent_auth(&drain(&mut k)).is_some());
    // Refused outright: at once.
    let mut k = keeper(true, true);
    k.login(CallId(1), Credentials::default(), T0);
    drain(&mut k);
    k.handle_lock(LockEvent::Refused, T0 + 1.0);
    assert!(sent_auth(&drain(&mut k)).is_some());
}

#[test]
fn a_second_login_or_a_logout_replaces_a_login_still_waiting_for_the_lock() {
    let mut k = keeper(true, true);
    k.config.logout_url = None;
    k.login(CallId(1), Credentials::default(), T0);
    drain(&mut k);
    k.logout(CallId(2), T0 + 1.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(1)), Some(Err(e)) if e.code() == "aborted"));
    assert!(sent_auth(&out).is_none());
    k.handle_lock(LockEvent::Granted, T0 + 2.0);
    assert!(
        sent_auth(&drain(&mut k)).is_none(),
        "the replaced login never leaves"
    );
}

#[test]
fn a_refresh_refused_after_another_tab_s_newer_token_came_keeps_that_token() {
    let mut k = signed_in(true, true);
    k.refresh(CallId(2), T0 + 1.0);
    drain(&mut k);
    let id = refresh_sent_after_grant(&mut k, T0 + 2.0).unwrap();
    // Another tab's login lands while this refresh (the old cookie) is out.
    let newer = token(T0 + 150.0, 300.0, 7);
    let message = TabMessage::Token {
        token: newer.clone(),
        received_at_ms: T0 + 150.0,
        lifetime_ms: Some(300_000.0),
    };
    k.handle_tab_message(&message.wire(SESSION), T0 + 151.0);
    k.handle_auth_answer(id, status(401), T0 + 200.0);
    let out = drain(&mut k);
    assert!(k.is_authenticated());
    assert_eq!(
        k.access_token().map(|t| String::from(t.expose())),
        Some(newer)
    );
    assert!(!has_event(&out, "logout"));
    assert!(!out
        .iter()
        .any(|c| matches!(c, Command::Post(TabMessage::Logout { .. }))));
}

#[test]
fn a_sign_out_from_before_a_login_does_not_end_it() {
    let mut k = keeper(true, true);
    k.login(CallId(1), Credentials::default(), T0 + 10.0);
    drain(&mut k);
    k.handle_tab_message(&TabMessage::Logout { at_ms: T0 }.wire(SESSION), T0 + 11.0);
    k.handle_lock(LockEvent::Granted, T0 + 12.0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, grant(&token(T0 + 12.0, 300.0, 1)), T0 + 20.0);
    assert!(matches!(
        settled(&drain(&mut k), CallId(1)),
        Some(Ok(Settled::Claims(_)))
    ));
    // One from after the login began ends it, before it leaves: sent after the sign-out, it
    // would start a session anew.
    let mut k = keeper(true, true);
    k.login(CallId(1), Credentials::default(), T0);
    drain(&mut k);
    k.handle_tab_message(
        &TabMessage::Logout { at_ms: T0 + 5.0 }.wire(SESSION),
        T0 + 6.0,
    );
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(1)), Some(Err(e)) if e.code() == "aborted"));
    k.handle_lock(LockEvent::Granted, T0 + 7.0);
    assert!(sent_auth(&drain(&mut k)).is_none());
}

/// A thief that hears the holder at work after it asked to steal (the holder woke from a freeze
/// just then and sent its refresh) took the lock from a tab that is alive: it waits for that
/// tab's token as long as the holder said it works, not only a moment — a holder whose answer
/// took longer than the moment saw its cookie presented twice.
#[test]
fn a_thief_that_hears_the_holder_at_work_waits_for_its_token() {
    let (mut k, steal_at) = asked_to_steal();
    // The holder is alive after all: its word comes before the stolen lock does.
    k.handle_tab_message(
        &TabMessage::Working { for_ms: 10_000.0 }.wire(SESSION),
        steal_at + 1.0,
    );
    k.handle_lock(LockEvent::Granted, steal_at + 2.0);
    drain(&mut k);
    // The moment a thief waits passes: no refresh yet, the holder's call may still be out.
    k.handle_timeout(steal_at + 200.0);
    assert_eq!(
        sent_auth(&drain(&mut k)),
        None,
        "not beside the holder's refresh"
    );
    // Its token arrives: adopted, no refresh of this tab's own.
    k.handle_tab_message(
        &TabMessage::Token {
            token: token(steal_at + 300.0, 300.0, 9),
            received_at_ms: steal_at + 300.0,
            lifetime_ms: Some(300_000.0),
        }
        .wire(SESSION),
        steal_at + 301.0,
    );
    let out = drain(&mut k);
    assert_eq!(sent_auth(&out), None);
    assert!(matches!(settled(&out, CallId(2)), Some(Ok(Settled::Done))));
}

/// A login held back behind a refresh call still out is dated from when it leaves, not from when
/// the user asked: dated earlier, the other tabs would take its token for older than one another
/// tab got meanwhile, and keep that one.
#[test]
fn a_login_held_back_by_a_draining_refresh_is_dated_from_when_it_leaves() {
    let mut k = signed_in(false, true);
    k.refresh(CallId(2), T0 + 1.0);
    let refresh = sent_auth(&drain(&mut k)).unwrap();
    k.login(CallId(3), Credentials::default(), T0 + 2.0);
    assert_eq!(sent_auth(&drain(&mut k)), None, "the login waits");
    k.handle_auth_answer(refresh, grant(&token(T0, 300.0, 2)), T0 + 1_500.0);
    let login = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(login, grant(&token(T0 + 1_500.0, 300.0, 3)), T0 + 1_520.0);
    let dated = drain(&mut k).into_iter().find_map(|c| match c {
        Command::Post(TabMessage::Token { received_at_ms, .. }) => Some(received_at_ms),
        _ => None,
    });
    assert_eq!(dated, Some(T0 + 1_500.0));
}
