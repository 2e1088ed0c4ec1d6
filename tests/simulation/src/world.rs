//! The simulated browser: tabs each driving their own core, one cookie jar, a lock manager, a
//! broadcast channel with delivery delays, a network that can go down, and the server — all on
//! one event queue in simulated time. Each event handled is one step; the invariants are checked
//! after every one (`crate::check`).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, VecDeque};

use token_keeper_core::{Answer, AppAnswer, AuthId, AuthKind, CallId, FetchId, Keeper, LockEvent};

use crate::rng::Rng;
use crate::server::{AuthReply, Server};

/// What happens at a moment.
#[derive(Debug, Clone)]
pub enum Ev {
    /// A tab's timer fires (if it is still the armed one).
    Timer { tab: usize, at: f64 },
    /// An auth request reaches the server.
    AuthAtServer {
        tab: usize,
        id: AuthId,
        kind: AuthKind,
        cookie: Option<u64>,
        csrf: Option<String>,
        /// The reissue flow's `Authorization`, on refreshes.
        bearer: Option<String>,
        sent_at: f64,
    },
    /// An auth answer reaches the browser.
    AuthAtBrowser {
        tab: usize,
        id: AuthId,
        reply: AuthReply,
        refresh: bool,
    },
    /// An app request reaches the server.
    AppAtServer {
        tab: usize,
        id: FetchId,
        authorization: Option<String>,
    },
    /// An app answer reaches the browser; `challenge`: a DPoP nonce challenge.
    AppAtBrowser {
        tab: usize,
        id: FetchId,
        status: u16,
        challenge: bool,
    },
    /// A tab message reaches a tab.
    Deliver {
        tab: usize,
        wire: token_keeper_core::Wire,
        /// A sign-out's moment, as the message says it (whole ms).
        logout: Option<f64>,
    },
    /// The lock manager's grant reaches a tab (after the driver's macrotask).
    Grant { tab: usize },
    /// Another tab stole this tab's lock: the request's promise rejects.
    LockLost { tab: usize },
    /// The scenario acts.
    Act(crate::scenario::Action),
}

pub(crate) struct Scheduled {
    at: f64,
    seq: u64,
    pub(crate) ev: Ev,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scheduled {
    // Earliest first, then in order of scheduling: a min-heap on (at, seq).
    fn cmp(&self, other: &Self) -> Ordering {
        other.at.total_cmp(&self.at).then(other.seq.cmp(&self.seq))
    }
}

/// A user call a tab is waiting on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Restore,
    Login,
    Refresh,
    Logout,
}

/// One tab: its core and what its driver holds.
pub struct Tab {
    pub core: Keeper,
    pub alive: bool,
    pub frozen: bool,
    /// Events that arrived while frozen, run in order on thaw.
    pub backlog: VecDeque<Ev>,
    pub timer: Option<f64>,
    pub calls: HashMap<CallId, (CallKind, f64)>,
    /// App requests not yet settled, with when they were made.
    pub fetches: HashMap<FetchId, f64>,
    /// Auth calls the core aborted (their answers are dropped, their cookies lost).
    pub aborted: Vec<AuthId>,
    /// The last sign-out this tab knows of: its own `logout()` call, or the moment another tab's
    /// Logout message says, once heard (for the logout invariant).
    pub fence_ms: Option<f64>,
    /// The last refresh answer's status (for the logout-event invariant).
    pub last_refresh_status: Option<u16>,
    /// Whether that answer refused a bearer of another session than the cookie's (the reissue
    /// flow).
    pub last_refresh_stale_bearer: bool,
    /// When this tab's `logout()` calls that have resolved were made (invariant 8).
    pub logouts_resolved: Vec<f64>,
    /// The latest end of a `Retry-After` this tab's core was handed (invariant 9).
    pub retry_after_until: f64,
}

/// Lock requests in the order the browser's lock manager keeps them.
#[derive(Debug, Default)]
pub struct Locks {
    pub holder: Option<usize>,
    pub queue: VecDeque<usize>,
    /// This run's browser refuses every lock request (an opaque origin).
    pub refuse: bool,
    /// Steals so far.
    pub steals: u64,
}

/// The whole world of one run.
pub struct World {
    pub now: f64,
    pub rng: Rng,
    pub(crate) queue: BinaryHeap<Scheduled>,
    seq: u64,
    pub server: Server,
    pub tabs: Vec<Tab>,
    pub jar: Option<(u64, String)>,
    pub locks: Locks,
    pub network_up: bool,
    pub next_id: u64,
    /// Refresh requests sent and not yet processed by the server: (tab, sent at).
    pub refresh_in_transit: Vec<(usize, AuthId)>,
    /// Families whose rotation's answer was lost (the browser never stored the new cookie): a
    /// later reuse detection in them is the network's doing, not the keeper's.
    pub lost_rotations: Vec<u64>,
    /// Last moment anything but steady traffic happened (faults, freezes, logins...).
    pub disturbed_at: f64,
    /// Delay of tab messages, ms.
    pub channel_delay_ms: (f64, f64),
    /// The tabs' cores have a `BroadcastChannel`.
    pub channel: bool,
    /// Last delivery time per (from, to), so the channel keeps each sender's order.
    pub(crate) last_delivery: HashMap<(usize, usize), f64>,
    /// Login calls on the wire, by tab and call id: when the app called `login()` (invariant 8).
    pub(crate) login_made: HashMap<(usize, AuthId), f64>,
    pub steps: u64,
    pub log: Vec<String>,
    pub trace: bool,

    /// Violations found by the checks (the first fails the run).
    pub violation: Option<String>,
    /// The tabs' cores use Web Locks.
    pub lock_mode: bool,
    /// The tabs' `timeoutMs`.
    pub timeout_ms: f64,

    pub new_core: Box<dyn Fn(u64) -> Keeper>,
}

impl World {
    pub fn schedule(&mut self, at: f64, ev: Ev) {
        self.seq += 1;
        self.queue.push(Scheduled {
            at,
            seq: self.seq,
            ev,
        });
    }

    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub(crate) fn net_delay(&mut self) -> f64 {
        self.rng.range(1.0, 30.0)
    }

    pub fn note(&mut self, text: impl FnOnce() -> String) {
        if self.trace {
            let line = format!("{:>10.1} {}", self.now, text());
            self.log.push(line);
        }
    }

    /// Runs events until `until` (or the queue empties). Returns false on a violation.
    pub fn run_until(&mut self, until: f64) -> bool {
        while let Some(next) = self.queue.peek() {
            if next.at > until {
                break;
            }
            let Some(Scheduled { at, ev, .. }) = self.queue.pop() else {
                break;
            };
            self.now = self.now.max(at);
            self.steps += 1;
            self.handle(ev);
            crate::check::after_step(self);
            if self.violation.is_some() {
                return false;
            }
        }
        self.now = self.now.max(until);
        true
    }

    fn handle(&mut self, ev: Ev) {
        let tab = match &ev {
            Ev::Timer { tab, .. }
            | Ev::AuthAtBrowser { tab, .. }
            | Ev::AppAtBrowser { tab, .. }
            | Ev::Deliver { tab, .. }
            | Ev::Grant { tab }
            | Ev::LockLost { tab } => Some(*tab),
            _ => None,
        };
        if let Some(t) = tab {
            if !self.tabs[t].alive {
                // A closed tab's fetches were cancelled with it: a rotation's cookie is lost.
                if let Ev::AuthAtBrowser { reply, .. } = &ev {
                    self.lose_rotation(reply);
                }
                return;
            }
            if self.tabs[t].frozen {
                // A frozen tab runs nothing; the browser still stores cookies of its answers.
                if let Ev::AuthAtBrowser { reply, id, .. } = &ev {
                    if !self.tabs[t].aborted.contains(id) {
                        crate::check::cookie_stored(self, t, *id, reply);
                        self.store_cookie(reply);
                    }
                }
                self.tabs[t].backlog.push_back(ev);
                return;
            }
        }
        self.handle_now(ev, true);
    }

    /// The browser never stores `reply`'s cookie: the rotation it carried is lost.
    fn lose_rotation(&mut self, reply: &AuthReply) {
        if let (Some(family), Some(Some(_))) = (reply.family, &reply.set_cookie) {
            self.lost_rotations.push(family);
        }
    }

    fn store_cookie(&mut self, reply: &AuthReply) {
        match &reply.set_cookie {
            Some(Some(c)) => {
                if self.trace {
                    let family = self.server.family_of_refresh(c.0);
                    self.note(|| format!("  the jar takes a cookie of family {family:?}"));
                }
                self.jar = Some(c.clone());
            }
            Some(None) => {
                self.note(|| "  the jar is cleared".into());
                self.jar = None;
            }
            None => {}
        }
    }

    /// Handles `ev` for a running tab. `fresh` is false for a frozen tab's backlog (cookies
    /// were stored when the answer arrived).
    pub fn handle_now(&mut self, ev: Ev, fresh: bool) {
        let now = self.now;
        match ev {
            Ev::Timer { tab, at } => {
                if self.tabs[tab].timer == Some(at) {
                    self.tabs[tab].timer = None;
                    self.drive(tab, |k| k.handle_timeout(now));
                }
            }
            Ev::AuthAtServer {
                tab,
                id,
                kind,
                cookie,
                csrf,
                bearer,
                sent_at,
            } => {
                let is_refresh = kind == AuthKind::Refresh;
                if is_refresh {
                    self.refresh_in_transit.retain(|(_, a)| *a != id);
                }
                let reply = match kind {
                    AuthKind::Login { .. } => self.server.login(cookie, now, sent_at),
                    AuthKind::Refresh => {
                        let (csrf, bearer) = (csrf.as_deref(), bearer.as_deref());
                        self.server.refresh(cookie, csrf, bearer, now, sent_at)
                    }
                    AuthKind::Logout => self.server.logout(cookie),
                };
                self.note(|| {
                    let bound = match reply.body.contains("another family") {
                        true => " (bound: a token of another family)",
                        false if reply.body.contains("bound") => " (bound: no token)",
                        false => "",
                    };
                    format!(
                        "server {kind:?} #{id} from tab {tab}: {}{bound}",
                        reply.status
                    )
                });
                if let (true, Some(token)) = (self.server.dpop, &reply.token) {
                    // The call's proof was signed with this tab's key: the token is bound to it.
                    self.server.bind(token, tab);
                }
                let late = std::mem::take(&mut self.server.late_ms);
                if std::mem::take(&mut self.server.fault_applied) {
                    // Faults ordered long ago may strike only now (the network was down, the
                    // tabs frozen): the browser is disturbed from when it meets them.
                    self.disturbed_at = self.disturbed_at.max(now + late);
                }
                let at = now + late + self.net_delay();
                self.schedule(
                    at,
                    Ev::AuthAtBrowser {
                        tab,
                        id,
                        reply,
                        refresh: is_refresh,
                    },
                );
            }
            Ev::AuthAtBrowser {
                tab,
                id,
                reply,
                refresh,
            } => {
                if self.tabs[tab].aborted.contains(&id) {
                    // Aborted before the headers came: the browser drops them, cookie and all.
                    self.lose_rotation(&reply);
                    return;
                }
                if fresh {
                    crate::check::cookie_stored(self, tab, id, &reply);
                    self.store_cookie(&reply);
                }
                if refresh {
                    self.tabs[tab].last_refresh_status = Some(reply.status);
                    self.tabs[tab].last_refresh_stale_bearer =
                        reply.body.contains("another family");
                }
                if reply.stall {
                    return;
                }
                let nonce = reply.body.contains("use_dpop_nonce");
                if let (429 | 500..=599, Some(s)) = (reply.status, reply.retry_after_s) {
                    let until = &mut self.tabs[tab].retry_after_until;
                    *until = until.max(now + s * 1000.0);
                }
                let answer = Answer::Response {
                    status: reply.status,
                    parsed: token_keeper_core::parsed::serde_parse(&reply.body),
                    body: reply.body,
                    retry_after_s: reply.retry_after_s,
                    token_header: None,
                    // The challenge's `DPoP-Nonce` header comes with it.
                    dpop_nonce: nonce.then(|| String::from("n")),
                };
                self.drive(tab, |k| k.handle_auth_answer(id, answer, now));
            }
            Ev::AppAtServer {
                tab,
                id,
                authorization,
            } => {
                let challenge = self.server.dpop
                    && authorization.is_some()
                    && self.server.api_nonce_challenges > 0;
                let status = if challenge {
                    self.server.api_nonce_challenges -= 1;
                    401
                } else {
                    let result = self.server.api(authorization.as_deref(), tab, now);
                    if result == Err(true) {
                        crate::check::expired_token_at_server(self, tab);
                    }
                    if result.is_ok() {
                        200
                    } else {
                        401
                    }
                };
                let at = now + self.net_delay();
                self.schedule(
                    at,
                    Ev::AppAtBrowser {
                        tab,
                        id,
                        status,
                        challenge,
                    },
                );
            }
            Ev::AppAtBrowser {
                tab,
                id,
                status,
                challenge,
            } => {
                let url = "https://app.example/api/me";
                self.drive(tab, |k| {
                    let www = challenge.then_some(r#"DPoP error="use_dpop_nonce""#);
                    let nonce = challenge.then_some("n");
                    k.handle_app_answer(
                        id,
                        AppAnswer::Response {
                            status,
                            url,
                            www_authenticate: www,
                            dpop_nonce: nonce,
                        },
                        now,
                    );
                });
            }
            Ev::Deliver { tab, wire, logout } => {
                self.note(|| format!("tab {tab} hears {wire:?}"));
                if let Some(at) = logout {
                    // From the sign-out's own moment: a login this tab began after it (and sent
                    // before hearing of it) is a new session, which the sign-out does not end.
                    let fence = &mut self.tabs[tab].fence_ms;
                    *fence = Some(fence.map_or(at, |f| f.max(at)));
                }
                self.drive(tab, |k| k.handle_tab_message(&wire, now));
            }
            Ev::Grant { tab } => {
                self.note(|| format!("tab {tab} granted"));
                if self.locks.holder == Some(tab) {
                    self.drive(tab, |k| k.handle_lock(LockEvent::Granted, now));
                }
            }
            Ev::LockLost { tab } => self.drive(tab, |k| k.handle_lock(LockEvent::Lost, now)),
            Ev::Act(action) => crate::scenario::act(self, action),
        }
    }

    /// An empty world at local time `now`.
    pub fn new(seed: u64, now: f64, server: Server, new_core: Box<dyn Fn(u64) -> Keeper>) -> World {
        World {
            now,
            rng: Rng::new(seed),
            queue: BinaryHeap::new(),
            seq: 0,
            server,
            tabs: Vec::new(),
            jar: None,
            locks: Locks::default(),
            network_up: true,
            next_id: 0,
            refresh_in_transit: Vec::new(),
            lost_rotations: Vec::new(),
            disturbed_at: now,
            channel_delay_ms: (0.1, 3.0),
            channel: false,
            last_delivery: HashMap::new(),
            login_made: HashMap::new(),
            steps: 0,
            log: Vec::new(),
            trace: false,

            violation: None,
            lock_mode: true,
            timeout_ms: 10_000.0,

            new_core,
        }
    }
}

pub(crate) fn failed() -> AuthReply {
    AuthReply {
        status: 0,
        body: String::new(),
        retry_after_s: None,
        set_cookie: None,
        stall: false,
        family: None,
        token: None,
    }
}

impl std::fmt::Debug for Tab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tab")
            .field("core", &self.core)
            .field("alive", &self.alive)
            .field("frozen", &self.frozen)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for World {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("World")
            .field("now", &self.now)
            .field("tabs", &self.tabs)
            .field("steps", &self.steps)
            .finish_non_exhaustive()
    }
}
