//! Starting a keeper in the browser: the URLs resolved against the page, the allow-list, the
//! tabs' channel and lock, the core built with its environment, and the page events after which
//! timers may have slept.

use std::rc::{Rc, Weak};

use token_keeper_core::origin::allow_list;
use token_keeper_core::{Environment, Keeper};
use wasm_bindgen::{JsCast, JsValue};

use super::TokenKeeper;
use crate::clock::{self, Listener};
use crate::config::Config;
use crate::driver::{self, Inner};
use crate::http;
use crate::tabs::{self, Channel};
use crate::Error;
use token_keeper_core::config::config_error;

impl TokenKeeper {
    #[cfg(target_arch = "wasm32")]
    pub(super) fn start(config: Config) -> Result<TokenKeeper, Error> {
        // Resolved and normalized by the browser; what that means is the core's decision
        // (`allow_list`), as in the npm package: "" for a URL or origin that is none.
        let resolve = |url: &str| http::resolve(url).unwrap_or_default();
        let refresh = resolve(&config.refresh_url);
        let login = config.login_url.as_deref().map(resolve);
        let logout = config.logout_url.as_deref().map(resolve);
        let origins: Vec<String> = config
            .allowed_origins
            .iter()
            .flatten()
            .map(|o| http::origin_of(o).unwrap_or_default())
            .collect();
        let page = http::page_origin().unwrap_or_default();
        let allowed = allow_list(
            &config,
            &page,
            [Some(&refresh), login.as_deref(), logout.as_deref()],
            origins.iter().map(String::as_str),
        )?;
        let dpop = match config.dpop {
            true => Some(crate::dpop::Dpop::new().ok_or_else(|| {
                config_error(
                    "dpop",
                    "needs WebCrypto: a secure context (https, or localhost)",
                )
            })?),
            false => None,
        };
        let cross_tab = config.cross_tab;
        let name = config.channel_name_for(&refresh);
        let session = refresh;
        let inner = Rc::new_cyclic(|weak: &Weak<Inner>| {
            let channel = if cross_tab {
                let weak = weak.clone();
                Channel::open(&name, move |message| {
                    if let Some(inner) = weak.upgrade() {
                        driver::with_core(&inner, |k, now| k.handle_tab_message(&message, now));
                    }
                })
            } else {
                None
            };
            let env = Environment {
                allowed,
                locks: cross_tab && tabs::has_locks(),
                channel: channel.is_some(),
                tab_tokens: true,
                seed: random_seed(),
                session,
                login_url: login,
                logout_url: logout,
                decoder: token_keeper_core::parsed::serde_segment,
            };
            let inner = Inner::new(Keeper::new(config, env), dpop);
            inner.io.borrow_mut().channel = channel;
            inner
        });
        let keeper = TokenKeeper { inner };
        keeper.listen_for_wake_ups();
        Ok(keeper)
    }

    /// Timers stop during sleep and are throttled in hidden tabs: on the events that follow
    /// those, the core compares the deadline with the clock.
    fn listen_for_wake_ups(&self) {
        let global: JsValue = js_sys::global().into();
        let document = js_sys::Reflect::get(&global, &"document".into()).ok();
        let mut listeners = Vec::new();
        let targets = [
            (Some(global.clone()), "pageshow"),
            (Some(global.clone()), "focus"),
            (Some(global), "online"),
            (document, "visibilitychange"),
        ];
        for (target, event) in targets {
            let Some(target) = target.and_then(|t| t.dyn_into::<web_sys::EventTarget>().ok())
            else {
                continue;
            };
            let weak = Rc::downgrade(&self.inner);
            if let Some(l) = Listener::new(&target, event, move || {
                if let Some(inner) = weak.upgrade() {
                    let visible = !is_hidden();
                    driver::with_core(&inner, |k, now| k.handle_wake(visible, now));
                }
            }) {
                listeners.push(l);
            }
        }
        self.inner.io.borrow_mut().wake = listeners;
    }
}

fn is_hidden() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"document".into())
        .and_then(|d| js_sys::Reflect::get(&d, &"visibilityState".into()))
        .ok()
        .and_then(|v| v.as_string())
        .is_some_and(|v| v == "hidden")
}

fn random_seed() -> u64 {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let seed = (clock::random_unit() * 9_007_199_254_740_992.0) as u64;
    seed
}
