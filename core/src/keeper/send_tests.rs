//! An auth call is complete when the driver takes it ([`AuthSend`]): URL, method, headers (the
//! CSRF header from the page's cookies, read only when CSRF is on), body, proof, token header.

use alloc::format;
use alloc::string::String;
use alloc::vec;
use core::cell::Cell;

use super::dpop_tests::dpop_keeper;
use super::tests::*;
use crate::config::RefreshMethod;

/// The next auth call, taken with `cookies` as the page's cookie string.
fn take(k: &mut Keeper, cookies: &str) -> Option<AuthSend> {
    let jar = String::from(cookies);
    core::iter::from_fn(|| k.poll(|| jar.clone())).find_map(|c| match c {
        Command::SendAuth(send) => Some(send),
        _ => None,
    })
}

fn header<'a>(send: &'a AuthSend, name: &str) -> Option<&'a str> {
    send.headers()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .last()
        .map(|(_, v)| v)
}

fn credentials() -> Credentials {
    Credentials {
        body: String::from(r#"{"username":"alice"}"#),
        headers: vec![(String::from("x-tenant"), String::from("acme"))],
    }
}

#[test]
fn a_login_carries_its_url_body_and_headers_and_the_credentials_are_not_kept() {
    let mut k = keeper(false, false);
    k.login(CallId(1), credentials(), T0);
    let send = take(&mut k, "csrf_token=abc").unwrap();
    assert_eq!(send.method, "POST");
    assert_eq!(
        send.url.as_deref(),
        Some(format!("{ORIGIN}/auth/login").as_str())
    );
    assert_eq!(send.body(), Some(r#"{"username":"alice"}"#));
    assert_eq!(header(&send, "content-type"), Some("application/json"));
    assert_eq!(header(&send, "x-tenant"), Some("acme"));
    // Django's CSRF protects a sign-in too: the header goes when its cookie is there.
    assert_eq!(header(&send, "x-csrf-token"), Some("abc"));
    assert_eq!(send.proof, None);
    assert!(
        k.auth.pending.iter().all(|c| c.credentials.is_none()),
        "sent, then forgotten"
    );
    let debug = format!("{send:?} {:?}", credentials());
    assert!(
        !debug.contains("alice") && !debug.contains("acme") && !debug.contains("abc"),
        "{debug}"
    );
}

#[test]
fn a_refresh_reads_the_cookies_only_with_csrf_and_says_its_method_and_token_header() {
    let mut k = keeper_with(false, false, |c| {
        c.refresh_method = RefreshMethod::Get;
        c.token_header = Some(String::from("x-access-token"));
    });
    k.refresh(CallId(1), T0);
    let send = take(&mut k, "other=1; csrf_token=v1").unwrap();
    assert_eq!((send.method, send.url.as_deref()), ("GET", Some(SESSION)));
    assert_eq!(header(&send, "x-csrf-token"), Some("v1"));
    assert_eq!(send.token_header.as_deref(), Some("x-access-token"));
    assert_eq!(send.body(), None);

    let mut k = keeper_with(false, false, |c| c.csrf = None);
    k.refresh(CallId(1), T0);
    let read = Cell::new(false);
    let send = core::iter::from_fn(|| {
        k.poll(|| {
            read.set(true);
            String::new()
        })
    })
    .find_map(|c| match c {
        Command::SendAuth(send) => Some(send),
        _ => None,
    })
    .unwrap();
    assert!(send.headers().next().is_none());
    assert!(!read.get(), "no CSRF: the cookies are not read");
}

#[test]
fn with_dpop_a_login_keeps_its_credentials_for_a_nonce_resend_and_each_send_says_its_proof() {
    let mut k = dpop_keeper(false, false);
    k.login(CallId(1), credentials(), T0);
    let send = take(&mut k, "").unwrap();
    let proof = send.proof.clone().unwrap();
    assert_eq!(proof.htu, format!("{ORIGIN}/auth/login"));
    assert!(
        k.auth.pending.iter().any(|c| c.credentials.is_some()),
        "kept until answered"
    );
    // The challenge's nonce comes with its answer: the login URL's origin's.
    k.handle_auth_answer(
        send.id,
        Answer::Response {
            status: 400,
            parsed: crate::parsed::serde_parse(&String::from(r#"{"error":"use_dpop_nonce"}"#)),
            body: String::from(r#"{"error":"use_dpop_nonce"}"#),
            retry_after_s: None,
            token_header: None,
            dpop_nonce: Some(String::from("n1")),
        },
        T0 + 10.0,
    );
    let again = take(&mut k, "").expect("sent once more for the nonce");
    assert_eq!(
        again.proof.as_ref().and_then(|p| p.nonce.as_deref()),
        Some("n1")
    );
    assert_eq!(again.body(), send.body());
}

#[test]
fn a_logins_own_headers_come_last_so_they_win_over_the_keepers() {
    let mut k = keeper(false, false);
    let mut credentials = credentials();
    credentials.headers.push((
        String::from("Content-Type"),
        String::from("application/vnd.app+json"),
    ));
    k.login(CallId(1), credentials, T0);
    let send = take(&mut k, "csrf_token=abc").unwrap();
    let names: Vec<&str> = send.headers().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        ["X-CSRF-Token", "content-type", "x-tenant", "Content-Type"],
        "the keeper's, then the app's in its order"
    );
    assert_eq!(
        header(&send, "content-type"),
        Some("application/vnd.app+json")
    );
}
