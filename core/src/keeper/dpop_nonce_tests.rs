//! DPoP nonces (RFC 9449 §8–9): kept per origin, coming with the answers that give them, and
//! the one resend a challenge earns — app requests and auth calls.

use alloc::format;

use super::dpop_tests::{answer, app_proofs, app_sends, dpop_keeper, signed_in_dpop, API};
use super::tests::*;

#[test]
fn nonces_are_kept_per_origin_newest_first_and_odd_values_are_ignored() {
    let mut k = dpop_keeper(false, false);
    k.dpop_nonce(&format!("{ORIGIN}/auth/login"), "n1");
    k.dpop_nonce(&format!("{API}/v1/x"), "a1");
    k.dpop_nonce(&format!("{ORIGIN}/api/me"), "n2");
    let nonce = |k: &Keeper, url: &str| k.dpop_proof(url).and_then(|p| p.nonce);
    assert_eq!(
        nonce(&k, &format!("{ORIGIN}/auth/refresh")).as_deref(),
        Some("n2")
    );
    assert_eq!(nonce(&k, &format!("{API}/v2")).as_deref(), Some("a1"));
    assert_eq!(nonce(&k, "https://other.example/"), None);
    for odd in ["", "two words", "tab\there", &"x".repeat(513), "é"] {
        k.dpop_nonce(&format!("{ORIGIN}/api/me"), odd);
        assert_eq!(
            nonce(&k, &format!("{ORIGIN}/")).as_deref(),
            Some("n2"),
            "{odd:?}"
        );
    }
    // Without the option nothing is kept.
    let mut plain = keeper(false, false);
    plain.dpop_nonce(&format!("{ORIGIN}/api/me"), "n1");
    assert_eq!(plain.dpop_proof(&format!("{ORIGIN}/")), None);
    // A new nonce of a known origin replaces its old one; a ninth origin starts the list over.
    k.dpop_nonce(&format!("{API}/v1/x"), "a2");
    assert_eq!(nonce(&k, &format!("{API}/")).as_deref(), Some("a2"));
    for i in 0..7 {
        k.dpop_nonce(&format!("https://o{i}.example/"), "v");
    }
    assert_eq!(nonce(&k, &format!("{API}/")), None);
    assert_eq!(nonce(&k, "https://o6.example/x").as_deref(), Some("v"));
}

#[test]
fn a_nonce_challenge_to_an_app_request_is_answered_by_one_send_then_a_401_still_refreshes_once() {
    let mut k = signed_in_dpop(false, false);
    let url = format!("{API}/api/me");
    k.fetch(FetchId(5), &url, false, T0 + 1.0);
    drain(&mut k);
    // The challenge's nonce comes with its answer.
    k.handle_app_answer(
        FetchId(5),
        unauthorized(&url, Some(r#"DPoP error="use_dpop_nonce""#), Some("n1")),
        T0 + 2.0,
    );
    let out = drain(&mut k);
    assert_eq!(app_sends(&out).len(), 1, "sent again at once");
    assert!(sent_auth(&out).is_none(), "no refresh for a nonce");
    // The resend's own proof names the nonce the challenge gave.
    let proof = app_proofs(&out).remove(0).unwrap();
    assert_eq!(proof.nonce.as_deref(), Some("n1"));
    assert_eq!(proof.htu, url);
    // A second challenge is the answer (no loop).
    k.handle_app_answer(
        FetchId(5),
        unauthorized(&url, Some(r#"DPoP error="use_dpop_nonce""#), None),
        T0 + 3.0,
    );
    let out = drain(&mut k);
    assert!(sent_auth(&out).is_some(), "now a plain 401: one refresh");
    // … and after the refresh, one retry, whose 401 is final.
    let id = sent_auth(&out).unwrap();
    k.handle_auth_answer(id, grant(&token(T0 + 3.0, 300.0, 2)), T0 + 4.0);
    assert_eq!(app_sends(&drain(&mut k)).len(), 1);
    k.handle_app_answer(
        FetchId(5),
        unauthorized(&url, Some(r#"DPoP error="invalid_token""#), None),
        T0 + 5.0,
    );
    let out = drain(&mut k);
    assert!(out
        .iter()
        .any(|c| matches!(c, Command::FinishApp { id: FetchId(5) })));
    assert!(sent_auth(&out).is_none());
}

#[test]
fn a_401_then_a_nonce_challenge_on_the_retry_gets_its_one_nonce_send() {
    let mut k = signed_in_dpop(false, false);
    let url = format!("{ORIGIN}/api/me");
    k.fetch(FetchId(5), &url, false, T0 + 1.0);
    drain(&mut k);
    k.handle_app_answer(
        FetchId(5),
        unauthorized(&url, Some(r#"DPoP error="invalid_token""#), None),
        T0 + 2.0,
    );
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, grant(&token(T0 + 2.0, 300.0, 2)), T0 + 3.0);
    assert_eq!(app_sends(&drain(&mut k)).len(), 1);
    k.handle_app_answer(
        FetchId(5),
        unauthorized(&url, Some(r#"DPoP error="use_dpop_nonce""#), None),
        T0 + 4.0,
    );
    assert_eq!(app_sends(&drain(&mut k)).len(), 1, "the nonce send");
    k.handle_app_answer(
        FetchId(5),
        AppAnswer::Response {
            status: 200,
            url: &url,
            www_authenticate: None,
            dpop_nonce: None,
        },
        T0 + 5.0,
    );
    assert!(drain(&mut k)
        .iter()
        .any(|c| matches!(c, Command::FinishApp { id: FetchId(5) })));
}

#[test]
fn without_dpop_a_nonce_challenge_is_an_ordinary_401() {
    let mut k = signed_in(false, false);
    let url = format!("{ORIGIN}/api/me");
    k.fetch(FetchId(5), &url, false, T0 + 1.0);
    drain(&mut k);
    k.handle_app_answer(
        FetchId(5),
        unauthorized(&url, Some(r#"DPoP error="use_dpop_nonce""#), None),
        T0 + 2.0,
    );
    assert!(
        sent_auth(&drain(&mut k)).is_some(),
        "a refresh, as for any 401"
    );
}

#[test]
fn auth_calls_are_sent_once_more_for_a_nonce_challenge_and_only_once() {
    // Login.
    let mut k = dpop_keeper(false, false);
    k.login(CallId(1), Credentials::default(), T0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.dpop_nonce(&format!("{ORIGIN}/auth/login"), "n1");
    k.handle_auth_answer(id, answer(400, r#"{"error":"use_dpop_nonce"}"#), T0 + 1.0);
    let out = drain(&mut k);
    assert_eq!(sent_auth(&out), Some(id), "the same call, once more");
    assert!(settled(&out, CallId(1)).is_none());
    k.handle_auth_answer(id, grant(&token(T0 + 1.0, 300.0, 1)), T0 + 2.0);
    assert!(matches!(
        settled(&drain(&mut k), CallId(1)),
        Some(Ok(Settled::Claims(_)))
    ));

    // Refresh: a second challenge is the refresh's answer (a refusal: 400 is no 401/403, so
    // the session stays; the refresh fails).
    k.refresh(CallId(2), T0 + 3.0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, answer(401, r#"{"error":"use_dpop_nonce"}"#), T0 + 4.0);
    assert_eq!(sent_auth(&drain(&mut k)), Some(id));
    k.handle_auth_answer(id, answer(400, r#"{"error":"use_dpop_nonce"}"#), T0 + 5.0);
    let out = drain(&mut k);
    assert!(matches!(settled(&out, CallId(2)), Some(Err(_))));
    assert!(k.is_authenticated());

    // Any other 400 is no challenge.
    k.refresh(CallId(3), T0 + 6.0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(
        id,
        answer(400, r#"{"error":"invalid_dpop_proof"}"#),
        T0 + 7.0,
    );
    assert!(matches!(settled(&drain(&mut k), CallId(3)), Some(Err(_))));
}

#[test]
fn an_auth_answers_nonce_is_its_endpoints_origins() {
    // The login on the API's origin, the refresh on the page's.
    let mut k = dpop_keeper(false, false);
    k.env.login_url = Some(format!("{API}/auth/login"));
    let proof_of = |out: &[Command]| {
        out.iter().find_map(|c| match c {
            Command::SendAuth(send) => Some(send.proof.clone().unwrap()),
            _ => None,
        })
    };
    let with_nonce = |mut answer: Answer, nonce: &str| {
        if let Answer::Response { dpop_nonce, .. } = &mut answer {
            *dpop_nonce = Some(nonce.into());
        }
        answer
    };
    k.login(CallId(1), Credentials::default(), T0);
    let id = sent_auth(&drain(&mut k)).unwrap();
    k.handle_auth_answer(id, with_nonce(grant(&token(T0, 300.0, 1)), "l1"), T0 + 1.0);
    drain(&mut k);
    k.refresh(CallId(2), T0 + 2.0);
    let out = drain(&mut k);
    let proof = proof_of(&out).unwrap();
    assert_eq!(proof.htu, format!("{ORIGIN}/auth/refresh"));
    assert_eq!(proof.nonce, None, "the login's nonce is the API origin's");
    let id = sent_auth(&out).unwrap();
    k.handle_auth_answer(id, with_nonce(grant(&token(T0, 300.0, 2)), "r1"), T0 + 3.0);
    drain(&mut k);
    k.refresh(CallId(3), T0 + 4.0);
    let out = drain(&mut k);
    assert_eq!(proof_of(&out).unwrap().nonce.as_deref(), Some("r1"));
    // A call the keeper no longer knows (timed out, or replaced and draining) files none: it
    // could have gone to another origin. Nor does a value that is no visible ASCII.
    k.handle_auth_answer(AuthId(99), with_nonce(answer(500, ""), "x1"), T0 + 5.0);
    let id = sent_auth(&out).unwrap();
    k.handle_auth_answer(id, with_nonce(answer(500, ""), "bad nonce"), T0 + 5.0);
    let nonce = k.dpop_proof(&format!("{ORIGIN}/x")).unwrap().nonce;
    assert_eq!(nonce.as_deref(), Some("r1"));
}
