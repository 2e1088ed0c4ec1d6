//! DPoP for the mock server's tests: a client's P-256 key that signs proofs as a browser's
//! WebCrypto would, and the requests that carry them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use mock_server::Options;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use reqwest::header::{AUTHORIZATION, COOKIE, WWW_AUTHENTICATE};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use super::{set_cookie_value, Server};

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `options` with `--dpop`.
pub fn dpop(options: Options) -> Options {
    Options {
        dpop: true,
        ..options
    }
}

/// A client's key pair, as a browser tab holds one.
pub struct Key {
    signing: SigningKey,
    pub jwk: Value,
}

impl Key {
    pub fn new(seed: u8) -> Key {
        let signing = SigningKey::from_bytes(&[seed; 32].into()).unwrap();
        let point = signing.verifying_key().to_encoded_point(false);
        let jwk = json!({
            "kty": "EC", "crv": "P-256",
            "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap()),
        });
        Key { signing, jwk }
    }

    /// The RFC 7638 thumbprint, built by hand: the required members in order, no whitespace.
    pub fn jkt(&self) -> String {
        let json = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            self.jwk["x"].as_str().unwrap(),
            self.jwk["y"].as_str().unwrap()
        );
        b64(Sha256::digest(json.as_bytes()))
    }

    /// A proof for `htm` `htu`, now, with a fresh `jti`; `extra` claims override or add.
    pub fn proof(&self, htm: &str, htu: &str, extra: &Value) -> String {
        static SERIAL: AtomicU64 = AtomicU64::new(0);
        let now_s = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        let mut claims = json!({
            "jti": format!("jti-{}", SERIAL.fetch_add(1, Ordering::Relaxed)),
            "htm": htm, "htu": htu, "iat": now_s,
        });
        for (name, value) in extra.as_object().unwrap() {
            claims[name] = value.clone();
        }
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk});
        let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
        let signature: Signature = self.signing.sign(input.as_bytes());
        format!("{input}.{}", b64(signature.to_bytes()))
    }
}

pub fn ath(token: &str) -> String {
    b64(Sha256::digest(token.as_bytes()))
}

pub fn login_request(server: &Server, client: &Client) -> RequestBuilder {
    client
        .post(server.url("/auth/login"))
        .json(&json!({"username": "alice", "password": "wonderland"}))
}

/// Logs in with a proof by `key` (and `extra` claims, such as a nonce).
pub async fn login(server: &Server, client: &Client, key: &Key, extra: &Value) -> Response {
    let proof = key.proof("POST", &server.url("/auth/login"), extra);
    login_request(server, client)
        .header("dpop", proof)
        .send()
        .await
        .unwrap()
}

pub struct Session {
    pub access: String,
    pub csrf: String,
    pub refresh: String,
}

pub async fn signed_in(server: &Server, client: &Client, key: &Key) -> Session {
    session(login(server, client, key, &json!({})).await).await
}

/// The session a successful login answered.
pub async fn session(response: Response) -> Session {
    assert_eq!(response.status(), 200);
    let refresh = set_cookie_value(&response, "refresh_token").unwrap();
    let body: Value = response.json().await.unwrap();
    Session {
        access: body["access_token"].as_str().unwrap().to_owned(),
        csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        refresh,
    }
}

/// A refresh presenting exactly these cookies, with a proof by `key` if given.
pub async fn refresh(
    server: &Server,
    session: &Session,
    key: Option<&Key>,
    extra: &Value,
) -> Response {
    let cookies = format!(
        "refresh_token={}; csrf_token={}",
        session.refresh, session.csrf
    );
    let mut request = Client::new()
        .post(server.url("/auth/refresh"))
        .header(COOKIE, cookies)
        .header("x-csrf-token", &session.csrf);
    if let Some(key) = key {
        let proof = key.proof("POST", &server.url("/auth/refresh"), extra);
        request = request.header("dpop", proof);
    }
    request.send().await.unwrap()
}

/// `GET /api/me` with `Authorization: {scheme} {token}` and `proof`.
pub async fn me(server: &Server, scheme: &str, token: &str, proof: Option<String>) -> Response {
    let mut request = Client::new()
        .get(server.url("/api/me"))
        .header(AUTHORIZATION, format!("{scheme} {token}"));
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    request.send().await.unwrap()
}

/// The proof `/api/me` wants for `token` by `key`, with `extra` claims.
pub fn api_proof(server: &Server, key: &Key, token: &str, extra: &Value) -> String {
    let mut claims = json!({"ath": ath(token)});
    for (name, value) in extra.as_object().unwrap() {
        claims[name] = value.clone();
    }
    key.proof("GET", &server.url("/api/me"), &claims)
}

pub fn challenge(response: &Response) -> &str {
    response.headers()[WWW_AUTHENTICATE].to_str().unwrap()
}

pub async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.unwrap();
    body["error"].as_str().unwrap().to_owned()
}
