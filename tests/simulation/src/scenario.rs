//! A seeded schedule of what users, tabs, the network and the server do: a chaotic phase of
//! logins, logouts, restores, `setToken`, bursts of fetches, frozen and closed tabs, a network
//! going down, server faults; then a quiet phase of steady traffic in which the steady-state
//! invariants hold.

use crate::rng::Rng;
use crate::server::Fault;
use crate::world::{CallKind, World};

/// Something the scenario does at a moment.
#[derive(Debug, Clone, Copy)]
pub enum Action {
    Call(usize, CallKind),
    Fetches(usize, u32),
    SetToken(usize),
    Freeze(usize),
    Thaw(usize),
    Close(usize),
    Open,
    NetworkDown,
    NetworkUp,
    ServerFaults(Fault, u32),
    /// Steady traffic: every living tab fetches, then again after `every_ms`, until `until`.
    Traffic {
        every_ms: f64,
        until: f64,
    },
}

fn disturbing(action: Action) -> bool {
    !matches!(action, Action::Fetches(..) | Action::Traffic { .. })
}

/// Plans the chaotic phase from `start` for `length_ms`.
pub fn plan_chaos(world: &mut World, rng: &mut Rng, start: f64, length_ms: f64) {
    let tabs = world.tabs.len();
    let mut at = start;
    while at < start + length_ms {
        at += rng.range(50.0, 2_500.0);
        let tab = rng.below(tabs.max(1));
        let action = match rng.below(100) {
            0..=7 => Action::Call(tab, CallKind::Login),
            8..=11 => Action::Call(tab, CallKind::Logout),
            12..=17 => Action::Call(tab, CallKind::Restore),
            18..=23 => Action::Call(tab, CallKind::Refresh),
            24..=25 => Action::SetToken(tab),
            26..=59 => Action::Fetches(tab, 1 + rng.below(20) as u32),
            60..=65 => Action::Freeze(tab),
            66..=71 => Action::Thaw(tab),
            72 => Action::Close(tab),
            73..=74 => Action::Open,
            75..=78 => Action::NetworkDown,
            79..=84 => Action::NetworkUp,
            // DPoP runs: half of these are new server nonces (drawn only there, so the other
            // runs' schedules stay as they were).
            85..=88 if world.server.dpop && rng.chance(0.5) => {
                Action::ServerFaults(Fault::Nonce, 1 + rng.below(2) as u32)
            }
            85..=88 => Action::ServerFaults(Fault::ServerError, 1 + rng.below(4) as u32),
            89..=91 => Action::ServerFaults(Fault::TooMany(1 + rng.below(5) as u32), 1),
            92..=95 => Action::ServerFaults(Fault::Garbage, 1),
            96..=97 => Action::ServerFaults(Fault::Stall, 1),
            _ => {
                // Slow, but answered within the shortest timeout the runs use (2 s).
                let late = 100 + rng.below(1_800) as u32;
                Action::ServerFaults(Fault::Slow(late), 1 + rng.below(3) as u32)
            }
        };
        world.schedule(at, crate::world::Ev::Act(action));
    }
}

pub fn act(world: &mut World, action: Action) {
    if disturbing(action) {
        world.disturbed_at = world.now;
    }
    world.note(|| format!("act {action:?}"));
    let alive = |world: &World, tab: usize| tab < world.tabs.len() && world.tabs[tab].alive;
    match action {
        Action::Call(tab, kind) if alive(world, tab) && !world.tabs[tab].frozen => {
            world.call(tab, kind)
        }
        Action::Fetches(tab, n) if alive(world, tab) && !world.tabs[tab].frozen => {
            for _ in 0..n {
                world.fetch(tab);
            }
        }
        Action::SetToken(tab) if alive(world, tab) && !world.tabs[tab].frozen => {
            // A token from elsewhere, of the session the jar holds (if any).
            let family = world.tabs[tab]
                .core
                .access_token()
                .and_then(|t| world.server.family_of(t.expose()));
            if let Some(family) = family {
                let now = world.now;
                let (token, _) = world.server.mint(family, now, now);
                if world.server.dpop {
                    // With DPoP a token from elsewhere is still bound to this tab's key.
                    world.server.bind(&token, tab);
                }
                world.drive(tab, |k| {
                    let _ = k.set_token(&token, now);
                });
            }
        }
        Action::Freeze(tab) if alive(world, tab) => world.tabs[tab].frozen = true,
        Action::Thaw(tab) if alive(world, tab) && world.tabs[tab].frozen => world.thaw(tab),
        Action::Close(tab)
            if alive(world, tab) && world.tabs.iter().filter(|t| t.alive).count() > 1 =>
        {
            world.close(tab);
        }
        Action::Open if world.tabs.len() < 8 => {
            let tab = world.new_tab();
            world.call(tab, CallKind::Restore);
        }
        Action::NetworkDown => world.network_up = false,
        Action::NetworkUp => world.network_up = true,
        Action::ServerFaults(fault, n) => {
            for _ in 0..n {
                world.server.faults.push(fault);
            }
        }
        Action::Traffic { every_ms, until } => {
            for tab in 0..world.tabs.len() {
                if world.tabs[tab].alive && !world.tabs[tab].frozen {
                    world.fetch(tab);
                }
            }
            let next = world.now + every_ms * (0.5 + world.rng.unit());
            if next < until {
                world.schedule(
                    next,
                    crate::world::Ev::Act(Action::Traffic { every_ms, until }),
                );
            }
        }
        _ => {}
    }
}
