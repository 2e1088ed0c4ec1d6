//! Tab messages without tokens ([`Environment::tab_tokens`] off, the isolated entry's dedicated
//! workers): a new token is announced as `SignedIn`, never as text holding it; a tab that hears
//! of a session refreshes for itself under the lock.

use alloc::vec::Vec;

use super::tests::*;

fn isolated(locks: bool, channel: bool) -> Keeper {
    let mut k = keeper(locks, channel);
    k.env.tab_tokens = false;
    k
}

fn posts(out: &[Command]) -> Vec<&TabMessage> {
    out.iter()
        .filter_map(|c| match c {
            Command::Post(m) => Some(m),
            _ => None,
        })
        .collect()
}

#[test]
fn a_new_token_is_announced_without_it() {
    let mut k = isolated(true, true);
    let id = login_sent(&mut k, T0);
    let t = token(T0, 300.0, 1);
    k.handle_auth_answer(id, grant(&t), T0 + 5.0);
    let out = drain(&mut k);
    let posted = posts(&out);
    assert!(matches!(
        posted.as_slice(),
        [TabMessage::SignedIn {
            lifetime_ms: Some(_),
            ..
        }]
    ));
    let wire = posted[0].wire(SESSION);
    assert!(
        wire.token.is_none() && wire.kind == Kind::SignedIn,
        "{wire:?}"
    );
    assert!(k.is_authenticated());
}

#[test]
fn a_signed_out_tab_that_hears_of_a_session_refreshes_for_itself() {
    let heard = TabMessage::SignedIn {
        received_at_ms: T0,
        lifetime_ms: Some(300_000.0),
    }
    .wire(SESSION);
    let mut k = isolated(true, true);
    k.handle_tab_message(&heard, T0 + 1.0);
    let out = drain(&mut k);
    assert!(out.iter().any(|c| matches!(c, Command::RequestLock { .. })));
    assert!(has_event(&out, "refresh"));
    let id = refresh_sent_after_grant(&mut k, T0 + 2.0).expect("a refresh of its own");
    k.handle_auth_answer(id, grant(&token(T0 + 2.0, 300.0, 2)), T0 + 10.0);
    drain(&mut k);
    assert!(k.is_authenticated());

    // Signed in already: news of a session is no reason to refresh.
    k.handle_tab_message(&heard, T0 + 20.0);
    assert!(!k.is_refreshing());

    // Without the lock, tabs hearing one login would all present one cookie at once: nothing.
    let mut k = isolated(false, true);
    k.handle_tab_message(&heard, T0 + 1.0);
    assert!(!k.is_refreshing());
}

#[test]
fn either_kind_of_keeper_refreshes_on_the_announcement_and_a_tokenless_one_adopts_nothing() {
    // A page with both entries: a signed-out in-page keeper cannot adopt what it was not sent,
    // and refreshes for itself.
    let mut k = keeper(true, true);
    k.handle_tab_message(
        &TabMessage::SignedIn {
            received_at_ms: T0,
            lifetime_ms: None,
        }
        .wire(SESSION),
        T0 + 1.0,
    );
    assert!(k.is_refreshing() && !k.is_authenticated());

    let mut k = isolated(true, true);
    let message = TabMessage::Token {
        token: token(T0, 300.0, 9),
        received_at_ms: T0,
        lifetime_ms: Some(300_000.0),
    }
    .wire(SESSION);
    k.handle_tab_message(&message, T0 + 1.0);
    assert!(!k.is_authenticated());
}
