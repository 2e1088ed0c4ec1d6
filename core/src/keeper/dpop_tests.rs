//! DPoP (`dpop`): the proof's claims, the `DPoP` scheme, nonces per origin, the one nonce retry
//! per call beside the one 401 retry, and tabs that share the lock but not tokens.

use alloc::string::String;
use alloc::vec::Vec;
use alloc::{format, vec};

use super::tests::*;
use crate::ErrorKind;

pub(super) const API: &str = "https://api.example";

pub(super) fn dpop_keeper(locks: bool, channel: bool) -> Keeper {
    let mut config = Config::new(format!("{ORIGIN}/auth/refresh"));
    config.login_url = Some(format!("{ORIGIN}/auth/login"));
    config.dpop = true;
    Keeper::new(
        config,
        Environment {
            decoder: crate::parsed::serde_segment,
            allowed: AllowList::new(vec![ORIGIN.into(), API.into()]),
            locks,
            channel,
            tab_tokens: true,
            seed: 7,
            session: format!("{ORIGIN}/auth/refresh"),
            login_url: Some(format!("{ORIGIN}/auth/login")),
            logout_url: Some(format!("{ORIGIN}/auth/logout")),
        },
    )
}

pub(super) fn signed_in_dpop(locks: bool, channel: bool) -> Keeper {
    let mut k = dpop_keeper(locks, channel);
    let id = login_sent(&mut k, T0);
    k.handle_auth_answer(id, grant(&token(T0, 300.0, 1)), T0);
    assert!(matches!(
        settled(&drain(&mut k), CallId(1)),
        Some(Ok(Settled::Claims(_)))
    ));
    k
}

pub(super) fn answer(status: u16, body: &str) -> Answer {
    Answer::Response {
        status,
        parsed: crate::parsed::serde_parse(body),
        body: body.into(),
        retry_after_s: None,
        token_header: None,
        dpop_nonce: None,
    }
}

/// The `Authorization` values of the app sends among `commands`.
pub(super) fn app_sends(commands: &[Command]) -> Vec<Option<String>> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::SendApp { authorization, .. } => {
                Some(Some(String::from(authorization.expose())))
            }
            Command::PassApp { .. } => Some(None),
            _ => None,
        })
        .collect()
}

/// The proofs the app sends among `commands` carry.
pub(super) fn app_proofs(commands: &[Command]) -> Vec<Option<super::Proof>> {
    commands
        .iter()
        .filter_map(|c| match c {
            Command::SendApp { proof, .. } => Some(proof.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn off_by_default_no_proof_and_the_bearer_scheme() {
    let mut k = signed_in(false, false);
    assert_eq!(k.dpop_proof(&format!("{ORIGIN}/api/me")), None);
    k.fetch(FetchId(5), &format!("{ORIGIN}/api/me"), false, T0 + 1.0);
    let out = drain(&mut k);
    assert!(app_sends(&out)[0]
        .as_deref()
        .unwrap()
        .starts_with("Bearer "));
    assert_eq!(app_proofs(&out), vec![None]);
}

#[test]
fn with_dpop_requests_carry_the_dpop_scheme_and_proofs_name_the_url_without_query() {
    let mut k = signed_in_dpop(false, false);
    k.fetch(
        FetchId(5),
        &format!("{ORIGIN}/api/me?x=1#top"),
        false,
        T0 + 1.0,
    );
    let out = drain(&mut k);
    let sends = app_sends(&out);
    let t = token(T0, 300.0, 1);
    assert_eq!(sends, vec![Some(format!("DPoP {t}"))]);
    // The token for the proof's `ath`, as the core cuts it out of the header (both drivers).
    let cut = out.iter().find_map(|c| match c {
        Command::SendApp { authorization, .. } => Some((
            String::from(authorization.token()),
            authorization.token_at(),
        )),
        _ => None,
    });
    assert_eq!(cut, Some((t.clone(), 5)));
    // The send carries its proof: the URL without query and fragment, no nonce yet.
    let proof = app_proofs(&out).remove(0).unwrap();
    assert_eq!(proof.htu, format!("{ORIGIN}/api/me"));
    assert_eq!(proof.nonce, None);
    assert_eq!(
        k.dpop_proof(&format!("{ORIGIN}/auth/refresh#f"))
            .unwrap()
            .htu,
        format!("{ORIGIN}/auth/refresh")
    );
}

#[test]
fn the_option_and_the_reissue_flow_are_not_combined() {
    let mut config = Config::new("/r");
    config.dpop = true;
    config.send_access_token_on_refresh = true;
    assert!(config.validate().is_err());
}

// DPoP beside sign-outs, foreign origins and repeated challenges: a resend never outlives its
// session, and a second challenge is an answer, not a sign-out.

#[test]
fn a_login_replaced_by_a_logout_is_not_sent_again_for_a_nonce() {
    let mut k = dpop_keeper(false, false);
    k.config.logout_url = Some(format!("{ORIGIN}/auth/logout"));
    k.login(CallId(1), Credentials::default(), T0);
    let login = sent_auth(&drain(&mut k)).unwrap();
    k.logout(CallId(2), T0 + 1.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(1)), Some(Err(_))));
    assert!(
        sent_auth(&out).is_none(),
        "the logout waits for the login's answer"
    );
    k.handle_auth_answer(
        login,
        answer(400, r#"{"error":"use_dpop_nonce"}"#),
        T0 + 2.0,
    );
    let out = drain(&mut k);
    let sent: Vec<_> = out
        .iter()
        .filter_map(|c| match c {
            Command::SendAuth(send) => Some(send.kind),
            _ => None,
        })
        .collect();
    assert_eq!(sent, [AuthKind::Logout], "the login is not sent again");
}

#[test]
fn a_nonce_challenge_after_a_sign_out_gives_the_caller_its_answer_and_sends_nothing() {
    let mut k = signed_in_dpop(false, false);
    let url = format!("{ORIGIN}/api/me");
    k.fetch(FetchId(5), &url, false, T0 + 1.0);
    drain(&mut k);
    let logout = TabMessage::Logout { at_ms: T0 + 2.0 }.wire(SESSION);
    k.handle_tab_message(&logout, T0 + 2.0);
    drain(&mut k);
    k.handle_app_answer(
        FetchId(5),
        unauthorized(&url, Some(r#"DPoP error="use_dpop_nonce""#), None),
        T0 + 3.0,
    );
    let out = drain(&mut k);
    assert!(app_sends(&out).is_empty(), "not sent again without a token");
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::FinishApp { id: FetchId(5) })));
    // Nor for an answer that came from a foreign origin (a redirect).
    let mut k = signed_in_dpop(false, false);
    k.fetch(FetchId(6), &url, false, T0 + 1.0);
    drain(&mut k);
    let foreign = "https://elsewhere.example/x";
    k.handle_app_answer(
        FetchId(6),
        unauthorized(foreign, Some(r#"DPoP error="use_dpop_nonce""#), None),
        T0 + 2.0,
    );
    assert!(app_sends(&drain(&mut k)).is_empty());
}

#[test]
fn a_second_nonce_challenge_to_a_refresh_is_a_failure_not_a_sign_out() {
    let mut k = signed_in_dpop(false, true);
    k.refresh(CallId(2), T0 + 1.0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    let challenge = answer(401, r#"{"error":"use_dpop_nonce"}"#);
    k.handle_auth_answer(id, challenge.clone(), T0 + 2.0);
    assert_eq!(sent_auth(&drain(&mut k)), Some(id));
    k.handle_auth_answer(id, challenge, T0 + 3.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(2)), Some(Err(e)) if e.kind() != ErrorKind::Rejected));
    assert!(k.is_authenticated(), "still signed in");
    assert!(!has_event(&out, "logout"));
    assert!(!out
        .iter()
        .any(|c| matches!(c, Command::Post(TabMessage::Logout { .. }))));
}

#[test]
fn a_token_of_another_type_than_dpop_is_refused_and_changes_nothing() {
    let mut k = dpop_keeper(false, false);
    k.login(CallId(1), Credentials::default(), T0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    let t = token(T0, 300.0, 1);
    let bearer = format!(r#"{{"access_token":"{t}","token_type":"Bearer"}}"#);
    k.handle_auth_answer(id, answer(200, &bearer), T0 + 1.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(1)), Some(Err(e)) if e.code() == "invalid_token"));
    assert!(!k.is_authenticated());
    // "DPoP" in any case, or no token_type at all, is taken.
    for body in [
        format!(r#"{{"access_token":"{t}","token_type":"DPoP"}}"#),
        format!(r#"{{"access_token":"{t}","token_type":"dpop"}}"#),
        format!(r#"{{"access_token":"{t}"}}"#),
    ] {
        let mut k = dpop_keeper(false, false);
        k.login(CallId(1), Credentials::default(), T0);
        let id = sent_auth(&drain(&mut k)).unwrap();
        k.handle_auth_answer(id, answer(200, &body), T0 + 1.0);
        assert!(k.is_authenticated(), "{body}");
    }
    // Without the option, a bearer is what is expected.
    let mut k = keeper(false, false);
    k.login(CallId(1), Credentials::default(), T0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, answer(200, &bearer), T0 + 1.0);
    assert!(k.is_authenticated());
}
