//! DPoP (RFC 9449) under `--dpop`, `--dpop-nonce` and `--dpop-pin`, over real HTTP: login,
//! `/api/*`, the nonce, the flags; proofs signed here with P-256 keys, as a browser's WebCrypto
//! would. The refresh family's key binding is in `dpop_refresh.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::dpop::{
    api_proof, ath, challenge, dpop, error_code, login, login_request, me, signed_in, Key,
};
use common::{claims, Instance, Server};
use mock_server::Options;
use reqwest::header::{AUTHORIZATION, SET_COOKIE};
use reqwest::Client;
use serde_json::{json, Value};

#[tokio::test]
async fn login_binds_the_access_token_to_the_key_of_its_proof() {
    let server = Server::start(dpop(Options::default())).await;
    let key = Key::new(1);
    let response = login(&server, &Client::new(), &key, &json!({})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(claims(token)["cnf"], json!({"jkt": key.jkt()}));
    let ok = me(
        &server,
        "DPoP",
        token,
        Some(api_proof(&server, &key, token, &json!({}))),
    )
    .await;
    assert_eq!(ok.status(), 200);
    let stats = server.stats().await;
    assert_eq!(
        (stats.logins, stats.api_ok, stats.dpop_rejections),
        (1, 1, 0)
    );
}

#[tokio::test]
async fn login_needs_a_good_proof_before_the_credentials_are_looked_at() {
    let server = Server::start(dpop(Options::default())).await;
    let key = Key::new(1);
    let none = login_request(&server, &Client::new()).send().await.unwrap();
    assert_eq!(none.status(), 400);
    assert!(none.headers().get(SET_COOKIE).is_none());
    assert_eq!(error_code(none).await, "invalid_dpop_proof");
    let wrong_method = login_request(&server, &Client::new())
        .header(
            "dpop",
            key.proof("GET", &server.url("/auth/login"), &json!({})),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), 400);
    let bad_password = Client::new()
        .post(server.url("/auth/login"))
        .json(&json!({"username": "alice", "password": "guess"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_code(bad_password).await, "invalid_dpop_proof");
    let stats = server.stats().await;
    assert_eq!((stats.logins, stats.dpop_rejections), (0, 3));
}

#[tokio::test]
async fn the_api_takes_a_bound_token_only_with_a_fresh_proof_by_its_key_for_this_request() {
    let server = Server::start(dpop(Options::default())).await;
    let key = Key::new(1);
    let s = signed_in(&server, &Client::new(), &key).await;
    let good = |extra: Value| api_proof(&server, &key, &s.access, &extra);
    let proof_error = "DPoP error=\"invalid_dpop_proof\"";
    let old_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 300;
    let replayed = good(json!({}));
    assert_eq!(
        me(&server, "DPoP", &s.access, Some(replayed.clone()))
            .await
            .status(),
        200
    );
    let cases = [
        (
            "a bearer token",
            "Bearer",
            Some(good(json!({}))),
            "DPoP error=\"invalid_token\"",
        ),
        ("no proof", "DPoP", None, proof_error),
        (
            "another key",
            "DPoP",
            Some(api_proof(&server, &Key::new(2), &s.access, &json!({}))),
            proof_error,
        ),
        ("a replayed proof", "DPoP", Some(replayed), proof_error),
        (
            "another url",
            "DPoP",
            Some(good(json!({"htu": server.url("/api/echo")}))),
            proof_error,
        ),
        (
            "another method",
            "DPoP",
            Some(good(json!({"htm": "POST"}))),
            proof_error,
        ),
        (
            "another token's hash",
            "DPoP",
            Some(good(json!({"ath": ath("another")}))),
            proof_error,
        ),
        (
            "five minutes old",
            "DPoP",
            Some(good(json!({"iat": old_s}))),
            proof_error,
        ),
    ];
    let refused = u64::try_from(cases.len()).unwrap();
    for (case, scheme, proof, expected) in cases {
        let response = me(&server, scheme, &s.access, proof).await;
        assert_eq!(response.status(), 401, "{case}");
        assert_eq!(challenge(&response), expected, "{case}");
    }
    // The token is alive: every refusal above was the proof's or the scheme's.
    let ok = me(&server, "DPoP", &s.access, Some(good(json!({})))).await;
    assert_eq!(ok.status(), 200);
    let stats = server.stats().await;
    assert_eq!(
        (stats.api_ok, stats.api_unauthorized, stats.dpop_rejections),
        (2, refused, refused)
    );
}

#[tokio::test]
async fn the_nonce_is_challenged_sent_on_every_answer_and_rotated_on_demand() {
    let server = Server::start(Options {
        dpop_nonce: true,
        ..Options::default()
    })
    .await;
    let key = Key::new(1);
    let first = login(&server, &Client::new(), &key, &json!({})).await;
    assert_eq!(first.status(), 400);
    let nonce = first.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    assert_eq!(URL_SAFE_NO_PAD.decode(&nonce).unwrap().len(), 16);
    assert_eq!(error_code(first).await, "use_dpop_nonce");
    let with_nonce = json!({ "nonce": nonce });
    let retry = login(&server, &Client::new(), &key, &with_nonce).await;
    assert_eq!(retry.status(), 200);
    assert_eq!(retry.headers()["dpop-nonce"], nonce.as_str());
    let body: Value = retry.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();

    let bare = me(
        &server,
        "DPoP",
        &token,
        Some(api_proof(&server, &key, &token, &json!({}))),
    )
    .await;
    assert_eq!(bare.status(), 401);
    assert_eq!(challenge(&bare), "DPoP error=\"use_dpop_nonce\"");
    assert_eq!(bare.headers()["dpop-nonce"], nonce.as_str());
    let proof = api_proof(&server, &key, &token, &with_nonce);
    assert_eq!(me(&server, "DPoP", &token, Some(proof)).await.status(), 200);

    assert_eq!(
        server
            .config(json!({"rotate_dpop_nonce": true}))
            .await
            .status(),
        200
    );
    let stale = me(
        &server,
        "DPoP",
        &token,
        Some(api_proof(&server, &key, &token, &with_nonce)),
    )
    .await;
    assert_eq!(stale.status(), 401);
    assert_eq!(challenge(&stale), "DPoP error=\"use_dpop_nonce\"");
    let fresh = stale.headers()["dpop-nonce"].to_str().unwrap().to_owned();
    assert_ne!(fresh, nonce);
    let proof = api_proof(&server, &key, &token, &json!({ "nonce": fresh }));
    assert_eq!(me(&server, "DPoP", &token, Some(proof)).await.status(), 200);

    let stats = server.stats().await;
    assert_eq!(
        (
            stats.dpop_nonce_challenges,
            stats.dpop_rejections,
            stats.api_unauthorized,
            stats.api_ok
        ),
        (3, 0, 0, 2),
        "a challenge is no rejection"
    );
}

#[tokio::test]
async fn without_dpop_a_proof_is_ignored_and_bearer_tokens_work_as_before() {
    let server = Server::default().await;
    let response = login_request(&server, &Client::new())
        .header("dpop", "not.a.proof")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("dpop-nonce").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap();
    assert!(claims(token).get("cnf").is_none());
    let bearer = me(&server, "Bearer", token, Some("not.a.proof".into())).await;
    assert_eq!(bearer.status(), 200);
    let as_dpop = me(&server, "DPoP", token, None).await;
    assert_eq!(as_dpop.status(), 401);
    assert_eq!(challenge(&as_dpop), "Bearer error=\"invalid_token\"");
    let stats = server.stats().await;
    assert_eq!(
        (
            stats.dpop_rejections,
            stats.dpop_nonce_challenges,
            stats.dpop_rebinds
        ),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn cors_lets_a_page_send_a_proof_and_read_the_nonce() {
    let server = Server::start(Options {
        cors_loopback: true,
        ..dpop(Options::default())
    })
    .await;
    let preflight = Client::new()
        .request(reqwest::Method::OPTIONS, server.url("/api/me"))
        .header("origin", "http://127.0.0.1:5173")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization,dpop")
        .send()
        .await
        .unwrap();
    let allowed = preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("dpop"), "{allowed}");
    let response = login(&server, &Client::new(), &Key::new(1), &json!({})).await;
    assert_eq!(response.status(), 200);
    let answer = Client::new()
        .post(server.url("/auth/login"))
        .header("origin", "http://127.0.0.1:5173")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let exposed = answer.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "dpop-nonce",
        "www-authenticate",
        "retry-after",
        "authorization",
    ] {
        assert!(exposed.contains(name), "{exposed} lacks {name}");
    }
}

/// The binary's flags: `--dpop-nonce` and `--dpop-pin` imply `--dpop`, and a reset keeps them.
#[tokio::test]
async fn the_binary_takes_the_dpop_flags_and_a_reset_keeps_them() {
    for flag in ["--dpop", "--dpop-nonce", "--dpop-pin"] {
        let instance = Instance::spawn(&[flag]).await;
        let server = &instance.server;
        for _ in 0..2 {
            let response = login_request(server, &Client::new()).send().await.unwrap();
            assert_eq!(response.status(), 400, "{flag}");
            assert_eq!(
                response.headers().contains_key("dpop-nonce"),
                flag == "--dpop-nonce",
                "{flag}"
            );
            let reset = Client::new()
                .post(server.url("/__mock/reset"))
                .send()
                .await
                .unwrap();
            assert_eq!(reset.status(), 200);
        }
    }
}

#[tokio::test]
async fn token_in_header_names_the_dpop_scheme() {
    let server = Server::start(dpop(Options {
        token_in_header: true,
        ..Options::default()
    }))
    .await;
    let key = Key::new(1);
    let response = login(&server, &Client::new(), &key, &json!({})).await;
    let header = response.headers()[AUTHORIZATION]
        .to_str()
        .unwrap()
        .to_owned();
    let token = header.strip_prefix("DPoP ").unwrap();
    let proof = api_proof(&server, &key, token, &json!({}));
    assert_eq!(me(&server, "DPoP", token, Some(proof)).await.status(), 200);
}

/// A proof's `htu` is compared with the server's public origin and the request's path, both
/// normalized (RFC 3986 §6.2.2): never with the `Host` header the client sends, and behind TLS
/// with the `https://` origin the clients call (`--public-origin`).
#[tokio::test]
async fn htu_names_the_public_origin_normalized_never_the_host_header() {
    let server = Server::start(dpop(Options::default())).await;
    let key = Key::new(1);
    let with_htu = |htu: String, host: Option<&'static str>| {
        let mut request = login_request(&server, &Client::new())
            .header("dpop", key.proof("POST", &htu, &json!({})));
        if let Some(host) = host {
            request = request.header("host", host);
        }
        request.send()
    };
    // Case, a default port and percent-encoded unreserved characters do not matter.
    let address = server.url("").trim_start_matches("http://").to_owned();
    let shouted = format!("HTTP://{}/%61uth/login", address.to_uppercase());
    assert_eq!(with_htu(shouted, None).await.unwrap().status(), 200);
    // A Host header of the client's choosing names nothing the proof may claim.
    let forged = with_htu(
        "http://evil.example/auth/login".into(),
        Some("evil.example"),
    )
    .await
    .unwrap();
    assert_eq!(forged.status(), 400);
    assert_eq!(error_code(forged).await, "invalid_dpop_proof");

    // Behind TLS: the public origin is https, whatever the proxy's hop to this server was.
    let server = Server::start(Options {
        public_origin: Some("https://api.example.com".into()),
        ..dpop(Options::default())
    })
    .await;
    let proof = |htu: &str| key.proof("POST", htu, &json!({}));
    let behind_tls = login_request(&server, &Client::new())
        .header("dpop", proof("https://API.example.com:443/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(behind_tls.status(), 200);
    let hop = login_request(&server, &Client::new())
        .header("dpop", proof(&server.url("/auth/login")))
        .send()
        .await
        .unwrap();
    assert_eq!(hop.status(), 400);
}
