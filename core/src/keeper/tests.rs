//! The keeper's decisions, one scenario per rule, in simulated time. Each race the core must
//! win (a late refresh across a sign-out, a stalled body, a 401 from elsewhere…) has a test here
//! that stages it (docs/architecture.md lists them).

use alloc::string::String;
use alloc::vec::Vec;
use alloc::{format, vec};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

pub(super) use super::*;
pub(super) use crate::message::{Kind, TabMessage, Wire};

pub(super) const ORIGIN: &str = "https://app.example";
pub(super) const T0: f64 = 1_700_000_000_000.0;
/// The session of the keepers made here: their resolved `refreshUrl`.
pub(super) const SESSION: &str = "https://app.example/auth/refresh";

pub(super) fn token_at(iat_s: f64, life_s: f64, jti: u32) -> String {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"sub":"alice","iat":{iat_s},"exp":{},"jti":"{jti}"}}"#,
        iat_s + life_s
    ));
    format!("{header}.{payload}.c2ln")
}

/// A millisecond-precision token issued at `now_ms` that lives `life_s` seconds.
pub(super) fn token(now_ms: f64, life_s: f64, jti: u32) -> String {
    token_at(now_ms / 1000.0 + 0.000_5, life_s, jti)
}

pub(super) fn grant(token: &str) -> Answer {
    let body = format!(r#"{{"access_token":"{token}","csrf_token":"c1"}}"#);
    Answer::Response {
        status: 200,
        parsed: crate::parsed::serde_parse(&body),
        body,
        retry_after_s: None,
        token_header: None,
        dpop_nonce: None,
    }
}

/// An app request's 401 from `url`, with its `WWW-Authenticate` and `DPoP-Nonce` when it had them.
pub(super) fn unauthorized<'a>(
    url: &'a str,
    www_authenticate: Option<&'a str>,
    dpop_nonce: Option<&'a str>,
) -> AppAnswer<'a> {
    AppAnswer::Response {
        status: 401,
        url,
        www_authenticate,
        dpop_nonce,
    }
}

pub(super) fn status(status: u16) -> Answer {
    Answer::Response {
        status,
        parsed: crate::parsed::Parsed::NotJson,
        body: String::new(),
        retry_after_s: None,
        token_header: None,
        dpop_nonce: None,
    }
}

pub(super) fn keeper(locks: bool, channel: bool) -> Keeper {
    keeper_with(locks, channel, |_| {})
}

/// [`keeper`] with options of its own.
pub(super) fn keeper_with(locks: bool, channel: bool, edit: impl FnOnce(&mut Config)) -> Keeper {
    let mut config = Config::new(format!("{ORIGIN}/auth/refresh"));
    config.login_url = Some(format!("{ORIGIN}/auth/login"));
    edit(&mut config);
    Keeper::new(
        config,
        Environment {
            decoder: crate::parsed::serde_segment,
            allowed: AllowList::new(vec![ORIGIN.into()]),
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

pub(super) fn drain(k: &mut Keeper) -> Vec<Command> {
    core::iter::from_fn(|| k.poll(String::new)).collect()
}

pub(super) fn sent_auth(commands: &[Command]) -> Option<AuthId> {
    commands.iter().find_map(|c| match c {
        Command::SendAuth(send) => Some(send.id),
        _ => None,
    })
}

pub(super) fn settled(commands: &[Command], call: CallId) -> Option<&Result<Settled, Error>> {
    commands.iter().find_map(|c| match c {
        Command::Settle { call: c, result } if *c == call => Some(result),
        _ => None,
    })
}

pub(super) fn has_event(commands: &[Command], name: &str) -> bool {
    commands
        .iter()
        .any(|c| matches!(c, Command::Emit(e) if e.name() == name))
}

/// Logs in (call 1) at `now`: the login call's id, once sent — after the lock is granted when
/// tabs take turns (a login waits for any refresh another tab has on the wire).
pub(super) fn login_sent(k: &mut Keeper, now: f64) -> AuthId {
    k.login(CallId(1), Credentials::default(), now);
    let out = drain(k);
    sent_auth(&out).unwrap_or_else(|| {
        assert!(out.iter().any(|c| matches!(c, Command::RequestLock { .. })));
        k.handle_lock(LockEvent::Granted, now);
        sent_auth(&drain(k)).unwrap()
    })
}

/// The lock is granted at `at`: the refresh call that goes under it, after the moment the keeper
/// may listen first (another tab said it was working), if one goes.
pub(super) fn refresh_sent_after_grant(k: &mut Keeper, at: f64) -> Option<AuthId> {
    k.handle_lock(LockEvent::Granted, at);
    sent_auth(&drain(k)).or_else(|| {
        k.handle_timeout(at + 100.0);
        sent_auth(&drain(k))
    })
}

/// A keeper signed in at T0 with a 300 s token (no locks, no channel unless asked).
pub(super) fn signed_in(locks: bool, channel: bool) -> Keeper {
    let mut k = keeper(locks, channel);
    let id = login_sent(&mut k, T0);
    k.handle_auth_answer(id, grant(&token(T0, 300.0, 1)), T0);
    assert!(matches!(
        settled(&drain(&mut k), CallId(1)),
        Some(Ok(Settled::Claims(_)))
    ));
    k
}

#[test]
fn a_refresh_in_flight_when_logout_is_called_never_signs_the_user_back_in() {
    let mut k = signed_in(false, true);
    k.refresh(CallId(2), T0 + 1.0);
    let refresh = sent_auth(&drain(&mut k)).unwrap();
    k.logout(CallId(3), T0 + 2.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(3)), Some(Ok(Settled::Done))));
    assert!(matches!(settled(&out, CallId(2)), Some(Err(e)) if e.code() == "aborted"));
    // Not aborted: its answer carries the rotated cookie the browser must store.
    assert!(!out.iter().any(|c| matches!(c, Command::AbortAuth { .. })));
    // The refresh's answer arrives late: its token is dropped.
    k.handle_auth_answer(refresh, grant(&token(T0, 300.0, 2)), T0 + 3.0);
    let out = drain(&mut k);
    assert!(!k.is_authenticated());
    assert!(!has_event(&out, "token"), "{out:?}");
    assert!(!out.iter().any(|c| matches!(c, Command::Post(_))));
}

#[test]
fn a_refresh_begun_before_login_cannot_overwrite_the_new_session() {
    let mut k = signed_in(true, false);
    k.refresh(CallId(2), T0 + 1.0);
    drain(&mut k);
    k.handle_lock(LockEvent::Granted, T0 + 1.0);
    let refresh = sent_auth(&drain(&mut k)).unwrap();
    k.login(CallId(3), Credentials::default(), T0 + 2.0);
    // The login waits for the refresh call to land, so its cookie is the last one stored; the
    // lock stays held meanwhile, so no other tab presents the cookie either.
    let out = drain(&mut k);
    assert_eq!(sent_auth(&out), None);
    assert!(!out.iter().any(|c| matches!(c, Command::ReleaseLock)));
    k.handle_auth_answer(refresh, grant(&token(T0, 300.0, 2)), T0 + 3.0);
    let out = drain(&mut k);
    assert!(!has_event(&out, "token"));
    // The login goes, still under the lock: no other tab's login or refresh beside it.
    assert!(!out.iter().any(|c| matches!(c, Command::ReleaseLock)));
    let login = sent_auth(&out).unwrap();
    let new = token(T0 + 3.0, 300.0, 3);
    k.handle_auth_answer(login, grant(&new), T0 + 4.0);
    let out = drain(&mut k);
    assert!(out.iter().any(|c| matches!(c, Command::ReleaseLock)));
    assert_eq!(
        k.access_token().map(AccessToken::expose),
        Some(new.as_str())
    );
}

#[test]
fn a_401_is_never_retried_with_the_next_sessions_token() {
    let mut k = signed_in(false, false);
    k.fetch(FetchId(10), &format!("{ORIGIN}/api/me"), false, T0 + 1.0);
    assert!(matches!(drain(&mut k)[..], [Command::SendApp { .. }]));
    k.logout(CallId(2), T0 + 2.0);
    k.login(CallId(3), Credentials::default(), T0 + 3.0);
    let login = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(login, grant(&token(T0 + 3.0, 300.0, 9)), T0 + 4.0);
    drain(&mut k);
    k.handle_app_answer(
        FetchId(10),
        unauthorized(&format!("{ORIGIN}/api/me"), None, None),
        T0 + 5.0,
    );
    assert!(matches!(
        drain(&mut k)[..],
        [Command::FinishApp { id: FetchId(10) }]
    ));
}

#[test]
fn an_answer_whose_body_stalls_times_out_and_the_flight_goes_on() {
    let mut k = signed_in(false, false);
    k.refresh(CallId(2), T0);
    let first = sent_auth(&drain(&mut k)).unwrap();
    let timeout = k.poll_timeout().unwrap();
    assert_eq!(timeout, T0 + 10_000.0);
    k.handle_timeout(timeout);
    let out = drain(&mut k);
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::AbortAuth { id } if *id == first)));
    // Backoff, then the next attempt; the late answer of the first is dropped.
    k.handle_timeout(k.poll_timeout().unwrap());
    let second = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(first, grant(&token(T0, 300.0, 5)), timeout + 1.0);
    assert!(drain(&mut k).is_empty());
    k.handle_auth_answer(second, grant(&token(T0, 300.0, 6)), timeout + 2.0);
    assert!(matches!(
        settled(&drain(&mut k), CallId(2)),
        Some(Ok(Settled::Done))
    ));
}

#[test]
fn a_401_reached_through_a_redirect_to_a_foreign_origin_is_not_retried() {
    let mut k = signed_in(false, false);
    k.fetch(FetchId(10), &format!("{ORIGIN}/api/go"), false, T0 + 1.0);
    drain(&mut k);
    k.handle_app_answer(
        FetchId(10),
        unauthorized("https://elsewhere.example/login", None, None),
        T0 + 2.0,
    );
    assert!(matches!(
        drain(&mut k)[..],
        [Command::FinishApp { id: FetchId(10) }]
    ));
    assert!(!k.is_refreshing());
}

#[test]
fn a_fetch_that_fails_is_forgotten() {
    let mut k = signed_in(false, false);
    for id in 10..20 {
        k.fetch(FetchId(id), &format!("{ORIGIN}/api/me"), false, T0 + 1.0);
        k.handle_app_answer(FetchId(id), AppAnswer::Failed, T0 + 2.0);
    }
    drain(&mut k);
    assert!(k.fetches.is_empty());
}

#[test]
fn whole_second_tokens_are_planned_from_a_second_less() {
    let mut k = keeper(false, false);
    k.login(CallId(1), Credentials::default(), T0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    // Issued at T0 - 0.9 s by a server that truncates: iat says T0 - 1 s.
    let iat = T0 / 1000.0 - 1.0;
    k.handle_auth_answer(id, grant(&token_at(iat, 3.0, 1)), T0);
    drain(&mut k);
    assert_eq!(k.expires_at_ms(), Some(T0 + 2_000.0));
}

#[test]
fn concurrent_401s_share_one_refresh_and_each_is_retried_once() {
    let mut k = signed_in(false, false);
    for id in 10..60 {
        k.fetch(FetchId(id), &format!("{ORIGIN}/api/me"), false, T0 + 1.0);
    }
    drain(&mut k);
    for id in 10..60 {
        k.handle_app_answer(
            FetchId(id),
            unauthorized(&format!("{ORIGIN}/api/me"), None, None),
            T0 + 2.0,
        );
    }
    let out = drain(&mut k);
    assert_eq!(
        out.iter()
            .filter(|c| matches!(c, Command::SendAuth(_)))
            .count(),
        1
    );
    let id = sent_auth(&out).unwrap();
    k.handle_auth_answer(id, grant(&token(T0 + 2.0, 300.0, 2)), T0 + 3.0);
    let out = drain(&mut k);
    let retries = out
        .iter()
        .filter(|c| matches!(c, Command::SendApp { .. }))
        .count();
    assert_eq!(retries, 50);
    // The retries' own 401s are final.
    for id in 10..60 {
        k.handle_app_answer(
            FetchId(id),
            unauthorized(&format!("{ORIGIN}/api/me"), None, None),
            T0 + 4.0,
        );
    }
    let out = drain(&mut k);
    assert_eq!(
        out.iter()
            .filter(|c| matches!(c, Command::FinishApp { .. }))
            .count(),
        50
    );
    assert!(!k.is_refreshing());
}

#[test]
fn debug_output_never_holds_the_token() {
    let k = signed_in(false, false);
    let token = k.access_token().unwrap().expose().to_owned();
    let bearer = k.bearer().unwrap();
    for text in [
        format!("{k:?}"),
        format!("{bearer:?}"),
        format!("{:?}", k.access_token()),
    ] {
        assert!(!text.contains(&token[..20]), "{text}");
    }
}

#[test]
fn no_refresh_starts_while_a_login_is_pending_and_a_failed_login_resumes_the_session() {
    let mut k = signed_in(false, false);
    k.login(CallId(2), Credentials::default(), T0 + 1.0);
    let login = sent_auth(&drain(&mut k)).unwrap();
    assert_eq!(
        k.poll_timeout(),
        Some(T0 + 1.0 + 10_000.0),
        "only the login's deadline"
    );
    // The token falls due meanwhile: a fetch goes out with it, nothing refreshes.
    k.fetch(
        FetchId(10),
        &format!("{ORIGIN}/api/me"),
        false,
        T0 + 290_000.0,
    );
    let out = drain(&mut k);
    assert!(matches!(out[..], [Command::SendApp { .. }]), "{out:?}");
    k.refresh(CallId(3), T0 + 290_000.0);
    assert!(matches!(settled(&drain(&mut k), CallId(3)), Some(Err(e)) if e.code() == "aborted"));
    // Bad credentials: the old session goes on, its refresh scheduled again.
    k.handle_auth_answer(login, status(401), T0 + 290_001.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(2)), Some(Err(e)) if e.status() == Some(401)));
    assert!(k.is_authenticated());
    assert!(k.poll_timeout().is_some_and(|at| at <= T0 + 290_501.0));
}

#[test]
fn a_logout_waits_for_a_refresh_call_still_out() {
    let mut k = signed_in(false, false);
    k.config.logout_url = Some(format!("{ORIGIN}/auth/logout"));
    k.refresh(CallId(2), T0 + 1.0);
    let refresh = sent_auth(&drain(&mut k)).unwrap();
    k.logout(CallId(3), T0 + 2.0);
    assert_eq!(sent_auth(&drain(&mut k)), None, "the logout waits");
    k.handle_auth_answer(refresh, grant(&token(T0, 300.0, 2)), T0 + 3.0);
    let out = drain(&mut k);
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::SendAuth(s) if s.kind == AuthKind::Logout)));
    assert!(!has_event(&out, "token"));
}
