//! Bounded load on loopback: the store never tears under concurrent refreshes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{set_cookie_value, Server};
use futures::future::join_all;
use mock_server::Options;

/// 200 sessions refreshing at once: every one rotates exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_sessions_refresh_concurrently() {
    let server = Server::default().await;
    let browsers: Vec<_> = (0..200).map(|_| server.browser()).collect();
    let sessions = join_all(browsers.iter().map(|b| server.login(b))).await;
    let answers = join_all(
        browsers
            .iter()
            .zip(&sessions)
            .map(|(b, s)| server.refresh(b, &s.csrf)),
    )
    .await;
    assert!(answers.iter().all(|r| r.status() == 200));
    let stats = server.stats().await;
    assert_eq!((stats.logins, stats.refreshes), (200, 200));
    assert_eq!(stats.refresh_rejections, 0);
}

/// 50 tabs presenting the same cookie at once, no grace: one rotation, 49 rejections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_refreshes_of_one_cookie_rotate_once_without_grace() {
    let server = Server::default().await;
    let session = server.login(&server.browser()).await;
    let answers =
        join_all((0..50).map(|_| server.refresh_with(&session.refresh, &session.csrf))).await;
    let ok = answers.iter().filter(|r| r.status() == 200).count();
    let rejected = answers.iter().filter(|r| r.status() == 401).count();
    assert_eq!((ok, rejected), (1, 49));
    let stats = server.stats().await;
    assert_eq!(stats.refreshes, 1);
    assert_eq!(stats.refresh_rejections, 49);
    // The first reuse revoked the family; the rest found it revoked.
    assert_eq!(stats.reuse_detections, 1);
}

/// The same race with a grace window: one rotation, and all 50 end up on the same new token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_refreshes_of_one_cookie_rotate_once_within_grace() {
    let server = Server::start(Options {
        reuse_grace: Duration::from_secs(30),
        ..Options::default()
    })
    .await;
    let session = server.login(&server.browser()).await;
    let answers =
        join_all((0..50).map(|_| server.refresh_with(&session.refresh, &session.csrf))).await;
    assert!(answers.iter().all(|r| r.status() == 200));
    let tokens: std::collections::HashSet<_> = answers
        .iter()
        .map(|r| set_cookie_value(r, "refresh_token").unwrap())
        .collect();
    assert_eq!(
        tokens.len(),
        1,
        "every racer is handed the one current token"
    );
    assert!(!tokens.contains(&session.refresh));
    let stats = server.stats().await;
    assert_eq!((stats.refreshes, stats.reuse_detections), (1, 0));
}
