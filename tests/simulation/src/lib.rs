//! A deterministic simulation of token-keeper's core: one browser with 1–5 tabs (each running
//! its own [`token_keeper_core::Keeper`]), a cookie jar, Web Locks and a `BroadcastChannel` with
//! delivery delays, a rotating-refresh server with reuse detection and no grace, server clock
//! skew, millisecond and whole-second tokens, and faults: 5xx, 429 with `Retry-After`,
//! timeouts, garbage and stalled bodies, the network down and back, tabs frozen, thawed, closed
//! and opened. Every run is a seed; the same seed replays the same run, step for step.
#![allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]

pub mod browser;
pub mod check;
pub mod rng;
pub mod scenario;
pub mod server;
pub mod world;

use std::time::Duration;

use token_keeper_core::{AllowList, Config, Environment, Keeper};

use crate::rng::Rng;

/// The session of every simulated tab: their resolved `refreshUrl`.
pub const SESSION: &str = "https://app.example/auth/refresh";
use crate::scenario::Action;
use crate::server::{Server, Style};
use crate::world::{CallKind, Ev, World};

/// What one run measured.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    pub steps: u64,
    pub simulated_ms: f64,
    pub refreshes: u64,
    pub reuse_detections: u64,
    /// Runs of the reissue flow, their refreshes, and the refreshes the server refused there
    /// for want of an access token of the cookie's family.
    pub reissue_runs: u64,
    pub reissue_refreshes: u64,
    pub bind_rejections: u64,
    pub bind_other_family: u64,
    /// Of those, in runs whose browser lets tabs take turns (the rest are the per-tab
    /// fallback's, which has no way to): each after a lost rotation.
    pub reuse_with_locks: u64,
    pub api_ok: u64,
    pub api_unauthorized: u64,
    pub steals: u64,
    /// Refreshes in the steady phase, and the most the invariant allowed.
    pub steady_refreshes: u64,
    pub steady_periods: f64,
    /// DPoP runs, and the nonce challenges answered in them.
    pub dpop_runs: u64,
    pub nonce_challenges: u64,
}

/// One run's result: its figures, and the violation that failed it (with the trace, when asked).
#[derive(Debug)]
pub struct Outcome {
    pub figures: Figures,
    pub violation: Option<String>,
    pub trace: Vec<String>,
}

const T0: f64 = 1_700_000_000_000.0;

/// Runs seed `seed`.
pub fn run(seed: u64, trace: bool) -> Outcome {
    let mut rng = Rng::new(seed);
    let style = Style {
        ttl_s: rng.pick(&[2, 3, 5, 10, 30]),
        whole_seconds: rng.chance(0.5),
        expires_in: rng.chance(0.5),
        skew_ms: rng.pick(&[0.0, 3_600_000.0, -3_600_000.0, 1_234.5, -90_000.0]),
    };
    let locks = rng.below(20);
    let (lock_api, refuse) = match locks {
        0 => (true, true),
        1 => (false, false),
        _ => (true, false),
    };
    let channel = rng.below(20) != 0;
    let mut config = Config::new("https://app.example/auth/refresh");
    config.login_url = Some("https://app.example/auth/login".into());
    if rng.chance(0.7) {
        config.logout_url = Some("https://app.example/auth/logout".into());
    }
    // One seed in four runs the reissue flow: the refresh carries the last access token and the
    // server refuses one of another family. (From the seed, not the generator: the other
    // seeds' schedules stay as they were.)
    let reissue = seed % 4 == 3;
    config.send_access_token_on_refresh = reissue;
    // One seed in eight runs DPoP: each tab's own key, tokens bound to it, server nonces.
    let dpop = seed % 8 == 1;
    config.dpop = dpop;
    // One seed in sixteen signs in as to a session-cookie backend: the login answer carries no
    // token, and the same `login()` refreshes for it (`refreshAfterLogin`).
    let after_login = seed % 16 == 6;
    config.refresh_after_login = after_login;
    // One seed in sixteen runs as the isolated entry's dedicated workers do: tab messages carry
    // no token, and each tab refreshes for itself under the lock.
    let tab_tokens = seed % 16 != 10;
    let timeout_ms = rng.pick(&[2_000, 5_000, 10_000]);
    config.timeout = Duration::from_millis(timeout_ms);
    let logout_url = config.logout_url.clone();
    let new_core: Box<dyn Fn(u64) -> Keeper> = Box::new(move |seed| {
        Keeper::new(
            config.clone(),
            Environment {
                allowed: AllowList::new(vec!["https://app.example".into()]),
                locks: lock_api,
                channel,
                tab_tokens,
                seed,
                session: crate::SESSION.into(),
                login_url: Some("https://app.example/auth/login".into()),
                logout_url: logout_url.clone(),
                decoder: token_keeper_core::parsed::serde_segment,
            },
        )
    });
    let mut server = Server::new(style);
    server.bind_to_user = reissue;
    server.dpop = dpop;
    server.login_without_token = after_login;
    let mut world = World::new(rng.next_u64(), T0, server, new_core);
    world.trace = trace;
    world.lock_mode = lock_api;
    world.channel = channel;
    world.timeout_ms = timeout_ms as f64;
    world.locks.refuse = refuse;
    world.note(|| {
        format!(
            "seed {seed}: {style:?}, locks {lock_api} (refused {refuse}), channel {channel}, \
             reissue {reissue}, dpop {dpop}, refresh after login {after_login}, tab tokens {tab_tokens}"
        )
    });

    let tabs = 1 + rng.below(5);
    for i in 0..tabs {
        let tab = world.new_tab();
        world.schedule(
            T0 + 10.0 * i as f64,
            Ev::Act(Action::Call(tab, CallKind::Restore)),
        );
    }
    world.schedule(T0 + 100.0, Ev::Act(Action::Call(0, CallKind::Login)));
    let chaos_ms = rng.range(20_000.0, 90_000.0);
    scenario::plan_chaos(&mut world, &mut rng, T0 + 200.0, chaos_ms);
    let mut ok = world.run_until(T0 + 200.0 + chaos_ms + 5_000.0);

    // The quiet phase: every tab running, the network up, the server healthy, someone signed in.
    let mut figures = Figures::default();
    if ok {
        world.network_up = true;
        world.server.faults.clear();
        for tab in 0..world.tabs.len() {
            if world.tabs[tab].alive && world.tabs[tab].frozen {
                world.thaw(tab);
            }
        }
        let first = (0..world.tabs.len())
            .find(|t| world.tabs[*t].alive)
            .unwrap_or(0);
        // Calls still out (a logout behind a draining refresh) land first: a login now would be
        // refused as "signing out".
        let settled = world.now + world.timeout_ms + 1_000.0;
        ok = world.run_until(settled);
        let quiet_login = ok
            && !world
                .tabs
                .iter()
                .any(|t| t.alive && t.core.is_authenticated());
        if quiet_login {
            world.note(|| format!("quiet phase: nobody signed in, tab {first} logs in"));
            world.call(first, CallKind::Login);
        }
        world.disturbed_at = world.now;
        let ttl_ms = f64::from(style.ttl_s) * 1000.0;
        let quiet_start = world.now;
        let quiet_end = quiet_start + (12.0 * ttl_ms).max(30_000.0);
        world.schedule(
            quiet_start + 50.0,
            Ev::Act(Action::Traffic {
                every_ms: 300.0,
                until: quiet_end,
            }),
        );
        let steady_from = quiet_start + check::settle_ms(&world);
        ok = world.run_until(steady_from);
        let before = world.server.stats.refreshes;
        ok = ok && world.run_until(quiet_end);
        if ok {
            // 5: one refresh per refresh period (lifetime − lead), + jitter and the edges.
            let planned = ttl_ms - if style.whole_seconds { 1000.0 } else { 0.0 };
            let period = planned - (0.25 * planned).min(60_000.0);
            let periods = (quiet_end - steady_from) / period;
            let refreshes = world.server.stats.refreshes - before;
            figures.steady_refreshes = refreshes;
            figures.steady_periods = periods;
            // Without a channel each tab learns nothing of the others' tokens: one per tab.
            // With DPoP every tab refreshes for its own key, and without tokens in tab messages
            // for itself: one per living tab.
            let tabs = world.tabs.iter().filter(|t| t.alive).count() as f64;
            let allowed = if dpop || !tab_tokens {
                tabs * (periods + 2.0)
            } else {
                periods + 2.0
            };
            if check::locks_work(&world) && channel && refreshes as f64 > allowed {
                world.violation = Some(format!(
                    "{refreshes} refreshes in {periods:.1} refresh periods of steady traffic"
                ));
                ok = false;
            }
        }
        // 7: at the end of the quiet phase every living tab holds a token, when tabs can talk
        // and take turns (they adopt the session's token, or with DPoP refresh for their own).
        if ok && check::locks_work(&world) && channel {
            check::all_signed_in(&mut world, quiet_login);
            ok = world.violation.is_none();
        }
        // Let everything in flight settle, then every call and fetch must have.
        ok = ok && world.run_until(quiet_end + 60_000.0);
        if ok {
            check::at_end(&mut world);
        }
    }
    let s = world.server.stats;
    figures.steps = world.steps;
    figures.simulated_ms = world.now - T0;
    figures.refreshes = s.refreshes;
    figures.reuse_detections = s.reuse_detections;
    if world.server.bind_to_user {
        figures.reissue_runs = 1;
        figures.reissue_refreshes = s.refreshes;
        figures.bind_rejections = s.bind_rejections;
        figures.bind_other_family = s.bind_rejections_other_family;
    }
    if check::locks_work(&world) && channel {
        figures.reuse_with_locks = s.reuse_detections;
    }
    if dpop {
        figures.dpop_runs = 1;
        figures.nonce_challenges = s.nonce_challenges;
    }
    figures.api_ok = s.api_ok;
    figures.api_unauthorized = s.api_unauthorized;
    figures.steals = world.locks.steals;
    Outcome {
        figures,
        violation: world.violation.take(),
        trace: std::mem::take(&mut world.log),
    }
}
