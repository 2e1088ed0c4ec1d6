//! The reissue flow: the last access token on the refresh call (`sendAccessTokenOnRefresh`), and
//! a token taken from a response header (`tokenHeader`).

use alloc::format;
use alloc::string::String;

use super::tests::*;

fn answer(body: &str, header: Option<&str>) -> Answer {
    Answer::Response {
        status: 200,
        parsed: crate::parsed::serde_parse(body),
        body: body.into(),
        retry_after_s: None,
        token_header: header.map(String::from),
        dpop_nonce: None,
    }
}

#[test]
fn the_refresh_call_carries_the_last_token_only_when_asked_even_once_it_expired() {
    let k = signed_in(false, false);
    assert!(k.refresh_authorization().is_none(), "off by default");

    let mut config = Config::new(format!("{ORIGIN}/auth/refresh"));
    config.send_access_token_on_refresh = true;
    let mut k = Keeper::new(config, keeper(false, false).env.clone());
    assert!(k.refresh_authorization().is_none(), "no token yet");
    let old = token(T0 - 900_000.0, 300.0, 1);
    k.set_token(&old, T0).ok();
    drain(&mut k);
    let bearer = k.refresh_authorization().map(|a| String::from(a.expose()));
    assert_eq!(bearer, Some(format!("Bearer {old}")), "expired, still sent");
    assert_eq!(
        format!("{:?}", k.refresh_authorization()),
        "Some(Authorization([redacted]))"
    );
}

fn header_keeper() -> Keeper {
    let mut config = Config::new(format!("{ORIGIN}/auth/refresh"));
    config.login_url = Some(format!("{ORIGIN}/auth/login"));
    config.token_header = Some("Authorization".into());
    Keeper::new(config, keeper(false, false).env.clone())
}

/// Logs in on `k` with this answer; the login's result.
fn login_with(k: &mut Keeper, answer: Answer) -> Result<Settled, Error> {
    k.login(CallId(1), Credentials::default(), T0);
    let id = sent_auth(&drain(k)).unwrap();
    k.handle_auth_answer(id, answer, T0);
    settled(&drain(k), CallId(1)).unwrap().clone()
}

#[test]
fn a_token_is_taken_from_the_header_when_the_body_has_none() {
    for (body, header) in [
        (r#"{"csrf_token":"c9","expires_in":300}"#, "Bearer {t}"),
        (r#"{"csrf_token":"c9"}"#, "bearer   {t} "),
        ("", "{t}"),
        ("not json", "BEARER {t}"),
    ] {
        let mut k = header_keeper();
        let t = token(T0, 300.0, 4);
        let result = login_with(&mut k, answer(body, Some(&header.replace("{t}", &t))));
        assert!(
            matches!(result, Ok(Settled::Claims(_))),
            "{body} / {header}: {result:?}"
        );
        assert_eq!(k.access_token().map(|t| String::from(t.expose())), Some(t));
    }
}

#[test]
fn the_body_s_token_wins_and_without_either_the_error_names_both() {
    let mut k = header_keeper();
    let (in_body, in_header) = (token(T0, 300.0, 1), token(T0, 300.0, 2));
    let body = format!(r#"{{"access_token":"{in_body}"}}"#);
    login_with(&mut k, answer(&body, Some(&in_header))).unwrap();
    assert_eq!(
        k.access_token().map(|t| String::from(t.expose())),
        Some(in_body)
    );

    let mut k = header_keeper();
    let Err(e) = login_with(&mut k, answer(r#"{"csrf_token":"c"}"#, Some("Bearer "))) else {
        panic!("an empty header is no token");
    };
    assert_eq!(e.code(), "invalid_token");
    assert!(
        e.message()
            .contains("`access_token` nor a header `Authorization`"),
        "{e:?}"
    );
    assert!(!k.is_authenticated());
    // A bad token in the header changes nothing either.
    let result = login_with(&mut k, answer("{}", Some("Bearer not.a.jwt")));
    assert!(matches!(result, Err(ref e) if e.code() == "invalid_token"));
    assert!(!k.is_authenticated());
}

#[test]
fn without_the_option_a_header_is_ignored() {
    let mut k = keeper(false, false);
    let t = token(T0, 300.0, 1);
    let result = login_with(&mut k, answer("{}", Some(&t)));
    assert!(matches!(result, Err(ref e) if e.code() == "invalid_token"));
    assert!(!k.is_authenticated());
}

/// A tab frozen while another tab signed in anew hears, on waking, tokens that have already run
/// out. It does not adopt them, but its refresh must carry the newest: the old session's token
/// beside the new session's cookie is refused by a server that binds the two.
#[test]
fn a_refresh_carries_the_newest_token_heard_even_one_that_ran_out() {
    let mut config = Config::new(format!("{ORIGIN}/auth/refresh"));
    config.send_access_token_on_refresh = true;
    let mut k = Keeper::new(config.clone(), keeper(false, true).env.clone());
    let old = token(T0, 60.0, 1);
    k.set_token(&old, T0).ok();
    let newer = token(T0 + 10_000.0, 60.0, 2);
    let message = TabMessage::Token {
        token: newer.clone(),
        received_at_ms: T0 + 10_000.0,
        lifetime_ms: Some(60_000.0),
    };
    // Heard two minutes later, when it has run out.
    k.handle_tab_message(&message.wire(SESSION), T0 + 120_000.0);
    drain(&mut k);
    assert_eq!(
        k.access_token().map(|t| String::from(t.expose())),
        Some(old),
        "not adopted"
    );
    let bearer = k.refresh_authorization().map(|a| String::from(a.expose()));
    assert_eq!(bearer, Some(format!("Bearer {newer}")));
    // A sign-out forgets it with the rest.
    k.logout(CallId(9), T0 + 121_000.0);
    drain(&mut k);
    assert!(k.refresh_authorization().is_none());

    // Without the option nothing is kept.
    let mut plain = Keeper::new(Config::new("/r"), keeper(false, true).env.clone());
    plain.handle_tab_message(&message.wire(SESSION), T0 + 120_000.0);
    assert!(plain.session.heard_expired.is_none());
}
