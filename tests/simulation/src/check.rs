//! The invariants, checked after every step (and at the moments that matter). The first broken
//! one fails the run with its seed.
//!
//! 1. No reuse detection and no `logout` event unless the server refused, a user signed out, or
//!    the network lost a rotation's answer (then the server is right to see reuse).
//! 2. After `logout()` resolves, no tab holds a token of the ended session once it has heard of
//!    the logout, and none installs one later.
//! 3. At most one refresh request in flight per browser while locks work.
//! 4. In steady state no app request reaches the server with an expired token, and (at the end
//!    of the run) every call and fetch settled.
//! 5. In steady state, refreshes per browser per refresh period stay at one (+ jitter), checked
//!    by `crate::run` over the quiet phase.
//!
//! 7. At the end of the quiet phase, with locks and a channel, a session one living tab has,
//!    every living tab has (checked by `crate::run`): a tab left out of it is a failure too.
//! 6. DPoP runs: a tab holds only tokens bound to its own key (never another tab's, which the
//!    server would refuse), every request carrying one has a proof, and no request reaches the
//!    server with another key's token or as a bearer.
//! 8. With a `logoutUrl`: after a tab's `logout()` resolved, no login that tab made before it
//!    leaves a live session in the cookie jar (the user saw "signed out"; the next page load
//!    would sign them back in).
//! 9. No tab sends a refresh before a `Retry-After` the server gave it has passed.
//!
//! In the reissue flow, a refusal of a refresh whose bearer is of another session than the
//! cookie's (a tab that missed a logout and a new login) explains no `logout` when tabs can
//! talk: such a tab must hear of the new session first, or its `logout` ends it for every tab.

use token_keeper_core::{AuthId, LogoutReason};

use crate::server::AuthReply;

use crate::world::World;

fn fail(world: &mut World, what: String) {
    if world.violation.is_none() {
        world.violation = Some(format!("at {:.1} ms: {what}", world.now));
    }
}

/// How long after a disturbance the browser counts as steady again: two token lifetimes, and
/// one `timeoutMs` more (a stalled answer holds a call that long).
pub fn settle_ms(world: &World) -> f64 {
    f64::from(world.server.style.ttl_s) * 2000.0 + world.timeout_ms + 1000.0
}

/// Web Locks are there and the browser grants them: the tabs' refreshes take turns.
pub fn locks_work(world: &World) -> bool {
    world.lock_mode && !world.locks.refuse
}

pub fn after_step(world: &mut World) {
    // 1: reuse is only ever the network's doing (or, without locks, the tabs' own race: the
    // per-tab fallback has no way to take turns).
    let unexplained = world
        .server
        .reused_families
        .iter()
        .find(|f| !world.lost_rotations.contains(f))
        .copied();
    if let (Some(family), true) = (unexplained, locks_work(world)) {
        fail(
            world,
            format!("the server saw reuse in family {family}, and no rotation of it was lost"),
        );
    }
    // 6: with DPoP, no token of another tab's key, at the server or in a tab.
    if world.server.stats.dpop_mismatches > 0 {
        fail(
            world,
            "a request reached the server with another key's token, or as a bearer".into(),
        );
    }
    // 2: a tab that signed out, or heard of a sign-out, holds no token asked for before it
    // (once its own logout() resolved).
    for i in 0..world.tabs.len() {
        let tab = &world.tabs[i];
        let logging_out = tab
            .calls
            .values()
            .any(|(k, _)| *k == crate::world::CallKind::Logout);
        if !tab.alive || tab.frozen || logging_out {
            continue;
        }
        if let Some(fence) = tab.fence_ms {
            let asked = tab
                .core
                .access_token()
                .and_then(|t| world.server.requested_at(t.expose()));
            if asked.is_some_and(|a| a < fence) {
                fail(
                    world,
                    format!("tab {i} holds a token asked for before the sign-out at {fence:.1}"),
                );
                return;
            }
        }
    }
}

/// A refresh request leaves tab `tab`: no other may be in flight (3), unless locks are out of
/// play (refused, or a steal just took the lock from a frozen holder); and never before a
/// `Retry-After` the tab was given has passed (9).
pub fn refresh_sent(world: &mut World, tab: usize) {
    let until = world.tabs[tab].retry_after_until;
    if world.now < until {
        fail(
            world,
            format!(
                "tab {tab} sent a refresh before the server's Retry-After ran out at {until:.1}"
            ),
        );
    }
    let in_flight = world.refresh_in_transit.len();
    if locks_work(world) && world.locks.steals == 0 && in_flight > 1 {
        let tabs: Vec<usize> = world.refresh_in_transit.iter().map(|(t, _)| *t).collect();
        fail(
            world,
            format!("tab {tab} sent a refresh while another was in flight: tabs {tabs:?}"),
        );
    }
}

/// The browser stores the cookie of an answer to tab `tab`'s auth call `id` (8): a login's
/// must not set a live session once a `logout()` that tab made after the login has resolved.
pub fn cookie_stored(world: &mut World, tab: usize, id: AuthId, reply: &AuthReply) {
    let Some(made) = world.login_made.remove(&(tab, id)) else {
        return;
    };
    if world.tabs[tab].core.config().logout_url.is_none() {
        return; // without a logout endpoint no sign-out ends the server's session
    }
    let live = matches!(reply.set_cookie, Some(Some(_)))
        && reply.family.is_some_and(|f| !world.server.is_revoked(f));
    let logout = world.tabs[tab]
        .logouts_resolved
        .iter()
        .find(|at| **at >= made)
        .copied();
    if let (true, Some(logout)) = (live, logout) {
        fail(
            world,
            format!(
                "tab {tab}'s login of {made:.1} set a live session after its logout() of {logout:.1} resolved"
            ),
        );
    }
}

/// A `logout` event on tab `tab` (1).
pub fn logout_event(world: &mut World, tab: usize, reason: LogoutReason) {
    let t = &world.tabs[tab];
    let explained = match reason {
        LogoutReason::User => t
            .calls
            .values()
            .any(|(k, _)| *k == crate::world::CallKind::Logout),
        LogoutReason::Rejected => {
            matches!(t.last_refresh_status, Some(401 | 403))
                && !(world.channel && t.last_refresh_stale_bearer)
        }
        LogoutReason::Tab => true,
        // The token ran out while refreshes failed: only faults explain that.
        LogoutReason::Expired => world.now - world.disturbed_at < settle_ms(world) * 4.0,
        _ => false,
    };
    if !explained {
        fail(
            world,
            format!("tab {tab} signed out ({}) with no cause", reason.as_str()),
        );
    }
}

/// A `token` event on tab `tab` (2): never a token asked for before a sign-out the tab knew of
/// — a late refresh answer, or an adopted message from before it.
pub fn token_event(world: &mut World, tab: usize) {
    foreign_token(world, tab);
    let t = &world.tabs[tab];
    let asked = t
        .core
        .access_token()
        .and_then(|t| world.server.requested_at(t.expose()));
    if let (Some(asked), Some(fence)) = (asked, t.fence_ms) {
        if asked < fence {
            fail(world, format!("tab {tab} took a token asked for at {asked:.1}, before the sign-out at {fence:.1}"));
        }
    }
}

/// DPoP runs (6): tab `tab` holds a token bound to another tab's key.
pub fn foreign_token(world: &mut World, tab: usize) {
    if !world.server.dpop {
        return;
    }
    let key = world.tabs[tab]
        .core
        .access_token()
        .and_then(|t| world.server.key_of(t.expose()));
    if key.is_some_and(|k| k != tab) {
        fail(
            world,
            format!("tab {tab} holds a token bound to tab {key:?}'s key"),
        );
    }
}

/// DPoP runs (6): tab `tab` sent a request carrying the token without a proof to sign.
pub fn no_proof(world: &mut World, tab: usize) {
    fail(
        world,
        format!("tab {tab} sent its token without a DPoP proof"),
    );
}

/// `logout()` resolved on tab `tab`: it holds no token.
pub fn logout_resolved(world: &mut World, tab: usize) {
    if world.tabs[tab].core.is_authenticated() {
        fail(
            world,
            format!("tab {tab} holds a token after its logout() resolved"),
        );
    }
}

/// The server saw an expired token from tab `tab` (4): only outside steady state.
pub fn expired_token_at_server(world: &mut World, tab: usize) {
    if world.now - world.disturbed_at > settle_ms(world) {
        fail(
            world,
            format!("in steady state, tab {tab} sent an expired token"),
        );
    }
}

/// The quiet phase is over (7): if any living tab holds a token, every living tab does. (A
/// browser signed out by a fault in the air as the quiet phase began has no session to join.)
/// `logged_in`: the quiet phase signed in itself (on a healthy server): a session must exist.
pub fn all_signed_in(world: &mut World, logged_in: bool) {
    let living = || world.tabs.iter().enumerate().filter(|(_, t)| t.alive);
    let session = living().any(|(_, t)| t.core.is_authenticated());
    if logged_in && !session {
        return fail(
            world,
            "the quiet phase signed in, and no tab holds a token at its end".into(),
        );
    }
    let out = living()
        .find(|(_, t)| !t.core.is_authenticated())
        .map(|(i, _)| i)
        .filter(|_| session);
    if let Some(tab) = out {
        fail(
            world,
            format!("tab {tab} is signed out after the quiet phase"),
        );
    }
}

/// At the end of a run every call and fetch of a living tab has settled (4).
pub fn at_end(world: &mut World) {
    for i in 0..world.tabs.len() {
        let t = &world.tabs[i];
        if !t.alive {
            continue;
        }
        if let Some((kind, at)) = t.calls.values().next().copied() {
            fail(
                world,
                format!("tab {i}: a {kind:?} call made at {at:.1} never settled"),
            );
            return;
        }
        if let Some(at) = t.fetches.values().next().copied() {
            fail(
                world,
                format!("tab {i}: a fetch made at {at:.1} never settled"),
            );
            return;
        }
    }
}
