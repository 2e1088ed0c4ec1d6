//! The store in Redis and in a Redis Cluster: the same contract as in memory, and two server
//! processes sharing one Redis, or one three-master cluster, that behave as one server. Each
//! test starts its own `redis-server` (or three, in cluster mode) on free ports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{claims, set_cookie_value, Instance, RedisCluster, RedisServer, Server};
use futures::future::join_all;
use mock_server::backend::Backend;
use mock_server::redis_store::RedisStore;
use mock_server::store::Outcome;
use serde_json::json;

const DAY: u64 = 86_400_000;
const NOW: u64 = 1_800_000_000_000;

fn rotated(outcome: &Outcome) -> Option<&str> {
    match outcome {
        Outcome::Rotated { token, .. } => Some(token),
        _ => None,
    }
}

/// The store's rules, step by step, on any backend.
async fn contract(store: &Backend) {
    let family = store
        .login("alice", ("t0", "c"), None, NOW, DAY)
        .await
        .unwrap()
        .family;
    let session = store.session_of("t0", NOW).await.unwrap().unwrap();
    assert_eq!((session.family, session.user.as_str()), (family, "alice"));
    assert_eq!(session.csrf, "c");
    assert_eq!(
        store.session_of("t0", NOW + DAY).await.unwrap(),
        None,
        "expired"
    );

    let first = store.refresh("t0", "t1", NOW, 5_000).await.unwrap();
    assert_eq!(rotated(&first), Some("t1"));
    // The token retired last, strictly within the grace: the current one, no rotation.
    let late = store
        .refresh("t0", "unused", NOW + 4_999, 5_000)
        .await
        .unwrap();
    assert!(matches!(late, Outcome::Grace { ref token, .. } if token == "t1"));
    assert_eq!(store.session_of("unused", NOW).await.unwrap(), None);
    // A grace of zero accepts nothing, even at the same millisecond.
    let second = store.refresh("t1", "t2", NOW, 0).await.unwrap();
    assert_eq!(rotated(&second), Some("t2"));
    assert_eq!(
        store.refresh("t1", "x", NOW, 0).await.unwrap(),
        Outcome::ReuseDetected
    );
    // The whole family died, the newest token too.
    assert_eq!(
        store.refresh("t2", "x", NOW, 0).await.unwrap(),
        Outcome::Invalid
    );
    assert_eq!(store.session_of("t2", NOW).await.unwrap(), None);
    assert_eq!(
        store.refresh("nope", "x", NOW, 0).await.unwrap(),
        Outcome::Invalid
    );

    // Access tokens: by family, by serial, by jti.
    let other = store
        .login("bob", ("u0", "d"), None, NOW, DAY)
        .await
        .unwrap()
        .family;
    let one = store.next_serial().await.unwrap().to_string();
    let two = store.next_serial().await.unwrap().to_string();
    assert!(
        !store.access_live(family, &one).await.unwrap(),
        "revoked family"
    );
    assert!(store.access_live(other, &one).await.unwrap());
    store.revoke_jti(&one, DAY).await.unwrap();
    assert!(!store.access_live(other, &one).await.unwrap());
    assert!(store.access_live(other, &two).await.unwrap());
    store.revoke_access_tokens().await.unwrap();
    assert!(!store.access_live(other, &two).await.unwrap());
    let three = store.next_serial().await.unwrap().to_string();
    assert!(store.access_live(other, &three).await.unwrap());
    assert!(!store.access_live(other, "x").await.unwrap());
    store.revoke_family(other).await.unwrap();
    assert!(!store.access_live(other, &three).await.unwrap());
    assert_eq!(
        store.refresh("u0", "u1", NOW, 0).await.unwrap(),
        Outcome::Invalid
    );

    // A login over a presented cookie records the family it replaced, and that one's own.
    let first = store
        .login("dan", ("w0", "f"), None, NOW, DAY)
        .await
        .unwrap()
        .family;
    let second = store
        .login("dan", ("x0", "g"), Some(first), NOW, DAY)
        .await
        .unwrap()
        .family;
    let third = store
        .login("dan", ("y0", "h"), Some(second), NOW, DAY)
        .await
        .unwrap()
        .family;
    let session = store.session_of("y0", NOW).await.unwrap().unwrap();
    assert_eq!(
        (session.family, session.lineage),
        (third, vec![second, first])
    );
    let rotated = store.refresh("y0", "y1", NOW, 0).await.unwrap();
    assert!(
        matches!(rotated, Outcome::Rotated { ref session, .. } if session.lineage == [second, first])
    );

    // A reset kills every family.
    store
        .login("carol", ("v0", "e"), None, NOW, DAY)
        .await
        .unwrap();
    store.revoke_all().await.unwrap();
    assert_eq!(store.session_of("v0", NOW).await.unwrap(), None);
    assert_eq!(
        store.refresh("v0", "v1", NOW, 0).await.unwrap(),
        Outcome::Invalid
    );
}

#[tokio::test]
async fn memory_one_redis_and_a_cluster_keep_the_same_contract() {
    contract(&Backend::default()).await;
    let redis = RedisServer::start().await;
    let store = RedisStore::connect(&redis.url, "contract:").await.unwrap();
    contract(&Backend::Redis(store)).await;
    let cluster = RedisCluster::start().await;
    let store = RedisStore::connect_cluster(&cluster.urls(), "contract:")
        .await
        .unwrap();
    let store = Backend::Redis(store);
    contract(&store).await;
    // Families spread over the masters: each holds some.
    for n in 0..30 {
        let token = format!("spread{n}");
        store
            .login("dave", (&token, "f"), None, NOW, DAY)
            .await
            .unwrap();
    }
    for url in cluster.urls() {
        let mut node = redis::Client::open(url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let keys: u64 = redis::cmd("DBSIZE").query_async(&mut node).await.unwrap();
        assert!(keys > 0, "{url} holds no key: the families did not spread");
    }
}

/// Two instances sharing the Redis (or cluster) that `shared` points at, keys under `prefix`.
async fn pair(shared: &[String], prefix: &str) -> (Instance, Instance) {
    let mut args: Vec<&str> = shared.iter().map(String::as_str).collect();
    args.extend(["--redis-prefix", prefix]);
    (Instance::spawn(&args).await, Instance::spawn(&args).await)
}

#[derive(Debug, Default)]
struct Figures {
    races: u32,
    winners: u32,
    grace_answers: u32,
    reuse_detections: u32,
}

/// One race: the same refresh cookie to both instances at once.
async fn race(a: &Server, b: &Server, figures: &mut Figures) {
    let session = a.login(&reqwest::Client::new()).await;
    let (x, y) = futures::join!(
        a.refresh_with(&session.refresh, &session.csrf),
        b.refresh_with(&session.refresh, &session.csrf)
    );
    let answers: Vec<_> = [&x, &y]
        .iter()
        .map(|r| (r.status().as_u16(), set_cookie_value(r, "refresh_token")))
        .collect();
    figures.races += 1;
    match answers.as_slice() {
        [(200, Some(one)), (200, Some(two))] => {
            assert_eq!(one, two, "two winners: two different successors");
            figures.winners += 1;
            figures.grace_answers += 1;
        }
        [(200, Some(_)), (401, None)] | [(401, None), (200, Some(_))] => {
            figures.winners += 1;
            figures.reuse_detections += 1;
        }
        other => panic!("race {}: {other:?}", figures.races),
    }
}

/// 1,000 races: exactly one instance rotates; the other answers by the grace rule or detects
/// reuse; never two winners.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sharing_one_redis_never_both_rotate_one_token() {
    let redis = RedisServer::start().await;
    thousand_races(&redis.args(), "one redis").await;
}

/// The same on a three-master cluster: each family's keys share a slot, so its rotation is one
/// atomic step on one master.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_sharing_a_cluster_never_both_rotate_one_token() {
    let cluster = RedisCluster::start().await;
    thousand_races(&cluster.args(), "a three-master cluster").await;
}

/// The same races in memory: one instance, the cookie sent to it twice at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_instance_in_memory_never_rotates_one_token_twice() {
    let instance = Instance::spawn(&[]).await;
    races_between(&instance.server, &instance.server, "memory").await;
}

async fn thousand_races(shared: &[String], what: &str) {
    let (a, b) = pair(shared, "race:").await;
    races_between(&a.server, &b.server, what).await;
}

/// 1,000 races of one cookie sent to `a` and `b` at once (the same server twice, or two).
async fn races_between(a: &Server, b: &Server, what: &str) {
    let mut figures = Figures::default();
    for (grace_ms, races) in [(0, 500), (10_000, 500)] {
        for server in [a, b] {
            server.config(json!({ "reuse_grace_ms": grace_ms })).await;
        }
        let before = figures.grace_answers;
        for _ in 0..races {
            race(a, b, &mut figures).await;
        }
        let graced = figures.grace_answers - before;
        if grace_ms == 0 {
            assert_eq!(graced, 0, "a grace of zero accepts nothing");
        } else {
            assert_eq!(graced, races, "within the grace every loser is answered");
        }
    }
    let one = a.base == b.base;
    let mut stats = vec![a.stats().await];
    if !one {
        stats.push(b.stats().await);
    }
    let refreshes: u64 = stats.iter().map(|s| s.refreshes).sum();
    let reuse: u64 = stats.iter().map(|s| s.reuse_detections).sum();
    assert_eq!(refreshes, u64::from(figures.winners));
    assert_eq!(reuse, u64::from(figures.reuse_detections));
    assert_eq!(figures.winners, figures.races);
    let instances = if one { "one instance" } else { "two instances" };
    println!(
        "{instances}, {what}: {} races, {} winners, {} grace answers, {} reuse detections",
        figures.races, figures.winners, figures.grace_answers, figures.reuse_detections
    );
}

/// What one instance revokes is dead at the other: logout, reuse detection, a jti, a reset.
#[tokio::test]
async fn a_revocation_at_one_instance_holds_at_the_other() {
    let redis = RedisServer::start().await;
    revocations_hold_everywhere(&redis.args()).await;
}

/// The same on a cluster: the counters and the epoch share one slot, families spread.
#[tokio::test]
async fn a_revocation_at_one_instance_holds_at_the_other_on_a_cluster() {
    let cluster = RedisCluster::start().await;
    revocations_hold_everywhere(&cluster.args()).await;
}

async fn revocations_hold_everywhere(shared: &[String]) {
    let (a, b) = pair(shared, "revoke:").await;
    let (a, b) = (&a.server, &b.server);

    // Each accepts the other's tokens.
    let browser = a.browser();
    let session = a.login(&browser).await;
    assert_eq!(b.me(&session.access).await.status(), 200);
    let moved = b.refresh_with(&session.refresh, &session.csrf).await;
    assert_eq!(moved.status(), 200, "B rotates a family A started");

    // Logout at A: B refuses the family's refresh token and its access tokens.
    let session = a.login(&browser).await;
    let logout = browser
        .post(a.url("/auth/logout"))
        .header("x-csrf-token", &session.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    assert_eq!(
        b.refresh_with(&session.refresh, &session.csrf)
            .await
            .status(),
        401
    );
    assert_eq!(b.me(&session.access).await.status(), 401);

    // Reuse detected at A kills the access tokens B would accept.
    let session = a.login(&reqwest::Client::new()).await;
    let rotated = a.refresh_with(&session.refresh, &session.csrf).await;
    let access: serde_json::Value = rotated.json().await.unwrap();
    let access = access["access_token"].as_str().unwrap().to_owned();
    assert_eq!(b.me(&access).await.status(), 200);
    assert_eq!(
        a.refresh_with(&session.refresh, &session.csrf)
            .await
            .status(),
        401
    );
    assert_eq!(b.me(&access).await.status(), 401);

    // A jti revoked through A is refused by B; its sibling lives.
    let doomed = a.login(&reqwest::Client::new()).await;
    let spared = b.login(&reqwest::Client::new()).await;
    let jti = claims(&doomed.access)["jti"].as_str().unwrap().to_owned();
    assert_ne!(jti, claims(&spared.access)["jti"], "serials are shared");
    a.config(json!({ "revoke_jti": jti })).await;
    assert_eq!(b.me(&doomed.access).await.status(), 401);
    assert_eq!(a.me(&spared.access).await.status(), 200);

    // A reset through B ends every family at A.
    let session = a.login(&reqwest::Client::new()).await;
    reqwest::Client::new()
        .post(b.url("/__mock/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        a.refresh_with(&session.refresh, &session.csrf)
            .await
            .status(),
        401
    );
    assert_eq!(a.me(&session.access).await.status(), 401);
    let stats = join_all([a, b].map(|s| s.stats())).await;
    let logins: Vec<u64> = stats.iter().map(|s| s.logins).collect();
    assert_eq!(
        logins,
        [5, 0],
        "counters are per instance: the reset zeroed B's"
    );
}

/// Redis going away is a 503 `store_unavailable`, never a token or a silent success; Redis
/// coming back is used again without a restart of the server.
#[tokio::test]
async fn without_its_redis_the_server_answers_503_and_issues_nothing_then_reconnects() {
    let redis = RedisServer::start().await;
    let (a, _b) = pair(&redis.args(), "gone:").await;
    let session = a.server.login(&reqwest::Client::new()).await;
    let url = redis.url.clone();
    drop(redis);
    let answer = a.server.refresh_with(&session.refresh, &session.csrf).await;
    assert_eq!(answer.status(), 503);
    assert!(set_cookie_value(&answer, "refresh_token").is_none());
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "store_unavailable");
    assert_eq!(a.server.me(&session.access).await.status(), 503);

    // Redis back (empty, as after a restart without persistence): the instance reconnects by
    // itself; the old session is gone, a new login works.
    let port: u16 = url.rsplit(':').next().unwrap().parse().unwrap();
    let _redis = RedisServer::start_on(port).await;
    let mut status = 0;
    for _ in 0..50 {
        let login = reqwest::Client::new()
            .post(a.server.url("/auth/login"))
            .json(&json!({"username": "alice", "password": "wonderland"}))
            .send()
            .await
            .unwrap();
        status = login.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "the instance reconnected");
    assert_eq!(
        a.server
            .refresh_with(&session.refresh, &session.csrf)
            .await
            .status(),
        401
    );
}
