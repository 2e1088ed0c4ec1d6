#![allow(clippy::unwrap_used)]

use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::SigningKey;
use serde_json::json;

use super::memory::{MAX_SEEN, MAX_SEEN_PER_KEY, PRUNE_MIN};
use super::*;

const NOW_MS: i64 = 1_800_000_000_000;
const URL: &str = "http://127.0.0.1:8080/api/me";

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32].into()).unwrap()
}

fn jwk(key: &SigningKey) -> Value {
    let point = key.verifying_key().to_encoded_point(false);
    json!({"kty": "EC", "crv": "P-256", "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap())})
}

/// A proof of `claims` with this `header`, signed by `key`; `high_s` flips the signature to the
/// other of its two valid forms, as WebCrypto may send.
fn sign(key: &SigningKey, header: &Value, claims: &Value, high_s: bool) -> String {
    let input = format!("{}.{}", b64(header.to_string()), b64(claims.to_string()));
    let signature: Signature = key.sign(input.as_bytes());
    let low = signature.normalize_s().unwrap_or(signature);
    let chosen = if high_s {
        let (r, s) = low.split_scalars();
        let high = Signature::from_scalars(r, -*s).unwrap();
        assert!(high.normalize_s().is_some(), "s is the high one");
        high
    } else {
        low
    };
    format!("{input}.{}", b64(chosen.to_bytes()))
}

fn header(key: &SigningKey) -> Value {
    json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk(key)})
}

fn claims() -> Value {
    json!({"jti": "j-1", "htm": "GET", "htu": URL, "iat": 1_800_000_000})
}

fn expected() -> Expected<'static> {
    Expected {
        method: "GET",
        url: URL.to_owned(),
        access: None,
    }
}

#[test]
fn the_thumbprint_of_the_p256_key_of_rfc_7517_is_the_well_known_one() {
    // RFC 7517 A.1's EC public key; its RFC 7638 thumbprint, computed apart from this code.
    let x = URL_SAFE_NO_PAD
        .decode("MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4")
        .unwrap();
    let y = URL_SAFE_NO_PAD
        .decode("4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM")
        .unwrap();
    assert_eq!(
        thumbprint(&x.try_into().unwrap(), &y.try_into().unwrap()),
        "cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s"
    );
}

#[test]
fn a_proof_verifies_in_both_signature_forms_and_names_its_key() {
    let k = key(7);
    for high_s in [false, true] {
        let proof = sign(&k, &header(&k), &claims(), high_s);
        let proven = verify(&proof, &expected(), NOW_MS).unwrap();
        let j = jwk(&k);
        let by_hand = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            j["x"].as_str().unwrap(),
            j["y"].as_str().unwrap()
        );
        assert_eq!(proven.jkt, b64(Sha256::digest(by_hand.as_bytes())));
    }
}

#[test]
fn a_proof_is_refused_for_each_header_fault() {
    let k = key(7);
    let mut cases = Vec::new();
    for (member, value) in [
        ("typ", json!("JWT")),
        ("alg", json!("ES384")),
        ("alg", json!("none")),
    ] {
        let mut h = header(&k);
        h[member] = value;
        cases.push(h);
    }
    let mut with_d = header(&k);
    with_d["jwk"]["d"] = json!(b64([7u8; 32]));
    cases.push(with_d);
    let mut short_x = header(&k);
    short_x["jwk"]["x"] = json!(b64([1u8; 31]));
    cases.push(short_x);
    let mut off_curve = header(&k);
    off_curve["jwk"]["y"] = json!(b64([1u8; 32]));
    cases.push(off_curve);
    for h in cases {
        let proof = sign(&k, &h, &claims(), false);
        assert!(
            matches!(
                verify(&proof, &expected(), NOW_MS),
                Err(Refusal::Invalid(_))
            ),
            "{h}"
        );
    }
    // Signed by another key than the one it carries.
    let proof = sign(&key(8), &header(&k), &claims(), false);
    assert_eq!(
        verify(&proof, &expected(), NOW_MS).unwrap_err(),
        Refusal::Invalid("bad signature")
    );
}

#[test]
fn the_claims_must_name_the_request_and_the_time() {
    let k = key(7);
    let refused = |change: &dyn Fn(&mut Value)| {
        let mut c = claims();
        change(&mut c);
        verify(&sign(&k, &header(&k), &c, false), &expected(), NOW_MS).err()
    };
    assert_eq!(
        refused(&|c| c["htm"] = json!("POST")),
        Some(Refusal::Invalid("htm is not the request's method"))
    );
    assert!(refused(&|c| c["htu"] = json!("http://127.0.0.1:8080/api/echo")).is_some());
    assert!(refused(&|c| c["htu"] = json!("https://127.0.0.1:8080/api/me")).is_some());
    assert!(refused(&|c| c["jti"] = json!("")).is_some());
    assert!(refused(&|c| c["jti"] = json!("x".repeat(129))).is_some());
    assert!(refused(&|c| c["iat"] = json!(1_800_000_061)).is_some());
    assert!(refused(&|c| c["iat"] = json!(1_799_999_939)).is_some());
    assert!(refused(&|c| c["iat"] = json!("1800000000")).is_some());
    // A query and a fragment are not compared; a fractional iat at the window's edge is good.
    assert_eq!(refused(&|c| c["htu"] = json!(format!("{URL}?a=1#b"))), None);
    assert_eq!(refused(&|c| c["iat"] = json!(1_800_000_059.5)), None);
    assert_eq!(refused(&|c| c["jti"] = json!("x".repeat(128))), None);
}

#[test]
fn on_the_api_ath_and_the_tokens_key_must_match() {
    let k = key(7);
    let jkt = verify(
        &sign(&k, &header(&k), &claims(), false),
        &expected(),
        NOW_MS,
    )
    .unwrap()
    .jkt;
    let mut c = claims();
    c["ath"] = json!(sha256_b64("the-token"));
    let proof = sign(&k, &header(&k), &c, false);
    let api = |token, bound| Expected {
        access: Some((token, bound)),
        ..expected()
    };
    assert!(verify(&proof, &api("the-token", &jkt), NOW_MS).is_ok());
    assert!(verify(&proof, &api("another-token", &jkt), NOW_MS).is_err());
    assert!(verify(&proof, &api("the-token", "another-key"), NOW_MS).is_err());
    let without_ath = sign(&k, &header(&k), &claims(), false);
    assert!(verify(&without_ath, &api("the-token", &jkt), NOW_MS).is_err());
    let printed = format!("{:?}", api("the-token", &jkt));
    assert!(!printed.contains("the-token"), "{printed}");
}

fn proven(jti: &str, iat_ms: i64, nonce: Option<&str>) -> Proven {
    Proven {
        jkt: "k".into(),
        jti: jti.into(),
        iat_ms,
        nonce: nonce.map(str::to_owned),
    }
}

#[test]
fn a_jti_is_accepted_once_while_its_proof_could_be_and_then_forgotten() {
    let mut m = Memory::new(NOW_MS);
    assert_eq!(m.accept(&proven("a", NOW_MS, None), false, NOW_MS), Ok(()));
    assert_eq!(
        m.accept(&proven("a", NOW_MS, None), false, NOW_MS + IAT_WINDOW_MS),
        Err(Refusal::Invalid("replayed jti"))
    );
    // Old entries are pruned as new proofs come: the cache stays bounded.
    for i in 0..PRUNE_MIN * 3 {
        let later = NOW_MS + 2 * IAT_WINDOW_MS + i64::try_from(i).unwrap() * 1_000;
        m.accept(&proven(&format!("j{i}"), later, None), false, later)
            .unwrap();
    }
    assert!(m.seen_total < PRUNE_MIN * 2, "{}", m.seen_total);
    assert!(!m.seen["k"].until.contains_key("a"));
}

fn proven_by(jkt: &str, jti: &str, at_ms: i64) -> Proven {
    Proven {
        jkt: jkt.into(),
        ..proven(jti, at_ms, None)
    }
}

#[test]
fn one_key_filling_the_replay_cache_locks_out_nobody_else() {
    let mut m = Memory::new(NOW_MS);
    // Anyone, before logging in, with one throwaway key: more proofs than the whole cache holds.
    for i in 0..MAX_SEEN + 10 {
        let accepted = m.accept(&proven_by("flood", &format!("f{i}"), NOW_MS), false, NOW_MS);
        assert_eq!(accepted, Ok(()), "the flooder's own proof {i}");
    }
    assert!(m.seen["flood"].len() <= MAX_SEEN_PER_KEY);
    // Everyone else's proofs are still taken, and still guarded against replay.
    assert_eq!(
        m.accept(&proven_by("alice", "a1", NOW_MS), false, NOW_MS),
        Ok(())
    );
    assert_eq!(
        m.accept(&proven_by("alice", "a1", NOW_MS), false, NOW_MS),
        Err(Refusal::Invalid("replayed jti"))
    );
    // Many keys together fill the cache: the one with the most gives up its oldest, and a new
    // key still gets in.
    let mut m = Memory::new(NOW_MS);
    for i in 0..MAX_SEEN {
        let jkt = format!("key{}", i % 20);
        m.accept(&proven_by(&jkt, &format!("j{i}"), NOW_MS), false, NOW_MS)
            .unwrap();
    }
    assert!(m.seen_total <= MAX_SEEN);
    assert_eq!(
        m.accept(&proven_by("bob", "b1", NOW_MS), false, NOW_MS),
        Ok(())
    );
    assert!(m.seen_total <= MAX_SEEN);
}

#[test]
fn the_nonce_and_the_one_before_are_accepted_until_a_rotation_forgets_both() {
    let mut m = Memory::new(NOW_MS);
    let first = m.nonce(NOW_MS).to_owned();
    assert_eq!(URL_SAFE_NO_PAD.decode(&first).unwrap().len(), 16);
    assert_eq!(
        m.accept(&proven("a", NOW_MS, None), true, NOW_MS),
        Err(Refusal::UseNonce)
    );
    assert_eq!(
        m.accept(&proven("b", NOW_MS, Some("other")), true, NOW_MS),
        Err(Refusal::UseNonce)
    );
    assert_eq!(
        m.accept(&proven("c", NOW_MS, Some(&first)), true, NOW_MS),
        Ok(())
    );
    // Time moves the nonce on; the one before stays good.
    let later = NOW_MS + NONCE_PERIOD_MS;
    let second = m.nonce(later).to_owned();
    assert_ne!(first, second);
    assert_eq!(
        m.accept(&proven("d", later, Some(&first)), true, later),
        Ok(())
    );
    assert_eq!(
        m.accept(&proven("e", later, Some(&second)), true, later),
        Ok(())
    );
    // The test control forgets both.
    m.rotate_nonce(later);
    for (jti, old) in [("f", &first), ("g", &second)] {
        assert_eq!(
            m.accept(&proven(jti, later, Some(old)), true, later),
            Err(Refusal::UseNonce)
        );
    }
    let third = m.nonce(later).to_owned();
    assert_eq!(
        m.accept(&proven("h", later, Some(&third)), true, later),
        Ok(())
    );
}

#[test]
fn a_binding_to_another_key_is_a_rebind_and_debug_shows_counts_only() {
    let mut m = Memory::new(NOW_MS);
    let now = 1_000;
    assert!(!m.bind(1, "key-a", now, 10_000), "the first binding");
    assert!(!m.bind(1, "key-a", now, 10_000), "the same key");
    assert!(m.bind(1, "key-b", now, 10_000));
    assert_eq!(m.bound_key(1), Some("key-b"));
    assert_eq!(m.bound_key(2), None);
    let nonce = m.nonce(NOW_MS).to_owned();
    let printed = format!("{m:?}");
    assert!(
        !printed.contains("key-b") && !printed.contains(&nonce),
        "{printed}"
    );
    m.forget_bindings();
    assert_eq!(m.bound_key(1), None);
}
