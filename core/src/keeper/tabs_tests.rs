//! The keeper's decisions about other tabs, in simulated time: the lock and its steal, the
//! word a holder gives while it works, what a tab makes of the others' messages.

use alloc::string::String;

use super::tests::*;

#[test]
fn a_refused_lock_request_falls_back_to_refreshing_alone() {
    let mut k = signed_in(true, true);
    k.refresh(CallId(2), T0 + 1.0);
    let out = drain(&mut k);
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::RequestLock { steal: false })));
    assert_eq!(sent_auth(&out), None);
    k.handle_lock(LockEvent::Refused, T0 + 2.0);
    let refresh = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(refresh, grant(&token(T0 + 2.0, 300.0, 2)), T0 + 3.0);
    assert!(matches!(
        settled(&drain(&mut k), CallId(2)),
        Some(Ok(Settled::Done))
    ));
    // And the next refresh does not ask again.
    k.refresh(CallId(4), T0 + 4.0);
    assert!(sent_auth(&drain(&mut k)).is_some());
}

#[test]
fn every_stage_is_bounded_so_refresh_always_settles() {
    let mut k = signed_in(true, true);
    k.refresh(CallId(2), T0);
    drain(&mut k);
    // Nothing ever answers: not the lock, not the steal, not the server.
    let mut now = T0;
    let mut result = None;
    for _ in 0..100 {
        now = k.poll_timeout().unwrap_or(now + 1.0);
        k.handle_timeout(now);
        if let Some(r) = settled(&drain(&mut k), CallId(2)) {
            result = Some(r.clone());
            break;
        }
    }
    assert!(matches!(result, Some(Err(e)) if e.code() == "timeout"));
    assert!(now - T0 < 120_000.0, "settled after {} ms", now - T0);
}

#[test]
fn a_waiting_tab_does_not_steal_the_lock_from_a_holder_that_is_working() {
    let mut k = signed_in(true, true);
    k.refresh(CallId(2), T0);
    drain(&mut k);
    // The holder backs off on a 429 with Retry-After: 30 s and says so.
    k.handle_tab_message(
        &TabMessage::Working { for_ms: 30_000.0 }.wire(SESSION),
        T0 + 5.0,
    );
    assert!(k.poll_timeout().unwrap() >= T0 + 40_000.0);
    k.handle_timeout(T0 + 11_000.0);
    assert!(!drain(&mut k)
        .iter()
        .any(|c| matches!(c, Command::RequestLock { steal: true })));
    // Silence past the holder's word and one timeout: it is gone or frozen.
    let steal_at = k.poll_timeout().unwrap();
    assert!(steal_at <= T0 + 45_006.0);
    k.handle_timeout(steal_at);
    assert!(drain(&mut k)
        .iter()
        .any(|c| matches!(c, Command::RequestLock { steal: true })));
}

#[test]
fn a_tab_that_wakes_late_to_steal_listens_first() {
    let mut k = signed_in(true, true);
    k.refresh(CallId(2), T0);
    drain(&mut k);
    let steal_at = k.poll_timeout().unwrap();
    // Frozen past it; on waking, the timer runs before the holder's queued word.
    k.handle_timeout(steal_at + 5_000.0);
    assert!(!drain(&mut k)
        .iter()
        .any(|c| matches!(c, Command::RequestLock { steal: true })));
    k.handle_tab_message(
        &TabMessage::Working { for_ms: 10_000.0 }.wire(SESSION),
        steal_at + 5_001.0,
    );
    k.handle_timeout(steal_at + 5_050.0);
    assert!(!drain(&mut k)
        .iter()
        .any(|c| matches!(c, Command::RequestLock { steal: true })));
}

#[test]
fn the_lock_holder_tells_the_others_it_is_working() {
    let mut k = signed_in(true, true);
    k.refresh(CallId(2), T0);
    drain(&mut k);
    k.handle_lock(LockEvent::Granted, T0 + 1.0);
    let out = drain(&mut k);
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::Post(TabMessage::Working { .. }))));
    let id = sent_auth(&out).unwrap();
    k.handle_auth_answer(
        id,
        Answer::Response {
            status: 429,
            parsed: crate::parsed::Parsed::NotJson,
            body: String::new(),
            retry_after_s: Some(30.0),
            token_header: None,
            dpop_nonce: None,
        },
        T0 + 2.0,
    );
    let out = drain(&mut k);
    assert!(out.iter().any(
        |c| matches!(c, Command::Post(TabMessage::Working { for_ms }) if *for_ms == 30_000.0)
    ));
}

#[test]
fn a_refused_refresh_tells_the_other_tabs_only_when_this_tab_held_a_token() {
    let mut k = keeper(false, true);
    k.restore(CallId(1), T0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, status(401), T0 + 1.0);
    let out = drain(&mut k);
    assert!(matches!(
        settled(&out, CallId(1)),
        Some(Ok(Settled::Restored(false)))
    ));
    assert!(
        !out.iter().any(|c| matches!(c, Command::Post(_))),
        "{out:?}"
    );
    assert!(!has_event(&out, "logout"));

    let mut k = signed_in(false, true);
    k.refresh(CallId(2), T0 + 1.0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, status(401), T0 + 2.0);
    let out = drain(&mut k);
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::Post(TabMessage::Logout { .. }))));
    assert!(has_event(&out, "logout"));
}

#[test]
fn tab_messages_are_trusted_no_further_than_their_types() {
    let mut k = signed_in(false, true);
    let held = k.access_token().cloned();
    let now = T0 + 10_000.0;
    let fresh = token(now - 1_000.0, 300.0, 7);
    let no_lifetime = TabMessage::Token {
        token: fresh.clone(),
        received_at_ms: now - 1_000.0,
        lifetime_ms: None,
    };
    // A well-formed newer one, adopted below.
    let good = TabMessage::Token {
        token: fresh.clone(),
        received_at_ms: now - 1_000.0,
        lifetime_ms: Some(3_600_000.0),
    };
    let expired = TabMessage::Token {
        token: token(T0 - 400_000.0, 300.0, 8),
        received_at_ms: T0 - 400_000.0,
        lifetime_ms: Some(300_000.0),
    };
    let older = TabMessage::Token {
        token: token(T0 - 1_000.0, 300.0, 9),
        received_at_ms: T0 - 1_000.0,
        lifetime_ms: Some(300_000.0),
    };
    let future = TabMessage::Token {
        token: fresh.clone(),
        received_at_ms: now + 60_000.0,
        lifetime_ms: Some(300_000.0),
    };
    let undecodable = TabMessage::Token {
        token: "not.a.jwt".into(),
        received_at_ms: now - 1.0,
        lifetime_ms: Some(300_000.0),
    };
    for text in [
        no_lifetime.wire(SESSION),
        expired.wire(SESSION),
        older.wire(SESSION),
        future.wire(SESSION),
        undecodable.wire(SESSION),
        Wire::new(Kind::Token, SESSION),
        Wire {
            v: 0.0,
            ..good.wire(SESSION)
        },
    ] {
        k.handle_tab_message(&text, now);
        assert!(drain(&mut k).is_empty(), "{text:?}");
        assert_eq!(k.access_token(), held.as_ref());
    }
    // The well-formed newer one is adopted, with the claims capping a lifetime told too long.
    k.handle_tab_message(&good.wire(SESSION), now);
    assert!(has_event(&drain(&mut k), "token"));
    let expires = k.expires_at_ms().unwrap();
    assert!(
        (expires - (now - 1_000.0 + 300_000.0)).abs() < 2.0,
        "{expires}"
    );
}

#[test]
fn after_a_logout_is_heard_no_earlier_token_is_adopted() {
    let mut k = signed_in(false, true);
    let before = TabMessage::Token {
        token: token(T0 + 1_000.0, 300.0, 4),
        received_at_ms: T0 + 1_000.0,
        lifetime_ms: Some(300_000.0),
    };
    k.handle_tab_message(
        &TabMessage::Logout {
            at_ms: T0 + 2_000.0,
        }
        .wire(SESSION),
        T0 + 2_001.0,
    );
    assert!(!k.is_authenticated());
    k.handle_tab_message(&before.wire(SESSION), T0 + 2_002.0);
    assert!(!k.is_authenticated());
}

#[test]
fn a_tab_whose_restore_was_refused_still_hears_a_login_that_began_before() {
    let mut k = keeper(false, true);
    k.restore(CallId(1), T0 + 10.0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, status(401), T0 + 20.0);
    drain(&mut k);
    // Another tab's login left at T0 + 5 and answered at T0 + 30.
    let login = TabMessage::Token {
        token: token(T0 + 5.0, 300.0, 3),
        received_at_ms: T0 + 5.0,
        lifetime_ms: Some(300_000.0),
    };
    k.handle_tab_message(&login.wire(SESSION), T0 + 31.0);
    assert!(k.is_authenticated());
}

#[test]
fn a_holder_cannot_keep_the_others_waiting_forever() {
    let mut k = signed_in(true, true);
    k.refresh(CallId(2), T0);
    drain(&mut k);
    k.handle_tab_message(
        &TabMessage::Working { for_ms: 1.0e12 }.wire(SESSION),
        T0 + 1.0,
    );
    let steal_at = k.poll_timeout().unwrap();
    assert!(steal_at < T0 + 100_000.0, "{}", steal_at - T0);
}

#[test]
fn without_locks_a_refresh_waiting_for_a_drained_call_goes_out_when_it_lands() {
    let mut k = signed_in(false, true);
    k.refresh(CallId(2), T0);
    let first = sent_auth(&drain(&mut k)).unwrap();
    k.handle_tab_message(
        &TabMessage::Logout { at_ms: T0 + 1.0 }.wire(SESSION),
        T0 + 1.0,
    );
    drain(&mut k);
    k.login(CallId(3), Credentials::default(), T0 + 2.0);
    assert_eq!(sent_auth(&drain(&mut k)), None);
    k.handle_auth_answer(first, grant(&token(T0, 300.0, 5)), T0 + 3.0);
    let out = drain(&mut k);
    assert!(!out.iter().any(|c| matches!(c, Command::RequestLock { .. })));
    assert!(sent_auth(&out).is_some(), "the login goes out");
}

/// A signed-in tab whose forced refresh (call 2) waited for the lock until its patience ran out
/// and asked to steal it; and the moment it asked.
pub(super) fn asked_to_steal() -> (Keeper, f64) {
    let mut k = signed_in(true, true);
    k.refresh(CallId(2), T0);
    drain(&mut k);
    let steal_at = k.poll_timeout().unwrap();
    k.handle_timeout(steal_at);
    assert!(drain(&mut k)
        .iter()
        .any(|c| matches!(c, Command::RequestLock { steal: true })));
    (k, steal_at)
}

/// Two waiters steal at the same moment and the second takes the lock before the first hears it
/// was granted. The first must queue behind it, not conclude that locks do not work and refresh
/// beside the other tabs for good (two tabs would present one rotating cookie: a reuse
/// detection, a lost session).
#[test]
fn a_steal_stolen_before_its_grant_queues_again_and_keeps_using_the_lock() {
    let (mut k, steal_at) = asked_to_steal();
    // The other thief wins: this tab's request ends before its grant was told.
    k.handle_lock(LockEvent::Lost, steal_at + 1.0);
    let out = drain(&mut k);
    assert!(
        out.iter()
            .any(|c| matches!(c, Command::RequestLock { steal: false })),
        "{out:?}"
    );
    assert_eq!(sent_auth(&out), None, "no refresh without the lock");
    // Its steal deadline passes: it still waits its turn (patience again, then a steal), and
    // never goes on without the lock.
    let next = k.poll_timeout().unwrap();
    assert!(next > steal_at + 1.0);
    k.handle_timeout(next);
    let out = drain(&mut k);
    assert_eq!(sent_auth(&out), None);
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::RequestLock { steal: true })));
    k.handle_lock(LockEvent::Granted, next + 2.0);
    drain(&mut k);
    assert!(k.uses_lock(), "the lock still works");
}
