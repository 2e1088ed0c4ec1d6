//! DPoP state shared by every instance: two server processes behind one public origin (as
//! behind a load balancer) and one Redis, or one three-master cluster. A proof spent at one is
//! refused at the other, a nonce one hands out is accepted by the other, and a family bound to
//! a key at one is bound to it at the other.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::dpop::{error_code, Key};
use common::{set_cookie_value, Instance, RedisCluster, RedisServer, Server};
use reqwest::header::COOKIE;
use reqwest::{Client, Response};
use serde_json::{json, Value};

/// What the load balancer's clients call: every proof names it, whichever instance answers.
const PUBLIC: &str = "http://api.example.test";

async fn pair(shared: &[String], prefix: &str) -> (Instance, Instance) {
    let mut args: Vec<&str> = shared.iter().map(String::as_str).collect();
    args.extend(["--redis-prefix", prefix, "--public-origin", PUBLIC]);
    args.extend(["--dpop-nonce", "--dpop-pin"]);
    (Instance::spawn(&args).await, Instance::spawn(&args).await)
}

async fn login(server: &Server, proof: &str) -> Response {
    Client::new()
        .post(server.url("/auth/login"))
        .header("dpop", proof)
        .json(&json!({"username": "alice", "password": "wonderland"}))
        .send()
        .await
        .unwrap()
}

async fn refresh(server: &Server, (cookie, csrf): (&str, &str), proof: &str) -> Response {
    Client::new()
        .post(server.url("/auth/refresh"))
        .header(COOKIE, format!("refresh_token={cookie}; csrf_token={csrf}"))
        .header("x-csrf-token", csrf)
        .header("dpop", proof)
        .send()
        .await
        .unwrap()
}

fn nonce_of(response: &Response) -> String {
    response.headers()["dpop-nonce"]
        .to_str()
        .unwrap()
        .to_owned()
}

async fn dpop_state_is_shared(shared: &[String]) {
    let (a, b) = pair(shared, "dpop:").await;
    let (a, b) = (&a.server, &b.server);
    let (key, thief) = (Key::new(7), Key::new(8));
    let login_url = format!("{PUBLIC}/auth/login");
    let refresh_url = format!("{PUBLIC}/auth/refresh");

    // A nonce handed out by A is accepted by B.
    let challenged = login(a, &key.proof("POST", &login_url, &json!({}))).await;
    assert_eq!(challenged.status(), 400);
    let nonce = nonce_of(&challenged);
    assert_eq!(error_code(challenged).await, "use_dpop_nonce");
    let proof = key.proof("POST", &login_url, &json!({ "nonce": nonce }));
    let signed_in = login(b, &proof).await;
    assert_eq!(signed_in.status(), 200, "B accepts the nonce A handed out");
    assert_eq!(nonce_of(&signed_in), nonce, "both hand out the same nonce");
    let cookie = set_cookie_value(&signed_in, "refresh_token").unwrap();
    let body: Value = signed_in.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_owned();

    // The proof B accepted is spent at A too.
    let replayed = login(a, &proof).await;
    assert_eq!(replayed.status(), 400, "A refuses a proof spent at B");
    assert_eq!(error_code(replayed).await, "invalid_dpop_proof");

    // The family B bound to `key` is bound to it at A: another key's refresh is refused there
    // (--dpop-pin), the key's own goes through.
    let stolen = thief.proof("POST", &refresh_url, &json!({ "nonce": nonce }));
    let refused = refresh(a, (&cookie, &csrf), &stolen).await;
    assert_eq!(
        refused.status(),
        401,
        "A knows the family is bound to B's key"
    );
    assert_eq!(error_code(refused).await, "invalid_dpop_key");
    let own = key.proof("POST", &refresh_url, &json!({ "nonce": nonce }));
    assert_eq!(refresh(a, (&cookie, &csrf), &own).await.status(), 200);
    // And that refresh proof is spent at B.
    assert_eq!(refresh(b, (&cookie, &csrf), &own).await.status(), 400);

    // A nonce rotated through B's test control is rotated at A.
    Client::new()
        .post(b.url("/__mock/config"))
        .json(&json!({ "rotate_dpop_nonce": true }))
        .send()
        .await
        .unwrap();
    let stale = key.proof("POST", &login_url, &json!({ "nonce": nonce }));
    let rechallenged = login(a, &stale).await;
    assert_eq!(rechallenged.status(), 400);
    assert_ne!(nonce_of(&rechallenged), nonce);
}

#[tokio::test]
async fn two_instances_on_one_redis_share_proofs_nonces_and_bindings() {
    let redis = RedisServer::start().await;
    dpop_state_is_shared(&redis.args()).await;
}

#[tokio::test]
async fn two_instances_on_a_cluster_share_proofs_nonces_and_bindings() {
    let cluster = RedisCluster::start().await;
    dpop_state_is_shared(&cluster.args()).await;
}
