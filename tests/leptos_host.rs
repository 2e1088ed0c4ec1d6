//! The Leptos integration's contracts that need no browser (cargo feature `leptos`, on the host):
//! a component below no `provide_auth` is told so by name.
#![cfg(all(feature = "leptos", not(target_arch = "wasm32")))]

use leptos::prelude::Owner;
use token_keeper::leptos::{expect_auth, use_auth};

#[test]
fn use_auth_without_a_provider_is_none() {
    Owner::new().with(|| assert!(use_auth().is_none()));
}

#[test]
#[should_panic(expected = "call provide_auth(keeper) in an ancestor")]
fn expect_auth_without_a_provider_names_provide_auth() {
    Owner::new().with(|| {
        let _ = expect_auth();
    });
}
