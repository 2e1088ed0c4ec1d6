//! Off the browser (a server build of an SSR app, a host test, rust-analyzer, docs.rs) the whole
//! API builds; a keeper cannot start there and says so, with the error type apps already handle.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use token_keeper::{Config, TokenKeeper};

/// What an SSR app's shared code does: name the type, build options, try to start a keeper.
fn start(config: Config) -> Option<TokenKeeper> {
    TokenKeeper::new(config).ok()
}

#[test]
fn the_api_builds_off_the_browser_and_a_keeper_says_it_runs_in_the_browser_only() {
    let built = TokenKeeper::builder("/auth/refresh")
        .login_url("/auth/login")
        .build();
    let e = built.unwrap_err();
    assert_eq!(e.code(), "config");
    assert!(
        e.message().contains("runs in the browser"),
        "{}",
        e.message()
    );
    // Options read with serde work everywhere, as do the claims helpers.
    let config: Config = serde_json::from_str(r#"{"refreshUrl":"/auth/refresh"}"#).unwrap();
    assert!(start(config).is_none());
    assert!(token_keeper::clock::now_ms() > 1.7e12);
}

/// `Config`'s fields are public: an edit by hand meets the same checks at `new` as the builder's.
#[test]
fn new_checks_options_edited_by_hand() {
    let mut config = Config::new("/auth/refresh");
    config.timeout = std::time::Duration::ZERO;
    let e = TokenKeeper::new(config).unwrap_err();
    assert_eq!(e.code(), "config");
    assert!(e.message().contains("timeoutMs"), "{}", e.message());

    let mut config = Config::new("/auth/refresh");
    config.channel_name = Some(String::new());
    let e = TokenKeeper::new(config).unwrap_err();
    assert!(e.message().contains("channelName"), "{}", e.message());
}

/// Events compare, as values a test or an app's reducer matches on.
#[test]
fn events_compare() {
    use token_keeper::{Event, Trigger};
    let a = Event::Refresh {
        trigger: Trigger::Manual,
    };
    assert_eq!(a.clone(), a);
    assert_ne!(
        a,
        Event::Refresh {
            trigger: Trigger::Wake
        }
    );
}
